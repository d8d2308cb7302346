# SPDX-License-Identifier: GPL-3.0-or-later
"""What a module run actually imports (issue 19, per-task time): a Shared Key storage task against Azurite loads
neither cryptography (the classic API's certificates) nor msal (Entra ID); the classic module does load cryptography,
which shows that the probe sees a heavy import when there is one."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("cryptography", "msal", "jwt")
PROBE = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('HEAVY=' + ','.join(m for m in %r if m in sys.modules), file=sys.stderr))\n"
    "sys.argv = ['module', sys.argv[1]]\n"
    "runpy.run_module(%r, run_name='__main__')\n"
)


def _run(module: str, args: dict, tmp_path: Path) -> tuple[dict, list[str]]:
    args_file = tmp_path / ("%s.json" % module)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    code = PROBE % (HEAVY, "ansible_collections.signet.azure.plugins.modules." + module)
    env = {"PYTHONPATH": str(REPO / "build" / "collections"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code, str(args_file)], capture_output=True, text=True, env=env, check=False)
    heavy = [line for line in proc.stderr.splitlines() if line.startswith("HEAVY=")]
    assert heavy, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result, [m for m in heavy[-1][len("HEAVY=") :].split(",") if m]


def test_shared_key_storage_tasks_import_no_crypto_or_msal(azurite, tmp_path):
    conn = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    container = "imports-" + uuid.uuid4().hex[:8]
    src = tmp_path / "a.txt"
    src.write_bytes(b"hello")
    result, heavy = _run("storage_container", dict(conn, name=container), tmp_path)
    assert result.get("changed") is True and heavy == []
    result, heavy = _run("storage_blob", dict(conn, container=container, name="a.txt", src=str(src)), tmp_path)
    assert result.get("changed") is True and heavy == []
    result, heavy = _run("storage_blob_info", dict(conn, container=container), tmp_path)
    assert [b["name"] for b in result["blobs"]] == ["a.txt"] and heavy == []


def test_the_classic_module_does_import_cryptography(tmp_path):
    result, heavy = _run(
        "classic_storage_account_info",
        {"subscription_id": str(uuid.uuid4()), "management_certificate_path": str(tmp_path / "missing.pfx")},
        tmp_path,
    )
    assert result.get("failed") and "management_certificate_path" in result["msg"]
    assert "cryptography" in heavy
