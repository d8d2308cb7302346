# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults on the twin's services, injected with its own fault API (POST /_twin/faults) and judged from its request
log (GET /_twin/requests) and its control API, never from the module under test.

* Cloud Service updates: a PUT whose long-running operation was accepted is never sent a second time (a lost or
  truncated answer, a timeout, a throttled or failing poll, an LRO that ends Failed); a PUT the service refused
  (429 / 500 before anything was accepted) may be retried, honouring Retry-After. The service ends in a consistent
  state (what was asked, or what was there).
* Key Vault, Entra ID and Batch: throttling and transient errors are retried; the gaps between attempts, measured from
  the twin's own timestamps, honour Retry-After (lower bounds only).
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.reliability import _support

EPS = 0.05
CS_PUT = r"/providers/Microsoft\.Compute/cloudServices/signet-cs\?"


@pytest.fixture
def arm(twin):
    twin.control("/_twin/arm/reset", {})
    twin.control("/_twin/faults", method="DELETE")
    yield twin
    twin.control("/_twin/faults", method="DELETE")
    twin.control("/_twin/arm/reset", {})


def _entra(info) -> dict:
    app = info["entra"]["secret_app"]
    return {"tenant_id": info["tenant_id"], "client_id": app["client_id"], "client_secret": app["client_secret"]}


def _rotate_args(info, role: str = "intermediate", **kw) -> dict:
    cur = info["arm"]["current"][role]
    args = dict(
        _entra(info),
        subscription_id=info["subscription_id"],
        resource_group=info["arm"]["resource_group"],
        name=info["arm"]["cloud_service"],
        verify_thumbprints=False,
        poll_interval=1,
        wait_timeout=60,
        timeout=3,
        retries=3,
        certificates=[{"name": "server", "thumbprint": cur["thumbprint"], "certificate_url": cur["certificate_url"]}],
    )
    args.update(kw)
    return args


def _last_seq(twin) -> int:
    log = twin.requests_log()
    return log[-1]["seq"] if log else 0


def _server_thumbprints(twin) -> set:
    body = twin.control("/_twin/arm/state")["resources"][0]["body"]
    cscfg = body["properties"].get("configuration") or ""
    return set(re.findall(r'<Certificate name="server" thumbprint="([0-9A-Fa-f]+)"', cscfg)), body["properties"].get(
        "provisioningState"
    )


# Cases that fail because of a bug in another engineer's code (reported, not fixed here): xfail(strict=True), so a fix
# turns them into XPASS failures and the entry must go. SIGNET_RELIABILITY_STRICT=1 makes them plain failures.
KNOWN_BUGS = {}
STRICT = __import__("os").environ.get("SIGNET_RELIABILITY_STRICT") == "1"


def _known(cid):
    return [] if STRICT or cid not in KNOWN_BUGS else [pytest.mark.xfail(reason="known bug: " + KNOWN_BUGS[cid], strict=True)]


CS_CASES = [
    # id, faults, PUTs allowed, expected outcome ("ok" | "fail" | "either")
    (
        "poll_503_retry_after",
        [dict(host="management", method="GET", path=r"/operations/", action="respond", status=503, headers={"Retry-After": "1"})],
        1,
        "ok",
    ),
    (
        "poll_429_twice",
        [
            dict(
                host="management",
                method="GET",
                path=r"/operations/",
                action="respond",
                status=429,
                count=2,
                headers={"Retry-After": "1"},
            )
        ],
        1,
        "ok",
    ),
    ("poll_reset", [dict(host="management", method="GET", path=r"/operations/", action="reset")], 1, "ok"),
    ("put_answer_truncated", [dict(host="management", method="PUT", path=CS_PUT, action="truncate")], 1, "either"),
    ("put_answer_slow", [dict(host="management", method="PUT", path=CS_PUT, action="delay", delay=4)], 1, "either"),
    (
        "put_429_before_accept",
        [dict(host="management", method="PUT", path=CS_PUT, action="respond", status=429, headers={"Retry-After": "1"})],
        2,
        "ok",
    ),
    ("put_500_before_accept", [dict(host="management", method="PUT", path=CS_PUT, action="respond", status=500)], 2, "ok"),
    ("lro_failed", "fail-next", 1, "fail"),
    # the other requests of a rotation: the first read of the service and the Key Vault reads behind its URLs
    ("get_reset_once", [dict(host="management", method="GET", path=CS_PUT, action="reset")], 1, "ok"),
    (
        "get_500_exhausted",
        [dict(host="management", method="GET", path=CS_PUT, action="respond", status=500, count=4)],
        0,
        "fail_unchanged",
    ),
    (
        "kv_read_500_exhausted",
        [dict(host=r"vault\.", method="GET", path=r"/secrets/", action="respond", status=500, count=8)],
        1,
        "ok",
    ),
]


@pytest.mark.parametrize("cid,faults,max_puts,expect", [pytest.param(*c, id=c[0], marks=_known(c[0])) for c in CS_CASES])
def test_cloud_service_put_never_repeated(arm, cid, faults, max_puts, expect):
    _support.require_module("cloud_service_certificate")
    twin = arm
    info = twin.info
    before_tps, _state = _server_thumbprints(twin)
    wanted = info["arm"]["current"]["intermediate"]["thumbprint"]
    if faults == "fail-next":
        twin.control("/_twin/arm/fail-next", {"code": "RelLroFailed", "message": "injected LRO failure", "status": "Failed"})
    else:
        twin.control("/_twin/faults", {"faults": faults})
    since = _last_seq(twin)
    outcome, result, _out = _support.run_module("cloud_service_certificate", _rotate_args(info), env=twin.env)
    log = twin.requests_log(since=since)
    _support.count("faults", len([e for e in log if e.get("fault")]) or (1 if faults == "fail-next" else 0))
    puts = [e for e in log if e["method"] == "PUT" and "/cloudServices/" in e["path"]]
    accepted = [e for e in puts if e.get("status") in (200, 201) and e.get("outcome") not in ("reset",)]
    msg = result.get("msg", "")
    assert outcome != "crash", msg
    assert len(puts) <= max_puts, "%s: %d PUTs sent (max %d): %s" % (
        cid,
        len(puts),
        max_puts,
        [(e["status"], e.get("fault"), e.get("outcome")) for e in puts],
    )
    assert len(accepted) <= 1, "%s: the service accepted %d PUTs (an accepted LRO was sent again)" % (cid, len(accepted))
    if expect == "ok":
        assert outcome == "exit", "%s: expected success, got: %s" % (cid, msg)
    if expect == "fail":
        assert outcome == "fail" and "RelLroFailed" in msg, "%s: expected a failure quoting the LRO error: %s" % (cid, msg)
        assert result.get("changed") is True, "%s: a failed LRO may have applied something: changed must be true" % cid
        # what helps: the backup to roll back, the service's state; never the whole body beside its backup
        assert result["backup"]["configuration"], "%s: a failure after the PUT must return the backup" % cid
        assert set(result["cloud_service"]) == {"id", "name", "properties"}, result["cloud_service"]
        assert "configuration" not in str(result["cloud_service"])
    if expect == "fail_unchanged":
        assert outcome == "fail" and result.get("changed") is False, "%s: expected a failure that changed nothing" % cid
        assert "backup" not in result, "%s: nothing changed, so no backup is returned" % cid
    if outcome == "fail":
        assert msg, "a failure without a message"
    tps, state = _server_thumbprints(twin)
    if outcome == "exit":
        assert tps == {wanted}, "%s: success reported but the service holds %s" % (cid, tps)
    else:
        assert tps in ({wanted}, before_tps), "%s: inconsistent state after a failure: %s" % (cid, tps)
    if cid.startswith("put_429"):
        attempts = list(puts)
        assert len(attempts) == 2 and attempts[1]["time"] - attempts[0]["time"] >= 1.0 - EPS, "Retry-After not honoured: %s" % [
            e["time"] for e in attempts
        ]
    if cid == "poll_429_twice":
        polls = [e for e in log if e["method"] == "GET" and "/operations/" in e["path"]]
        faulted = [e for e in polls if e.get("fault")]
        assert len(faulted) == 2
        after = [e for e in polls if e["seq"] > faulted[0]["seq"]]
        assert after and after[0]["time"] - faulted[0]["time"] >= 1.0 - EPS, "Retry-After on a poll not honoured"


def test_keyvault_throttling_honours_retry_after(twin):
    _support.require_module("keyvault_secret")
    info = twin.info
    value = "rel-throttle-" + uuid.uuid4().hex
    _support.remember_secret(value)
    name = "rel-throttle-" + uuid.uuid4().hex[:8]
    twin.control("/_twin/faults", method="DELETE")
    twin.control(
        "/_twin/faults",
        {
            "host": r"vault\.azure\.net",
            "method": "PUT",
            "path": "/secrets/" + name,
            "action": "respond",
            "status": 429,
            "count": 2,
            "headers": {"Retry-After": "1"},
        },
    )
    since = _last_seq(twin)
    try:
        outcome, result, out = _support.run_module(
            "keyvault_secret", dict(_entra(info), vault_name="signetkv", name=name, value=value, retries=3), env=twin.env
        )
    finally:
        twin.control("/_twin/faults", method="DELETE")
    _support.count("faults", 2)
    assert outcome == "exit", result.get("msg")
    assert value not in out and value not in str(result)
    puts = [e for e in twin.requests_log(since=since) if e["method"] == "PUT" and name in e["path"]]
    assert len(puts) == 3, [e["status"] for e in puts]
    gaps = [b["time"] - a["time"] for a, b in zip(puts, puts[1:])]
    assert all(g >= 1.0 - EPS for g in gaps), gaps


@pytest.mark.parametrize("cid", [pytest.param("token_503", marks=_known("token_503"))])
def test_token_endpoint_503_is_retried(twin, monkeypatch, cid):
    _support.require_module("keyvault_secret_info")
    info = twin.info
    twin.control("/_twin/faults", method="DELETE")
    twin.control(
        "/_twin/faults",
        {
            "host": r"^login\.",
            "method": "POST",
            "path": "/token",
            "action": "respond",
            "status": 503,
            "headers": {"Retry-After": "1"},
        },
    )
    since = _last_seq(twin)
    try:
        outcome, result, _output = _support.run_module(
            "keyvault_secret_info",
            dict(
                _entra(info),
                client_secret=info["entra"]["secret_app"]["client_secret"],
                vault_name="signetkv",
                name="rel-none-" + uuid.uuid4().hex[:6],
                retries=2,
            ),
            env=twin.env,
        )
    finally:
        twin.control("/_twin/faults", method="DELETE")
    _support.count("faults")
    posts = [e for e in twin.requests_log(since=since) if e["method"] == "POST" and "/token" in e["path"]]
    assert outcome != "crash", "a 503 from the token endpoint escaped the module as an exception: %s" % result.get("msg")
    assert posts and posts[0].get("status") == 503, [e.get("status") for e in posts]
    assert len(posts) >= 2 and posts[1]["time"] - posts[0]["time"] >= 1.0 - EPS, (
        "the token POST was not retried after Retry-After: %s" % [(e["status"], e["time"]) for e in posts]
    )
    assert outcome != "crash", result.get("msg")


def test_batch_500_then_200(twin):
    _support.require_module("batch_job_info")
    b = twin.info["batch"]
    twin.control("/_twin/faults", method="DELETE")
    twin.control(
        "/_twin/faults", {"host": r"batch\.azure\.com", "method": "GET", "path": "/jobs", "action": "respond", "status": 500}
    )
    since = _last_seq(twin)
    try:
        outcome, result, _output = _support.run_module(
            "batch_job_info",
            {
                "batch_account": b["account"],
                "batch_access_key": b["primary_key"],
                "batch_endpoint": b["endpoint"],
                "batch_auth": "shared_key",
                "retries": 2,
            },
            env=twin.env,
        )
    finally:
        twin.control("/_twin/faults", method="DELETE")
    _support.count("faults")
    assert outcome == "exit", result.get("msg")
    gets = [e for e in twin.requests_log(since=since) if e["method"] == "GET" and "/jobs" in e["path"]]
    assert [e["status"] for e in gets[:2]] == [500, 200], [e["status"] for e in gets]
    dates = [e["headers"].get("ocp-date") for e in gets[:2]]
    assert all(dates), "each attempt must be signed with an ocp-date"
