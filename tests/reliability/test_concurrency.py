# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrency: 8 parallel playbook forks upload to the same container and rotate the same cloud service (twin).

* every host's own blob ends MD5-identical to its source;
* the blob all hosts write at once ends identical to exactly one host's source (never a mix of blocks), and every
  host either succeeded or failed cleanly (a conflict / precondition message, no traceback);
* the cloud service ends Succeeded with a configuration one of the hosts asked for, every .cscfg thumbprint backed
  by an ``osProfile.secrets`` URL, and every update PUT carried ``If-Match`` (the API offers an ETag).
"""

from __future__ import annotations

import hashlib
import os
import re

import pytest

from tests.reliability import _support
from tests.reliability._playbook import run_forks

HOSTS = ["fork%d" % i for i in range(1, 9)]
SIZE = 160 * 1024  # three 64 KiB blocks: a mix of two uploads would be detectable


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def arm_reset(twin):
    twin.control("/_twin/arm/reset", {})
    yield
    twin.control("/_twin/arm/reset", {})


def test_parallel_forks(azurite, twin, oracle, container, tmp_path, arm_reset):
    for m in ("storage_blob", "cloud_service_certificate"):
        _support.require_module(m)
    sources = {}
    for h in HOSTS:
        data = os.urandom(SIZE)
        (tmp_path / ("%s.bin" % h)).write_bytes(data)
        sources[h] = data
    info = twin.info
    app = info["entra"]["secret_app"]
    cur = info["arm"]["current"]
    # odd hosts point the "server" certificate at the intermediate, even hosts at the root (both valid: their
    # secret URLs are in osProfile.secrets already)
    targets = {h: ("intermediate" if i % 2 else "root") for i, h in enumerate(HOSTS, 1)}
    store = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    entra = {
        "tenant_id": info["tenant_id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "subscription_id": info["subscription_id"],
    }
    role_vars = {h: {"thumbprint": cur[targets[h]]["thumbprint"], "url": cur[targets[h]]["certificate_url"]} for h in HOSTS}
    tasks = [
        {
            "name": "set target",
            "ansible.builtin.set_fact": {
                "tp": "{{ %s[inventory_hostname].thumbprint }}" % "rv",
                "url": "{{ rv[inventory_hostname].url }}",
            },
            "vars": {"rv": role_vars},
        },
        {
            "name": "own blob",
            "signet.azure.storage_blob": dict(
                store,
                container=container,
                name="own-{{ inventory_hostname }}.bin",
                src=str(tmp_path) + "/{{ inventory_hostname }}.bin",
                block_size=65536,
                single_put_size=65536,
            ),
            "ignore_errors": True,
        },
        {
            "name": "shared blob",
            "signet.azure.storage_blob": dict(
                store,
                container=container,
                name="shared.bin",
                src=str(tmp_path) + "/{{ inventory_hostname }}.bin",
                block_size=65536,
                single_put_size=65536,
                overwrite="always",
            ),
            "ignore_errors": True,
        },
        {
            "name": "rotate",
            "signet.azure.cloud_service_certificate": dict(
                entra,
                resource_group=info["arm"]["resource_group"],
                name=info["arm"]["cloud_service"],
                verify_thumbprints=False,
                poll_interval=1,
                wait_timeout=120,
                certificates=[{"name": "server", "thumbprint": "{{ tp }}", "certificate_url": "{{ url }}"}],
            ),
            "ignore_errors": True,
        },
    ]
    since = twin.requests_log()[-1]["seq"] if twin.requests_log() else 0
    results = run_forks("concurrency_forks", tmp_path, HOSTS, tasks, env=twin.env)
    problems = []
    for h in HOSTS:
        r = results.get(("own blob", h))
        got = _support.blob_bytes(oracle, container, "own-%s.bin" % h)
        if not r or r["status"] != "ok" or got is None or md5(got) != md5(sources[h]):
            problems.append("own blob of %s: status %s, %s" % (h, r and r["status"], r and r["result"].get("msg")))
    shared = _support.blob_bytes(oracle, container, "shared.bin")
    winners = [h for h in HOSTS if shared is not None and md5(shared) == md5(sources[h])]
    if len(winners) != 1:
        problems.append("shared.bin matches %d host sources (corrupt or mixed): %s" % (len(winners), winners))
    for h in HOSTS:
        r = results.get(("shared blob", h))
        if r is None:
            problems.append("shared blob: no result for %s" % h)
        elif r["status"] != "ok":
            msg = r["result"].get("msg") or ""
            if not re.search(r"409|412|conflict|precondition|someone else|changed", msg, re.I) or "Traceback" in msg:
                problems.append("shared blob on %s failed unclearly: %s" % (h, msg[:300]))
    # cloud service
    state = twin.control("/_twin/arm/state")["resources"]
    body = state[0]["body"]
    props = body["properties"]
    if props.get("provisioningState") != "Succeeded":
        problems.append("cloud service ends %s" % props.get("provisioningState"))
    cscfg = props.get("configuration") or ""
    server_tps = set(re.findall(r'<Certificate name="server" thumbprint="([0-9A-Fa-f]+)"', cscfg))
    wanted = {cur["intermediate"]["thumbprint"], cur["root"]["thumbprint"]}
    if len(server_tps) != 1 or not server_tps <= wanted:
        problems.append("cscfg server thumbprints %s, expected one of %s in every role" % (server_tps, wanted))
    urls = {
        vc["certificateUrl"] for s in (props.get("osProfile") or {}).get("secrets", []) for vc in s.get("vaultCertificates", [])
    }
    for role in ("intermediate", "root"):
        if cur[role]["certificate_url"] not in urls:
            problems.append("osProfile.secrets lost %s" % role)
    ok_rotations = [h for h in HOSTS if results.get(("rotate", h), {}).get("status") == "ok"]
    if not ok_rotations:
        problems.append(
            "no rotation succeeded: %s" % [results.get(("rotate", h), {}).get("result", {}).get("msg") for h in HOSTS][:3]
        )
    for h in HOSTS:
        r = results.get(("rotate", h))
        if r and r["status"] != "ok":
            msg = r["result"].get("msg") or ""
            if "Traceback" in msg or not msg:
                problems.append("rotation on %s failed unclearly: %s" % (h, msg[:300]))
    puts = [e for e in twin.requests_log(since=since) if e["method"] == "PUT" and "/cloudServices/" in e["path"]]
    if not puts:
        problems.append("no cloud service PUT was sent")
    no_if_match = [e["seq"] for e in puts if not e["headers"].get("if-match")]
    if no_if_match:
        problems.append("cloud service PUTs without If-Match: %s" % no_if_match)
    if problems:
        pytest.fail("concurrency problems:\n" + "\n".join(problems))
