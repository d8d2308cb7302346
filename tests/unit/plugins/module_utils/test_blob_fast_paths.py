# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 19: the upload plan hashes the source before the upload only when it must compare it with a blob of the
same type and length; storage_blob_sync copies small files in parallel (bounded) and passes the options through."""

from __future__ import annotations

import base64
import hashlib
import threading
import time

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.blob import Payload
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._plans import blob_sync
from ansible_collections.signet.azure.plugins.module_utils._plans.blob import ensure_blob
from ansible_collections.signet.azure.plugins.module_utils._plans.blob_sync import sync_directory


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


class PlanClient:
    """One blob (or none); records uploads and their options."""

    def __init__(self, current: bytes | None, blob_type: str = "block"):
        self.current = current
        self.blob_type = blob_type
        self.uploads: list = []

    def url(self, container, name):
        return "https://x/%s/%s" % (container, name)

    def get_blob(self, container, name):
        if self.current is None:
            return None
        props = {"blob_type": self.blob_type, "content_length": len(self.current), "content_md5": _md5(self.current)}
        return {"name": name, "properties": dict(props, etag='"e"'), "metadata": {}}

    def upload(self, container, name, payload, **kw):
        with payload.open() as fh:
            data = fh.read()
        self.uploads.append(kw)
        return {"name": name, "properties": {"content_length": len(data), "content_md5": _md5(data)}, "metadata": {}}


@pytest.fixture
def digests(monkeypatch):
    calls = []
    real = Payload.digest

    def digest(self, prefix_len=None):
        calls.append(prefix_len)
        return real(self, prefix_len)

    monkeypatch.setattr(Payload, "digest", digest)
    return calls


def _blob_params(**extra):
    p = {"container": "cont", "name": "b.bin", "state": "present", "content": "new data", "overwrite": "different"}
    p.update(extra)
    return p


@pytest.mark.parametrize(
    "current, blob_type, overwrite, hashed",
    [
        (None, "block", "different", False),  # absent: nothing to compare
        (b"other length", "block", "different", False),  # size differs
        (b"same len", "block", "different", True),  # same size: compare MD5s
        (b"same len", "block", "always", False),
        (b"same len", "page", "different", False),  # another type is replaced anyway
        (b"new", "append", "different", True),  # a shorter append blob may hold a prefix
    ],
)
def test_the_pre_upload_hash_only_when_the_plan_compares(digests, current, blob_type, overwrite, hashed):
    client = PlanClient(current, "append" if blob_type == "append" else blob_type)
    p = _blob_params(overwrite=overwrite, blob_type="append" if blob_type == "append" else "block")
    result = ensure_blob(client, p, check_mode=False)
    assert bool(digests) is hashed
    assert result["diff"]["after"]["content_md5"] == _md5(b"new data")
    assert client.uploads and client.uploads[0]["transactional_md5"] is False


def test_check_mode_hashes_for_the_diff_and_transactional_md5_is_passed(digests):
    client = PlanClient(None)
    result = ensure_blob(client, _blob_params(), check_mode=True)
    assert digests and result["diff"]["after"]["content_md5"] == _md5(b"new data") and not client.uploads
    ensure_blob(client, _blob_params(transactional_md5=True), check_mode=False)
    assert client.uploads[0]["transactional_md5"] is True


class SyncClient:
    """An empty container; uploads and downloads sleep a little and record the threads that ran them."""

    def __init__(self, blobs=None):
        self.blobs = dict(blobs or {})
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls: list = []

    def iter_blob_pages(self, container, prefix=None, **_kw):
        props = {n: {"content_length": len(d), "content_md5": _md5(d), "etag": '"e"'} for n, d in self.blobs.items()}
        yield {"blobs": [{"name": n, "properties": props[n]} for n in sorted(self.blobs)]}

    def _busy(self, what):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.01)
        with self.lock:
            self.running -= 1
            self.calls.append(what)

    def upload(self, container, name, payload, **kw):
        if name == "bad":
            raise ConfigError("boom")
        self._busy(("up", name, kw["max_concurrency"], kw["read_back"], kw["transactional_md5"]))
        return {}

    def delete_blob(self, container, name, snapshots):
        self._busy(("del", name))

    def on_create(self, container, name, headers):
        """BlobFeatures' hook for the headers of a created blob (tier, tags): nothing to record here."""


def test_sync_uploads_small_files_in_parallel_bounded_by_max_concurrency(tmp_path, monkeypatch):
    for i in range(24):
        (tmp_path / ("f%02d.txt" % i)).write_bytes(b"x" * 10)
    (tmp_path / "big.bin").write_bytes(b"y" * 64)
    monkeypatch.setattr(blob_sync, "SMALL_FILE", 32)
    client = SyncClient({"gone-%d" % i: b"z" for i in range(5)})
    p = {"container": "cont", "path": str(tmp_path), "max_concurrency": 4, "delete_extraneous": True, "transactional_md5": True}
    result = sync_directory(client, p, check_mode=False)
    assert len(result["uploaded"]) == 25 and len(result["deleted"]) == 5
    ups = [c for c in client.calls if c[0] == "up"]
    assert sorted(c[1] for c in ups) == sorted(result["uploaded"])
    assert all(c[3] is False and c[4] is True for c in ups)
    assert [c[2] for c in ups if c[1] == "big.bin"] == [4] and {c[2] for c in ups if c[1] != "big.bin"} == {1}
    assert 1 < client.peak <= 4
    assert len([c for c in client.calls if c[0] == "del"]) == 5


def test_a_failed_parallel_upload_fails_the_sync(tmp_path):
    for name in ["a", "bad", "c", "d"]:
        (tmp_path / name).write_bytes(b"1")
    with pytest.raises(ConfigError, match="boom"):
        sync_directory(SyncClient(), {"container": "cont", "path": str(tmp_path), "max_concurrency": 3}, check_mode=False)
