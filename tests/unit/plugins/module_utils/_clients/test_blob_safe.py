# SPDX-License-Identifier: GPL-3.0-or-later
"""Blob writes under failure (issue 15, behaviours 1, 4, 7 and 10), against a real Azurite with the
azure-storage-blob oracle. Failures are injected at the client's ``_call``: a request that fails before it is sent
(the service is unchanged), or one that lands and whose answer is then lost (the service changed, the client sees
an error, or the 412/409 a retry gets). The request-by-request sweep through a network fault proxy is in
tests/reliability/test_fault_schedule.py."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest

from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
from ansible_collections.signet.azure.plugins.module_utils._clients import blob as blob_module
from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient, Payload
from ansible_collections.signet.azure.plugins.module_utils._clients.blob_safe import TEMP_MARK, temp_blob_name
from ansible_collections.signet.azure.plugins.module_utils._errors import (
    AzureRestError,
    ConflictError,
    IntegrityError,
    PreconditionFailedError,
    TransportError,
)
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

KB = 1024


@pytest.fixture
def env(azurite, monkeypatch):
    from azure.storage.blob import BlobServiceClient

    monkeypatch.setattr(blob_module, "MAX_APPEND_BLOCK", KB)
    monkeypatch.setattr(blob_module, "MAX_PAGE_RANGE", KB)
    settings = resolve({"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings, Transport(storage_scheme(settings), retries=0, sleep=lambda _s: None))
    oracle = BlobServiceClient.from_connection_string(azurite.connection_string)
    name = "bs-" + uuid.uuid4().hex[:10]
    assert client.create_container(name)
    yield client, oracle.get_container_client(name), name
    client.delete_container(name)
    client.close()


def inject(client, monkeypatch, match, mode: str, times: int = 1):
    """Make the next ``times`` calls for which ``match(method, query, headers)`` is true fail: ``before`` (a 500, not
    sent), ``lost`` (sent, then the answer is lost: TransportError), ``landed`` (sent, then answered 500) or ``retry``
    (sent, then sent again as a transport retry would be, whose answer is returned or raised: the 409/412 a
    conditional retry gets). Returns the call log."""
    real = client._call
    log: list = []
    left = [times]

    def call(method, container=None, blob=None, query=None, headers=None, data=None, **kwargs):
        log.append((method, blob, dict(query or {})))
        if left[0] and match(method, query or {}, headers or {}):
            left[0] -= 1
            if mode == "before":
                raise AzureRestError("injected 500", status=500, error_code="InternalError")
            real(method, container, blob, query=query, headers=headers, data=data, **kwargs)
            if mode == "lost":
                raise TransportError("injected: the answer was lost")
            if mode == "landed":
                raise AzureRestError("injected 500 after the write", status=500, error_code="InternalError")
            log.append(("retry", blob, dict(query or {})))
            return real(method, container, blob, query=query, headers=headers, data=data, **kwargs)
        return real(method, container, blob, query=query, headers=headers, data=data, **kwargs)

    monkeypatch.setattr(client, "_call", call)
    return log


def comp(value):
    return lambda method, query, headers: method == "PUT" and query.get("comp") == value


def is_copy(method, query, headers):
    return method == "PUT" and "x-ms-copy-source" in headers


def leftovers(cc) -> list[str]:
    return [b.name for b in cc.list_blobs() if TEMP_MARK in b.name]


def page_data(seed: bytes, size: int) -> bytes:
    out = bytearray(size)
    for i in range(0, size, 2 * 512):
        out[i : i + 512] = (seed * 512)[:512]
    return bytes(out)


def make_page(cc, name, data):
    bc = cc.get_blob_client(name)
    bc.create_page_blob(len(data))
    bc.upload_page(data, 0, len(data))
    return bc.get_blob_properties().etag


def make_append(cc, name, data):
    from azure.storage.blob import ContentSettings

    bc = cc.get_blob_client(name)
    bc.create_append_blob()
    bc.append_block(data)
    bc.set_http_headers(ContentSettings(content_md5=bytearray(hashlib.md5(data).digest())))
    return bc.get_blob_properties().etag


# -- behaviour 1: a failed replace of a page or append blob keeps the old content -----------------------------------
@pytest.mark.parametrize("failing", ["page", "properties", "copy"])
def test_failed_page_replace_keeps_the_old_blob(env, monkeypatch, failing):
    client, cc, c = env
    old, new = page_data(b"o", 2 * KB), page_data(b"n", 3 * KB)
    etag = make_page(cc, "disk.vhd", old)
    match = is_copy if failing == "copy" else comp(failing)
    inject(client, monkeypatch, match, "before")
    with pytest.raises(AzureRestError) as info:
        client.upload(c, "disk.vhd", Payload(content=new), blob_type="page", etag=etag, current_type="page")
    assert cc.download_blob("disk.vhd").readall() == old
    assert info.value.details["changed"] is False and info.value.details["blob_content"] == "old"
    assert "is unchanged" in info.value.msg
    assert leftovers(cc) == []


def test_failed_append_replace_keeps_the_old_blob(env, monkeypatch):
    client, cc, c = env
    old, new = os.urandom(900), os.urandom(2 * KB + 100)
    etag = make_append(cc, "app.log", old)
    inject(client, monkeypatch, comp("appendblock"), "before")
    with pytest.raises(AzureRestError) as info:
        client.upload(c, "app.log", Payload(content=new), blob_type="append", etag=etag, current_type="append")
    assert cc.download_blob("app.log").readall() == old
    assert info.value.details == {"changed": False, "blob_content": "old"}
    assert leftovers(cc) == []


def test_replace_reads_see_old_until_the_copy(env, monkeypatch):
    """While the new pages are written the target still holds the old content (they go to a temporary blob)."""
    client, cc, c = env
    old, new = page_data(b"o", 2 * KB), page_data(b"n", 3 * KB)
    etag = make_page(cc, "disk.vhd", old)
    seen = []
    real = client._call

    def call(method, container=None, blob=None, **kwargs):
        if method == "PUT" and (kwargs.get("query") or {}).get("comp") == "page":
            seen.append((blob, cc.download_blob("disk.vhd").readall() == old))
        return real(method, container, blob, **kwargs)

    monkeypatch.setattr(client, "_call", call)
    blob = client.upload(c, "disk.vhd", Payload(content=new), blob_type="page", etag=etag, current_type="page")
    assert seen and all(ok and name != "disk.vhd" and TEMP_MARK in name for name, ok in seen)
    assert cc.download_blob("disk.vhd").readall() == new
    assert blob["properties"]["content_md5"] == blob_module.md5_b64(new)
    assert leftovers(cc) == [] and client.warnings == []


def test_type_change_restores_the_old_blob_when_the_copy_fails(env, monkeypatch):
    client, cc, c = env
    cc.upload_blob("t.bin", b"old block content")
    etag = cc.get_blob_client("t.bin").get_blob_properties().etag
    copies = [0]

    def second_copy(method, query, headers):
        if is_copy(method, query, headers):
            copies[0] += 1
            return copies[0] == 2  # the first copy makes the backup, the second puts the new blob in place
        return False

    inject(client, monkeypatch, second_copy, "before")
    with pytest.raises(AzureRestError) as info:
        client.upload(c, "t.bin", Payload(content=page_data(b"n", KB)), blob_type="page", etag=etag, current_type="block")
    assert cc.download_blob("t.bin").readall() == b"old block content"
    assert str(cc.get_blob_client("t.bin").get_blob_properties().blob_type).endswith("BLOCKBLOB")
    assert info.value.details == {"changed": True, "blob_content": "old"} and "restored" in info.value.msg
    assert leftovers(cc) == []


def test_type_change_succeeds_and_refuses_a_blob_with_snapshots(env):
    client, cc, c = env
    new = page_data(b"n", KB)
    cc.upload_blob("t.bin", b"old")
    etag = cc.get_blob_client("t.bin").get_blob_properties().etag
    client.upload(c, "t.bin", Payload(content=new), blob_type="page", etag=etag, current_type="block")
    assert cc.download_blob("t.bin").readall() == new and leftovers(cc) == []
    cc.upload_blob("s.bin", b"old")
    cc.get_blob_client("s.bin").create_snapshot()
    etag = cc.get_blob_client("s.bin").get_blob_properties().etag
    with pytest.raises(ConflictError) as info:
        client.upload(c, "s.bin", Payload(content=new), blob_type="page", etag=etag, current_type="block")
    assert "changing the blob type from block to page" in info.value.msg and "snapshots" in info.value.msg
    assert cc.download_blob("s.bin").readall() == b"old"
    assert info.value.details["blob_content"] == "old" and leftovers(cc) == []


def test_a_pending_copy_is_waited_for(env, monkeypatch):
    client, cc, c = env
    real = client._call
    heads = []

    class Pending:
        def __init__(self, resp):
            self.headers = dict(resp.headers, **{"x-ms-copy-status": "pending"})

    def call(method, container=None, blob=None, headers=None, **kwargs):
        resp = real(method, container, blob, headers=headers, **kwargs)
        if method == "PUT" and "x-ms-copy-source" in (headers or {}):
            return Pending(resp)
        if method == "HEAD":
            heads.append(blob)
        return resp

    monkeypatch.setattr(client, "_call", call)
    client.upload(c, "p.vhd", Payload(content=page_data(b"n", KB)), blob_type="page", create_only=True)
    assert heads.count("p.vhd") >= 2  # the copy check, then the verification
    assert cc.download_blob("p.vhd").readall() == page_data(b"n", KB)


def test_temp_blob_names_stay_beside_the_target_and_valid():
    assert temp_blob_name("a/b/c.vhd").startswith("a/b/.c.vhd" + TEMP_MARK)
    long = "d/" + "x" * 1020
    assert len(temp_blob_name(long)) <= 1024 and temp_blob_name(long).startswith("d/.x")
    assert len(temp_blob_name("y" * 1010 + "/z")) <= 1024


def test_a_temp_blob_that_cannot_be_deleted_is_a_warning(env, monkeypatch):
    client, cc, c = env
    inject(client, monkeypatch, lambda m, q, h: m == "DELETE", "before")
    client.upload(c, "w.vhd", Payload(content=page_data(b"n", KB)), blob_type="page", create_only=True)
    assert cc.download_blob("w.vhd").readall() == page_data(b"n", KB)
    (left,) = leftovers(cc)
    assert len(client.warnings) == 1 and left in client.warnings[0]


# -- behaviour 4: a source that changes during the upload is never committed ----------------------------------------
def _rewrite_on_first(client, monkeypatch, src, match, data):
    real = client._call
    done = []

    def call(method, container=None, blob=None, query=None, headers=None, **kwargs):
        if not done and match(method, query or {}, headers or {}):
            done.append(1)
            src.write_bytes(data)
        return real(method, container, blob, query=query, headers=headers, **kwargs)

    monkeypatch.setattr(client, "_call", call)


@pytest.mark.parametrize(
    "blob_type, match, size",
    [("block", comp("block"), 5 * KB), ("page", comp("page"), 4 * KB), ("append", comp("appendblock"), 3 * KB)],
)
def test_a_file_that_changes_during_the_upload_is_not_committed(env, monkeypatch, tmp_path, blob_type, match, size):
    client, cc, c = env
    first = page_data(b"a", size) if blob_type == "page" else os.urandom(size)
    src = tmp_path / "src.bin"
    src.write_bytes(first)
    payload = Payload(path=str(src))
    payload.digest()
    cc.upload_blob("f.bin", b"old")
    etag = cc.get_blob_client("f.bin").get_blob_properties().etag
    second = bytes(b ^ 0xFF for b in first)  # same size: only the digest (or mtime) tells
    _rewrite_on_first(client, monkeypatch, src, match, second)
    with pytest.raises(IntegrityError) as info:
        client.upload(
            c, "f.bin", payload, blob_type=blob_type, etag=etag, current_type="block", block_size=KB, single_put_size=KB
        )
    assert "changed during the upload" in info.value.msg and "the blob is unchanged" in info.value.msg
    assert info.value.details["changed"] is False
    assert cc.download_blob("f.bin").readall() == b"old"
    assert leftovers(cc) == []


def test_a_file_changed_before_a_single_put_is_not_sent(env, tmp_path):
    client, cc, c = env
    src = tmp_path / "one.txt"
    src.write_bytes(b"version one")
    payload = Payload(path=str(src))
    payload.digest()
    src.write_bytes(b"version two, longer")
    with pytest.raises(IntegrityError) as info:
        client.upload(c, "one.txt", payload, create_only=True)
    assert "changed during the upload" in info.value.msg
    assert not list(cc.list_blobs())


def test_without_a_digest_a_changed_mtime_is_detected(env, monkeypatch, tmp_path):
    """A sync upload does not hash every file first: size and mtime_ns before and after still tell."""
    client, cc, c = env
    src = tmp_path / "s.bin"
    data = os.urandom(3 * KB)
    src.write_bytes(data)
    payload = Payload(path=str(src))
    real = client._call

    def call(method, container=None, blob=None, query=None, **kwargs):
        if (query or {}).get("comp") == "block":
            st = os.stat(src)
            os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        return real(method, container, blob, query=query, **kwargs)

    monkeypatch.setattr(client, "_call", call)
    with pytest.raises(IntegrityError) as info:
        client.upload(c, "s.bin", payload, create_only=True, block_size=KB, single_put_size=KB)
    assert "size and mtime" in info.value.msg
    assert not list(cc.list_blobs())


# -- behaviour 7: a lost answer after a successful conditional write is reconciled ----------------------------------
@pytest.mark.parametrize("size, match", [(500, lambda m, q, h: m == "PUT" and not q), (3 * KB, comp("blocklist"))])
def test_412_after_if_match_is_reconciled(env, monkeypatch, size, match):
    client, cc, c = env
    cc.upload_blob("r.bin", b"old")
    etag = cc.get_blob_client("r.bin").get_blob_properties().etag
    data = os.urandom(size)
    log = inject(client, monkeypatch, match, "retry")
    blob = client.upload(c, "r.bin", Payload(content=data), etag=etag, block_size=KB, single_put_size=KB)
    assert any(entry[0] == "retry" for entry in log)
    assert cc.download_blob("r.bin").readall() == data
    assert blob["properties"]["content_md5"] == blob_module.md5_b64(data)


def test_412_from_someone_else_still_fails(env):
    client, cc, c = env
    cc.upload_blob("r.bin", b"old")
    with pytest.raises(PreconditionFailedError) as info:
        client.upload(c, "r.bin", Payload(content=b"new"), etag='"0x1"')
    assert "changed by someone else" in info.value.msg
    assert info.value.details == {"changed": False, "blob_content": "old"}
    assert cc.download_blob("r.bin").readall() == b"old"


def test_lost_answers_of_properties_metadata_and_copy_are_reconciled(env, monkeypatch):
    client, cc, c = env
    cc.upload_blob("m.bin", b"data")
    etag = cc.get_blob_client("m.bin").get_blob_properties().etag
    inject(client, monkeypatch, comp("properties"), "retry")
    client.set_blob_properties(c, "m.bin", {"content_type": "text/x-new"}, None, etag=etag)
    assert cc.get_blob_client("m.bin").get_blob_properties().content_settings.content_type == "text/x-new"
    inject(client, monkeypatch, comp("metadata"), "lost")
    client.set_blob_metadata(c, "m.bin", {"k": "v"})
    assert cc.get_blob_client("m.bin").get_blob_properties().metadata == {"k": "v"}
    etag = make_page(cc, "d.vhd", page_data(b"o", KB))
    inject(client, monkeypatch, is_copy, "retry")
    client.upload(c, "d.vhd", Payload(content=page_data(b"n", KB)), blob_type="page", etag=etag, current_type="page")
    assert cc.download_blob("d.vhd").readall() == page_data(b"n", KB)


def test_a_lost_in_place_append_is_reconciled_by_reading_the_tail(env, monkeypatch):
    client, cc, c = env
    base = os.urandom(600)
    etag = make_append(cc, "a.log", base)
    data = base + os.urandom(300)
    payload = Payload(content=data)
    inject(client, monkeypatch, comp("appendblock"), "retry")
    client.upload(c, "a.log", payload, blob_type="append", etag=etag, append_from=600, current_type="append")
    assert cc.download_blob("a.log").readall() == data


# -- behaviour 10: a snapshot is never taken twice ---------------------------------------------------------------
def _snapshots(cc, name):
    return [b.snapshot for b in cc.list_blobs(name_starts_with=name, include=["snapshots"]) if b.snapshot]


@pytest.mark.parametrize("mode", ["lost", "landed"])
def test_a_snapshot_whose_answer_is_lost_is_adopted_not_repeated(env, monkeypatch, mode):
    client, cc, c = env
    cc.upload_blob("s.bin", b"data")
    client.transport.retries = 3
    inject(client, monkeypatch, comp("snapshot"), mode)
    stamp = client.snapshot_blob(c, "s.bin", {"purpose": "test"})
    assert _snapshots(cc, "s.bin") == [stamp]
    assert client.transport.retries == 3


def test_a_snapshot_that_failed_before_landing_is_sent_again(env, monkeypatch):
    client, cc, c = env
    cc.upload_blob("s.bin", b"data")
    client.transport.retries = 1
    inject(client, monkeypatch, comp("snapshot"), "before")
    stamp = client.snapshot_blob(c, "s.bin")
    assert _snapshots(cc, "s.bin") == [stamp]
    client.transport.retries = 0
    inject(client, monkeypatch, comp("snapshot"), "before")
    with pytest.raises(AzureRestError) as info:
        client.snapshot_blob(c, "s.bin")
    assert (
        "No snapshot was made" in info.value.msg and info.value.details["changed"] is False and len(_snapshots(cc, "s.bin")) == 1
    )
