# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo` reads as a success story: tools/demo.py (Azurite + the twin, playbooks/demo.yml + playbooks/demo/*.yml)
ends with failed=0, and its deliberate mistakes show as explained results ("As expected, ...") instead of red
"[ERROR]: Task failed" / "fatal:" / "...ignoring" lines."""

from __future__ import annotations

import re
import sys

import pytest

from .conftest import REPO, clean_env, run

pytestmark = pytest.mark.xdist_group("demo")


def test_demo_runs_clean(tmp_path):
    env = clean_env(PATH="%s:%s:/usr/bin:/bin" % (REPO / "node_modules" / ".bin", REPO / ".venv" / "bin"), TMPDIR=str(tmp_path))
    proc = run([sys.executable, REPO / "tools" / "demo.py"], env=env, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    recap = re.findall(r"^localhost\s+:.*$", proc.stdout, flags=re.M)
    assert recap and all(" failed=0 " in line and " ignored=0 " in line for line in recap), recap
    red = [line for line in out.splitlines() if line.startswith(("[ERROR]", "fatal:")) or "...ignoring" in line]
    assert not red, "\n".join(red[:20])
    explained = proc.stdout.count("As expected, ")
    assert explained >= 4, "the deliberate mistakes are not explained:\n%s" % proc.stdout[-4000:]
