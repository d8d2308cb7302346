# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Local files: atomic replacement of a file written at offsets (from several threads), and the MD5 of a file.

No HTTP. ``AtomicFile`` writes into a temp file in the destination's directory (so ``os.replace`` is an atomic rename
on the same file system, see https://docs.python.org/3/library/os.html#os.replace) and removes it on any failure.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile

from ._errors import ConfigError, IntegrityError

READ_PIECE = 4 * 1024 * 1024


def file_md5(path: str) -> str:
    """Base64 MD5 of a local file (as Azure shows Content-MD5), read in 4 MiB pieces. Raises OSError."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for data in iter(lambda: fh.read(READ_PIECE), b""):
            digest.update(data)
    return base64.b64encode(digest.digest()).decode("ascii")


class AtomicFile:
    """Replace ``dest`` atomically with data written at offsets.

    ``AtomicFile(dest, action, source)`` raises ConfigError when the directory of ``dest`` does not exist. Use it as a
    context manager: entering creates the temp file ``.<name>.<random>.part`` beside ``dest``; ``pwrite`` may be called
    from several threads; ``close(size)`` fsyncs and checks the length; ``commit()`` gives the temp file the mode of
    the existing ``dest`` (or 0666 minus the umask for a new one) and renames it over ``dest``. Leaving the block by
    any exception (KeyboardInterrupt too) or without ``commit`` removes the temp file. ``action`` and ``source`` word
    the errors: ``"<action>: got N bytes, <source> has M"``.
    """

    def __init__(self, dest: str, action: str, source: str = "the source"):
        self.dest = dest
        self.action = action
        self.source = source
        self.directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(self.directory):
            raise ConfigError("dest: the directory %s does not exist" % self.directory)
        self.tmp: str | None = None
        self.size = 0
        self._fd = -1

    def __enter__(self) -> AtomicFile:
        self._fd, self.tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(self.dest), suffix=".part", dir=self.directory)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None

    def pwrite(self, data: bytes, offset: int) -> None:
        """Write ``data`` at ``offset`` of the temp file (thread-safe: ``os.pwrite`` does not move a shared position)."""
        os.pwrite(self._fd, data, offset)

    def close(self, size: int) -> None:
        """fsync and close the temp file; IntegrityError when it does not hold exactly ``size`` bytes."""
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        self.size = os.path.getsize(self.tmp)
        if self.size != size:
            raise IntegrityError("%s: got %d bytes, %s has %d" % (self.action, self.size, self.source, size))

    def md5(self) -> str:
        """Base64 MD5 of the temp file (after ``close``)."""
        return file_md5(self.tmp)

    def dest_equals(self, md5: str) -> bool:
        """True when ``dest`` is a regular file with the temp file's size and the MD5 ``md5``."""
        return os.path.isfile(self.dest) and os.path.getsize(self.dest) == self.size and file_md5(self.dest) == md5

    def commit(self) -> None:
        """Give the temp file the mode ``dest`` has (a new file: 0666 minus the umask) and rename it over ``dest``."""
        if os.path.exists(self.dest):
            try:
                os.chmod(self.tmp, os.stat(self.dest).st_mode & 0o7777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
        os.replace(self.tmp, self.dest)
        self.tmp = None
