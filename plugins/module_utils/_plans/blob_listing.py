# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_info: one blob, or the listing of a container, returned in the result (under ``result_limit``) or
streamed page by page to a local JSON Lines file (``dest``), so that the memory used stays that of one page
whatever the number of blobs. No AnsibleModule, no HTTP of its own (the client lists, AtomicFile writes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

from .._clients.blob_wire import validate_blob_name, validate_container_name
from .._errors import ConfigError
from .._localfile import AtomicFile, file_md5, regular_file
from .blob import _positive

#: Entries per List Blobs request unless ``page_size`` says otherwise (the service's maximum).
PAGE_SIZE = 5000
#: A listing returned in the result with more entries than this (and no ``result_limit``) comes with a warning.
LARGE_RESULT = 50000
_LINE = json.JSONEncoder(separators=(",", ":"))


def check_listing_options(p: dict) -> None:
    """ConfigError naming ``max_results``, ``page_size`` or ``result_limit`` when it is out of range."""
    if p.get("max_results") is not None and p["max_results"] < 1:
        raise ConfigError("max_results: give a positive number, or leave it unset for every page")
    if p.get("page_size") is not None and not 1 <= p["page_size"] <= PAGE_SIZE:
        raise ConfigError("page_size: %d is out of range; give 1 to %d entries per request" % (p["page_size"], PAGE_SIZE))
    _positive(p, "result_limit")


def listing_pages(client, container: str, p: dict):
    """The pages (``{blobs, prefixes, next_marker}``) the options ask for: one of at most ``max_results`` entries
    (its ``next_marker`` says where to go on), or every page from ``marker``, ``page_size`` entries per request."""
    if p.get("max_results"):
        yield client.list_blobs(
            container, p.get("prefix"), p.get("delimiter"), p.get("include"), p["max_results"], p.get("marker")
        )
        return
    yield from client.iter_blob_pages(
        container,
        p.get("prefix"),
        p.get("delimiter"),
        p.get("include"),
        page_size=p.get("page_size") or PAGE_SIZE,
        marker=p.get("marker"),
    )


def list_into_result(client, container: str, p: dict) -> dict:
    """The listing in the result: ``{blobs, prefixes, next_marker, count, prefix_count}``. With ``result_limit``
    (and not ``max_results``), a listing that goes past it stops there (nothing more is read) with a ConfigError
    naming ``dest`` and ``max_results``; without it, a result of more than ``LARGE_RESULT`` entries carries a
    warning saying so."""
    limit = None if p.get("max_results") else p.get("result_limit")  # max_results is a limit of its own
    blobs: list = []
    prefixes: list = []
    next_marker = None
    for page in listing_pages(client, container, p):
        blobs.extend(page["blobs"])
        prefixes.extend(page["prefixes"])
        next_marker = page["next_marker"] if p.get("max_results") else None
        if limit is not None and len(blobs) + len(prefixes) > limit:
            raise ConfigError(
                "result_limit: the listing of container %s has more than %d entries; set dest to write it to a file "
                "(JSON Lines, in constant memory), max_results to read it one page at a time, or raise result_limit"
                % (container, limit),
                details={"result_limit": limit},
            )
    result = {
        "changed": False,
        "blobs": blobs,
        "prefixes": prefixes,
        "next_marker": next_marker,
        "count": len(blobs),
        "prefix_count": len(prefixes),
    }
    if limit is None and len(blobs) + len(prefixes) > LARGE_RESULT:
        result["warnings"] = [
            "the listing of container %s returns %d entries in the result, which Ansible holds in memory (and the "
            "callbacks print); set dest to write it to a file, or max_results to page through it (result_limit turns "
            "this warning into a failure)" % (container, len(blobs) + len(prefixes))
        ]
    return result


def page_lines(page: dict) -> bytes:
    """The JSON Lines of a page: one line per blob (the dict of the ``blobs`` result), then one ``{"prefix": ...}``
    line per virtual folder; UTF-8, ASCII-escaped, every line ending with a newline."""
    lines = [_LINE.encode(b) for b in page["blobs"]]
    lines += [_LINE.encode({"prefix": name}) for name in page["prefixes"]]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def listing_dest(dest: str) -> tuple[str, dict]:
    """``(dest, state)``: the file to write and its ``{path, size, md5}`` now (``size``/``md5`` None when it is not
    a regular file). ConfigError naming ``dest`` when it is a directory or its directory does not exist."""
    if os.path.isdir(dest):
        raise ConfigError("dest: %s is a directory; give the path of the file to write the listing to" % dest)
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise ConfigError("dest: the directory %s does not exist; create it first" % directory)
    st = regular_file(dest, follow=False)
    try:
        md5 = file_md5(dest, follow=False) if st is not None else None
    except FileNotFoundError:
        st, md5 = None, None
    return dest, {"path": dest, "size": st.st_size if st is not None else None, "md5": md5}


def _stream(pages, sink) -> dict:
    """Feed the JSON Lines of ``pages`` to ``sink(data, offset)``: ``{size, md5, count, prefix_count,
    next_marker}``; one page is held at a time."""
    digest = hashlib.md5()
    out = {"size": 0, "count": 0, "prefix_count": 0, "next_marker": None}
    for page in pages:
        data = page_lines(page)
        if data:
            sink(data, out["size"])
            digest.update(data)
        out["size"] += len(data)
        out["count"] += len(page["blobs"])
        out["prefix_count"] += len(page["prefixes"])
        out["next_marker"] = page["next_marker"]
    out["md5"] = base64.b64encode(digest.digest()).decode("ascii")
    return out


def list_to_file(client, container: str, p: dict, check_mode: bool) -> dict:
    """Write the listing to ``dest`` (``page_lines``), replacing the file atomically (AtomicFile) only when its
    content differs: ``changed`` says whether it did (in check mode, whether it would; nothing is written). The
    result has the counts, ``dest`` and empty ``blobs``/``prefixes``."""
    dest, before = listing_dest(p["dest"])
    pages = listing_pages(client, container, p)
    warnings: list = []
    if check_mode:
        done = _stream(pages, lambda data, offset: None)
        changed = (before["size"], before["md5"]) != (done["size"], done["md5"])
    else:
        action = "write the listing of container %s to dest" % container
        with AtomicFile(dest, action, "the listing") as out:
            done = _stream(pages, out.pwrite)
            out.close(done["size"])
            changed = not out.dest_equals(done["md5"])
            if changed:
                out.commit()
                warnings = out.warnings
    result = {
        "changed": changed,
        "dest": dest,
        "blobs": [],
        "prefixes": [],
        "count": done["count"],
        "prefix_count": done["prefix_count"],
        "next_marker": done["next_marker"] if p.get("max_results") else None,
        "diff": {"before": before, "after": {"path": dest, "size": done["size"], "md5": done["md5"]}},
    }
    if warnings:
        result["warnings"] = warnings
    return result


def blob_info(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_info: one blob's properties and metadata, or the listing (in the result, or to ``dest``)."""
    container = validate_container_name(p["container"])
    if p.get("name"):
        b = client.get_blob(container, validate_blob_name(p["name"]), p.get("snapshot"), p.get("version_id"))
        return {"changed": False, "exists": b is not None, "blob": b, "blobs": [b] if b else [], "prefixes": []}
    check_listing_options(p)
    if p.get("dest"):
        return list_to_file(client, container, p, check_mode)
    return list_into_result(client, container, p)
