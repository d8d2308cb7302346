# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Local files: the mapping of blob names to local paths, atomic replacement of a file written at offsets (from several
threads), and the MD5 of a file.

No HTTP. ``local_paths`` is pure: it decides which blob names may become files under a directory, before anything is
written. ``AtomicFile`` writes into a temp file in the destination's directory (so ``os.replace`` is an atomic rename
on the same file system, see https://docs.python.org/3/library/os.html#os.replace), reaches that directory through
directory file descriptors (``O_NOFOLLOW`` below a root, so a symbolic link swapped in later is refused, see
https://man7.org/linux/man-pages/man2/openat.2.html), keeps the replaced file's owner, group and mode, and removes the
temp file on any failure.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import re
import secrets
import stat
import sys
import unicodedata

from ._errors import AzureRestError, ConfigError, IntegrityError

READ_PIECE = 4 * 1024 * 1024
#: POSIX defaults, used when ``os.pathconf`` cannot tell: bytes per path component, bytes per path (with the NUL)
NAME_MAX = 255
PATH_MAX = 4096
#: bytes a temp name adds to the name it replaces: "." + name + "." + 8 random characters + ".part"
TEMP_EXTRA = 15
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LocalFileError(AzureRestError):
    """A local file or directory could not be read or written (permissions, full or read-only file system, a file
    that is not a regular file)."""


def _md5_of_fd(fd: int) -> str:
    digest = hashlib.md5()
    offset = 0
    while True:
        data = os.pread(fd, READ_PIECE, offset)
        if not data:
            return base64.b64encode(digest.digest()).decode("ascii")
        digest.update(data)
        offset += len(data)


def open_regular(path: str, follow: bool = True, dir_fd: int | None = None) -> int:
    """A read-only fd of ``path`` when it is a regular file. Opened with ``O_NONBLOCK`` (a fifo never blocks the open)
    and, unless ``follow``, ``O_NOFOLLOW``. Raises LocalFileError (not a regular file, a link with ``follow`` off,
    unreadable), FileNotFoundError when it is missing."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LocalFileError("%s is a symbolic link" % path) from None
        raise LocalFileError("cannot read %s: %s" % (path, exc.strerror)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LocalFileError("%s is not a regular file" % path)
    return fd


def file_md5(path: str, follow: bool = True) -> str:
    """Base64 MD5 of a local regular file (as Azure shows Content-MD5), read in 4 MiB pieces. A fifo or device is
    refused at once (never read, never waited on). Raises LocalFileError, FileNotFoundError."""
    fd = open_regular(path, follow)
    try:
        return _md5_of_fd(fd)
    except OSError as exc:
        raise LocalFileError("cannot read %s: %s" % (path, exc.strerror)) from None
    finally:
        os.close(fd)


def regular_file(path: str, follow: bool = True) -> os.stat_result | None:
    """The stat of ``path`` when it is a regular file (through a link only with ``follow``), else None."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


# -- blob names -> local paths -------------------------------------------------------------------------------------
def _name_problem(name: str, root_len: int, encoding: str, name_max: int, path_max: int) -> str | None:
    """Why ``name`` alone cannot become a path under a root of ``root_len`` bytes (None when it can)."""
    if not name:
        return "empty name"
    if name.startswith("/"):
        return "absolute name"
    parts = name.split("/")
    if "" in parts:
        return "empty path segment ('//' or a trailing '/')"
    if ".." in parts or "." in parts:
        return "'%s' path segment" % (".." if ".." in parts else ".")
    if "\x00" in name:
        return "NUL character"
    bad = _CONTROL.search(name)
    if bad:
        return "control character U+%04X" % ord(bad.group())
    if "\\" in name:
        return "backslash (a path separator for the Blob service and on Windows)"
    try:
        encoded = [part.encode(encoding) for part in parts]
    except UnicodeError:
        return "not representable in the file system encoding (%s)" % encoding
    if max(len(part) for part in encoded) > name_max:
        return "a path segment is longer than %d bytes" % name_max
    if root_len + sum(len(part) + 1 for part in encoded) + TEMP_EXTRA >= path_max:
        return "the local path (with a temp suffix) would be longer than %d bytes" % path_max
    return None


def _fold(part: str, case_insensitive: bool) -> str:
    """The canonical caseless form, NFD(casefold(NFD(part))) (Unicode 15, section 3.13, D145), when
    ``case_insensitive``: names equal in it are one name on APFS or NTFS (or may be: the rule errs on refusing)."""
    if not case_insensitive:
        return part
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", part).casefold())


def _collisions(names: list[str], case_insensitive: bool) -> dict[str, str]:
    """``{name: reason}`` for the names that share a local path with another name: the same file, a file that is
    also a directory (``d`` and ``d/x``), or a directory spelled two ways (``A/x`` and ``a/y``) when
    ``case_insensitive`` (canonical caseless matching, ``_fold``)."""
    nodes: dict[tuple, list] = {}
    for name in names:
        parts = name.split("/")
        key: tuple = ()
        for i, part in enumerate(parts):
            key += (_fold(part, case_insensitive),)
            nodes.setdefault(key, []).append(("/".join(parts[: i + 1]), i == len(parts) - 1, name))
    out: dict[str, str] = {}
    for node in nodes.values():
        if len({entry[0] for entry in node}) < 2 and len({entry[1] for entry in node}) < 2:
            continue
        for _spelling, _is_file, name in node:
            others = sorted({entry[2] for entry in node if entry[2] != name})
            more = " and %d more" % (len(others) - 3) if len(others) > 3 else ""
            out.setdefault(name, "collides with %s%s" % (", ".join(repr(n) for n in others[:3]), more))
    return out


def local_paths(
    root: str,
    names,
    *,
    case_insensitive: bool = False,
    name_max: int = NAME_MAX,
    path_max: int = PATH_MAX,
    encoding: str = "utf-8",
) -> tuple[dict[str, str], dict[str, str]]:
    """Map '/'-separated names (blob names relative to a prefix) to paths under ``root``. Pure: no file system access.

    Returns ``(paths, rejected)``: ``{name: os.path.join(root, *segments)}`` for the names that are safe, and
    ``{name: reason}`` for the others. A name is rejected when it is empty or absolute, has an empty, ``.`` or ``..``
    segment, a NUL, control character or backslash, cannot be encoded in ``encoding``, has a segment longer than
    ``name_max`` bytes, or would make a path (with the TEMP_EXTRA bytes of a temp name) of ``path_max`` bytes or more;
    and when it collides with another name (``_collisions``). So every path is strictly below ``root``, and no two
    accepted names share a path, or a file with a directory.
    """
    root_len = len(root.encode(encoding, "surrogateescape"))
    paths: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for name in dict.fromkeys(names):
        problem = _name_problem(name, root_len, encoding, name_max, path_max)
        if problem:
            rejected[name] = problem
        else:
            paths[name] = os.path.join(root, *name.split("/"))
    for name, reason in _collisions(list(paths), case_insensitive).items():
        rejected[name] = reason
        del paths[name]
    return paths, rejected


def _existing_ancestor(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _swap_ascii_case(name: str) -> str:
    return "".join(c.swapcase() if c.isascii() else c for c in name)


def _case_insensitive(directory: str) -> bool:
    """Whether ``directory``'s file system ignores case: an entry (or the directory itself, or an ancestor) with ASCII
    letters is looked up with their case swapped. Nothing is created. Unknown: True on macOS and Windows."""
    candidates = []
    try:
        with os.scandir(directory) as entries:
            first = next((e.name for e in entries if _swap_ascii_case(e.name) != e.name), None)
            candidates = [os.path.join(directory, first)] if first else []
    except OSError:
        pass
    path = directory
    while os.path.dirname(path) != path:
        if _swap_ascii_case(os.path.basename(path)) != os.path.basename(path):
            candidates.append(path)
        path = os.path.dirname(path)
    for path in candidates:
        swapped = os.path.join(os.path.dirname(path), _swap_ascii_case(os.path.basename(path)))
        try:
            return os.path.samestat(os.lstat(path), os.lstat(swapped))
        except OSError:
            return False
    return sys.platform in ("darwin", "win32", "cygwin")


def fs_limits(path: str) -> dict:
    """The ``local_paths`` keyword arguments for writing under ``path`` (or its nearest existing ancestor):
    ``case_insensitive``, ``name_max`` and ``path_max`` (``os.pathconf``) and the file system ``encoding``."""
    base = _existing_ancestor(path)
    limits = {"case_insensitive": _case_insensitive(base), "encoding": sys.getfilesystemencoding()}
    for key, conf, default in (("name_max", "PC_NAME_MAX", NAME_MAX), ("path_max", "PC_PATH_MAX", PATH_MAX)):
        try:
            limits[key] = int(os.pathconf(base, conf)) or default
        except (OSError, ValueError, AttributeError):
            limits[key] = default
    return limits


def _blocked(root: str, parts: list[str], listings: dict) -> str | None:
    """Why writing ``root/parts`` would pass through a link or a file, or land on a directory, a special file or an
    entry spelled another way (``listings`` caches directory listings; None: do not compare spellings)."""
    for i, part in enumerate(parts):
        path = os.path.join(root, *parts[: i + 1])
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return "cannot inspect %s: %s" % ("/".join(parts[: i + 1]), exc.strerror)
        where, last = "/".join(parts[: i + 1]), i == len(parts) - 1
        if listings is not None:
            parent = os.path.dirname(path)
            if parent not in listings:
                listings[parent] = set(os.listdir(parent))
            if part not in listings[parent]:
                return "the local file system has %r under another spelling" % where
        if not last and stat.S_ISLNK(st.st_mode):
            return "%r is a symbolic link (to %s); refusing to write through it" % (where, os.readlink(path))
        if not last and not stat.S_ISDIR(st.st_mode):
            return "%r exists and is not a directory" % where
        if last and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            return "%r exists and is not a regular file" % where
    return None


def blocked_targets(root: str, names, case_insensitive: bool = False) -> dict[str, str]:
    """``{name: reason}`` for the names (accepted by ``local_paths``) that cannot be written under ``root`` as the disk
    is now: a directory on the way is a symbolic link or a file, the target is a directory or a special file, or
    (``case_insensitive``) an entry exists under another spelling. A target that is a symbolic link is not blocked: it
    is replaced by a regular file, never written through. Reads only (lstat, listdir)."""
    listings: dict | None = {} if case_insensitive else None
    out = {}
    if not os.path.isdir(root):
        return out
    for name in names:
        reason = _blocked(root, name.split("/"), listings)
        if reason:
            out[name] = reason
    return out


def format_rejected(rejected: dict[str, str], limit: int = 20) -> str:
    """``'a//b' (empty path segment), ...`` for at most ``limit`` names, sorted, then ``and N more``."""
    items = ["%r (%s)" % (name, rejected[name]) for name in sorted(rejected)[:limit]]
    more = "; and %d more" % (len(rejected) - limit) if len(rejected) > limit else ""
    return "; ".join(items) + more


# -- directories reached without following links -------------------------------------------------------------------
def open_directory(path: str, follow: bool = True, option: str = "dest") -> int:
    """An fd of the existing directory ``path``; unless ``follow``, ``path`` itself must not be a symbolic link.
    Raises ConfigError naming ``option`` (missing, a link, not a directory), LocalFileError (permissions)."""
    try:
        return os.open(path, _DIR_FLAGS | (0 if follow else _NOFOLLOW))
    except FileNotFoundError:
        raise ConfigError("%s: the directory %s does not exist" % (option, path)) from None
    except OSError as exc:
        if os.path.islink(path):
            raise ConfigError(
                "%s: the directory %s is a symbolic link (to %s); refusing to write through it. Set follow=true to "
                "write where it points" % (option, path, os.readlink(path))
            ) from None
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise ConfigError("%s: %s is not a directory" % (option, path)) from None
        raise LocalFileError("%s: cannot open the directory %s: %s" % (option, path, exc.strerror)) from None


def _open_child(fd: int, part: str, create: bool) -> int:
    try:
        return os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
    except FileNotFoundError:
        if not create:
            raise
    try:
        os.mkdir(part, 0o777, dir_fd=fd)
    except FileExistsError:
        pass
    return os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)


def open_under(root: str, parts: list[str], create: bool = False, option: str = "path") -> int:
    """An fd of the directory ``root/parts...``: ``root`` is opened as named (links followed: the user chose it),
    each part below it with ``O_NOFOLLOW``, relative to the previous fd, so no symbolic link below ``root`` (even one
    swapped in a moment ago) is ever passed. Missing parts are created when ``create``. Raises ConfigError naming
    ``option`` for a link or a file on the way, FileNotFoundError when a part is missing and not ``create``."""
    fd = open_directory(root, True, option)
    try:
        for i, part in enumerate(parts):
            if part in ("", ".", "..") or "/" in part:
                raise ConfigError("%s: refusing the path segment %r" % (option, part))
            try:
                child = _open_child(fd, part, create)
            except FileNotFoundError:
                raise
            except OSError as exc:
                if exc.errno not in (errno.ENOTDIR, errno.ELOOP, errno.EEXIST):
                    raise LocalFileError("%s: cannot open %s: %s" % (option, "/".join(parts[: i + 1]), exc.strerror)) from None
                raise ConfigError(
                    "%s: %r under %s is a symbolic link or not a directory; refusing to write through it"
                    % (option, "/".join(parts[: i + 1]), root)
                ) from None
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def unlink_under(root: str, parts: list[str], option: str = "path") -> None:
    """Remove the file ``root/parts`` (never through a symbolic link below ``root``); a missing file is fine."""
    try:
        fd = open_under(root, parts[:-1], option=option)
    except FileNotFoundError:
        return
    try:
        os.unlink(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise LocalFileError("%s: cannot remove %s: %s" % (option, "/".join(parts), exc.strerror)) from None
    finally:
        os.close(fd)


# -- atomic replacement ----------------------------------------------------------------------------------------------
def _temp_name(name: str) -> str:
    """``.<name>.<8 random>.part``, the name shortened (by characters) so the whole stays within NAME_MAX bytes."""
    stem = name
    while len(os.fsencode(stem)) > NAME_MAX - TEMP_EXTRA:
        stem = stem[:-1]
    return ".%s.%s.part" % (stem, secrets.token_hex(4))


def _keep_owner_and_mode(fd: int, st: os.stat_result, path: str) -> list[str]:
    """Give the file ``fd`` the owner, group and mode of ``st`` (as ansible.builtin.copy keeps them). Only root may
    give a file away: what could not be kept is returned as warnings."""
    warnings = []
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            try:
                os.fchown(fd, -1, st.st_gid)
            except PermissionError:
                pass
            now = os.fstat(fd)
            warnings.append(
                "%s: the replaced file belonged to %d:%d; the new file belongs to %d:%d (only root can keep another "
                "user's ownership)" % (path, st.st_uid, st.st_gid, now.st_uid, now.st_gid)
            )
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    return warnings


class AtomicFile:
    """Replace ``dest`` atomically with data written at offsets.

    ``AtomicFile(dest, action, source, root=None, follow=True)``. Without ``root``, the directory of ``dest`` must
    exist (else ConfigError) and, unless ``follow``, must not be a symbolic link. With ``root``, ``dest`` is below it:
    the directories from ``root`` to ``dest`` are created when missing and never passed through a symbolic link
    (``open_under``). Use it as a context manager: entering creates the temp file ``.<name>.<random>.part`` beside
    ``dest`` (``O_EXCL``, mode 0600); ``pwrite`` may be called from several threads; ``close(size)`` fsyncs and checks
    the length; ``commit()`` gives the temp file the owner, group and mode of the replaced ``dest`` (a new file, or one
    replacing a link: 0666 minus the umask) and renames it over ``dest``. Leaving the block by any exception
    (KeyboardInterrupt too) or without ``commit`` removes the temp file. ``action`` and ``source`` word the errors:
    ``"<action>: got N bytes, <source> has M"``. ``warnings`` lists the attributes that could not be kept.
    """

    def __init__(self, dest: str, action: str, source: str = "the source", *, root: str | None = None, follow: bool = True):
        self.dest = dest
        self.action = action
        self.source = source
        self.root = root
        self.follow = follow
        self.name = os.path.basename(dest)
        self.directory = os.path.dirname(os.path.abspath(dest))
        if root is None and not os.path.isdir(self.directory):
            raise ConfigError("dest: the directory %s does not exist" % self.directory)
        self.tmp: str | None = None
        self.size = 0
        self.warnings: list[str] = []
        self._fd = -1
        self._dir_fd = -1
        self._tmp_name = ""

    def _open_dir(self) -> int:
        if self.root is None:
            return open_directory(self.directory, self.follow)
        rel = os.path.relpath(self.directory, os.path.abspath(self.root))
        return open_under(self.root, [] if rel == "." else rel.split(os.sep), create=True)

    def __enter__(self) -> AtomicFile:
        self._dir_fd = self._open_dir()
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            for _attempt in range(100):
                name = _temp_name(self.name)
                try:
                    self._fd = os.open(name, flags, 0o600, dir_fd=self._dir_fd)
                    break
                except FileExistsError:
                    continue
            else:
                raise FileExistsError(errno.EEXIST, "no free temp file name")
            self._tmp_name, self.tmp = name, os.path.join(self.directory, name)
        except OSError as exc:
            os.close(self._dir_fd)
            self._dir_fd = -1
            raise LocalFileError(
                "%s: cannot create a temp file in %s: %s" % (self.action, self.directory, exc.strerror)
            ) from None
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self.tmp is not None:
            try:
                os.unlink(self._tmp_name, dir_fd=self._dir_fd)
            except FileNotFoundError:
                pass
            self.tmp = None
        if self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1

    def pwrite(self, data: bytes, offset: int) -> None:
        """Write ``data`` at ``offset`` of the temp file (thread-safe: ``os.pwrite`` does not move a shared position)."""
        view = memoryview(data)
        try:
            while view:
                done = os.pwrite(self._fd, view, offset)
                view, offset = view[done:], offset + done
        except OSError as exc:
            raise LocalFileError("%s: cannot write %s: %s" % (self.action, self.tmp, exc.strerror)) from None

    def close(self, size: int) -> None:
        """fsync the temp file; IntegrityError when it does not hold exactly ``size`` bytes (it stays open for
        ``md5`` and ``commit``)."""
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise LocalFileError("%s: cannot write %s: %s" % (self.action, self.tmp, exc.strerror)) from None
        self.size = os.fstat(self._fd).st_size
        if self.size != size:
            raise IntegrityError("%s: got %d bytes, %s has %d" % (self.action, self.size, self.source, size))

    def md5(self) -> str:
        """Base64 MD5 of the temp file (after ``close``)."""
        return _md5_of_fd(self._fd)

    def dest_equals(self, md5: str) -> bool:
        """True when ``dest`` is a regular file (not a link) with the temp file's size and the MD5 ``md5``."""
        try:
            fd = open_regular(self.name, False, self._dir_fd)
        except (FileNotFoundError, LocalFileError):
            return False
        try:
            return os.fstat(fd).st_size == self.size and _md5_of_fd(fd) == md5
        finally:
            os.close(fd)

    def commit(self) -> None:
        """Give the temp file the owner, group and mode of ``dest`` when it is a regular file (else 0666 minus the
        umask) and rename it over ``dest``; a ``dest`` that is a symbolic link is replaced, never written through."""
        try:
            try:
                st = os.stat(self.name, dir_fd=self._dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and stat.S_ISREG(st.st_mode):
                self.warnings = _keep_owner_and_mode(self._fd, st, self.dest)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(self._fd, 0o666 & ~umask)
            os.replace(self._tmp_name, self.name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
            self.tmp = None
        except OSError as exc:
            raise LocalFileError("%s: cannot replace %s: %s" % (self.action, self.dest, exc.strerror)) from None
        try:
            os.fsync(self._dir_fd)  # make the rename durable; some file systems refuse fsync on a directory
        except OSError:
            pass
