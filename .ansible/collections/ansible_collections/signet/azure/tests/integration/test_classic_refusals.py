# SPDX-License-Identifier: GPL-3.0-or-later
"""The four local refusals of a management certificate (issue 8), through a real playbook against the twin.

A ``.cer`` without its key, an RSA-1024 key, a wrong PFX password and an expired certificate must each fail with its
own message before any connection: the twin's request log shows no classic request for them. Then one successful
call and one 403 (unregistered certificate) run, and no temp key directory may remain after either.
"""

from __future__ import annotations

import glob
import json
import os
import time

import yaml

from tests.helpers import classic_certs
from tests.helpers.playbook import run_playbook

EXPECTED = {
    "no_key": "has no private key: export it as PFX with its private key",
    "small_key": "is RSA 1024 bits; Azure requires at least 2048",
    "wrong_password": "the password is wrong",
    "expired": "expired on ",
}


def _mtls_dirs() -> set[str]:
    parent = "/dev/shm" if os.path.isdir("/dev/shm") else os.environ.get("TMPDIR", "/tmp")  # noqa: S108
    return set(glob.glob(os.path.join(parent, "signet-azure-mtls-*")))


def _task(name: str, args: dict, register: str) -> dict:
    return {"name": name, "signet.azure.classic_storage_account_info": args, "register": register, "ignore_errors": True}


def test_local_refusals_and_no_temp_files(twin, tmp_path):
    (tmp_path / "certs").mkdir()
    bad = classic_certs.write_bad_fixtures(tmp_path / "certs")
    c = twin.info["classic"]
    sub = {"subscription_id": c["subscription_id"]}
    tasks = [
        _task("cer without key", dict(sub, management_certificate_path=bad["no_key"]), "no_key"),
        _task("rsa 1024", dict(sub, management_certificate_path=bad["small_key"]), "small_key"),
        _task(
            "wrong pfx password",
            dict(sub, management_certificate_path=bad["pfx"], management_certificate_password="not-it"),
            "wrong_password",
        ),
        _task("expired", dict(sub, management_certificate_path=bad["expired"]), "expired"),
        {
            "name": "request log after the refusals",
            "ansible.builtin.uri": {"url": twin.proxy_url + "/_twin/requests", "return_content": True},
            "register": "log",
        },
        _task("success", dict(sub, management_certificate_path=c["pem_file"]), "good"),
        _task("server 403", dict(sub, management_certificate_path=c["unregistered_pem_file"]), "forbidden"),
    ]
    playbook = tmp_path / "refusals.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    twin.reset()
    before = _mtls_dirs()
    rc, results, stdout, stderr = run_playbook(playbook, env=twin.env, tmp=tmp_path)
    assert rc == 0, stderr[-3000:]
    by_task = {r["task"]: r for r in results}

    messages = {}
    for key, task in (
        ("no_key", "cer without key"),
        ("small_key", "rsa 1024"),
        ("wrong_password", "wrong pfx password"),
        ("expired", "expired"),
    ):
        result = by_task[task]
        assert result["status"] == "ignored", json.dumps(result)[:2000]
        msg = result["result"]["msg"]
        assert EXPECTED[key] in msg, msg
        assert "status" not in result["result"], "a refusal must not carry an HTTP status"
        messages[key] = msg
    assert bad["no_key"] in messages["no_key"] and bad["small_key"] in messages["small_key"]
    assert bad["pfx"] in messages["wrong_password"] and "not-it" not in messages["wrong_password"]
    assert "renew it" in messages["expired"]
    assert len(set(messages.values())) == 4

    log = by_task["request log after the refusals"]["result"]["json"]["requests"]
    assert [e for e in log if e["host"].startswith("management.core.")] == [], log

    assert by_task["success"]["status"] == "ok"
    assert by_task["success"]["result"]["thumbprint"] == c["thumbprint"]
    assert by_task["server 403"]["status"] == "ignored"
    assert by_task["server 403"]["result"]["status"] == 403
    served = [e for e in twin.requests_log(host=r"management\.core\.") if e["path"].endswith("/services/storageservices")]
    assert [e["status"] for e in served] == [200, 403]

    leaked = _mtls_dirs() - before
    if leaked:  # a parallel test may own a short-lived dir; a leak is one that stays
        time.sleep(1)
        leaked = {d for d in leaked if os.path.exists(d)}
    assert leaked == set()
