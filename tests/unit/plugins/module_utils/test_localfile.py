# SPDX-License-Identifier: GPL-3.0-or-later
"""_localfile: atomic replacement of a file written at offsets, and the base64 MD5 of a file."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

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
