# SPDX-License-Identifier: GPL-3.0-or-later
"""Symbolic-link and file-system traps for the modules that read or write local files (issue 15, behaviours 2, 5
and 11): links inside ``path``/``dest`` pointing out, dangling links, link loops, fifos, read-only and immutable
files, names a hostile container can hold, and files replaced between the plan and the write.

The modules run in-process against Azurite (``_support.run_module``), so a test can swap a directory for a link at the
exact moment between the check and the write. Outcomes are judged on disk and by the Azurite oracle, never by the
module's own result alone. A run that would block (a fifo opened for reading) is caught by a watchdog thread.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading

import pytest

from tests.reliability import _support

WATCHDOG = 120.0


def run(name: str, args: dict, check_mode: bool = False):
    """``run_module`` on a watchdog thread: a module that blocks (say, on a fifo) fails the test instead of hanging."""
    box: dict = {}
    t = threading.Thread(target=lambda: box.update(out=_support.run_module(name, args, check_mode=check_mode)), daemon=True)
    t.start()
    t.join(WATCHDOG)
    assert not t.is_alive(), "%s did not finish within %.0f s (blocked on a fifo?)" % (name, WATCHDOG)
    return box["out"]


def put(oracle, container: str, blobs: dict) -> None:
    for name, data in blobs.items():
        oracle.get_blob_client(container, name).upload_blob(data, overwrite=True)


def names(oracle, container: str) -> list[str]:
    return sorted(b.name for b in oracle.get_container_client(container).list_blobs())


def files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.fixture
def outside(tmp_path):
    """A directory outside every tree the modules are given; must stay empty (or unchanged)."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_bytes(b"top secret\n")
    return d


def _untouched(outside) -> None:
    assert files(outside) == ["secret.txt"] and (outside / "secret.txt").read_bytes() == b"top secret\n"


# -- storage_blob_sync, direction=download --------------------------------------------------------------------------
def test_sync_download_never_writes_through_a_linked_subdirectory(storage_args, oracle, container, tmp_path, outside):
    put(oracle, container, {"ok.txt": b"ok", "sub/evil.txt": b"evil", "sub/secret.txt": b"overwritten"})
    root = tmp_path / "down"
    root.mkdir()
    (root / "sub").symlink_to(outside)
    outcome, result, _ = run("storage_blob_sync", dict(storage_args, container=container, path=str(root), direction="download"))
    assert outcome == "fail", result
    assert "'sub' is a symbolic link" in result["msg"] and "nothing was written" in result["msg"]
    assert sorted(r["name"] for r in result["rejected"]) == ["sub/evil.txt", "sub/secret.txt"]
    _untouched(outside)
    assert files(root) == ["sub"], "ok.txt was written although the run failed its checks"


HOSTILE = {
    "a//b": b"1",
    "/abs": b"2",
    "x\\..\\..\\evil.txt": b"3",  # the service maps '\' to '/': x/../../evil.txt
    "d": b"4",
    "d/inner": b"5",
    "long/" + "z" * 256: b"6",
}


@pytest.mark.parametrize("check_mode", [False, True])
def test_sync_download_of_hostile_names_writes_nothing_and_lists_them(storage_args, oracle, container, tmp_path, check_mode):
    put(oracle, container, dict(HOSTILE, **{"ok.txt": b"ok"}))
    root = tmp_path / "down" / "inside"
    args = dict(storage_args, container=container, path=str(root), direction="download")
    outcome, result, _ = run("storage_blob_sync", args, check_mode)
    assert outcome == "fail", result
    rejected = {r["name"]: r["reason"] for r in result["rejected"]}
    assert sorted(rejected) == sorted(["a//b", "/abs", "x/../../evil.txt", "d", "d/inner", "long/" + "z" * 256])
    assert rejected["x/../../evil.txt"] == "'..' path segment" and rejected["/abs"] == "absolute name"
    assert rejected["d"] == "collides with 'd/inner'" and "longer than 255 bytes" in rejected["long/" + "z" * 256]
    assert not (tmp_path / "down").exists() and not list(tmp_path.rglob("evil.txt"))


def test_sync_download_of_a_name_that_fills_name_max(storage_args, oracle, container, tmp_path):
    """A 254-byte file name: the file system takes it, and so must the temp file beside it (once 15 bytes longer)."""
    long = "n/" + "é" * 127
    put(oracle, container, {long: b"long", "short.txt": b"s"})
    root = tmp_path / "down"
    args = dict(storage_args, container=container, path=str(root), direction="download")
    outcome, result, _ = run("storage_blob_sync", args)
    assert outcome == "exit", result.get("msg")
    assert (root / "n" / ("é" * 127)).read_bytes() == b"long" and result["downloaded"] == sorted([long, "short.txt"])
    assert run("storage_blob_sync", args)[1]["changed"] is False


def test_sync_download_replaced_directory_between_check_and_write(
    storage_args, oracle, container, tmp_path, outside, monkeypatch
):
    """The checks pass; then 'sub' becomes a link to elsewhere, just before the first blob is fetched."""
    from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient

    put(oracle, container, {"sub/secret.txt": b"overwritten"})
    root = tmp_path / "down"
    (root / "sub").mkdir(parents=True)
    real = BlobClient.get_blob

    def swap(self, container_name, name, *a, **k):
        if (root / "sub").is_dir() and not (root / "sub").is_symlink():
            (root / "sub").rmdir()
            (root / "sub").symlink_to(outside)
        return real(self, container_name, name, *a, **k)

    monkeypatch.setattr(BlobClient, "get_blob", swap)
    outcome, result, _ = run("storage_blob_sync", dict(storage_args, container=container, path=str(root), direction="download"))
    assert outcome == "fail" and "refusing to write through it" in result["msg"], result
    _untouched(outside)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to other users")
def test_sync_download_keeps_owner_group_and_mode(storage_args, oracle, container, tmp_path):
    put(oracle, container, {"app.ini": b"new settings\n"})
    root = tmp_path / "down"
    root.mkdir()
    (root / "app.ini").write_bytes(b"old\n")
    os.chown(root / "app.ini", 1234, 2345)
    os.chmod(root / "app.ini", 0o640)
    outcome, result, _ = run("storage_blob_sync", dict(storage_args, container=container, path=str(root), direction="download"))
    assert outcome == "exit", result.get("msg")
    st = os.stat(root / "app.ini")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640)
    assert (root / "app.ini").read_bytes() == b"new settings\n"


# -- storage_blob_sync, direction=upload ----------------------------------------------------------------------------
def _upload_tree(tmp_path, outside):
    root = tmp_path / "up"
    (root / "real").mkdir(parents=True)
    (root / "real" / "a.txt").write_bytes(b"a")
    (root / "inside-link.txt").symlink_to(root / "real" / "a.txt")
    (root / "secret-link.txt").symlink_to(outside / "secret.txt")
    (root / "outdir").symlink_to(outside)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    (root / "real" / "loop").symlink_to(root)
    os.mkfifo(root / "pipe")
    return root


def test_sync_upload_follows_links_only_inside_path(storage_args, oracle, container, tmp_path, outside):
    root = _upload_tree(tmp_path, outside)
    put(oracle, container, {"secret-link.txt": b"an older upload"})
    args = dict(storage_args, container=container, path=str(root), delete_extraneous=True)
    outcome, result, _ = run("storage_blob_sync", args)
    assert outcome == "exit", result.get("msg")
    assert names(oracle, container) == ["inside-link.txt", "real/a.txt", "secret-link.txt"]
    assert _support.blob_bytes(oracle, container, "secret-link.txt") == b"an older upload", "a skipped link's blob changed"
    skipped = {s["path"]: s["reason"] for s in result["skipped"]}
    assert sorted(skipped) == ["dangling", "outdir", "pipe", "real/loop", "secret-link.txt"]
    assert "outside path" in skipped["secret-link.txt"] and result["deleted"] == []
    outcome, result, _ = run("storage_blob_sync", dict(args, follow_symlinks=True))
    assert outcome == "exit", result.get("msg")
    assert _support.blob_bytes(oracle, container, "secret-link.txt") == b"top secret\n"
    assert _support.blob_bytes(oracle, container, "outdir/secret.txt") == b"top secret\n"
    assert sorted(s["path"] for s in result["skipped"]) == ["dangling", "pipe", "real/loop"]


@pytest.mark.parametrize("swap", ["link", "fifo"])
def test_sync_upload_of_a_file_replaced_after_the_walk(storage_args, oracle, container, tmp_path, outside, monkeypatch, swap):
    """a.txt becomes a link to a secret, or a fifo (a reader would block), between the walk and the upload."""
    from ansible_collections.signet.azure.plugins.module_utils._plans import blob_sync

    root = tmp_path / "up"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a")
    real = blob_sync.sync_plan

    def plan_then_swap(*a, **k):
        (root / "a.txt").unlink()
        if swap == "link":
            (root / "a.txt").symlink_to(outside / "secret.txt")
        else:
            os.mkfifo(root / "a.txt")
        return real(*a, **k)

    monkeypatch.setattr(blob_sync, "sync_plan", plan_then_swap)
    outcome, result, _ = run("storage_blob_sync", dict(storage_args, container=container, path=str(root)))
    assert outcome == "fail" and "was replaced" in result["msg"], result
    assert names(oracle, container) == []


# -- storage_blob_download ------------------------------------------------------------------------------------------
def test_download_refuses_a_dest_directory_that_is_a_link_unless_follow(storage_args, oracle, container, tmp_path, outside):
    put(oracle, container, {"dir/app.ini": b"settings"})
    (tmp_path / "restore").symlink_to(outside)
    args = dict(storage_args, container=container, name="dir/app.ini", dest=str(tmp_path / "restore") + "/")
    outcome, result, _ = run("storage_blob_download", args)
    assert outcome == "fail" and "is a symbolic link" in result["msg"] and "follow=true" in result["msg"], result
    outcome, result, _ = run("storage_blob_download", args, check_mode=True)
    assert outcome == "fail", result
    _untouched(outside)
    outcome, result, _ = run("storage_blob_download", dict(args, follow=True))
    assert outcome == "exit" and result["changed"], result.get("msg")
    assert (outside / "app.ini").read_bytes() == b"settings"


def test_download_replaces_a_dest_link_and_never_writes_through_it(storage_args, oracle, container, tmp_path, outside):
    put(oracle, container, {"s.txt": b"downloaded"})
    d = tmp_path / "d"
    d.mkdir()
    (d / "s.txt").symlink_to(outside / "secret.txt")
    args = dict(storage_args, container=container, name="s.txt", dest=str(d / "s.txt"))
    outcome, result, _ = run("storage_blob_download", args)
    assert outcome == "exit" and result["changed"], result.get("msg")
    assert not (d / "s.txt").is_symlink() and (d / "s.txt").read_bytes() == b"downloaded"
    _untouched(outside)
    # follow=true: the file the link points to is the one replaced
    (d / "t.txt").symlink_to(outside / "secret.txt")
    outcome, result, _ = run("storage_blob_download", dict(args, dest=str(d / "t.txt"), follow=True))
    assert outcome == "exit" and result["dest"] == str(outside / "secret.txt"), result
    assert (outside / "secret.txt").read_bytes() == b"downloaded" and (d / "t.txt").is_symlink()


def test_download_of_a_blob_whose_last_segment_is_dotdot(storage_args, oracle, container, tmp_path):
    put(oracle, container, {"x\\..": b"dots"})  # the service maps '\' to '/': x/..
    d = tmp_path / "d"
    d.mkdir()
    outcome, result, _ = run("storage_blob_download", dict(storage_args, container=container, name="x/..", dest=str(d)))
    assert outcome == "fail" and "'..' path segment" in result["msg"], result
    assert files(tmp_path) == ["d"]


def test_download_dest_directory_swapped_for_a_link_after_the_check(
    storage_args, oracle, container, tmp_path, outside, monkeypatch
):
    from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient

    put(oracle, container, {"secret.txt": b"overwritten"})
    d = tmp_path / "d"
    d.mkdir()
    real = BlobClient.get_blob

    def swap(self, *a, **k):
        d.rmdir()
        d.symlink_to(outside)
        return real(self, *a, **k)

    monkeypatch.setattr(BlobClient, "get_blob", swap)
    outcome, result, _ = run("storage_blob_download", dict(storage_args, container=container, name="secret.txt", dest=str(d)))
    assert outcome == "fail" and "is a symbolic link" in result["msg"], result
    _untouched(outside)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to other users")
def test_download_keeps_owner_group_and_mode_of_a_read_only_file(storage_args, oracle, container, tmp_path):
    put(oracle, container, {"app.ini": b"new\n"})
    dest = tmp_path / "app.ini"
    dest.write_bytes(b"old\n")
    os.chown(dest, 1234, 2345)
    os.chmod(dest, 0o444)
    outcome, result, _ = run("storage_blob_download", dict(storage_args, container=container, name="app.ini", dest=str(dest)))
    assert outcome == "exit" and result["changed"], result.get("msg")
    st = os.stat(dest)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o444) and dest.read_bytes() == b"new\n"


def _chattr(path, flag: str) -> bool:
    exe = shutil.which("chattr")
    return bool(exe) and subprocess.run([exe, flag, str(path)], capture_output=True).returncode == 0


def test_download_into_an_immutable_directory_fails_cleanly(storage_args, oracle, container, tmp_path):
    put(oracle, container, {"f.bin": b"new"})
    d = tmp_path / "imm"
    d.mkdir()
    (d / "f.bin").write_bytes(b"old")
    if not _chattr(d, "+i"):
        pytest.skip("chattr +i is not available here")
    try:
        outcome, result, _ = run("storage_blob_download", dict(storage_args, container=container, name="f.bin", dest=str(d)))
    finally:
        _chattr(d, "-i")
    assert outcome == "fail" and "Operation not permitted" in result["msg"] and "exception" not in result, result
    assert files(d) == ["f.bin"] and (d / "f.bin").read_bytes() == b"old"
