# SPDX-License-Identifier: GPL-3.0-or-later
"""_plans/blob_sync.py, local side (issue 15): blob names a server may send that Azurite cannot (NUL, lone
surrogates, case-only twins on a case-insensitive file system), checked before anything is written; the upload walk
and its symbolic-link rule. A fake client lists the names and writes downloads through the real AtomicFile."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._localfile import AtomicFile
from ansible_collections.signet.azure.plugins.module_utils._plans import blob_sync
from ansible_collections.signet.azure.plugins.module_utils._plans.blob_sync import _walk_local, sync_directory


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


class FakeClient:
    """Lists ``blobs`` ({name: bytes}); downloads write through AtomicFile exactly as BlobClient.download does."""

    def __init__(self, blobs: dict):
        self.blobs = blobs
        self.downloads: list = []
        self.uploads: list = []

    def _props(self, name):
        data = self.blobs[name]
        return {"content_length": len(data), "content_md5": _md5(data), "etag": '"e"'}

    def iter_blob_pages(self, container, prefix=None, include=None):
        yield {"blobs": [{"name": n, "properties": self._props(n)} for n in sorted(self.blobs) if n.startswith(prefix or "")]}

    def get_blob(self, container, name):
        return {"name": name, "properties": self._props(name)} if name in self.blobs else None

    def download(self, container, name, dest, *, props, max_concurrency=4, root=None, follow=True, **_kw):
        self.downloads.append(name)
        data = self.blobs[name]
        with AtomicFile(dest, "download %s/%s" % (container, name), "the blob", root=root, follow=follow) as out:
            out.pwrite(data, 0)
            out.close(len(data))
            out.commit()
        return {"md5": _md5(data), "size": len(data), "replaced": True}

    def on_create(self, container, name, headers):
        pass

    def upload(self, container, name, payload, **_kw):
        with payload.open() as fh:
            self.uploads.append((name, fh.read()))
        return {}


def _down(client, root, check_mode=False, **extra):
    p = {"container": "cont", "path": str(root), "direction": "download", "prefix": "", "max_concurrency": 1, "block_size": 1}
    p.update(extra)
    return sync_directory(client, p, check_mode)


def _tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


BAD = {
    "a//b": "empty path segment",
    "/abs": "absolute name",
    "x/../../y": "'..' path segment",
    "n\x00ul": "NUL character",
    "tab\there": "control character U+0009",
    "\udcffbad": "not representable",
    "back\\slash": "backslash",
    "long/" + "z" * 256: "a path segment is longer than 255 bytes",
    "d": "collides with 'd/inner'",
    "d/inner": "collides with 'd'",
}


@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_names_fail_the_whole_download_before_anything_is_written(tmp_path, check_mode):
    blobs = {name: b"x" for name in BAD}
    blobs.update({"ok.txt": b"fine", "folder/": b""})
    root = tmp_path / "down"
    with pytest.raises(ConfigError) as info:
        _down(FakeClient(blobs), root, check_mode)
    msg = info.value.msg
    assert msg.startswith("prefix: 10 blob name(s) cannot be written below path, so nothing was written: ")
    for name, reason in BAD.items():
        assert "%r (%s" % (name, reason) in msg, (name, msg)
    rejected = {r["name"]: r["reason"] for r in info.value.to_result()["rejected"]}
    assert sorted(rejected) == sorted(BAD) and "ok.txt" not in msg
    assert not root.exists(), "nothing may be written, not even the directory"


def test_names_equal_on_a_case_insensitive_file_system_are_refused(tmp_path, monkeypatch):
    """APFS/NTFS: 'A.txt' and 'a.txt' are one file, 'Dir/' and 'dir/' one directory, NFC and NFD one name."""
    real = blob_sync.fs_limits
    monkeypatch.setattr(blob_sync, "fs_limits", lambda path: dict(real(path), case_insensitive=True))
    names = ["A.txt", "a.txt", "Dir/x", "dir/y", "\u00e9.txt", "e\u0301.txt"]
    client = FakeClient({**{n: b"x" for n in names}, "ok.txt": b"ok"})
    with pytest.raises(ConfigError, match=r"^prefix: 6 blob name\(s\)") as info:
        _down(client, tmp_path / "down")
    assert sorted(r["name"] for r in info.value.to_result()["rejected"]) == sorted(names)
    assert client.downloads == [] and not (tmp_path / "down").exists()


def test_a_local_file_in_the_way_or_a_linked_directory_is_refused_up_front(tmp_path):
    root, outside = tmp_path / "down", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    (root / "afile").write_bytes(b"local")
    (root / "adir").mkdir()
    client = FakeClient({"sub/x": b"x", "afile/y": b"y", "adir": b"z", "ok.txt": b"ok"})
    with pytest.raises(ConfigError) as info:
        _down(client, root)
    reasons = {r["name"]: r["reason"] for r in info.value.to_result()["rejected"]}
    assert sorted(reasons) == ["adir", "afile/y", "sub/x"]
    assert "'sub' is a symbolic link" in reasons["sub/x"] and "not a directory" in reasons["afile/y"]
    assert client.downloads == [] and list(outside.iterdir()) == [] and not (root / "ok.txt").exists()


def test_a_directory_swapped_for_a_link_after_the_check_is_never_written_through(tmp_path):
    """The check passes; then 'sub' becomes a link to elsewhere before the write: O_NOFOLLOW refuses it."""
    root, outside = tmp_path / "down", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    client = FakeClient({"sub/x": b"x"})
    get_blob = client.get_blob

    def swap_then_get(container, name):
        (root / "sub").rmdir()
        (root / "sub").symlink_to(outside)
        return get_blob(container, name)

    client.get_blob = swap_then_get
    with pytest.raises(ConfigError, match=r"'sub' under .* is a symbolic link or not a directory; refusing"):
        _down(client, root)
    assert list(outside.iterdir()) == []


def test_extraneous_files_are_deleted_without_passing_a_swapped_link(tmp_path):
    root, outside = tmp_path / "down", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "old.txt").write_bytes(b"old")
    outside.mkdir()
    (outside / "old.txt").write_bytes(b"victim")
    client = FakeClient({"new.txt": b"n"})
    real_plan = blob_sync.sync_plan

    def plan_then_swap(*a, **k):
        plan = real_plan(*a, **k)
        (root / "sub" / "old.txt").unlink()
        (root / "sub").rmdir()
        (root / "sub").symlink_to(outside)
        return plan

    blob_sync.sync_plan, saved = plan_then_swap, blob_sync.sync_plan
    try:
        with pytest.raises(ConfigError, match="'sub'"):
            _down(client, root, delete_extraneous=True)
    finally:
        blob_sync.sync_plan = saved
    assert (outside / "old.txt").read_bytes() == b"victim"


def test_a_good_download_with_a_long_name_and_a_replaced_link(tmp_path):
    root, outside = tmp_path / "down", tmp_path / "outside.txt"
    root.mkdir()
    outside.write_bytes(b"keep")
    (root / "f.txt").symlink_to(outside)
    long = "d/" + "é" * 127  # 254 bytes: fits NAME_MAX, not with a 15-byte temp suffix
    client = FakeClient({long: b"long", "f.txt": b"new", "e/x": b"x"})
    result = _down(client, root)
    assert result["downloaded"] == sorted([long, "e/x", "f.txt"])
    assert (root / "d" / ("é" * 127)).read_bytes() == b"long"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_bytes() == b"new"
    assert outside.read_bytes() == b"keep"
    assert _down(client, root)["changed"] is False


# -- the upload walk ------------------------------------------------------------------------------------------------
def _upload_tree(tmp_path):
    root, outside = tmp_path / "up", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "real" / "a.txt").write_bytes(b"a")
    (root / "inside-link.txt").symlink_to(root / "real" / "a.txt")
    (root / "secret-link.txt").symlink_to(outside / "secret.txt")
    (root / "outdir").symlink_to(outside)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    (root / "real" / "loop").symlink_to(root)
    os.mkfifo(root / "pipe")
    return root


def test_walk_follows_links_inside_path_only_and_says_what_it_skipped(tmp_path):
    root = _upload_tree(tmp_path)
    files, skipped = _walk_local(str(root), None, None, "inside")
    assert sorted(files) == ["inside-link.txt", "real/a.txt"]
    reasons = {s["path"]: s["reason"] for s in skipped}
    assert sorted(reasons) == ["dangling", "outdir", "pipe", "real/loop", "secret-link.txt"]
    assert reasons["secret-link.txt"].startswith("symbolic link to %s, outside path" % (tmp_path / "outside" / "secret.txt"))
    assert reasons["dangling"].startswith("dangling symbolic link") and reasons["pipe"] == "not a regular file (fifo)"
    assert reasons["real/loop"].startswith("symbolic link loop")


def test_walk_with_follow_all_takes_outside_links_but_not_loops(tmp_path):
    root = _upload_tree(tmp_path)
    files, skipped = _walk_local(str(root), None, ["*.tmp"], "all")
    assert sorted(files) == ["inside-link.txt", "outdir/secret.txt", "real/a.txt", "secret-link.txt"]
    assert sorted(s["path"] for s in skipped) == ["dangling", "pipe", "real/loop"]


def test_walk_for_download_follows_nothing(tmp_path):
    root = _upload_tree(tmp_path)
    files, skipped = _walk_local(str(root), None, None, "none")
    assert sorted(files) == ["real/a.txt"]
    assert {s["reason"] for s in skipped if s["path"] != "pipe"} == {"symbolic link (not followed)"}


def test_upload_skips_outside_links_reports_them_and_never_deletes_their_blobs(tmp_path):
    root = _upload_tree(tmp_path)
    client = FakeClient({"secret-link.txt": b"uploaded by an older version", "outdir/secret.txt": b"old"})
    p = {"container": "cont", "path": str(root), "direction": "upload", "delete_extraneous": True, "block_size": 1024}
    result = sync_directory(client, p, False)
    assert sorted(upload[0] for upload in client.uploads) == ["inside-link.txt", "real/a.txt"]
    assert all(upload[1] != b"secret" for upload in client.uploads)
    assert result["deleted"] == [] and "secret-link.txt" in [s["path"] for s in result["skipped"]]
    client = FakeClient({})
    sync_directory(client, dict(p, follow_symlinks=True), False)
    assert dict(client.uploads)["secret-link.txt"] == b"secret"


@pytest.mark.parametrize("swap", ["link", "fifo"])
def test_a_file_replaced_after_the_walk_is_never_read(tmp_path, swap):
    """Between the walk and the upload, a.txt becomes a link to a secret, or a fifo (that would block a reader)."""
    root, secret = tmp_path / "up", tmp_path / "secret.txt"
    root.mkdir()
    secret.write_bytes(b"secret")
    (root / "a.txt").write_bytes(b"a")
    real_plan = blob_sync.sync_plan

    def plan_then_swap(*a, **k):
        (root / "a.txt").unlink()
        if swap == "link":
            (root / "a.txt").symlink_to(secret)
        else:
            os.mkfifo(root / "a.txt")
        return real_plan(*a, **k)

    blob_sync.sync_plan, saved = plan_then_swap, blob_sync.sync_plan
    client = FakeClient({})
    try:
        with pytest.raises(ConfigError, match=r"a\.txt was replaced .* since the directory was read; refusing to read it"):
            sync_directory(client, {"container": "cont", "path": str(root), "direction": "upload", "block_size": 1024}, False)
    finally:
        blob_sync.sync_plan = saved
    assert client.uploads == []
