# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_sync: the sync plan (pure) and the one-way, content-aware sync of a directory and a container prefix."""

from __future__ import annotations

import fnmatch
import mimetypes
import os

from .._clients.blob import Payload
from .._clients.blob_wire import MIB, validate_blob_name, validate_container_name
from .._errors import ConfigError
from .._localfile import file_md5
from .blob import _positive


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
def _walk_local(root: str, include, exclude) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fname in filenames:
            full = os.path.join(dirpath, fname)
            if not os.path.isfile(full):
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if selected(rel, include, exclude):
                out[rel] = {"size": os.path.getsize(full), "md5": None, "path": full}
    return out


def _walk_remote(client, container: str, prefix: str, include, exclude) -> dict:
    folder = prefix.strip("/")
    list_prefix = folder + "/" if folder else None
    out = {}
    for page in client.iter_blob_pages(container, prefix=list_prefix):
        for b in page["blobs"]:
            rel = b["name"][len(list_prefix) :] if list_prefix else b["name"]
            if not rel or rel.endswith("/") or not selected(rel, include, exclude):
                continue
            props = b["properties"]
            out[rel] = {"size": props.get("content_length"), "md5": props.get("content_md5"), "etag": props.get("etag")}
    return out


def _check_sync_options(p: dict, root: str, direction: str) -> None:
    """ConfigError for positive-number options and for a ``path`` that is not (or cannot become) a directory."""
    _positive(p, "block_size", "max_concurrency")
    if direction == "upload" and not os.path.isdir(root):
        raise ConfigError("path: %s is not a directory" % root)
    if direction == "download" and os.path.exists(root) and not os.path.isdir(root):
        raise ConfigError("path: %s exists and is not a directory" % root)


def _hash_candidates(local: dict, remote: dict) -> None:
    """Fill in the MD5 of the local files whose size equals their blob's (the only ones that may be skipped)."""
    for rel, entry in local.items():
        other = remote.get(rel)
        if other is not None and other.get("size") == entry["size"]:
            entry["md5"] = file_md5(entry["path"])


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


def _push(client, container: str, prefix: str, p: dict, plan: dict, local: dict, remote: dict) -> None:
    """Upload the files to copy (each guarded by its blob's ETag, or create-only) and delete the extraneous blobs."""
    for rel in plan["copy"]:
        blob = remote.get(rel)
        client.upload(
            container,
            remote_name(prefix, rel),
            Payload(path=local[rel]["path"]),
            settings={"content_type": mimetypes.guess_type(rel)[0] or "application/octet-stream"},
            metadata={},
            etag=blob.get("etag") if blob else None,
            create_only=blob is None,
            block_size=p.get("block_size") or 4 * MIB,
            max_concurrency=p.get("max_concurrency") or 4,
        )
    for rel in plan["delete"]:
        client.delete_blob(container, remote_name(prefix, rel), "include")


def _pull(client, container: str, prefix: str, root: str, p: dict, plan: dict, local: dict) -> None:
    """Download the blobs to copy under ``root`` (never outside it) and delete the extraneous local files."""
    for rel in plan["copy"]:
        dest = os.path.join(root, *rel.split("/"))
        if os.path.commonpath([os.path.abspath(dest), os.path.abspath(root)]) != os.path.abspath(root) or ".." in rel.split("/"):
            raise ConfigError("prefix: the blob %r would be written outside path; refusing" % remote_name(prefix, rel))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        name = remote_name(prefix, rel)
        blob = client.get_blob(container, name)
        if blob is None:
            continue
        client.download(container, name, dest, props=blob["properties"], max_concurrency=p.get("max_concurrency") or 4)
    for rel in plan["delete"]:
        os.unlink(local[rel]["path"])


def sync_directory(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_sync: one-way, content-aware sync of a local directory and a container prefix."""
    container = validate_container_name(p["container"])
    root = p["path"]
    direction = p.get("direction") or "upload"
    prefix = p.get("prefix") or ""
    _check_sync_options(p, root, direction)
    include, exclude = p.get("include") or None, p.get("exclude") or None
    local = _walk_local(root, include, exclude) if os.path.isdir(root) else {}
    remote = _walk_remote(client, container, prefix, include, exclude)
    source, target = (local, remote) if direction == "upload" else (remote, local)
    _hash_candidates(local, remote)
    for rel in local:
        validate_blob_name(remote_name(prefix, rel), "path")
    plan = sync_plan(source, target, bool(p.get("delete_extraneous")))
    result = _sync_result(plan, source, target, direction)
    if check_mode or not result["changed"]:
        return result
    if direction == "upload":
        _push(client, container, prefix, p, plan, local, remote)
    else:
        _pull(client, container, prefix, root, p, plan, local)
    return result
