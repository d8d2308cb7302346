# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_sync: the sync plan (pure) and the one-way, content-aware sync of a directory and a container prefix."""

from __future__ import annotations

import fnmatch
import os
import stat
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from .._clients.blob import Payload
from .._clients.blob_wire import CONTENT_SETTINGS, MIB, validate_blob_name, validate_container_name
from .._errors import ConfigError
from .._localfile import blocked_targets, file_md5, format_rejected, fs_limits, local_paths, unlink_under
from .blob import _positive
from .blob_sync_settings import creation_headers, update_settings, upload_attributes


# -- sync plan ---------------------------------------------------------------------------------------------------
def remote_name(prefix: str, relpath: str) -> str:
    """The blob name of a relative path under a container prefix (a virtual folder; separators become '/')."""
    rel = relpath.replace("\\", "/").lstrip("/")
    prefix = (prefix or "").strip("/")
    return "%s/%s" % (prefix, rel) if prefix else rel


def selected(relpath: str, include: list | None, exclude: list | None) -> bool:
    """Glob filter on a relative path ('/' separators): kept when it matches any ``include`` (all if none) and no
    ``exclude``. A pattern also matches against the base name, so ``*.tmp`` excludes ``a/b.tmp``."""

    def match(patterns):
        base = relpath.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(relpath, p) or fnmatch.fnmatchcase(base, p) for p in patterns)

    if include and not match(include):
        return False
    return not (exclude and match(exclude))


def sync_plan(source: dict, target: dict, delete_extraneous: bool = False) -> dict:
    """Plan a one-way sync. ``source`` and ``target`` map relative path -> ``{size, md5}`` (md5 base64, may be None).

    Returns ``{copy: [...], skip: [...], delete: [...]}`` (sorted). A path is skipped only when both sides have the
    same size and the same, known MD5; everything else present in ``source`` is copied. ``delete`` lists target
    paths missing from the source, only when ``delete_extraneous``.
    """
    copy, skip = [], []
    for path in sorted(source):
        src = source[path]
        dst = target.get(path)
        if dst is not None and dst.get("size") == src.get("size") and src.get("md5") and src.get("md5") == dst.get("md5"):
            skip.append(path)
        else:
            copy.append(path)
    delete = sorted(p for p in target if p not in source) if delete_extraneous else []
    return {"copy": copy, "skip": skip, "delete": delete}


# -- sync --------------------------------------------------------------------------------------------------------
def _inside(real_root: str, target: str) -> bool:
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _entry_kind(entry, real_root: str, follow: str) -> tuple[str, os.stat_result | None, str | None]:
    """``("file" | "dir" | "skip", stat, reason)`` of a directory entry. ``follow``: ``none`` (no link is followed),
    ``inside`` (links whose target is inside the real ``path``), ``all``. Fifos, sockets and devices are skipped
    without being opened."""
    try:
        if entry.is_symlink():
            if follow == "none":
                return "skip", None, "symbolic link (not followed)"
            target = os.path.realpath(entry.path)
            if not os.path.exists(entry.path):
                return "skip", None, "dangling symbolic link (to %s)" % os.readlink(entry.path)
            if follow == "inside" and not _inside(real_root, target):
                return "skip", None, "symbolic link to %s, outside path (follow_symlinks=true follows it)" % target
            st = os.stat(entry.path)
        else:
            st = entry.stat(follow_symlinks=False)
    except OSError as exc:
        return "skip", None, "cannot read: %s" % exc.strerror
    if stat.S_ISDIR(st.st_mode):
        return "dir", st, None
    if stat.S_ISREG(st.st_mode):
        return "file", st, None
    kind = "fifo" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "device or special file"
    return "skip", None, "not a regular file (%s)" % kind


def _walk_local(root: str, include, exclude, follow: str = "none") -> tuple[dict, list]:
    """The regular files under ``root``: ``({relpath: {size, md5, path, dev, ino, link}}, skipped)``, ``skipped``
    listing ``{path, reason}`` for what was not taken (links per ``follow``, see ``_entry_kind``, link loops, fifos,
    unreadable entries), except what ``exclude`` leaves out anyway. Never opens a file."""
    out, skipped = {}, []
    real_root = os.path.realpath(root)
    top = os.stat(root)
    stack = [("", frozenset({(top.st_dev, top.st_ino)}), False)]
    while stack:
        rel_dir, ancestors, via_link = stack.pop()
        try:
            with os.scandir(os.path.join(root, *rel_dir.split("/")) if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            skipped.append({"path": rel_dir, "reason": "cannot list: %s" % exc.strerror})
            continue
        for entry in entries:
            rel = rel_dir + "/" + entry.name if rel_dir else entry.name
            kind, st, reason = _entry_kind(entry, real_root, follow)
            link = via_link or entry.is_symlink()
            if kind == "dir" and (st.st_dev, st.st_ino) in ancestors:
                kind, reason = "skip", "symbolic link loop (to %s)" % os.path.realpath(entry.path)
            if kind == "dir":
                stack.append((rel, ancestors | {(st.st_dev, st.st_ino)}, link))
            elif kind == "file" and selected(rel, include, exclude):
                out[rel] = {"size": st.st_size, "md5": None, "path": entry.path, "dev": st.st_dev, "ino": st.st_ino, "link": link}
            elif kind == "skip" and selected(rel, None, exclude):
                skipped.append({"path": rel, "reason": reason})
    return out, sorted(skipped, key=lambda s: s["path"])


def _unchanged_entry(entry: dict) -> None:
    """ConfigError when the file walked as ``entry`` is no longer that regular file (replaced by a link, a fifo or
    another file since the directory was read): it is then neither hashed nor uploaded."""
    try:
        st = os.stat(entry["path"]) if entry["link"] else os.lstat(entry["path"])
    except OSError as exc:
        raise ConfigError("path: %s: %s since the directory was read" % (entry["path"], exc.strerror)) from None
    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (entry["dev"], entry["ino"]):
        raise ConfigError(
            "path: %s was replaced (by a link, a special file or another file) since the directory was read; refusing "
            "to read it" % entry["path"]
        )


def _shared(value: dict, shared: dict) -> dict:
    """``value``, or the equal dict met before (the entries only read them): blobs with the same content settings or
    metadata then share one dict."""
    return shared.setdefault(tuple(value.items()), value)


def _remote_entry(blob: dict, with_settings: bool, shared: dict) -> dict:
    """What the plan keeps of a listed blob: ``{size, md5, etag}``, and for an upload (``with_settings``) the content
    settings that are set (``props``) and the metadata, each only when not empty and shared between equal ones
    (``_shared``): 100,000 blobs then cost a few tens of MiB, not the hundreds of MiB of their whole listing."""
    props = blob["properties"]
    entry = {"size": props.get("content_length"), "md5": props.get("content_md5"), "etag": props.get("etag")}
    if with_settings:  # an upload keeps the blob's metadata and content settings (blob_sync_settings)
        settings = {k: props[k] for k in CONTENT_SETTINGS if props.get(k)}
        if settings:
            entry["props"] = _shared(settings, shared)
        if blob.get("metadata"):
            entry["metadata"] = _shared(blob["metadata"], shared)
    return entry


def _walk_remote(client, container: str, prefix: str, include, exclude, with_metadata: bool = False) -> dict:
    """``{relpath: _remote_entry}`` of the blobs under the container prefix that ``include``/``exclude`` select,
    read page by page (only the compact entries outlive a page)."""
    folder = prefix.strip("/")
    list_prefix = folder + "/" if folder else None
    out: dict = {}
    shared: dict = {}
    for page in client.iter_blob_pages(container, prefix=list_prefix, include=["metadata"] if with_metadata else None):
        for b in page["blobs"]:
            rel = b["name"][len(list_prefix) :] if list_prefix else b["name"]
            if not rel or rel.endswith("/") or not selected(rel, include, exclude):
                continue
            out[rel] = _remote_entry(b, with_metadata, shared)
    return out


def _check_sync_options(p: dict, root: str, direction: str) -> None:
    """ConfigError for positive-number options and for a ``path`` that is not (or cannot become) a directory."""
    _positive(p, "block_size", "max_concurrency")
    if direction == "upload" and not os.path.isdir(root):
        raise ConfigError("path: %s is not a directory" % root)
    if direction == "download" and os.path.exists(root) and not os.path.isdir(root):
        raise ConfigError("path: %s exists and is not a directory" % root)


def _hash_candidates(local: dict, remote: dict) -> None:
    """Fill in the MD5 of the local files whose size equals their blob's (the only ones that may be skipped); a file
    replaced since the walk is refused (``_unchanged_entry``), never read."""
    for rel, entry in local.items():
        other = remote.get(rel)
        if other is not None and other.get("size") == entry["size"]:
            _unchanged_entry(entry)
            try:
                entry["md5"] = file_md5(entry["path"], follow=entry["link"])
            except FileNotFoundError:
                raise ConfigError("path: %s disappeared since the directory was read" % entry["path"]) from None


def _keep_skipped(plan: dict, skipped: list) -> None:
    """Never delete the blobs of what the walk skipped (a link not followed, a fifo): drop them, and everything
    under a skipped directory, from ``plan["delete"]``."""
    paths = [s["path"] for s in skipped]
    plan["delete"] = [rel for rel in plan["delete"] if not any(rel == s or rel.startswith(s + "/") for s in paths)]


def _download_paths(root: str, prefix: str, remote: dict, copy: list) -> dict:
    """``{relpath: local path}`` for every blob under the prefix (``local_paths`` with the file system's limits), or
    ConfigError listing every name that cannot be written (and, for those to copy, ``blocked_targets``): all checked
    before anything is written."""
    limits = fs_limits(root)
    folder = prefix.strip("/") + "/" if prefix.strip("/") else ""
    paths, rejected = local_paths(os.path.abspath(root), remote, **limits)
    rejected.update(blocked_targets(root, [rel for rel in copy if rel in paths], limits["case_insensitive"]))
    if rejected:
        raise ConfigError(
            "prefix: %d blob name(s) cannot be written below path, so nothing was written: %s (names relative to the "
            "prefix). Rename or delete these blobs, or leave them out with exclude" % (len(rejected), format_rejected(rejected)),
            details={"rejected": [{"name": folder + rel, "reason": rejected[rel]} for rel in sorted(rejected)]},
        )
    return paths


def _sync_result(plan: dict, source: dict, target: dict, direction: str) -> dict:
    """The module result of a sync plan: the lists of paths and a diff of the target's names before and after."""
    after_names = sorted((set(target) - set(plan["delete"])) | set(source))
    return {
        "changed": bool(plan["copy"] or plan["delete"]),
        "uploaded" if direction == "upload" else "downloaded": plan["copy"],
        "deleted": plan["delete"],
        "unchanged": plan["skip"],
        "diff": {
            "before": "\n".join(sorted(target)) + ("\n" if target else ""),
            "after": "\n".join(after_names) + ("\n" if after_names else ""),
        },
    }


#: files up to this size are copied in one request each, ``max_concurrency`` files at a time; larger ones one after
#: another, each with ``max_concurrency`` parallel requests (so threads never multiply)
SMALL_FILE = 8 * MIB


def _parallel(items: list, fn, workers: int) -> list:
    """``[fn(item) ...]`` on up to ``workers`` threads (each thread gets its own Transport and Session from the
    client, see ``BlobClient._transport``). The first failure cancels what has not started; the first failed item
    (in ``items`` order) among those that ran is re-raised once the running ones have ended."""
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(fn, item) for item in items]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for fut in pending:
            fut.cancel()
        wait([f for f in pending if not f.cancelled()])
        for fut in futures:
            if fut.done() and not fut.cancelled() and fut.exception() is not None:
                raise fut.exception()
        return [fut.result() for fut in futures]


def _split_by_size(copy: list, sizes: dict) -> tuple[list, list]:
    """``(small, large)``: the paths to copy up to ``SMALL_FILE`` bytes and above it."""
    small = [rel for rel in copy if (sizes[rel].get("size") or 0) <= SMALL_FILE]
    return small, [rel for rel in copy if (sizes[rel].get("size") or 0) > SMALL_FILE]


def _push(client, container: str, prefix: str, p: dict, plan: dict, local: dict, remote: dict) -> None:
    """Upload the files to copy (each guarded by its blob's ETag, or create-only; small files in parallel, verified
    by the Put Blob answer's Content-MD5) and delete the extraneous blobs (in parallel)."""
    workers = p.get("max_concurrency") or 4

    def push(rel: str, threads: int = 1) -> None:
        blob = remote.get(rel)
        _unchanged_entry(local[rel])
        payload = Payload(path=local[rel]["path"])
        payload.expected_md5 = local[rel].get("md5")  # hashed by the plan: what is sent must still match it
        client.on_create(container, remote_name(prefix, rel), creation_headers(p))
        client.upload(
            container,
            remote_name(prefix, rel),
            payload,
            **upload_attributes(rel, p, blob),
            etag=blob.get("etag") if blob else None,
            create_only=blob is None,
            block_size=p.get("block_size") or 4 * MIB,
            single_put_size=SMALL_FILE,
            max_concurrency=threads,
            transactional_md5=bool(p.get("transactional_md5")),
            read_back=False,
        )

    small, large = _split_by_size(plan["copy"], local)
    _parallel(small, push, workers)
    for rel in large:
        push(rel, workers)
    _parallel(plan["delete"], lambda rel: client.delete_blob(container, remote_name(prefix, rel), "include"), workers)


def _pull(client, container: str, prefix: str, root: str, p: dict, plan: dict, paths: dict, remote: dict) -> list:
    """Download the blobs to copy to their checked ``paths`` (small ones in parallel), never through a symbolic link
    below ``root`` (AtomicFile with ``root``), then delete the extraneous local files (same rule). Returns ownership
    warnings."""
    os.makedirs(root, exist_ok=True)
    workers = p.get("max_concurrency") or 4

    def pull(rel: str, threads: int = 1) -> list:
        name = remote_name(prefix, rel)
        blob = client.get_blob(container, name)
        if blob is None:
            return []
        out = client.download(container, name, paths[rel], props=blob["properties"], max_concurrency=threads, root=root)
        return out.get("warnings") or []

    small, large = _split_by_size(plan["copy"], remote)
    warnings = [w for found in _parallel(small, pull, workers) for w in found]
    for rel in large:
        warnings += pull(rel, workers)
    for rel in plan["delete"]:
        unlink_under(root, rel.split("/"))
    return warnings


def sync_directory(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_sync: one-way, content-aware sync of a local directory and a container prefix. Uploads follow
    symbolic links only inside ``path`` (all with ``follow_symlinks``); downloads never follow one below ``path`` and
    check every blob name (``_download_paths``) before writing anything. ``skipped`` says what was left out."""
    container = validate_container_name(p["container"])
    root = p["path"]
    direction = p.get("direction") or "upload"
    prefix = p.get("prefix") or ""
    _check_sync_options(p, root, direction)
    include, exclude = p.get("include") or None, p.get("exclude") or None
    follow = "none" if direction == "download" else "all" if p.get("follow_symlinks") else "inside"
    local, skipped = _walk_local(root, include, exclude, follow) if os.path.isdir(root) else ({}, [])
    remote = _walk_remote(client, container, prefix, include, exclude, with_metadata=direction == "upload")
    source, target = (local, remote) if direction == "upload" else (remote, local)
    _hash_candidates(local, remote)
    if direction == "upload":
        for rel in local:
            validate_blob_name(remote_name(prefix, rel), "path")
    plan = sync_plan(source, target, bool(p.get("delete_extraneous")))
    _keep_skipped(plan, skipped)
    paths = _download_paths(root, prefix, remote, plan["copy"]) if direction == "download" else {}
    result = _sync_result(plan, source, target, direction)
    result["skipped"] = skipped
    if direction == "upload":
        names = {rel: remote_name(prefix, rel) for rel in plan["skip"]}
        update_settings(client, container, names, p, plan, remote, result, check_mode)
    if check_mode or not result["changed"]:
        return result
    if direction == "upload":
        _push(client, container, prefix, p, plan, local, remote)
    else:
        warnings = _pull(client, container, prefix, root, p, plan, paths, remote)
        if warnings:
            result["warnings"] = warnings
    return result
