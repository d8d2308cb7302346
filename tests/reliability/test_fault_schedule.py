# SPDX-License-Identifier: GPL-3.0-or-later
"""The write fault schedule (issue 15): every request of every blob write operation fails once, in turn.

For each operation (a block blob in several blocks, a single Put Blob, a page blob replaced and created, an append
blob replaced, appended in place and appended through a temporary blob, a type change, a snapshot, Set Blob
Properties, Set Blob Metadata) a clean run through the fault proxy first counts its requests. Then for each request
index ``i`` and each fault kind the operation runs again on a fresh blob with only request ``i`` faulted:

* ``500``: an HTTP 500 answer, ``retries=0`` (retries exhausted);
* ``reset``: the connection is reset before the request is forwarded (``retries=1``);
* ``lost``: the request is forwarded and executed, then the answer is dropped (``retries=1``);
* ``lost-noretry``: the same with ``retries=0`` (the service changed, the client got no answer at all);
* ``truncated``: the answer's body is cut in half (``retries=1``).

Afterwards the oracle (azure-storage-blob straight to Azurite, never the module) must find the old or the new state,
never anything else, and the task result must say which: success means the new state and ``changed=true``; a failure
reports ``changed`` (true exactly when the service was modified) and, for uploads, ``blob_content`` (``old`` or
``new``) matching what the service holds. Temporary blobs left behind must be named in the result. Snapshots count
as the state of the snapshot operation: zero or one new snapshot, never two.

Modules run in-process (``_support.run_module``) with backoff sleeps disabled; the append and page chunk limits are
lowered to 1 KiB so that every operation makes several data requests with tiny payloads.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field

import pytest

from tests.reliability import _support

KB = 1024
OPERATIONS = (
    "block-blocks",
    "block-single",
    "page-replace",
    "page-create",
    "append-replace",
    "append-tail",
    "append-tail-big",
    "type-change",
    "snapshot",
    "properties",
    "metadata",
)
KINDS = {
    "500": (dict(action="respond", status=500), 0),
    "reset": (dict(action="reset"), 1),
    "lost": (dict(action="drop_response"), 1),
    "lost-noretry": (dict(action="drop_response"), 0),
    "truncated": (dict(action="truncate"), 1),
}


@dataclass
class Op:
    """One write operation: ``prepare(cc, name)`` makes the old state, ``args(name)`` the module arguments (a
    ``src`` file is written under the test's tmp_path), ``observe(cc, name)`` reads the state with the oracle."""

    module: str
    prepare: object
    args: object
    observe: object
    new: object = None
    upload: bool = True
    extra: dict = field(default_factory=dict)


def _md5(data: bytes | None) -> str | None:
    return None if data is None else hashlib.md5(data).hexdigest()


def _content(cc, name):
    """``(md5 hex, blob type)`` of the blob, or None when absent."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        bc = cc.get_blob_client(name)
        kind = str(bc.get_blob_properties().blob_type).rsplit(".", 1)[-1].lower().replace("blob", "")
        return (_md5(bc.download_blob().readall()), kind)
    except ResourceNotFoundError:
        return None


def _settings(cc, name):
    p = cc.get_blob_client(name).get_blob_properties()
    return (p.content_settings.content_type, p.content_settings.cache_control)


def _metadata(cc, name):
    return tuple(sorted((cc.get_blob_client(name).get_blob_properties().metadata or {}).items()))


def _snapshot_count(cc, name):
    return sum(1 for b in cc.list_blobs(name_starts_with=name, include=["snapshots"]) if b.name == name and b.snapshot)


def _page_data(seed: bytes, size: int) -> bytes:
    """Page content with separate non-zero ranges (so several Put Page requests)."""
    out = bytearray(size)
    for i in range(0, size, 2 * 512):
        out[i : i + 512] = (seed * 512)[:512]
    return bytes(out)


def _ops(tmp_path) -> dict:
    def src(name, data):
        path = tmp_path / ("src-" + name.replace("/", "_"))
        path.write_bytes(data)
        return str(path)

    block_old, block_new = os.urandom(2 * KB), os.urandom(3 * KB)
    single_new = os.urandom(700)
    page_old, page_new = _page_data(b"o", 2 * KB), _page_data(b"n", 3 * KB)
    app_old, app_new = os.urandom(900), os.urandom(2 * KB + 100)
    tail_base = os.urandom(600)
    tail_small, tail_big = tail_base + os.urandom(300), tail_base + os.urandom(2 * KB + 500)

    def put_block(data):
        return lambda cc, name: cc.upload_blob(name, data)

    def put_page(data):
        def prepare(cc, name):
            bc = cc.get_blob_client(name)
            bc.create_page_blob(len(data))
            bc.upload_page(data, 0, len(data))

        return prepare

    def put_append(data):
        def prepare(cc, name):
            from azure.storage.blob import ContentSettings

            bc = cc.get_blob_client(name)
            bc.create_append_blob()
            bc.append_block(data)
            bc.set_http_headers(ContentSettings(content_md5=bytearray(hashlib.md5(data).digest())))

        return prepare

    def upload(data, **extra):
        return lambda name: dict(src=src(name, data), max_concurrency=1, **extra)

    nothing = lambda cc, name: None  # noqa: E731
    return {
        "block-blocks": Op("storage_blob", put_block(block_old), upload(block_new, block_size=KB, single_put_size=KB),
                           _content, (_md5(block_new), "block")),
        "block-single": Op("storage_blob", put_block(block_old), upload(single_new), _content, (_md5(single_new), "block")),
        "page-replace": Op("storage_blob", put_page(page_old), upload(page_new, blob_type="page"), _content,
                           (_md5(page_new), "page")),
        "page-create": Op("storage_blob", nothing, upload(page_new, blob_type="page"), _content, (_md5(page_new), "page")),
        "append-replace": Op("storage_blob", put_append(app_old), upload(app_new, blob_type="append"), _content,
                             (_md5(app_new), "append")),
        "append-tail": Op("storage_blob", put_append(tail_base), upload(tail_small, blob_type="append"), _content,
                          (_md5(tail_small), "append")),
        "append-tail-big": Op("storage_blob", put_append(tail_base), upload(tail_big, blob_type="append"), _content,
                              (_md5(tail_big), "append")),
        "type-change": Op("storage_blob", put_block(block_old), upload(page_new, blob_type="page"), _content,
                          (_md5(page_new), "page")),
        "snapshot": Op("storage_blob_snapshot", put_block(block_old), lambda name: {}, _snapshot_count, 1, upload=False),
        "properties": Op("storage_blob", put_block(block_old),
                         lambda name: dict(content_type="text/x-new", cache_control="no-store"), _settings,
                         ("text/x-new", "no-store"), upload=False),
        "metadata": Op("storage_blob", put_block(block_old), lambda name: dict(metadata={"release": "two", "b": "1"}),
                       _metadata, (("b", "1"), ("release", "two")), upload=False),
    }  # fmt: skip


@pytest.fixture
def fast_modules(monkeypatch):
    """No backoff sleeps; 1 KiB append blocks and page ranges (several data requests with tiny payloads)."""
    from ansible.module_utils import _internal

    from ansible_collections.signet.azure.plugins.module_utils import _transport
    from ansible_collections.signet.azure.plugins.module_utils._clients import blob

    original = _transport.Transport.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.sleep = lambda _seconds: None

    monkeypatch.setattr(_transport.Transport, "__init__", init)
    monkeypatch.setattr(blob, "MAX_APPEND_BLOCK", KB)
    monkeypatch.setattr(blob, "MAX_PAGE_RANGE", KB)
    # a module process is never the controller: warnings go into the result (an earlier in-process import of a
    # controller plugin, such as a lookup, would send them to Display instead)
    monkeypatch.setattr(_internal, "is_controller", False)


def _run(op, proxy, azurite, container, name, retries, rule=None):
    args = {
        "account_name": azurite.account,
        "account_key": azurite.key,
        "endpoint": proxy.endpoint(),
        "retries": retries,
        "timeout": 10,
        "container": container,
        "name": name,
    }
    args.update(op.args(name))
    proxy.clear()
    if rule is not None:
        proxy.add(**rule)
    outcome, result, _output = _support.run_module(op.module, args)
    return outcome, result, len(proxy.log)


def _judge(op, old, state, outcome: str, result: dict, leftovers: list[str]) -> list[str]:
    """What is wrong with one faulted run (empty when the service and the result agree)."""
    problems = []
    text = "%s %s" % (result.get("msg", ""), " ".join(result.get("warnings") or []))
    if outcome == "crash":
        problems.append("crash: %s" % result.get("msg"))
    if state not in (old, op.new):
        problems.append("the service holds neither the old nor the new state: %r (old %r, new %r)" % (state, old, op.new))
    unnamed = [b for b in leftovers if b not in text]
    if unnamed:
        problems.append("blobs left behind and not named in the result: %s" % unnamed)
    changed = bool(result.get("changed"))
    if outcome == "exit":
        if state != op.new:
            problems.append("reported success, but the service holds %r, not the new state %r" % (state, op.new))
        if not changed:
            problems.append("reported success with changed=false")
        return problems
    content = result.get("blob_content")
    if op.upload and content in ("old", "new") and state != (old if content == "old" else op.new):
        problems.append("the result says blob_content=%s, the service holds the other one" % content)
    if state == op.new and not changed:
        problems.append("failed with changed=false, but the service holds the new state")
    if state == old and changed and not leftovers and "restored" not in text:
        problems.append("failed with changed=true, but the service is unchanged")
    return problems


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_each_request_fails_once(op_name, azurite, fault_proxy, oracle, container, tmp_path, fast_modules):
    """Every request index of the operation x every fault kind: the service holds the old or the new state, and the
    task result says which."""
    op = _ops(tmp_path)[op_name]
    cc = oracle.get_container_client(container)
    name = "base-%s" % op_name
    op.prepare(cc, name)
    outcome, result, n_requests = _run(op, fault_proxy, azurite, container, name, 0)
    assert outcome == "exit" and op.observe(cc, name) == op.new, "the clean run failed: %s" % result.get("msg")
    assert n_requests >= 2, "the clean run made %d requests" % n_requests
    problems, cases, table = [], 0, []
    for index in range(n_requests):
        for kind, (fault, retries) in KINDS.items():
            case = "%s-%d-%s-%s" % (op_name, index, kind, uuid.uuid4().hex[:6])
            op.prepare(cc, case)
            old = op.observe(cc, case)
            rule = dict(fault, skip=index)
            outcome, result, _n = _run(op, fault_proxy, azurite, container, case, retries, rule)
            cases += 1
            state = op.observe(cc, case)
            leftovers = sorted({b.name for b in cc.list_blobs(name_starts_with=".%s" % case)})
            if op.module == "storage_blob_snapshot" and outcome == "exit" and state == 1:
                stamps = [b.snapshot for b in cc.list_blobs(name_starts_with=case, include=["snapshots"]) if b.snapshot]
                if stamps != [result.get("snapshot")]:
                    problems.append("%s: returned snapshot %s, the blob has %s" % (case, result.get("snapshot"), stamps))
            faulted = fault_proxy.log[index] if index < len(fault_proxy.log) else {"method": "?", "path": "?"}
            table.append(
                "%-3d %-6s %-50.50s %-12s %-5s changed=%-5s blob_content=%-7s state=%s"
                % (index, faulted["method"], faulted["path"].rsplit("/", 1)[-1], kind, outcome, result.get("changed"),
                   result.get("blob_content"), "old" if state == old else "new" if state == op.new else repr(state))
            )  # fmt: skip
            for problem in _judge(op, old, state, outcome, result, leftovers):
                problems.append("request %d (%s %s) %s: %s" % (index, faulted["method"], faulted["path"], kind, problem))
    _support.count("schedule_cases", cases)
    _support.save_output("fault-schedule-%s.txt" % op_name, "\n".join(table) + "\n")
    if problems:
        pytest.fail("%s: %d of %d faulted runs went wrong:\n%s" % (op_name, len(problems), cases, "\n".join(problems)))


def test_a_source_changed_during_the_upload_fails_cleanly(azurite, oracle, container, tmp_path, monkeypatch):
    """Behaviour 4 end to end: the file is rewritten (same size) after the first block went up; the task fails with
    a message saying so, reports changed=false and blob_content=old, and the blob keeps its old content."""
    from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient

    cc = oracle.get_container_client(container)
    cc.upload_blob("moving.bin", b"old content")
    src = tmp_path / "moving.bin"
    first = os.urandom(3 * KB)
    src.write_bytes(first)
    real = BlobClient._call

    def call(self, method, container=None, blob=None, query=None, **kwargs):
        if (query or {}).get("comp") == "block" and src.read_bytes() == first:
            src.write_bytes(bytes(b ^ 0xFF for b in first))
        return real(self, method, container, blob, query=query, **kwargs)

    monkeypatch.setattr(BlobClient, "_call", call)
    args = {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    args.update(container=container, name="moving.bin", src=str(src), block_size=KB, single_put_size=KB, max_concurrency=1)
    outcome, result, _output = _support.run_module("storage_blob", args)
    assert outcome == "fail", result
    assert "changed during the upload" in result["msg"] and "the blob is unchanged" in result["msg"]
    assert result.get("changed") is False and result.get("blob_content") == "old"
    assert _support.blob_bytes(oracle, container, "moving.bin") == b"old content"
