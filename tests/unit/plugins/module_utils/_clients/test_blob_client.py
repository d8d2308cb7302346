# SPDX-License-Identifier: GPL-3.0-or-later
"""BlobClient against a real Azurite (session fixture), verified with Microsoft's azure-storage-blob as the oracle."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import uuid

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.blob import UNCOMMITTED_NOTE, BlobClient, Payload
from ansible_collections.signet.azure.plugins.module_utils._errors import ConflictError, IntegrityError, PreconditionFailedError
from ansible_collections.signet.azure.plugins.module_utils._signing import sas as sas_signing
from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport


@pytest.fixture
def env(azurite):
    from azure.storage.blob import BlobServiceClient

    settings = resolve({"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings, Transport(storage_scheme(settings), retries=0))
    oracle = BlobServiceClient.from_connection_string(azurite.connection_string)
    name = "bc-" + uuid.uuid4().hex[:10]
    assert client.create_container(name)
    yield client, oracle.get_container_client(name), name
    client.delete_container(name)
    client.close()


def test_block_upload_round_trip_with_tricky_name(env, tmp_path):
    client, oracle, c = env
    data = os.urandom(3 * 1024 * 1024 + 5)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    name = "dir one/ü+%20~(a),b=c.bin"
    blob = client.upload(
        c, name, Payload(path=str(src)), block_size=512 * 1024, single_put_size=1024 * 1024, max_concurrency=3, create_only=True
    )
    assert oracle.download_blob(name).readall() == data
    committed = oracle.get_blob_client(name).get_block_list("committed")[0]
    assert len(committed) == 7 and len({len(b.id) for b in committed}) == 1
    assert blob["properties"]["content_length"] == len(data)
    props = oracle.get_blob_client(name).get_blob_properties()
    assert props.content_settings.content_md5 == hashlib.md5(data).digest()

    dest = tmp_path / "out.bin"
    out = client.download(c, name, str(dest), props=blob["properties"], chunk_size=256 * 1024, max_concurrency=4)
    assert out["replaced"] and dest.read_bytes() == data
    again = client.download(c, name, str(dest), props=blob["properties"], keep_if_equal=True)
    assert again["replaced"] is False


def test_create_only_conflict_is_reconciled_by_md5(env):
    client, oracle, c = env
    oracle.upload_blob("same.txt", b"same")
    blob = client.upload(c, "same.txt", Payload(content=b"same"), create_only=True)
    assert blob["properties"]["content_length"] == 4
    with pytest.raises(ConflictError, match="someone else"):
        client.upload(c, "same.txt", Payload(content=b"different"), create_only=True)
    assert oracle.download_blob("same.txt").readall() == b"same"


def test_failed_commit_leaves_blob_unchanged_and_says_so(env):
    client, oracle, c = env
    oracle.upload_blob("keep.bin", b"old")
    with pytest.raises(PreconditionFailedError) as info:
        client.upload(c, "keep.bin", Payload(content=os.urandom(300_000)), etag='"0x1"', block_size=100_000, single_put_size=1000)
    assert UNCOMMITTED_NOTE in info.value.msg
    assert oracle.download_blob("keep.bin").readall() == b"old"


def test_download_of_changed_blob_leaves_no_partial_file(env, tmp_path):
    client, oracle, c = env
    oracle.upload_blob("moving.bin", os.urandom(1024 * 1024))
    stale = client.get_blob(c, "moving.bin")["properties"]
    oracle.upload_blob("moving.bin", os.urandom(1024 * 1024), overwrite=True)
    dest = tmp_path / "moving.bin"
    with pytest.raises(PreconditionFailedError):
        client.download(c, "moving.bin", str(dest), props=stale, chunk_size=256 * 1024)
    assert list(tmp_path.iterdir()) == []


def test_listing_follows_markers(env):
    client, oracle, c = env
    for i in range(5):
        oracle.upload_blob("p/%d" % i, b"x", metadata={"i": str(i)})
    pages = list(client.iter_blob_pages(c, prefix="p/", include=["metadata"], page_size=2))
    assert [len(p["blobs"]) for p in pages] == [2, 2, 1]
    assert pages[0]["blobs"][1]["metadata"] == {"i": "1"}
    one = client.list_blobs(c, max_results=3)
    assert len(one["blobs"]) == 3 and one["next_marker"]
    rest = client.list_blobs(c, marker=one["next_marker"])
    assert [b["name"] for b in rest["blobs"]] == ["p/3", "p/4"]


def test_page_blob_is_sparse_and_append_appends(env):
    client, oracle, c = env
    data = b"A" * 512 + bytes(1024 * 1024) + b"B" * 512
    client.upload(c, "d.vhd", Payload(content=data), blob_type="page")
    ranges = oracle.get_blob_client("d.vhd").get_page_ranges()[0]
    assert [(r["start"], r["end"]) for r in ranges] == [(0, 511), (len(data) - 512, len(data) - 1)]
    assert oracle.download_blob("d.vhd").readall() == data
    first = client.upload(c, "a.log", Payload(content=b"one\n"), blob_type="append")
    client.upload(c, "a.log", Payload(content=b"one\ntwo\n"), blob_type="append", append_from=4, etag=first["properties"]["etag"])
    assert oracle.download_blob("a.log").readall() == b"one\ntwo\n"


def test_sas_auth_block_upload_and_ranged_download(env, azurite, tmp_path):
    """With a SAS token the auth appends the token to queries that already carry comp/blockid/snapshot."""
    _client, oracle, c = env
    token = sas_signing.account_sas(
        azurite.account,
        azurite.key,
        "rwdlac",
        "b",
        "sco",
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30),
        protocol="https,http",
    )
    settings = resolve({"account_name": azurite.account, "sas_token": token, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings, Transport(storage_scheme(settings), retries=0))
    data = os.urandom(600_000)
    blob = client.upload(c, "sas/b+c.bin", Payload(content=data), block_size=100_000, single_put_size=1000, max_concurrency=3)
    assert oracle.download_blob("sas/b+c.bin").readall() == data
    snap = client.snapshot_blob(c, "sas/b+c.bin")
    dest = tmp_path / "d.bin"
    client.download(c, "sas/b+c.bin", str(dest), props=blob["properties"], snapshot=snap, chunk_size=150_000)
    assert dest.read_bytes() == data
    client.close()


class _ShortBody:
    """A streamed response whose body stops after ``give`` bytes, optionally with a reset."""

    status_code = 206

    def __init__(self, data: bytes, give: int, reset: bool):
        self.data, self.give, self.reset = data, give, reset
        self.headers = {"Content-Range": "bytes 0-%d/%d" % (len(data) - 1, len(data))}

    def iter_content(self, _size):
        yield self.data[: self.give]
        if self.reset:
            raise ConnectionResetError()

    def close(self):
        pass


def _offline_client(sleep):
    class Settings:
        def service_url(self, _service):
            return "https://acct.blob.core.windows.net"

    return BlobClient(Settings(), Transport(retries=0, sleep=sleep))


def test_short_range_read_is_retried_once_by_the_retry_policy(tmp_path, monkeypatch):
    data = b"0123456789"
    delays: list = []
    client = _offline_client(delays.append)
    bodies = [_ShortBody(data, 4, True), _ShortBody(data, 10, False)]
    monkeypatch.setattr(client, "_call", lambda *a, **k: bodies.pop(0))
    dest = tmp_path / "d.bin"
    out = client.download("c", "b", str(dest), props={"content_length": 10, "content_md5": None})
    assert out == {"md5": base64.b64encode(hashlib.md5(data).digest()).decode("ascii"), "size": 10, "replaced": True}
    assert dest.read_bytes() == data and bodies == []
    assert len(delays) == 1 and 0 < delays[0] <= client.transport.policy.backoff_max


def test_range_read_still_short_after_the_retry_fails_and_names_the_first_problem(tmp_path, monkeypatch):
    data = b"0123456789"
    delays: list = []
    client = _offline_client(delays.append)
    bodies = [_ShortBody(data, 4, True), _ShortBody(data, 6, False), _ShortBody(data, 10, False)]
    monkeypatch.setattr(client, "_call", lambda *a, **k: bodies.pop(0))
    with pytest.raises(
        IntegrityError, match=r"^download c/b: range at 0 returned 6 bytes, expected 10 \(ConnectionResetError\)$"
    ):
        client.download("c", "b", str(tmp_path / "d.bin"), props={"content_length": 10})
    assert len(bodies) == 1 and len(delays) == 1
    assert list(tmp_path.iterdir()) == []


class _Answer:
    """A streamed answer to a ranged GET: ``status``, ``headers`` and the whole ``body``."""

    def __init__(self, status: int, headers: dict, body: bytes):
        self.status_code, self.headers, self.body = status, headers, body

    def iter_content(self, size):
        for i in range(0, len(self.body), size):
            yield self.body[i : i + size]

    def close(self):
        pass


def _ranged_client(monkeypatch, answer):
    """An offline client whose GETs are answered by ``answer(offset, length)``; the asked ranges are recorded."""
    client = _offline_client(lambda _s: None)
    asked: list = []

    def call(*_a, headers=None, **_k):
        first, last = (int(x) for x in headers["x-ms-range"].split("=")[1].split("-"))
        asked.append((first, last))
        return answer(first, last - first + 1)

    monkeypatch.setattr(client, "_call", call)
    return client, asked


DATA = bytes(range(256)) * 40  # 10240 bytes: 4 ranges of 3000 with chunk_size=3000


def _partial(offset, length):
    return _Answer(
        206, {"Content-Range": "bytes %d-%d/%d" % (offset, offset + length - 1, len(DATA))}, DATA[offset : offset + length]
    )


@pytest.mark.parametrize(
    "wrong, match",
    [
        (lambda o, n: _Answer(200, {}, DATA), r"asked for bytes 3000-5999/10240, the server answered 200 with the whole blob"),
        (lambda o, n: _partial(0, n), r"asked for bytes 3000-5999/10240, the server answered Content-Range 'bytes 0-2999/10240'"),
        (lambda o, n: _Answer(206, {}, DATA[o : o + n]), r"answered Content-Range None"),
        (
            lambda o, n: _Answer(206, {"Content-Range": "bytes 3000-5999/99999"}, DATA[o : o + n]),
            r"Content-Range 'bytes 3000-5999/99999'",
        ),
        (
            lambda o, n: _Answer(206, {"Content-Range": "bytes 3000-5999/10240"}, DATA[o : o + n + 7]),
            r"is longer than 3000 bytes",
        ),
        (
            lambda o, n: _Answer(206, {"Content-Range": "bytes 3000-5999/10240", "Content-Length": "3007"}, DATA[o : o + n]),
            r"Content-Length 3007",
        ),
    ],
    ids=["200-whole-body", "other-range", "no-content-range", "other-total", "longer-body", "content-length"],
)
def test_a_range_answered_with_another_range_fails_and_is_never_stitched(tmp_path, monkeypatch, wrong, match):
    """Behaviour 6 of issue 15: the second range is answered wrongly; the blob has no Content-MD5 (nothing else would
    notice). The download fails at once (no retry of a wrong answer) and dest keeps its old content."""
    client, asked = _ranged_client(monkeypatch, lambda o, n: wrong(o, n) if o == 3000 else _partial(o, n))
    dest = tmp_path / "d.bin"
    dest.write_bytes(b"old")
    with pytest.raises(IntegrityError, match=match):
        client.download("c", "b", str(dest), props={"content_length": len(DATA)}, chunk_size=3000, max_concurrency=1)
    assert dest.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["d.bin"]
    assert asked.count((3000, 5999)) == 1


def test_a_whole_blob_range_may_be_answered_with_200(tmp_path, monkeypatch):
    client, asked = _ranged_client(monkeypatch, lambda o, n: _Answer(200, {"Content-Length": str(len(DATA))}, DATA))
    dest = tmp_path / "d.bin"
    out = client.download("c", "b", str(dest), props={"content_length": len(DATA)}, chunk_size=len(DATA))
    assert out["replaced"] and dest.read_bytes() == DATA and asked == [(0, len(DATA) - 1)]


def test_correct_ranges_are_stitched(tmp_path, monkeypatch):
    client, asked = _ranged_client(monkeypatch, _partial)
    dest = tmp_path / "d.bin"
    client.download("c", "b", str(dest), props={"content_length": len(DATA)}, chunk_size=3000, max_concurrency=3)
    assert dest.read_bytes() == DATA and sorted(asked) == [(0, 2999), (3000, 5999), (6000, 8999), (9000, 10239)]


# -- issue 19: one hash per upload, optional per-block MD5, no read-back when the answer proves the content --------
def _recording(client, monkeypatch):
    calls = []
    real = client._call

    def call(method, container=None, blob=None, query=None, headers=None, **kwargs):
        calls.append((method, dict(query or {}), dict(headers or {})))
        return real(method, container, blob, query=query, headers=headers, **kwargs)

    monkeypatch.setattr(client, "_call", call)
    return calls


@pytest.mark.parametrize("transactional", [False, True])
def test_per_block_md5_is_an_option_and_the_whole_md5_is_always_stored(env, tmp_path, monkeypatch, transactional):
    client, oracle, c = env
    data = os.urandom(5 * 1024 + 7)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    calls = _recording(client, monkeypatch)
    blob = client.upload(
        c,
        "b.bin",
        Payload(path=str(src)),
        block_size=1024,
        single_put_size=1024,
        max_concurrency=2,
        transactional_md5=transactional,
    )
    blocks = [h for m, q, h in calls if q.get("comp") == "block"]
    assert len(blocks) == 6 and all(("Content-MD5" in h) is transactional for h in blocks)
    whole = base64.b64encode(hashlib.md5(data).digest()).decode("ascii")
    assert blob["properties"]["content_md5"] == whole
    assert oracle.get_blob_client("b.bin").get_blob_properties().content_settings.content_md5 == hashlib.md5(data).digest()


def test_put_blob_answer_proves_the_content_without_a_read_back(env, monkeypatch):
    client, oracle, c = env
    calls = _recording(client, monkeypatch)
    blob = client.upload(c, "s.txt", Payload(content=b"small one"), create_only=True, read_back=False)
    assert [m for m, _q, _h in calls] == ["PUT"]
    md5 = base64.b64encode(hashlib.md5(b"small one").digest()).decode("ascii")
    assert blob["properties"]["content_md5"] == md5 and blob["properties"]["etag"]
    assert oracle.download_blob("s.txt").readall() == b"small one"
    calls.clear()
    client.upload(c, "t.txt", Payload(content=b"read back"), create_only=True)
    assert [m for m, _q, _h in calls] == ["PUT", "HEAD"]  # storage_blob keeps the read-back (full properties)


def test_an_answer_without_our_md5_falls_back_to_the_read_back(env, monkeypatch):
    client, _oracle, c = env
    real = client._call

    class Answer:
        headers = {"Content-MD5": "bm90IG91cnM="}

    def call(method, container=None, blob=None, **kwargs):
        resp = real(method, container, blob, **kwargs)
        return Answer() if method == "PUT" else resp

    monkeypatch.setattr(client, "_call", call)
    blob = client.upload(c, "f.txt", Payload(content=b"abc"), create_only=True, read_back=False)
    assert blob["properties"]["content_length"] == 3 and blob["properties"].get("last_modified")
