# SPDX-License-Identifier: GPL-3.0-or-later
"""Transport faults between the storage modules and Azurite (research facts section 6.5 / 6.6).

Every case runs through a real playbook (one playbook per test, one task per case, ``ignore_errors``) with the
module's ``endpoint`` pointed at the fault proxy. Outcomes are judged by the oracle (azure-storage-blob straight to
Azurite) and by the proxy's own request log, never by the module under test:

* an upload ends MD5-identical to its source, or with no committed blob (never partial or corrupt);
* a download leaves ``dest`` byte-identical, or absent / unchanged, and no temp file beside it;
* retries are counted per logical request (the attempts share one ``x-ms-client-request-id``) and the gaps between
  attempts, measured from the proxy's timestamps, honour Retry-After (lower bounds only; no wall-clock limits).
"""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from tests.reliability import _support
from tests.reliability._playbook import run_cases

EPS = 0.05
SMALL = 64 * 1024
BLOCKS = 200 * 1024  # with block_size=single_put_size=64 KiB: 4 Put Block + Put Block List


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def attempts(proxy, blob: str, method: str, query: str | None = None) -> list[list[dict]]:
    """Logged requests on ``blob`` grouped per logical request (same client request id), in order."""
    groups: dict[str, list[dict]] = {}
    for e in proxy.entries(path="/" + blob.replace(".", r"\.") + r"(\?|$)", method=method):
        if query and query not in e["path"]:
            continue
        if query is None and "comp=" in e["path"]:
            continue
        rid = e["headers"].get("x-ms-client-request-id", str(e["seq"]))
        groups.setdefault(rid, []).append(e)
    return sorted(groups.values(), key=lambda g: g[0]["seq"])


def gaps(group: list[dict]) -> list[float]:
    return [b["time"] - a["time"] for a, b in zip(group, group[1:])]


def upload_verdict(oracle, container: str, blob: str, src: bytes, ok: bool) -> str:
    """'identical' or 'absent'; fails on partial/corrupt content, or on success without the data."""
    content = _support.blob_bytes(oracle, container, blob)
    if content is None:
        assert not ok, "the module reported success but no blob %s was committed" % blob
        return "absent"
    assert md5(content) == md5(src), "blob %s is corrupt or partial: %d bytes, MD5 %s, source %d bytes MD5 %s" % (
        blob,
        len(content),
        md5(content),
        len(src),
        md5(src),
    )
    return "identical"


def ok(r: dict) -> bool:
    return r["status"] == "ok"


@pytest.fixture
def storage_defaults(azurite, fault_proxy):
    return {
        "group/signet.azure.storage": {
            "account_name": azurite.account,
            "account_key": azurite.key,
            "endpoint": fault_proxy.endpoint(),
            "timeout": 2,
            "retries": 3,
        }
    }


def test_upload_faults(azurite, fault_proxy, oracle, container, storage_defaults, tmp_path):
    """Faults during uploads: retries succeed with identical data, or the upload fails with no blob committed."""
    _support.require_module("storage_blob")
    p = fault_proxy
    cases = {}

    def case(cid, size, rules, expect, **extra):
        name = "%s-%s.bin" % (cid, uuid.uuid4().hex[:6])
        data = os.urandom(size)
        src = tmp_path / name
        src.write_bytes(data)
        base = "/%s/%s" % (container, name.replace(".", r"\."))
        for rule in rules:
            action = rule.pop("action")
            op = rule.pop("op", "blob")
            rule["path"] = (
                base + {"blob": r"(\?(?!.*comp=).*)?$", "block": r"\?.*comp=block(&|$)", "blocklist": r"\?.*comp=blocklist"}[op]
            )
            p.add(action, **rule)
        args = {"container": container, "name": name, "src": str(src)}
        if size > SMALL:
            args.update(block_size=SMALL, single_put_size=SMALL, max_concurrency=1)
        args.update(extra)
        cases[cid] = {"name": name, "data": data, "args": args, "expect": expect}

    # 500 then 200 (Put Blob): one retry
    case("u500", SMALL, [dict(action="respond", method="PUT", status=500)], "ok")
    # 503 + Retry-After: 1, then success
    case("u503ra", SMALL, [dict(action="respond", method="PUT", status=503, headers={"Retry-After": "1"})], "ok")
    # 429 + Retry-After: 1, twice
    case("u429ra", SMALL, [dict(action="respond", method="PUT", status=429, count=2, headers={"Retry-After": "1"})], "ok")
    # 503 with retry-after-ms
    case("u503ms", SMALL, [dict(action="respond", method="PUT", status=503, headers={"x-ms-retry-after-ms": "1200"})], "ok")
    # connection reset in the middle of the Put Blob body
    case("ureset", SMALL, [dict(action="reset", method="PUT", after_bytes=SMALL // 3)], "ok")
    # reset in the middle of the 2nd Put Block
    case("ublkreset", BLOCKS, [dict(action="reset", method="PUT", op="block", skip=1, after_bytes=1000)], "ok")
    # Put Blob committed but the response lost: the create-only retry gets 409 and must reconcile by MD5
    case("udrop", SMALL, [dict(action="drop_response", method="PUT")], "ok")
    # Put Block List committed, response lost
    case("ucommitdrop", BLOCKS, [dict(action="drop_response", method="PUT", op="blocklist")], "ok")
    # a slow Put Blob, past the 2 s timeout (the server still executes it later)
    case("uslow", SMALL, [dict(action="delay", method="PUT", delay=3.0)], "either")
    # a 500 on a staged block
    case("ublk500", BLOCKS, [dict(action="respond", method="PUT", op="block", skip=2, status=500)], "ok")
    # persistent 503: 1 + retries attempts, then a clean failure and nothing committed
    case(
        "u503all",
        SMALL,
        [dict(action="respond", method="PUT", status=503, count=50, headers={"Retry-After": "1"})],
        "fail",
        retries=2,
    )
    # persistent 429: a clean failure naming the throttling after 1 + retries attempts
    case(
        "u429all",
        SMALL,
        [dict(action="respond", method="PUT", status=429, count=50, headers={"Retry-After": "1"})],
        "fail",
        retries=1,
    )
    # non-retryable statuses: exactly one attempt
    case("u400", SMALL, [dict(action="respond", method="PUT", status=400)], "fail")
    case("u403", SMALL, [dict(action="respond", method="PUT", status=403)], "fail")
    case("u412", SMALL, [dict(action="respond", method="PUT", status=412)], "fail")
    case("u501", SMALL, [dict(action="respond", method="PUT", status=501)], "fail")
    # persistent resets: fail cleanly, nothing committed
    case("uresetall", SMALL, [dict(action="reset", method="PUT", count=50, after_bytes=100)], "fail", retries=1)
    results = run_cases(
        "faults_storage_upload",
        tmp_path,
        [{"id": cid, "module": "storage_blob", "args": c["args"]} for cid, c in cases.items()],
        defaults=storage_defaults,
    )
    problems = []
    for cid, c in cases.items():
        r = results[cid]
        try:
            verdict = upload_verdict(oracle, container, c["name"], c["data"], ok(r))
            if c["expect"] == "ok":
                assert ok(r), "expected success after retries, got: %s" % r["result"].get("msg")
                assert verdict == "identical"
            elif c["expect"] == "fail":
                assert not ok(r), "expected a failure"
                assert verdict == "absent", "a failed upload left a blob"
                assert r["result"].get("msg"), "a failure without a message"
        except AssertionError as exc:
            problems.append("%s: %s" % (cid, exc))

    def put_groups(cid, query=None):
        return attempts(p, c_name(cid), "PUT", query)

    def c_name(cid):
        return cases[cid]["name"]

    def check(cid, cond, text):
        if not cond:
            problems.append("%s: %s" % (cid, text))

    g = put_groups("u500")
    check("u500", g and len(g[0]) == 2, "500 then 200 should take 2 attempts, proxy saw %s" % [len(x) for x in g])
    for cid, ra, n in (("u503ra", 1.0, 2), ("u429ra", 1.0, 3), ("u503ms", 1.2, 2)):
        g = put_groups(cid)
        check(cid, g and len(g[0]) == n, "expected %d attempts, proxy saw %s" % (n, [len(x) for x in g]))
        if g:
            check(cid, all(d >= ra - EPS for d in gaps(g[0])), "Retry-After %.1f s not honoured: gaps %s" % (ra, gaps(g[0])))
    g = put_groups("u429ra")
    if g:
        dates = [e["headers"].get("x-ms-date") for e in g[0]]
        check(
            "u429ra",
            all(dates) and len(set(dates)) == len(dates),
            "every attempt must be signed again with a fresh x-ms-date: %s" % dates,
        )
    g = put_groups("u503all")
    check("u503all", g and len(g[0]) == 3, "retries=2 should give 3 attempts, proxy saw %s" % [len(x) for x in g])
    if g:
        check("u503all", all(d >= 1.0 - EPS for d in gaps(g[0])), "Retry-After not honoured: gaps %s" % gaps(g[0]))
        msg = results["u503all"]["result"].get("msg", "")
        check("u503all", "503" in msg, "the failure should name the status: %r" % msg)
    for cid in ("u400", "u403", "u412", "u501"):
        g = put_groups(cid)
        check(cid, len(g) == 1 and len(g[0]) == 1, "a non-retryable status must be sent once, proxy saw %s" % [len(x) for x in g])
    g = put_groups("u429all")
    check("u429all", g and len(g[0]) == 2, "retries=1 should give 2 attempts, proxy saw %s" % [len(x) for x in g])
    check("u429all", "429" in (results["u429all"]["result"].get("msg") or ""), "the failure should name the 429")
    g = put_groups("uresetall")
    check("uresetall", g and len(g[0]) == 2, "retries=1 after resets should give 2 attempts, proxy saw %s" % [len(x) for x in g])
    g = put_groups("ublkreset", "comp=block&")
    check("ublkreset", any(len(x) == 2 for x in g), "the reset block should be re-sent once: %s" % [len(x) for x in g])
    g = put_groups("udrop")
    check("udrop", g and len(g[0]) == 2, "the lost Put Blob response should be retried once, proxy saw %s" % [len(x) for x in g])
    if problems:
        pytest.fail("upload fault cases failed:\n" + "\n".join(problems))


def test_download_faults(azurite, fault_proxy, oracle, container, storage_defaults, tmp_path):
    """Faults during downloads: dest ends byte-identical, or absent/unchanged; no temp file is left behind."""
    _support.require_module("storage_blob_download")
    p = fault_proxy
    cases = {}
    old = b"previous content of dest\n"

    def case(cid, size, rules, expect, existing=False, **extra):
        name = "%s-%s.bin" % (cid, uuid.uuid4().hex[:6])
        data = os.urandom(size)
        oracle.get_blob_client(container, name).upload_blob(data)
        d = tmp_path / ("dl-" + cid)
        d.mkdir()
        dest = d / "out.bin"
        if existing:
            dest.write_bytes(old)
        for rule in rules:
            action = rule.pop("action")
            rule.setdefault("path", "/%s/%s" % (container, name.replace(".", r"\.")))
            p.add(action, method="GET", **rule)
        args = {"container": container, "name": name, "dest": str(dest), "chunk_size": SMALL, "max_concurrency": 1}
        args.update(extra)
        cases[cid] = {"name": name, "data": data, "dest": dest, "args": args, "expect": expect, "existing": existing}

    case("d500", BLOCKS, [dict(action="respond", status=500, skip=1)], "ok")
    case("d503ra", SMALL, [dict(action="respond", status=503, headers={"Retry-After": "1"})], "ok")
    case("dtrunc", BLOCKS, [dict(action="truncate", skip=1)], "either")
    case("dtruncall", BLOCKS, [dict(action="truncate", count=50)], "fail", retries=1)
    case("dtruncold", BLOCKS, [dict(action="truncate", count=50)], "fail", existing=True, retries=1)
    case("dreset", BLOCKS, [dict(action="reset", skip=2)], "ok")
    case("dresetall", SMALL, [dict(action="reset", count=50)], "fail", existing=True, retries=1)
    case("dslow", SMALL, [dict(action="delay", delay=3.0)], "ok")
    case("d503all", SMALL, [dict(action="respond", status=503, count=50, headers={"Retry-After": "1"})], "fail", retries=2)
    case("d404", SMALL, [dict(action="respond", status=404, count=50)], "fail", existing=True)

    results = run_cases(
        "faults_storage_download",
        tmp_path,
        [{"id": cid, "module": "storage_blob_download", "args": c["args"]} for cid, c in cases.items()],
        defaults=storage_defaults,
    )
    problems = []
    for cid, c in cases.items():
        r = results[cid]
        dest = c["dest"]
        leftovers = [f.name for f in dest.parent.iterdir() if f.name != dest.name]
        if leftovers:
            problems.append("%s: temp files left beside dest: %s" % (cid, leftovers))
        content = dest.read_bytes() if dest.exists() else None
        prior = old if c["existing"] else None
        if content is not None and content != c["data"] and content != prior:
            problems.append("%s: dest is partial or corrupt (%d bytes, MD5 %s)" % (cid, len(content), md5(content)))
        if ok(r) and content != c["data"]:
            problems.append("%s: the module reported success but dest is not the blob" % cid)
        if c["expect"] == "ok" and not ok(r):
            problems.append("%s: expected success after retries, got %s" % (cid, r["result"].get("msg")))
        if c["expect"] == "fail":
            if ok(r):
                problems.append("%s: expected a failure" % cid)
            elif content != prior:
                problems.append("%s: a failed download changed dest" % cid)
    g = attempts(p, cases["d503ra"]["name"], "GET")
    if not g or len(g[0]) != 2 or any(d < 1.0 - EPS for d in gaps(g[0])):
        problems.append("d503ra: expected 2 attempts >= 1 s apart, proxy saw %s" % [gaps(x) for x in g])
    g = attempts(p, cases["d503all"]["name"], "GET")
    if not g or len(g[0]) != 3:
        problems.append("d503all: retries=2 should give 3 attempts, proxy saw %s" % [len(x) for x in g])
    g = attempts(p, cases["d404"]["name"], "GET")
    if sum(len(x) for x in g) != 1:
        problems.append("d404: a 404 must not be retried, proxy saw %s" % [len(x) for x in g])
    if problems:
        pytest.fail("download fault cases failed:\n" + "\n".join(problems))


def test_retry_after_is_capped(azurite, fault_proxy, container, monkeypatch):
    """Retry-After: 100000 (research 6.5 #51): the wait is capped, never 28 hours. The delay the transport chose is
    read from a recording sleep (nothing sleeps); the proxy counts the attempts."""
    _support.require_module("storage_container_info")
    from ansible_collections.signet.azure.plugins.module_utils import _transport

    delays = []
    original = _transport.Transport.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.sleep = delays.append

    monkeypatch.setattr(_transport.Transport, "__init__", init)
    fault_proxy.add("respond", method="GET", status=503, headers={"Retry-After": "100000"})
    args = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": fault_proxy.endpoint(), "retries": 2}
    outcome, result, _output = _support.run_module("storage_container_info", args)
    assert delays or outcome == "fail", "no retry and no failure"
    if outcome == "fail":
        assert "retry" in result.get("msg", "").lower() or "wait" in result.get("msg", "").lower(), result.get("msg")
    else:
        assert delays and max(delays) <= 300, "Retry-After 100000 was not capped: %s" % delays
        assert len(fault_proxy.entries(method="GET")) == 2
