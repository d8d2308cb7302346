# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the molecule scenario of the role signet.azure.cloud_service_certificate_rotation (driver ``default``).

The scenario (extensions/molecule/cloud_service_certificate_rotation/) starts its own Azure twin in ``prepare``,
rotates leaf, intermediate and root in ``converge``, requires ``idempotence`` to report no change, checks the twin's
state in ``verify`` and stops the twin in ``destroy``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.playbook import COLLECTIONS, ensure_collection_link

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "cloud_service_certificate_rotation"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.xdist_group("molecule")


def test_molecule_scenario(tmp_path):
    molecule = BIN / "molecule"
    if not molecule.exists() and shutil.which("molecule") is None:
        pytest.skip("molecule is not installed")
    ensure_collection_link()
    env = {
        k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith(("ANSIBLE_", "MOLECULE_"))
    }
    env.update(
        PATH="%s%s%s" % (BIN, os.pathsep, env.get("PATH", "")),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
        # molecule keeps its scenario state (e.g. "prepared") under ~/.ansible/tmp: a private HOME per run, so a
        # previous or concurrent run on the same machine cannot make it skip prepare
        HOME=str(tmp_path / "home"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    proc = subprocess.run(
        [str(molecule if molecule.exists() else "molecule"), "test", "-s", SCENARIO],
        cwd=str(REPO / "extensions"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-6000:]
    recap = re.search(r"%s: actions=(\d+)\s+successful=(\d+).*failed=(\d+)" % SCENARIO, out)
    assert recap, out[-3000:]
    assert recap.group(1) == recap.group(2) and recap.group(3) == "0", recap.group(0)
    for step in ("prepare", "converge", "idempotence", "verify", "destroy"):
        assert re.search(r"%s\W+%s: Executed: Successful" % (SCENARIO, step), out), "step %s did not succeed:\n%s" % (
            step,
            out[-3000:],
        )
