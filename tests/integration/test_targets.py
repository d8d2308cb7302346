# SPDX-License-Identifier: GPL-3.0-or-later
"""Run every integration target under tests/integration/targets against real local servers.

A target's ``aliases`` file says what it needs: ``needs/azurite`` and/or ``needs/twin``. Each target follows
STYLE.md: bad credentials fail -> check mode -> apply -> verify (never with the module under test) -> idempotent ->
cleanup. The playbook's full -vvvv output is kept for the secret scan of the reliability suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.playbook import ANSIBLE_VENV, failures, run_playbook

HERE = Path(__file__).resolve().parent
TARGETS = (
    sorted(p for p in (HERE / "targets").iterdir() if p.is_dir() and not p.name.startswith("setup_"))
    if (HERE / "targets").exists()
    else []
)
OUTPUT_DIR = HERE.parents[1] / "tests" / "output" / "integration"
# Logs of a run with another ansible-core venv (SIGNET_ANSIBLE_VENV) get its name: <target>@venv-2.21.log
LOG_SUFFIX = "@%s" % ANSIBLE_VENV.name if ANSIBLE_VENV else ""


def oracle_account_sas(account: str, key: str) -> str:
    """An account SAS made by Microsoft's azure-storage-blob (test-only oracle), valid for one hour."""
    import datetime as dt

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        account,
        key,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, list=True, write=True, create=True, delete=True),
        expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
        protocol="https,http",
    )


def _aliases(target: Path) -> set[str]:
    f = target / "aliases"
    return set(f.read_text().split()) if f.exists() else set()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_target(target, request, tmp_path):
    aliases = _aliases(target)
    if "disabled" in aliases:
        pytest.skip("target disabled in its aliases file")
    extra = {"target_dir": str(target), "output_dir": str(tmp_path)}
    env = {}
    if "needs/azurite" in aliases:
        az = request.getfixturevalue("azurite")
        extra.update(
            azurite_endpoint=az.blob_endpoint,
            azurite_account=az.account,
            azurite_key=az.key,
            azurite_connection_string=az.connection_string,
            azurite_account_sas=oracle_account_sas(az.account, az.key),
        )
    if "needs/twin" in aliases:
        tw = request.getfixturevalue("twin")
        extra["twin"] = tw.info
        env.update(tw.env)
    rc, results, stdout, stderr = run_playbook(HERE / "run_target.yml", extra_vars=extra, env=env, verbosity=4, tmp=tmp_path)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUTPUT_DIR / ("%s%s.log" % (target.name, LOG_SUFFIX))).write_text(stdout + "\n----- stderr -----\n" + stderr)
    (OUTPUT_DIR / ("%s%s.results.json" % (target.name, LOG_SUFFIX))).write_text(json.dumps(results, default=str))
    if rc != 0:
        pytest.fail(
            "target %s failed (rc=%s):\n%s\n%s"
            % (target.name, rc, json.dumps(failures(results), indent=1, default=str)[:8000], stderr[-3000:])
        )
    assert results, "the target ran no task"
