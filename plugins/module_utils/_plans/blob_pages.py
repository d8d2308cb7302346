# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_pages: write bytes of a local file into a range of an existing page blob, or clear a range
(Put Page, https://learn.microsoft.com/rest/api/storageservices/put-page), idempotently.

The range is read first (ranged Get Blob) and compared with the wanted bytes 4 MiB at a time; only the 512-byte pages
that differ are written, each request under ``If-Match`` on the ETag the previous one returned, so a concurrent
writer makes the task fail instead of mixing. The service does not update Content-MD5 after Put Page: afterwards the
stored MD5 is updated (computed from the blob's bytes) or cleared, per ``content_md5``, so it is never stale.
"""

from __future__ import annotations

import base64
import hashlib
import os

from .._clients.blob_features import MAX_PUT_PAGE
from .._clients.blob_wire import PAGE, validate_blob_name, validate_container_name
from .._errors import AzureRestError, ConfigError, NotFoundError
from .blob_features import explain_lease_error

#: With content_md5=auto, a blob up to this size gets its MD5 recomputed after a write; a larger one has it cleared.
AUTO_MD5_LIMIT = 256 * 1024 * 1024


def _b64(digest) -> str:
    return base64.b64encode(digest.digest()).decode("ascii")


def _aligned(name: str, value: int) -> None:
    if value % PAGE:
        raise ConfigError(
            "%s: %d is not a multiple of 512; page blobs are written in 512-byte pages (round it to %d or %d)"
            % (name, value, value - value % PAGE, value - value % PAGE + PAGE)
        )


def page_request(p: dict, size: int) -> dict:
    """The validated request: ``{offset, length, src, src_offset}``. ConfigError naming the option and the fix for an
    unaligned offset or length, a range beyond the blob or the file, or a missing ``src``/``length``."""
    offset, src_offset = p.get("offset") or 0, p.get("src_offset") or 0
    if offset < 0 or src_offset < 0:
        raise ConfigError("offset and src_offset: give positions of 0 or more")
    _aligned("offset", offset)
    length = p.get("length")
    src = p.get("src") if p.get("state", "present") == "present" else None
    if p.get("state", "present") == "present":
        if not src:
            raise ConfigError("src: give the local file whose bytes go into the blob (or state=absent to clear a range)")
        try:
            file_size = os.stat(src).st_size
        except OSError as exc:
            raise ConfigError("src: cannot read %s: %s" % (src, exc.strerror)) from None
        if length is None:
            length = file_size - src_offset
        if src_offset + length > file_size:
            raise ConfigError(
                "length: the file %s has %d bytes; %d bytes from src_offset %d run past its end"
                % (src, file_size, length, src_offset)
            )
    elif length is None:
        raise ConfigError("length: give the number of bytes to clear (a multiple of 512)")
    if length <= 0:
        raise ConfigError("length: %d; give a positive number of bytes (a multiple of 512)" % length)
    _aligned("length", length)
    if offset + length > size:
        raise ConfigError(
            "offset: the range %d-%d ends beyond the blob's %d bytes; page writes do not grow a page blob. Write less, "
            "or resize the blob first (signet.azure.storage_blob with blob_type=page and a larger src)"
            % (offset, offset + length - 1, size)
        )
    return {"offset": offset, "length": length, "src": src, "src_offset": src_offset}


def local_chunks(req: dict, chunk: int = MAX_PUT_PAGE):
    """Yield ``(blob offset, wanted bytes)`` pieces of at most ``chunk`` bytes: the file's bytes, or zeros to clear."""
    end = req["offset"] + req["length"]
    if req["src"] is None:
        for off in range(req["offset"], end, chunk):
            yield off, bytes(min(chunk, end - off))
        return
    with open(req["src"], "rb") as fh:
        fh.seek(req["src_offset"])
        for off in range(req["offset"], end, chunk):
            want = min(chunk, end - off)
            data = fh.read(want)
            if len(data) != want:
                raise ConfigError("src: %s shrank while it was read" % req["src"])
            yield off, data


def differing_runs(current: bytes, wanted: bytes, base: int) -> list[tuple[int, int]]:
    """The runs of 512-byte pages where ``current`` and ``wanted`` (equal lengths, starting at blob offset ``base``)
    differ, as ``[(blob offset, length), ...]``, adjacent pages merged."""
    runs: list[tuple[int, int]] = []
    start = None
    for pos in range(0, len(wanted), PAGE):
        same = current[pos : pos + PAGE] == wanted[pos : pos + PAGE]
        if not same and start is None:
            start = pos
        elif same and start is not None:
            runs.append((base + start, pos - start))
            start = None
    if start is not None:
        runs.append((base + start, len(wanted) - start))
    return runs


def _write_run(client, container, name, req, run, data, etag) -> str:
    """One Put Page (update, or clear when the request clears); returns the new ETag."""
    start, length = run
    if req["src"] is None:
        return client.clear_pages(container, name, start, length, etag)
    return client.write_pages(container, name, start, data, etag)


def _converge(client, container: str, name: str, req: dict, etag: str, check_mode: bool) -> dict:
    """Compare the range chunk by chunk and (unless ``check_mode``) write the pages that differ. Returns ``{runs,
    bytes, before_md5, after_md5, etag}``."""
    before, after = hashlib.md5(), hashlib.md5()
    out = {"runs": [], "bytes": 0, "etag": etag}
    for off, wanted in local_chunks(req):
        current = client.read_range(container, name, off, len(wanted), out["etag"])
        before.update(current)
        after.update(wanted)
        for run in differing_runs(current, wanted, off):
            out["runs"].append(list(run))
            out["bytes"] += run[1]
            if not check_mode:
                piece = wanted[run[0] - off : run[0] - off + run[1]]
                try:
                    out["etag"] = _write_run(client, container, name, req, run, piece, out["etag"])
                except AzureRestError as exc:
                    exc.details.update(changed=len(out["runs"]) > 1, written=out["runs"][:-1])
                    raise
    out.update(before_md5=_b64(before), after_md5=_b64(after))
    return out


def _md5_action(mode: str, stored: str | None, size: int) -> str:
    """What to do with the stored Content-MD5 after a page write: ``update``, ``clear`` or ``none`` (there is none)."""
    if mode == "auto":
        if not stored:
            return "none"
        return "update" if size <= AUTO_MD5_LIMIT else "clear"
    return mode


def _fix_md5(client, container: str, name: str, action: str, size: int, etag: str) -> str | None:
    """Make the stored Content-MD5 true again after our page writes; returns the MD5 now stored (None: cleared)."""
    if action == "none":
        return None
    md5 = client.page_blob_md5(container, name, size, etag) if action == "update" else None
    try:
        client.set_content_md5(container, name, md5, etag=etag)
    except AzureRestError as exc:
        exc.msg += (
            "\nThe pages were written; only the blob's Content-MD5 could not be %s, so it may be stale. Run the task again, "
            "or set content_md5=clear" % ("updated" if md5 else "cleared")
        )
        exc.details["changed"] = True
        raise
    return md5


def ensure_pages(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_pages: write ``src`` (from ``src_offset``, ``length`` bytes) at ``offset`` of an existing page
    blob (``state=present``), or clear ``length`` bytes at ``offset`` (``state=absent``); then keep Content-MD5 true."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    client.use_lease(container, name, p.get("lease_id"))
    blob = client.get_blob(container, name)
    if blob is None:
        raise NotFoundError(
            "write pages of %s/%s: the blob does not exist; create it first, for example with signet.azure.storage_blob "
            "and blob_type=page" % (container, name),
            status=404,
            error_code="BlobNotFound",
        )
    props = blob["properties"]
    if props.get("blob_type") != "page":
        raise ConfigError(
            "name: %s/%s is a %s blob; page ranges exist only in page blobs" % (container, name, props.get("blob_type"))
        )
    size = props.get("content_length") or 0
    req = page_request(p, size)
    try:
        done = _converge(client, container, name, req, props.get("etag"), check_mode)
    except AzureRestError as exc:
        raise explain_lease_error(exc) from None
    span = "bytes=%d-%d" % (req["offset"], req["offset"] + req["length"] - 1)
    action = _md5_action(p.get("content_md5") or "auto", props.get("content_md5"), size) if done["runs"] else "none"
    result = {
        "changed": bool(done["runs"]),
        "range": span,
        "written": done["runs"],
        "bytes_written": done["bytes"],
        "content_md5_action": action,
        "blob": blob,
        "diff": {
            "before": {"range": span, "range_md5": done["before_md5"], "content_md5": props.get("content_md5")},
            "after": {"range": span, "range_md5": done["after_md5"], "content_md5": props.get("content_md5")},
        },
    }
    if done["runs"] and not check_mode:
        result["diff"]["after"]["content_md5"] = _fix_md5(client, container, name, action, size, done["etag"])
        result["blob"] = client.get_blob(container, name)
    elif done["runs"]:
        result["diff"]["after"]["content_md5"] = {"update": "(recomputed)", "clear": None}.get(action, props.get("content_md5"))
    return result
