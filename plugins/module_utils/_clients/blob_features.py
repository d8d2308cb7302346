# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Blob features beyond upload and download, mixed into BlobClient: page ranges, access tiers, blob index tags,
server-side copy from a URL, leases on containers and blobs, undelete. HTTP only; plain dicts in and out.

**Write context.** ``use_lease(container, blob, lease_id)`` makes every later write to that blob (or, with
``blob=None``, to that container) carry ``x-ms-lease-id`` ("Lease Blob": writes to a leased blob need it), whatever
method sends it, the upload paths included. ``on_create(container, blob, headers)`` adds headers (``x-ms-tags``,
``x-ms-access-tier``) to the requests that create the blob's content: Put Blob, Put Block List and Copy Blob.
``BlobClient._call`` asks ``_context_headers`` for both.
"""

from __future__ import annotations

import base64
import hashlib
import time

from .blob_features_wire import (
    extra_properties_from_headers,
    parse_blobs_by_tags,
    parse_page_list,
    parse_tags,
    tags_body,
)
from .blob_wire import CONTENT_SETTINGS, PAGE, blob_properties_from_headers, metadata_from_headers
from .._errors import IntegrityError, NotFoundError, OperationFailedError, PreconditionFailedError

#: Put Page writes at most 4 MiB per request ("Put Page": the range may be up to 4 MiB).
MAX_PUT_PAGE = 4 * 1024 * 1024
READ_CHUNK = 4 * 1024 * 1024
_CREATE_COMPS = (None, "blocklist")


class BlobFeatures:
    """Mixed into BlobClient; uses its ``_call``, ``get_blob``, ``set_blob_properties`` and ``transport``."""

    # -- write context --------------------------------------------------------------------------------------------
    def use_lease(self, container: str, blob: str | None, lease_id: str | None) -> None:
        """Send ``x-ms-lease-id: lease_id`` with every write to ``container/blob`` (``blob`` None: the container)."""
        if lease_id:
            self.__dict__.setdefault("_leases", {})[(container, blob)] = lease_id

    def on_create(self, container: str, blob: str, headers: dict) -> None:
        """Add ``headers`` to the requests that create ``container/blob``'s content (Put Blob, Put Block List, Copy
        Blob, Put Blob From URL)."""
        if headers:
            self.__dict__.setdefault("_create_headers_of", {})[(container, blob)] = dict(headers)

    def _context_headers(self, method: str, container, blob, query, headers: dict | None) -> dict:
        """``headers`` plus the lease ID and creation headers registered for the target of this request."""
        out = dict(headers or {})
        if method not in ("PUT", "DELETE") or container is None:
            return out
        comp = (query or {}).get("comp")
        lease = self.__dict__.get("_leases", {}).get((container, blob))
        if lease and comp != "lease" and "x-ms-lease-id" not in out:
            out["x-ms-lease-id"] = lease
        extra = self.__dict__.get("_create_headers_of", {}).get((container, blob))
        if extra and method == "PUT" and blob is not None and comp in _CREATE_COMPS:
            for key, value in extra.items():
                out.setdefault(key, value)
        return out

    # -- properties -----------------------------------------------------------------------------------------------
    def get_blob_full(self, container: str, blob: str, snapshot: str | None = None, version_id: str | None = None):
        """Like ``get_blob`` (``{name, properties, metadata}`` or None), with the tier, tag count, lease and copy
        properties too (``extra_properties_from_headers``)."""
        try:
            resp = self._call(
                "HEAD",
                container,
                blob,
                query={"snapshot": snapshot, "versionid": version_id},
                action="get properties of blob %s/%s" % (container, blob),
            )
        except NotFoundError:
            return None
        props = blob_properties_from_headers(resp.headers)
        props.update(extra_properties_from_headers(resp.headers))
        return {"name": blob, "properties": props, "metadata": metadata_from_headers(resp.headers)}

    def head_url(self, transport, url: str, action: str) -> dict | None:
        """Properties of the blob at an absolute ``url`` (another account, a SAS URL), read with ``transport``; None
        when it does not exist."""
        version = getattr(getattr(self, "settings", None), "api_version", None)
        try:
            resp = transport.request(
                "HEAD", url, headers={"x-ms-version": version} if version else {}, expected_status=(200,), action=action
            )
        except NotFoundError:
            return None
        props = blob_properties_from_headers(resp.headers)
        props.update(extra_properties_from_headers(resp.headers))
        return {"properties": props, "metadata": metadata_from_headers(resp.headers)}

    def set_content_md5(self, container: str, blob: str, md5: str | None, etag: str | None = None) -> None:
        """Store ``md5`` as the blob's Content-MD5, or clear it (None), keeping every other content setting (Set Blob
        Properties clears what it is not given)."""
        now = self.get_blob(container, blob)
        props = (now or {}).get("properties") or {}
        settings = {k: props.get(k) for k in CONTENT_SETTINGS}
        self.set_blob_properties(container, blob, settings, md5, etag=etag)

    # -- page blobs -----------------------------------------------------------------------------------------------
    def get_page_ranges(self, container: str, blob: str, offset: int | None = None, length: int | None = None) -> list:
        """The written page ranges ``[(start, length), ...]`` (Get Page Ranges), of the whole blob or of a range."""
        headers = {}
        if offset is not None and length:
            headers["x-ms-range"] = "bytes=%d-%d" % (offset, offset + length - 1)
        resp = self._call(
            "GET",
            container,
            blob,
            query={"comp": "pagelist"},
            headers=headers,
            action="get page ranges of %s/%s" % (container, blob),
        )
        return parse_page_list(resp.content)

    def read_range(self, container: str, blob: str, offset: int, length: int, etag: str | None = None) -> bytes:
        """The bytes ``offset`` to ``offset + length - 1`` of a blob (one ranged Get Blob, pinned to ``etag``).
        IntegrityError when the answer is not exactly that range."""
        headers = {"x-ms-range": "bytes=%d-%d" % (offset, offset + length - 1)}
        if etag:
            headers["If-Match"] = etag
        resp = self._call(
            "GET", container, blob, headers=headers, expected=(206, 200), action="read %s/%s" % (container, blob), stream=True
        )
        try:  # the bytes as stored: a Content-Encoding (gzip) is not decoded
            data = resp.raw.read(decode_content=False) if hasattr(resp, "raw") else resp.content
        finally:
            resp.close()
        if len(data) != length or (resp.status_code == 200 and offset != 0):
            raise IntegrityError(
                "read %s/%s: asked for %d bytes at %d, the answer (HTTP %d) held %d bytes"
                % (container, blob, length, offset, resp.status_code, len(data))
            )
        return data

    def page_blob_md5(self, container: str, blob: str, size: int, etag: str | None = None) -> str:
        """The base64 MD5 of a page blob's current content, computed from its bytes: only the written page ranges are
        read (the rest reads as zeros). The service does not keep Content-MD5 current after Put Page."""
        whole = hashlib.md5()
        pos = 0
        for start, length in self.get_page_ranges(container, blob):
            _feed_zeros(whole, start - pos)
            for off in range(start, start + length, READ_CHUNK):
                whole.update(self.read_range(container, blob, off, min(READ_CHUNK, start + length - off), etag))
            pos = start + length
        _feed_zeros(whole, size - pos)
        return base64.b64encode(whole.digest()).decode("ascii")

    def write_pages(self, container: str, blob: str, offset: int, data: bytes, etag: str | None) -> str:
        """Put Page ``data`` (a multiple of 512 bytes, at most 4 MiB) at ``offset`` with ``Content-MD5``, under
        ``If-Match: etag`` when given. Returns the blob's new ETag. A retry refused with 412 because the first attempt
        landed is accepted when the range now holds ``data``."""
        headers = {
            "x-ms-page-write": "update",
            "x-ms-range": "bytes=%d-%d" % (offset, offset + len(data) - 1),
            "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode("ascii"),
        }
        return self._page_request(container, blob, offset, data, headers, etag)

    def clear_pages(self, container: str, blob: str, offset: int, length: int, etag: str | None) -> str:
        """Clear (zero) ``length`` bytes at ``offset`` (Put Page with ``x-ms-page-write: clear``); returns the new
        ETag."""
        headers = {"x-ms-page-write": "clear", "x-ms-range": "bytes=%d-%d" % (offset, offset + length - 1)}
        return self._page_request(container, blob, offset, bytes(length), headers, etag, body=b"")

    def _page_request(self, container, blob, offset, data, headers, etag, body=None) -> str:
        if offset % PAGE or len(data) % PAGE:
            raise ValueError("page writes must start and end on a 512-byte boundary")
        if etag:
            headers["If-Match"] = etag
        try:
            resp = self._call(
                "PUT",
                container,
                blob,
                query={"comp": "page"},
                headers=headers,
                data=data if body is None else body,
                expected=(201,),
                action="%s pages %d-%d of %s/%s" % (headers["x-ms-page-write"], offset, offset + len(data) - 1, container, blob),
            )
            return resp.headers.get("ETag")
        except PreconditionFailedError as exc:
            now = self.get_blob(container, blob)
            if not etag or not now or self.read_range(container, blob, offset, len(data)) != data:
                raise exc
            return now["properties"].get("etag")

    # -- access tier ----------------------------------------------------------------------------------------------
    def set_blob_tier(self, container: str, blob: str, tier: str, rehydrate_priority: str | None = None) -> int:
        """Set Blob Tier. Returns 200 (done) or 202 (an archived blob is being rehydrated; it stays in Archive until
        then)."""
        headers = {"x-ms-access-tier": tier}
        if rehydrate_priority:
            headers["x-ms-rehydrate-priority"] = rehydrate_priority
        resp = self._call(
            "PUT",
            container,
            blob,
            query={"comp": "tier"},
            headers=headers,
            expected=(200, 202),
            action="set the access tier of %s/%s to %s" % (container, blob, tier),
        )
        return resp.status_code

    # -- index tags -----------------------------------------------------------------------------------------------
    def get_blob_tags(self, container: str, blob: str, snapshot: str | None = None, version_id: str | None = None) -> dict:
        """The blob's index tags (Get Blob Tags)."""
        resp = self._call(
            "GET",
            container,
            blob,
            query={"comp": "tags", "snapshot": snapshot, "versionid": version_id},
            action="get tags of %s/%s" % (container, blob),
        )
        return parse_tags(resp.content) if resp.content else {}

    def set_blob_tags(self, container: str, blob: str, tags: dict) -> None:
        """Replace the blob's index tags (Set Blob Tags; an empty dict removes them)."""
        self._call(
            "PUT",
            container,
            blob,
            query={"comp": "tags"},
            headers={"Content-Type": "application/xml; charset=utf-8"},
            data=tags_body(tags),
            expected=(204, 200),
            action="set tags of %s/%s" % (container, blob),
        )

    def find_blobs_by_tags(self, expression: str, container: str | None = None, max_results=None, marker=None) -> dict:
        """Find Blobs by Tags in the account, or in one container: ``{blobs: [{name, container, tags}],
        next_marker}``; every page, or the first ``max_results`` with the marker to go on."""
        blobs: list = []
        while True:
            query = {"comp": "blobs", "where": expression, "maxresults": max_results, "marker": marker}
            if container:
                query["restype"] = "container"
            resp = self._call("GET", container, query=query, action="find blobs by tags (%s)" % expression)
            page = parse_blobs_by_tags(resp.content)
            blobs.extend(page["blobs"])
            marker = page["next_marker"]
            if not marker or max_results:
                return {"blobs": blobs, "next_marker": marker}

    # -- copy from a URL ------------------------------------------------------------------------------------------
    def start_copy(self, container: str, blob: str, source_url: str, headers: dict | None = None) -> dict:
        """Copy Blob (asynchronous, any size and type): ``{copy_id, copy_status}`` (``success`` or ``pending``)."""
        hdrs = dict(headers or {})
        hdrs["x-ms-copy-source"] = source_url
        resp = self._call("PUT", container, blob, headers=hdrs, expected=(202,), action="copy onto %s/%s" % (container, blob))
        return {"copy_id": resp.headers.get("x-ms-copy-id"), "copy_status": resp.headers.get("x-ms-copy-status")}

    def put_blob_from_url(self, container: str, blob: str, source_url: str, headers: dict | None = None) -> dict:
        """Put Blob From URL (synchronous; a block blob up to 5000 MiB is created from the source in one request).
        Returns ``{etag}``."""
        hdrs = dict(headers or {})
        hdrs.update({"x-ms-copy-source": source_url, "x-ms-blob-type": "BlockBlob"})
        resp = self._call(
            "PUT", container, blob, headers=hdrs, data=b"", expected=(201,), action="put %s/%s from a URL" % (container, blob)
        )
        return {"etag": resp.headers.get("ETag")}

    def abort_copy(self, container: str, blob: str, copy_id: str) -> None:
        """Abort Copy Blob: the destination is left empty, with its metadata."""
        self._call(
            "PUT",
            container,
            blob,
            query={"comp": "copy", "copyid": copy_id},
            headers={"x-ms-copy-action": "abort"},
            expected=(204,),
            action="abort the copy onto %s/%s" % (container, blob),
        )

    def wait_copy(self, container: str, blob: str, copy_id: str | None, timeout: float, poll_max: float = 10.0) -> dict:
        """Poll the destination until its copy ``copy_id`` is no longer pending; returns the blob (``get_blob_full``).
        OperationFailedError when it failed or was aborted, another copy replaced it, or it is still pending after
        ``timeout`` seconds (the copy goes on in the service)."""
        deadline, delay = time.monotonic() + timeout, 0.5
        while True:
            now = self.get_blob_full(container, blob)
            props = (now or {}).get("properties") or {}
            status = props.get("copy_status")
            if copy_id and props.get("copy_id") not in (None, copy_id):
                why = "another copy onto the blob started meanwhile (copy ID %s)" % props.get("copy_id")
            elif status in (None, "success"):
                return now
            elif status != "pending":
                why = "the copy ended %s: %s" % (status, props.get("copy_status_description") or "no description")
            elif time.monotonic() >= deadline:
                why = "the copy is still pending after %d s (progress %s); it goes on in the service" % (
                    timeout,
                    props.get("copy_progress"),
                )
            else:
                self.transport.sleep(delay)
                delay = min(delay * 2, poll_max)
                continue
            raise OperationFailedError("copy onto %s/%s: %s" % (container, blob, why), details={"copy": props})

    # -- leases ---------------------------------------------------------------------------------------------------
    def lease(self, container: str, blob: str | None, action: str, **kw) -> dict:
        """Lease Blob or Lease Container (``blob`` None): ``action`` acquire, renew, change, release or break, with
        ``lease_id``, ``duration`` (-1 or 15-60), ``break_period`` (0-60), ``proposed_id``. Returns ``{lease_id,
        lease_time, etag}``."""
        headers = {"x-ms-lease-action": action}
        for key, header in (
            ("lease_id", "x-ms-lease-id"),
            ("duration", "x-ms-lease-duration"),
            ("break_period", "x-ms-lease-break-period"),
            ("proposed_id", "x-ms-proposed-lease-id"),
        ):
            if kw.get(key) is not None:
                headers[header] = str(kw[key])
        query = {"comp": "lease"}
        if blob is None:
            query["restype"] = "container"
        what = container if blob is None else "%s/%s" % (container, blob)
        resp = self._call(
            "PUT",
            container,
            blob,
            query=query,
            headers=headers,
            expected=(200, 201, 202),
            action="%s lease on %s" % (action, what),
        )
        lease_time = resp.headers.get("x-ms-lease-time")
        return {
            "lease_id": resp.headers.get("x-ms-lease-id"),
            "lease_time": int(lease_time) if lease_time not in (None, "") else None,
            "etag": resp.headers.get("ETag"),
        }

    # -- soft delete ----------------------------------------------------------------------------------------------
    def undelete_blob(self, container: str, blob: str) -> None:
        """Undelete Blob: restores a soft-deleted blob and its soft-deleted snapshots (accounts with blob soft delete
        and without versioning)."""
        self._call(
            "PUT", container, blob, query={"comp": "undelete"}, expected=(200,), action="undelete %s/%s" % (container, blob)
        )


def _feed_zeros(digest, count: int) -> None:
    """Feed ``count`` zero bytes into ``digest`` in bounded pieces."""
    zero = bytes(min(max(count, 0), READ_CHUNK))
    while count > 0:
        digest.update(zero[: min(count, READ_CHUNK)])
        count -= READ_CHUNK
