# SPDX-License-Identifier: GPL-3.0-or-later
"""_localfile: atomic replacement of a file written at offsets, and the base64 MD5 of a file."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys

import pytest

from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError, IntegrityError
from ansible_collections.signet.azure.plugins.module_utils._localfile import AtomicFile, file_md5


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def _leftovers(directory) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".part")]


def test_file_md5_is_base64_of_the_digest(tmp_path):
    data = os.urandom(5 * 1024 * 1024 + 3)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_md5(str(path)) == _b64md5(data)


def test_pieces_written_at_offsets_replace_dest_and_keep_its_mode(tmp_path):
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old")
    os.chmod(dest, 0o640)
    with AtomicFile(str(dest), "download c/b", "the blob") as out:
        out.pwrite(b"world", 5)
        out.pwrite(b"hello", 0)
        out.close(10)
        assert out.md5() == _b64md5(b"helloworld")
        assert not out.dest_equals(out.md5())
        out.commit()
    assert dest.read_bytes() == b"helloworld"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_new_file_gets_the_umask_default(tmp_path):
    dest = tmp_path / "new.bin"
    old = os.umask(0o027)
    try:
        with AtomicFile(str(dest), "write") as out:
            out.pwrite(b"x", 0)
            out.close(1)
            out.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640


def test_equal_dest_is_kept_and_the_temp_file_removed(tmp_path):
    dest = tmp_path / "same.bin"
    dest.write_bytes(b"same")
    before = os.stat(dest).st_ino
    with AtomicFile(str(dest), "write") as out:
        out.pwrite(b"same", 0)
        out.close(4)
        assert out.dest_equals(out.md5())
    assert os.stat(dest).st_ino == before
    assert _leftovers(tmp_path) == []


def test_short_file_fails_and_leaves_dest_alone(tmp_path):
    dest = tmp_path / "d.bin"
    dest.write_bytes(b"keep")
    short = r"^download c/b: got 3 bytes, the blob has 5$"
    with pytest.raises(IntegrityError, match=short), AtomicFile(str(dest), "download c/b", "the blob") as out:
        out.pwrite(b"abc", 0)
        out.close(5)
    assert dest.read_bytes() == b"keep"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_any_exception_removes_the_temp_file(tmp_path, exc):
    dest = tmp_path / "d.bin"
    with pytest.raises(exc), AtomicFile(str(dest), "write") as out:
        out.pwrite(b"abc", 0)
        assert _leftovers(tmp_path)
        raise exc()
    assert list(tmp_path.iterdir()) == []


def test_missing_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="dest: the directory .*nowhere does not exist"):
        AtomicFile(str(tmp_path / "nowhere" / "f.bin"), "write")


# -- issue 15: owner, group and mode kept; links; long names; special files ------------------------------------------
from ansible_collections.signet.azure.plugins.module_utils import _localfile  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._localfile import (  # noqa: E402
    LocalFileError,
    blocked_targets,
    fs_limits,
    open_under,
    unlink_under,
)


def _write(dest, data: bytes, **kw):
    with AtomicFile(str(dest), "download c/b", "the blob", **kw) as out:
        out.pwrite(data, 0)
        out.close(len(data))
        out.commit()
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_replacing_keeps_owner_group_and_mode(tmp_path):
    """Behaviour 5: as ansible.builtin.copy, a replaced file keeps its owner, group and mode (setgid bit too)."""
    dest = tmp_path / "owned.bin"
    dest.write_bytes(b"old")
    os.chown(dest, 1234, 2345)
    os.chmod(dest, 0o2640)
    out = _write(dest, b"new content")
    st = os.stat(dest)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o2640)
    assert dest.read_bytes() == b"new content" and out.warnings == []


def test_ownership_that_cannot_be_kept_is_a_warning(tmp_path, monkeypatch):
    """Not root: fchown to another user fails; the mode is still kept and a warning names the change."""
    new = tmp_path / "new.bin"
    new.write_bytes(b"new")
    old = os.stat_result((stat.S_IFREG | 0o604, 0, 0, 1, 4321, 4321, 3, 0, 0, 0))

    def refuse(*_a):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(_localfile.os, "fchown", refuse)
    fd = os.open(new, os.O_RDWR)
    try:
        warnings = _localfile._keep_owner_and_mode(fd, old, "/srv/app.ini")
    finally:
        os.close(fd)
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o604
    assert len(warnings) == 1 and warnings[0].startswith("/srv/app.ini: the replaced file belonged to 4321:4321")


def test_read_only_dest_is_replaced_and_stays_read_only(tmp_path):
    dest = tmp_path / "ro.bin"
    dest.write_bytes(b"old")
    os.chmod(dest, 0o444)
    _write(dest, b"new")
    assert dest.read_bytes() == b"new" and stat.S_IMODE(os.stat(dest).st_mode) == 0o444


def test_dest_that_is_a_link_is_replaced_never_written_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    os.chmod(outside, 0o600)
    (tmp_path / "d").mkdir()
    link = tmp_path / "d" / "f.txt"
    link.symlink_to(outside)
    _write(link, b"downloaded")
    assert not link.is_symlink() and link.read_bytes() == b"downloaded"
    assert outside.read_bytes() == b"keep me"


def test_directory_link_is_refused_unless_follow(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(ConfigError, match=r"dest: the directory .*/link is a symbolic link \(to .*/real\); refusing"):
        _write(tmp_path / "link" / "f.bin", b"x", follow=False)
    assert list(real.iterdir()) == []
    _write(tmp_path / "link" / "f.bin", b"x", follow=True)
    assert (real / "f.bin").read_bytes() == b"x"


def test_root_confines_writes_and_creates_missing_directories(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"'sub' under .*root is a symbolic link or not a directory; refusing"):
        _write(root / "sub" / "x.bin", b"x", root=str(root))
    with pytest.raises(ConfigError, match=r"'sub' under"):
        _write(root / "sub" / "deeper" / "x.bin", b"x", root=str(root))
    (root / "file").write_bytes(b"f")
    with pytest.raises(ConfigError, match=r"'file'"):
        _write(root / "file" / "x.bin", b"x", root=str(root))
    assert list(outside.iterdir()) == []
    _write(root / "a" / "b" / "c.bin", b"deep", root=str(root))
    assert (root / "a" / "b" / "c.bin").read_bytes() == b"deep"
    # root itself may be a link: the user named it
    (tmp_path / "rootlink").symlink_to(root)
    _write(tmp_path / "rootlink" / "a" / "d.bin", b"d", root=str(tmp_path / "rootlink"))
    assert (root / "a" / "d.bin").read_bytes() == b"d"


def test_names_up_to_name_max_fit_with_their_temp_file(tmp_path):
    """A 255-byte name works: the temp name is shortened to stay within NAME_MAX (it used to add 15 bytes)."""
    for name in ("x" * 255, "é" * 127, "x" * 241):
        dest = tmp_path / name
        seen = []
        with AtomicFile(str(dest), "write") as out:
            seen.append(out.tmp)
            out.pwrite(b"y", 0)
            out.close(1)
            out.commit()
        assert dest.read_bytes() == b"y"
        assert len(os.fsencode(os.path.basename(seen[0]))) <= 255
    assert _leftovers(tmp_path) == []


def _no_hang(fn, seconds: float = 5.0):
    import threading

    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    return t.is_alive(), box


def test_file_md5_refuses_a_fifo_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    hung, box = _no_hang(lambda: file_md5(str(fifo)))
    if hung:  # unblock the reader so the thread ends, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "file_md5 blocked on a fifo"
    assert isinstance(box.get("error"), LocalFileError) and "not a regular file" in str(box["error"])


def test_local_write_errors_are_clean_and_leave_nothing(tmp_path, monkeypatch):
    dest = tmp_path / "full.bin"
    dest.write_bytes(b"old")

    def full(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_localfile.os, "pwrite", full)
    with pytest.raises(LocalFileError, match=r"^download c/b: cannot write .*\.part: No space left on device$"):
        _write(dest, b"new")
    assert dest.read_bytes() == b"old" and _leftovers(tmp_path) == []


def _chattr(path, flag: str) -> bool:
    import shutil
    import subprocess

    exe = shutil.which("chattr")
    return bool(exe) and subprocess.run([exe, flag, str(path)], capture_output=True, check=False).returncode == 0


def test_immutable_directory_and_file_fail_cleanly(tmp_path):
    """A directory or file that even root cannot change (chattr +i): a clean LocalFileError, dest unchanged."""
    d = tmp_path / "imm"
    d.mkdir()
    dest = d / "f.bin"
    dest.write_bytes(b"old")
    if not _chattr(d, "+i"):
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(LocalFileError, match=r"cannot create a temp file in .*imm: Operation not permitted"):
            _write(dest, b"new")
    finally:
        _chattr(d, "-i")
    assert _chattr(dest, "+i")
    try:
        with pytest.raises(LocalFileError, match=r"cannot replace .*f\.bin: Operation not permitted"):
            _write(dest, b"new")
        assert _leftovers(d) == []
    finally:
        _chattr(dest, "-i")
    assert dest.read_bytes() == b"old"


def test_unlink_under_never_passes_a_link(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim").write_bytes(b"v")
    (root / "sub").symlink_to(outside)
    with pytest.raises(ConfigError, match="'sub'"):
        unlink_under(str(root), ["sub", "victim"])
    assert (outside / "victim").exists()
    unlink_under(str(root), ["missing", "x"])
    (root / "x").write_bytes(b"x")
    unlink_under(str(root), ["x"])
    assert not (root / "x").exists()
    with pytest.raises(ConfigError, match="refusing the path segment '..'"):
        os.close(open_under(str(root), ["..", "outside"]))


def test_blocked_targets_reads_the_disk_as_it_is(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    (root / "file").write_bytes(b"f")
    (root / "dir").mkdir()
    os.mkfifo(root / "fifo")
    (root / "filelink").symlink_to(tmp_path / "nowhere")
    out = blocked_targets(str(root), ["link/x", "file/x", "dir", "fifo", "filelink", "new/x", "dir/ok"])
    assert sorted(out) == ["dir", "fifo", "file/x", "link/x"]
    assert "symbolic link" in out["link/x"] and "not a directory" in out["file/x"]
    assert "not a regular file" in out["dir"] and "not a regular file" in out["fifo"]
    assert blocked_targets(str(tmp_path / "missing"), ["a"]) == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file system defaults")
def test_fs_limits_of_a_linux_tmp_dir(tmp_path):
    """Read from the nearest existing ancestor; ext4/tmpfs/xfs compare names byte for byte."""
    assert fs_limits(str(tmp_path / "not" / "yet")) == {
        "case_insensitive": False,
        "encoding": "utf-8",
        "name_max": 255,
        "path_max": 4096,
    }


# -- the name -> local path mapping: properties (hypothesis) -------------------------------------------------------------
import posixpath  # noqa: E402
import unicodedata  # noqa: E402
from itertools import combinations  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._localfile import local_paths  # noqa: E402

ROOT = "/srv/r"
TRICKY = ["a", "A", "b", "B", "é", "e\u0301", "ß", "ss", "..", ".", "", "x" * 255, "y" * 256, "é" * 128, "\x00", "c\x01"]
TRICKY += ["d\\e", "\udcff", "日本", "a.txt", "A.TXT", "d", " ", "...", "\u212a"]  # U+212A KELVIN SIGN folds to k
SEGMENT = st.sampled_from(TRICKY) | st.text(max_size=6)
NAME = st.lists(SEGMENT, min_size=1, max_size=4).map("/".join)


def _bad_alone(name: str, path_max: int) -> bool:
    """Oracle for one name, written from the documented rule (not from the implementation)."""
    segments = name.split("/")
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return (
        not name
        or any(s in ("", ".", "..") for s in segments)
        or any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in name)
        or any(len(s.encode("utf-8")) > 255 for s in segments)
        or len(ROOT.encode()) + 1 + len(raw) + 15 >= path_max
    )


class _FakeFS:
    """A file system that creates files and their directories, comparing names as a real one would (optionally
    case-insensitively and normalization-insensitively, as APFS does). ``create`` is False when the name cannot be
    created exactly as spelled: a file or directory is in the way, or an entry exists under another spelling."""

    def __init__(self, case_insensitive: bool):
        self.tree: dict = {}
        self.ci = case_insensitive

    def _key(self, segment: str) -> str:
        # canonical caseless matching, Unicode 15 section 3.13 D145: NFD(casefold(NFD(X)))
        return unicodedata.normalize("NFD", unicodedata.normalize("NFD", segment).casefold()) if self.ci else segment

    def create(self, name: str) -> bool:
        node = self.tree
        segments = name.split("/")
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            found = node.get(self._key(segment))
            if found is None:
                node[self._key(segment)] = (segment, None if last else {})
                node = node[self._key(segment)][1]
                continue
            spelled, children = found
            if spelled != segment or last or children is None:
                return False
            node = children
        return True


def _conflict(a: str, b: str, case_insensitive: bool) -> bool:
    fs = _FakeFS(case_insensitive)
    return not (fs.create(a) and fs.create(b))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAME, max_size=10), case_insensitive=st.booleans(), path_max=st.sampled_from([4096, 300, 40]))
def test_mapping_never_leaves_the_root_never_merges_and_rejects_exactly_the_bad_names(names, case_insensitive, path_max):
    paths, rejected = local_paths(ROOT, names, case_insensitive=case_insensitive, path_max=path_max)
    unique = list(dict.fromkeys(names))
    assert set(paths) | set(rejected) == set(unique) and not set(paths) & set(rejected)
    for name, path in paths.items():  # strictly below the root, segment for segment
        assert posixpath.normpath(path) == path and path.startswith(ROOT + "/")
        assert posixpath.relpath(path, ROOT).split("/") == name.split("/")
        assert b"\x00" not in os.fsencode(path)
    fs = _FakeFS(case_insensitive)
    assert all(fs.create(name) for name in paths), "two accepted names share a path (or a file and a directory)"
    bad = {n for n in unique if _bad_alone(n, path_max)}
    good = [n for n in unique if n not in bad]
    bad |= {n for a, b in combinations(good, 2) if _conflict(a, b, case_insensitive) for n in (a, b)}
    assert set(rejected) == bad
    assert all(isinstance(reason, str) and reason for reason in rejected.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAME, max_size=8))
def test_every_accepted_name_can_really_be_written(tmp_path_factory, names):
    """What the mapping accepts, AtomicFile can write below a real root (ext4/tmpfs here), each file where expected."""
    root = str(tmp_path_factory.mktemp("map"))
    paths, _rejected = local_paths(root, names, **fs_limits(root))
    for name, path in paths.items():
        _write(path, name.encode("utf-8"), root=root)
    for name, path in paths.items():
        assert os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
        with open(path, "rb") as fh:
            assert fh.read() == name.encode("utf-8")


def test_rejections_say_why():
    names = ["ok", "a//b", "/abs", "x/../y", "./x", "n\x00ul", "c\x01", "d\\e", "\udcff", "z" * 256, "d", "d/inner", "t/"]
    paths, rejected = local_paths(ROOT, names)
    assert sorted(paths) == ["ok"]
    assert rejected == {
        "a//b": "empty path segment ('//' or a trailing '/')",
        "/abs": "absolute name",
        "x/../y": "'..' path segment",
        "./x": "'.' path segment",
        "n\x00ul": "NUL character",
        "c\x01": "control character U+0001",
        "d\\e": "backslash (a path separator for the Blob service and on Windows)",
        "\udcff": "not representable in the file system encoding (utf-8)",
        "z" * 256: "a path segment is longer than 255 bytes",
        "d": "collides with 'd/inner'",
        "d/inner": "collides with 'd'",
        "t/": "empty path segment ('//' or a trailing '/')",
    }
    _paths, folded = local_paths(ROOT, ["A.txt", "a.txt", "Dir/x", "dir/y", "\u00e9", "e\u0301", "ok"], case_insensitive=True)
    assert sorted(folded) == ["A.txt", "Dir/x", "a.txt", "dir/y", "e\u0301", "\u00e9"]
    assert folded["A.txt"] == "collides with 'a.txt'"
