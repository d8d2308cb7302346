# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""BlobClient: containers and blobs on the Blob service REST API, over the collection's Transport.

Contract: every method takes and returns plain Python values (dicts with snake_case keys), raises AzureRestError
subclasses, and never imports AnsibleModule. Uploads and downloads are chunked, parallel and memory-bounded, whatever
the file size: a block being uploaded is read from the file piece by piece as it is sent (one READ_PIECE buffer per
worker), a download holds at most ``max_concurrency + 1`` chunks. Each worker thread uses its own
Transport and requests Session (a Session is not guaranteed to be thread-safe).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import os
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .paging import PageGuard
from .blob_wire import (
    BLOB_TYPES,
    CONTENT_SETTINGS,
    MAX_APPEND_BLOCK,
    MAX_PAGE_RANGE,
    MIB,
    PAGE,
    blob_path,
    blob_properties_from_headers,
    block_id,
    chunk_ranges,
    container_path,
    container_properties_from_headers,
    metadata_from_headers,
    metadata_headers,
    nonzero_page_ranges,
    parse_blob_list,
    parse_container_list,
    pick_block_size,
    query_string,
    round_up_page,
)
from .blob_safe import SafeWrites, ambiguous, first_line, mark
from .blob_features import BlobFeatures
from .._errors import AzureRestError, ConfigError, ConflictError, IntegrityError, NotFoundError, PreconditionFailedError
from .._localfile import AtomicFile
from .._retry import RetryPolicy

DEFAULT_BLOCK_SIZE = 4 * MIB
DEFAULT_SINGLE_PUT = 8 * MIB
DEFAULT_CONCURRENCY = 4
DEFAULT_DOWNLOAD_CHUNK = 4 * MIB
STREAM_PIECE = 256 * 1024
#: an upload reads its source in pieces of this size (one reused buffer per reader)
READ_PIECE = MIB
#: Retries of one range read whose body came back short (reset or truncated), after the first attempt.
RANGE_READ_RETRIES = 1
_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
UNCOMMITTED_NOTE = (
    "The existing blob, if any, is unchanged; blocks staged by this upload are uncommitted, invisible to readers, "
    "harmless, and discarded by the service after 7 days."
)


def _body_pieces(resp):
    """The body of a streamed answer in STREAM_PIECE pieces, exactly as stored: a blob's Content-Encoding (gzip for a
    static site) describes its bytes and is never decoded here (``requests`` would decompress them)."""
    raw = getattr(resp, "raw", None)
    if hasattr(raw, "stream"):
        return raw.stream(STREAM_PIECE, decode_content=False)
    return resp.iter_content(STREAM_PIECE)


def b64md5(digest) -> str:
    """Base64 of an MD5 digest object or bytes, as Azure shows Content-MD5."""
    raw = digest.digest() if hasattr(digest, "digest") else digest
    return base64.b64encode(raw).decode("ascii")


def md5_b64(data: bytes) -> str:
    return b64md5(hashlib.md5(data))


class Payload:
    """What to upload: a local file (``path``) or in-memory bytes (``content``). ``pad_to`` pads with zeros (page
    blobs). ``open()`` returns a fresh binary file object positioned at 0."""

    def __init__(self, path: str | None = None, content: bytes | None = None, pad_to_page: bool = False):
        if (path is None) == (content is None):
            raise ValueError("give exactly one of path or content")
        self.path = path
        self.content = content
        #: base64 MD5 of the payload when ``digest()`` computed it (before the upload), else None
        self.expected_md5: str | None = None
        self._stat = None
        if path is not None:
            try:
                st = os.stat(path)
            except OSError as exc:
                raise ConfigError("src: cannot read %s: %s" % (path, exc.strerror)) from None
            if not os.path.isfile(path):
                raise ConfigError("src: %s is not a regular file" % path)
            self.raw_size = st.st_size
            self._stat = (st.st_size, st.st_mtime_ns)
        else:
            self.raw_size = len(content)
        self.size = round_up_page(self.raw_size) if pad_to_page else self.raw_size

    def check_unchanged(self, sent_md5: str, sent_size: int | None = None) -> None:
        """IntegrityError when the source file changed since this payload was made: its size or mtime_ns now differ,
        ``sent_size`` is not the planned size, or ``sent_md5`` (the MD5 of what was sent) differs from the MD5
        ``digest()`` computed before the upload. Called before the upload is committed, so the message can say that
        the blob is unchanged."""
        why = None
        if sent_size is not None and sent_size != self.size:
            why = "%d bytes were read, %d were planned" % (sent_size, self.size)
        elif self.expected_md5 is not None and sent_md5 != self.expected_md5:
            why = "the data read for the upload (MD5 %s) is not the data planned (MD5 %s)" % (sent_md5, self.expected_md5)
        elif self._stat is not None:
            try:
                st = os.stat(self.path)
                now = (st.st_size, st.st_mtime_ns)
            except OSError as exc:
                now = exc.strerror
            if now != self._stat:
                why = "size and mtime were %s and are now %s" % (self._stat, now)
        if why:
            raise self.changed(why)

    def changed(self, why: str) -> IntegrityError:
        """The error for a source that changed before the commit (nothing was committed)."""
        return IntegrityError(
            "src: the file %s changed during the upload (%s); nothing was committed, the blob is unchanged. Upload "
            "it again once it is no longer being written" % (self.path or "content", why),
            details={"changed": False, "blob_content": "old"},
        )

    def open(self):
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.content)

    def chunks(self, chunk: int, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """Yield ``(offset, data)`` pieces of at most ``chunk`` bytes from ``start``, zero-padded up to ``size``."""
        with self.open() as fh:
            fh.seek(start)
            offset = start
            while offset < self.size:
                want = min(chunk, self.size - offset)
                data = fh.read(want)
                if len(data) < want:
                    if offset + len(data) < self.raw_size:
                        raise IntegrityError("src: the file shrank while it was read (%s)" % (self.path or "content"))
                    data += bytes(want - len(data))
                yield offset, data
                offset += want

    def pieces(self, offset: int, length: int, piece: int = READ_PIECE) -> Iterator[memoryview]:
        """Yield ``length`` bytes from ``offset`` as views of one reused buffer of at most ``piece`` bytes (of the
        content itself for in-memory bytes), zero-padded beyond the file up to ``size``. A view is valid until the
        next one is asked for: hash or send it, do not keep it. Only reads before a commit use it (the hashing pass,
        a staged block): a file that shrank is reported as changed during the upload, nothing committed."""
        end = offset + length
        if self.content is not None:
            data = memoryview(self.content)
            for start in range(offset, end, piece):
                stop = min(start + piece, end)
                chunk = data[start : min(stop, self.raw_size)]
                if len(chunk) < stop - start:  # the zero padding of a page blob
                    chunk = memoryview(bytes(chunk) + bytes(stop - start - len(chunk)))
                yield chunk
            return
        buf = memoryview(bytearray(max(1, min(piece, length))))
        with open(self.path, "rb", buffering=0) as fh:
            fh.seek(offset)
            while offset < end:
                want = min(piece, end - offset)
                got = fh.readinto(buf[:want]) if offset < self.raw_size else 0
                if not got:
                    if offset < self.raw_size:
                        raise self.changed("it shrank to %d bytes while it was read" % offset)
                    got = min(want, end - offset)
                    buf[:got] = bytes(got)
                yield buf[:got]
                offset += got

    def digest(self, prefix_len: int | None = None) -> dict:
        """``{size, md5, prefix_md5}``: MD5s (base64) of the whole (padded) payload and of its first ``prefix_len``
        bytes, computed in one pass with bounded memory."""
        whole = hashlib.md5()
        prefix = hashlib.md5() if prefix_len is not None else None
        offset = 0
        for data in self.pieces(0, self.size):
            whole.update(data)
            if prefix is not None and offset < prefix_len:
                prefix.update(data[: max(0, prefix_len - offset)])
            offset += len(data)
        out = {"size": self.size, "md5": b64md5(whole), "prefix_md5": None}
        if prefix is not None and prefix_len <= self.size:
            out["prefix_md5"] = b64md5(prefix)
        self.expected_md5 = out["md5"]
        return out


class _RangeBody:
    """A request body: ``length`` bytes of a payload from ``offset``, read piece by piece while it is sent. It has a
    length (``requests`` sends Content-Length, which Shared Key signs) and is iterable again (a retry re-sends it
    from the start). ``requests`` and ``http.client`` send each piece before they ask for the next, so the pieces
    may share one buffer."""

    def __init__(self, payload, offset: int, length: int):
        self.payload, self.offset, self.length = payload, offset, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        return self.payload.pieces(self.offset, self.length)


def _parsed(parse, resp, action: str) -> dict:
    """A listing page parsed, or IntegrityError naming the action when the answer is not the XML it should be."""
    try:
        return parse(resp.content)
    except (ValueError, AttributeError, TypeError) as exc:
        raise IntegrityError("%s: the service's answer is not a valid listing (%s)" % (action, str(exc)[:200])) from None


class BlobClient(SafeWrites, BlobFeatures):
    """Blob service client. ``settings`` is a StorageSettings, ``transport`` a signed Transport for its blob endpoint.
    ``warnings`` collects what a successful call could not tidy up (a temporary blob left behind), for the module to
    show."""

    def __init__(self, settings, transport):
        self.settings = settings
        self.transport = transport
        self.warnings: list[str] = []
        self.base_url = settings.service_url("blob").rstrip("/")
        self._local = threading.local()
        self._sessions: list = []
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------------------------
    def url(self, container: str | None = None, blob: str | None = None, query=None) -> str:
        """The request URL, built with the one encoder of blob_wire (path and query)."""
        if container is None:
            path = "/"
        elif blob is None:
            path = container_path(container)
        else:
            path = blob_path(container, blob)
        qs = query_string(query or {})
        return self.base_url + path + ("?" + qs if qs else "")

    def _transport(self):
        """This thread's Transport: the main one on the calling thread, else a copy with its own Session."""
        if threading.current_thread() is threading.main_thread():
            return self.transport
        t = getattr(self._local, "transport", None)
        if t is None:
            t = copy.copy(self.transport)
            t.session = type(self.transport.session)()
            for prefix, adapter in getattr(self.transport.session, "adapters", {}).items():
                t.session.mount(prefix, adapter)
            self._local.transport = t
            with self._lock:
                self._sessions.append(t.session)
        return t

    def close(self) -> None:
        """Close the worker sessions."""
        with self._lock:
            for s in self._sessions:
                s.close()
            self._sessions = []

    def _call(
        self, method, container=None, blob=None, query=None, headers=None, data=None, expected=(200,), action=None, stream=False
    ):
        what = container if blob is None else "%s/%s" % (container, blob)
        headers = self._context_headers(method, container, blob, query, headers)  # lease ID, tags/tier (BlobFeatures)
        return self._transport().request(
            method,
            self.url(container, blob, query),
            headers=headers or {},
            data=data,
            expected_status=expected,
            action=action or "%s %s" % (method, what or "service"),
            stream=stream,
        )

    @staticmethod
    def _bounded(items: Iterable, fn: Callable, workers: int, on_done: Callable | None = None) -> None:
        """Run ``fn(item)`` for each item on ``workers`` threads; ``items`` is consumed lazily so that at most
        ``workers`` items wait or run while the next one is produced. ``on_done(item, result)`` runs on the caller's
        thread. The first exception cancels what has not started and is re-raised."""
        workers = max(1, int(workers))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: dict = {}

            def drain(block_until_below: int) -> None:
                while len(pending) >= block_until_below and pending:
                    done = wait(list(pending), return_when=FIRST_COMPLETED).done
                    for fut in done:
                        item = pending.pop(fut)
                        result = fut.result()
                        if on_done is not None:
                            on_done(item, result)

            try:
                for item in items:
                    pending[pool.submit(fn, item)] = item
                    drain(workers)
                drain(1)
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise

    # -- containers ----------------------------------------------------------------------------------------------
    def get_container(self, container: str) -> dict | None:
        """``{name, properties, metadata}`` of a container, or None when it does not exist."""
        try:
            resp = self._call("GET", container, query={"restype": "container"}, action="get container %s" % container)
        except NotFoundError:
            return None
        return {
            "name": container,
            "properties": container_properties_from_headers(resp.headers),
            "metadata": metadata_from_headers(resp.headers),
        }

    def create_container(self, container: str, metadata: dict | None = None, public_access: str | None = None) -> bool:
        """Create a container; False when it already exists (409 ContainerAlreadyExists)."""
        headers = metadata_headers(metadata)
        if public_access and public_access != "private":
            headers["x-ms-blob-public-access"] = public_access
        try:
            self._call(
                "PUT",
                container,
                query={"restype": "container"},
                headers=headers,
                expected=(201,),
                action="create container %s" % container,
            )
        except ConflictError as exc:
            if exc.error_code == "ContainerAlreadyExists":
                return False
            raise
        return True

    def delete_container(self, container: str) -> bool:
        """Delete a container; False when it did not exist."""
        try:
            self._call(
                "DELETE", container, query={"restype": "container"}, expected=(202,), action="delete container %s" % container
            )
        except NotFoundError:
            return False
        return True

    def set_container_metadata(self, container: str, metadata: dict) -> None:
        """Replace all metadata of a container."""
        self._call(
            "PUT",
            container,
            query={"restype": "container", "comp": "metadata"},
            headers=metadata_headers(metadata),
            action="set metadata of container %s" % container,
        )

    def set_container_public_access(self, container: str, level: str) -> None:
        """Set the public access level (private, blob, container), keeping the stored access policies."""
        resp = self._call(
            "GET", container, query={"restype": "container", "comp": "acl"}, action="get ACL of container %s" % container
        )
        body = resp.content or b""
        headers = {"Content-Type": "application/xml"}
        if level != "private":
            headers["x-ms-blob-public-access"] = level
        if not body.strip():
            body = b'<?xml version="1.0" encoding="utf-8"?><SignedIdentifiers />'
        self._call(
            "PUT",
            container,
            query={"restype": "container", "comp": "acl"},
            headers=headers,
            data=body,
            action="set public access of container %s" % container,
        )

    def iter_container_pages(
        self, prefix: str | None = None, include_metadata: bool = False, page_size: int | None = None, marker: str | None = None
    ) -> Iterator[dict]:
        """Yield parsed List Containers pages (``{containers, next_marker}``), following NextMarker (a repeated marker
        ends the listing with an error)."""
        guard = PageGuard(self.url(), "list containers")
        while True:
            query = {
                "comp": "list",
                "prefix": prefix or None,
                "include": "metadata" if include_metadata else None,
                "maxresults": page_size,
                "marker": marker,
            }
            resp = self._call("GET", None, query=query, action="list containers")
            page = _parsed(parse_container_list, resp, "list containers")
            yield page
            marker = page["next_marker"]
            if not marker:
                return
            guard.check_marker(marker)

    def list_containers(self, prefix=None, include_metadata=False, max_results: int | None = None) -> dict:
        """``{containers: [...], next_marker}``: every page, or the first ``max_results`` with the marker to go on."""
        out: list = []
        marker = None
        for page in self.iter_container_pages(prefix, include_metadata, page_size=max_results and min(max_results, 5000)):
            out.extend(page["containers"])
            marker = page["next_marker"]
            if max_results and len(out) >= max_results:
                marker = marker if len(out) == max_results else (marker or out[max_results]["name"])
                return {"containers": out[:max_results], "next_marker": marker}
        return {"containers": out, "next_marker": None}

    # -- blob reads ----------------------------------------------------------------------------------------------
    def get_blob(self, container: str, blob: str, snapshot: str | None = None, version_id: str | None = None) -> dict | None:
        """``{name, properties, metadata}`` (and snapshot/version_id when given), or None when absent."""
        query = {"snapshot": snapshot, "versionid": version_id}
        try:
            resp = self._call("HEAD", container, blob, query=query, action="get properties of blob %s/%s" % (container, blob))
        except NotFoundError:
            return None
        out = {
            "name": blob,
            "properties": blob_properties_from_headers(resp.headers),
            "metadata": metadata_from_headers(resp.headers),
        }
        if snapshot:
            out["snapshot"] = snapshot
        if version_id:
            out["version_id"] = version_id
        return out

    def iter_blob_pages(
        self, container, prefix=None, delimiter=None, include: list | None = None, page_size=None, marker=None
    ) -> Iterator[dict]:
        """Yield parsed List Blobs pages (``{blobs, prefixes, next_marker}``), following NextMarker.

        ``include`` values are sent comma-joined in one ``include`` parameter (Azurite accepts one value per key).
        A repeated marker ends the listing with an error.
        """
        guard = PageGuard(self.url(container), "list blobs of container %s" % container)
        while True:
            query = {
                "restype": "container",
                "comp": "list",
                "prefix": prefix or None,
                "delimiter": delimiter or None,
                "include": ",".join(include) if include else None,
                "maxresults": page_size,
                "marker": marker,
            }
            resp = self._call("GET", container, query=query, action="list blobs of container %s" % container)
            page = _parsed(parse_blob_list, resp, "list blobs of container %s" % container)
            yield page
            marker = page["next_marker"]
            if not marker:
                return
            guard.check_marker(marker)

    def list_blobs(
        self, container, prefix=None, delimiter=None, include=None, max_results: int | None = None, marker=None
    ) -> dict:
        """``{blobs, prefixes, next_marker}``: all pages, or up to ``max_results`` entries with the marker to go on."""
        blobs: list = []
        prefixes: list = []
        for page in self.iter_blob_pages(
            container, prefix, delimiter, include, page_size=max_results and min(max_results, 5000), marker=marker
        ):
            blobs.extend(page["blobs"])
            prefixes.extend(page["prefixes"])
            if max_results:
                return {"blobs": blobs, "prefixes": prefixes, "next_marker": page["next_marker"]}
        return {"blobs": blobs, "prefixes": prefixes, "next_marker": None}

    # -- blob writes ---------------------------------------------------------------------------------------------
    @staticmethod
    def _content_headers(settings: dict) -> dict:
        return {CONTENT_SETTINGS[k][0]: v for k, v in settings.items() if k in CONTENT_SETTINGS and v}

    def set_blob_metadata(self, container, blob, metadata: dict, etag: str | None = None) -> None:
        """Replace all metadata of a blob. A failure whose answer may have been lost is reconciled by reading the
        metadata back (``_reconcile_update``)."""
        headers = metadata_headers(metadata)
        if etag:
            headers["If-Match"] = etag
        try:
            self._call(
                "PUT",
                container,
                blob,
                query={"comp": "metadata"},
                headers=headers,
                action="set metadata of blob %s/%s" % (container, blob),
            )
        except AzureRestError as exc:
            self._reconcile_update(exc, container, blob, lambda now: self._metadata_applied(now, metadata))

    def set_blob_properties(self, container, blob, settings: dict, md5: str | None, etag: str | None = None) -> None:
        """Set Blob Properties. Every content setting not given is cleared by the service, so callers pass the full
        set (current values merged with the wanted ones) and the Content-MD5 to keep."""
        headers = self._content_headers(settings)
        if md5:
            headers["x-ms-blob-content-md5"] = md5
        if etag:
            headers["If-Match"] = etag
        try:
            self._call(
                "PUT",
                container,
                blob,
                query={"comp": "properties"},
                headers=headers,
                action="set properties of blob %s/%s" % (container, blob),
            )
        except AzureRestError as exc:
            self._reconcile_update(exc, container, blob, lambda now: self._settings_applied(now, settings, md5))

    def delete_blob(
        self, container, blob, delete_snapshots: str | None = None, snapshot: str | None = None, etag: str | None = None
    ) -> bool:
        """Delete a blob (``delete_snapshots``: include or only), or one snapshot; ``etag`` makes it conditional
        (If-Match). False when absent."""
        headers = {}
        if delete_snapshots and not snapshot:
            headers["x-ms-delete-snapshots"] = delete_snapshots
        if etag:
            headers["If-Match"] = etag
        try:
            self._call(
                "DELETE",
                container,
                blob,
                query={"snapshot": snapshot},
                headers=headers,
                expected=(202,),
                action="delete blob %s/%s" % (container, blob),
            )
        except NotFoundError:
            return False
        except ConflictError as exc:
            if exc.error_code == "SnapshotsPresent":
                raise ConflictError(
                    "delete blob %s/%s: the blob has snapshots; set delete_snapshots=include to delete them too, or "
                    "delete_snapshots=only to delete just the snapshots" % (container, blob),
                    status=409,
                    error_code="SnapshotsPresent",
                ) from None
            raise
        return True

    def snapshot_blob(self, container, blob, metadata: dict | None = None) -> str:
        """Create a snapshot; returns its timestamp (``x-ms-snapshot``).

        Snapshot Blob is not idempotent (https://learn.microsoft.com/rest/api/storageservices/snapshot-blob: each call
        makes one), so it is never retried blindly: the snapshots that exist are listed first, the request is sent
        without transport retries, and after an ambiguous failure (no answer, 5xx, 408, 429) the listing is read again
        and a snapshot made meanwhile (with ``metadata`` when given) is adopted; only when there is none is the request
        sent again, up to the transport's ``retries``. A failure carries ``changed`` (False: no snapshot was made).
        """
        before = self._snapshots(container, blob)
        policy = self.transport.policy
        attempt = 0
        while True:
            try:
                return self._snapshot_once(container, blob, metadata_headers(metadata))
            except AzureRestError as exc:
                if not ambiguous(exc):
                    raise mark(exc, False, None) from None
                adopted = self._adopt_snapshot(exc, container, blob, before, metadata)
                if adopted:
                    return adopted
                if not policy.can_retry(attempt):
                    raise mark(exc, False, None, "No snapshot was made.") from None
                attempt += 1
                delay = policy.delay(attempt)
                if self.transport.on_retry:
                    self.transport.on_retry(
                        "snapshot %s/%s: %s; no snapshot was made, sending it again in %.1f s (retry %d of %d)"
                        % (container, blob, first_line(exc), delay, attempt, policy.retries)
                    )
                self.transport.sleep(delay)

    def _create_headers(self, blob_type: str, settings: dict, metadata: dict | None, etag: str | None, create_only: bool) -> dict:
        headers = {"x-ms-blob-type": BLOB_TYPES[blob_type]}
        headers.update(self._content_headers(settings))
        headers.update(metadata_headers(metadata))
        if create_only:
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        return headers

    def _verify(self, container, blob, md5: str, size: int) -> dict:
        """Read the blob back after its content was committed (so a failure says the blob holds new content)."""
        try:
            now = self.get_blob(container, blob)
        except AzureRestError as exc:
            raise mark(exc, True, "new", "The blob was written; only reading it back failed.") from None
        props = (now or {}).get("properties", {})
        if not now or props.get("content_length") != size or (props.get("content_md5") and props.get("content_md5") != md5):
            raise IntegrityError(
                "upload %s/%s: verification failed after commit: the service reports length %s and MD5 %s, we sent %d bytes "
                "with MD5 %s" % (container, blob, props.get("content_length"), props.get("content_md5"), size, md5),
                details={"changed": True, "blob_content": "unknown"},
            )
        return now

    def upload(
        self,
        container: str,
        blob: str,
        payload: Payload,
        *,
        blob_type: str = "block",
        settings: dict | None = None,
        metadata: dict | None = None,
        etag: str | None = None,
        create_only: bool = False,
        append_from: int | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        single_put_size: int = DEFAULT_SINGLE_PUT,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        current_type: str | None = None,
        transactional_md5: bool = False,
        read_back: bool = True,
    ) -> dict:
        """Upload ``payload`` and verify it; returns the blob's ``{name, properties, metadata}`` after the write.

        ``etag`` (If-Match) guards a replacement, ``create_only`` (If-None-Match: *) a creation. ``append_from``
        appends the payload from that offset to an existing append blob instead of recreating it. ``current_type``
        is the type of the blob being replaced (a page or append blob of another type is swapped through a backup).

        Block blobs are committed in one request (Put Blob or Put Block List); page and append blobs are written
        into a temporary blob and copied in place (``blob_safe``), so a failed upload never leaves a partial blob.
        The source is checked before the commit (``Payload.check_unchanged``). An error carries ``changed`` and
        ``blob_content`` (``old``, ``new`` or ``unknown``) in its details.

        The data is read and hashed once: the same pass feeds the requests and the whole MD5 (stored as the blob's
        Content-MD5 and verified). ``transactional_md5`` adds a Content-MD5 to each Put Block as well (TLS already
        protects each request; off by default). ``read_back=False`` trusts a Put Blob answer whose Content-MD5 is
        ours instead of reading the blob back (the returned properties are then only those the answer gives).
        """
        settings = settings or {}
        guard = {"etag": etag, "create_only": create_only, "current_type": current_type, "blob_type": blob_type}
        checks = {"transactional_md5": transactional_md5, "read_back": read_back}
        try:
            if blob_type == "block":
                sizes = (block_size, single_put_size, max_concurrency)
                return self._upload_block(container, blob, payload, settings, metadata, etag, create_only, sizes, checks)
            if blob_type == "page":
                return self._upload_page(container, blob, payload, settings, metadata, guard, max_concurrency)
            return self._upload_append(container, blob, payload, settings, metadata, guard, append_from)
        except AzureRestError as exc:
            if isinstance(exc, NotFoundError) and exc.error_code == "ContainerNotFound":
                exc.msg = (
                    "upload %s/%s: the container %s does not exist (HTTP 404 ContainerNotFound); create it first, for example "
                    "with signet.azure.storage_container" % (container, blob, container)
                )
            raise mark(exc, False, "old") from None

    def _upload_block(self, container, blob, payload, settings, metadata, etag, create_only, sizes, checks: dict) -> dict:
        """Put Blob in one request up to ``single_put_size``, else Put Block in parallel and Put Block List.
        ``sizes`` is ``(block_size, single_put_size, workers)``, ``checks`` the options of ``upload``."""
        block_size, single_put_size, workers = sizes
        headers = self._create_headers("block", settings, metadata, etag, create_only)
        if payload.size <= single_put_size:
            return self._put_single(container, blob, payload, headers, checks["read_back"])
        block_size = pick_block_size(payload.size, block_size)
        try:
            ids, md5 = self._stage_blocks(container, blob, payload, block_size, workers, checks["transactional_md5"])
            payload.check_unchanged(md5)
        except AzureRestError as exc:
            exc.msg = "%s\n%s" % (exc.msg, UNCOMMITTED_NOTE)
            raise
        return self._commit_block_list(container, blob, headers, ids, md5, payload.size)

    def _put_single(self, container, blob, payload, headers: dict, read_back: bool = True) -> dict:
        """Put Blob with the whole payload and its Content-MD5, then verify: by reading the blob back, or (with
        ``read_back`` False) by the Content-MD5 of the answer, the service's MD5 of what it received."""
        with payload.open() as fh:
            data = fh.read(payload.size + 1)
        md5 = md5_b64(data)
        payload.check_unchanged(md5, len(data))
        headers["Content-MD5"] = md5
        try:
            resp = self._call(
                "PUT",
                container,
                blob,
                headers=headers,
                data=data,
                expected=(201,),
                action="upload blob %s/%s" % (container, blob),
            )
        except AzureRestError as exc:
            return self._reconcile_conflict(exc, container, blob, md5, payload.size)
        answer = getattr(resp, "headers", None) or {}
        if not read_back and answer.get("Content-MD5") == md5:
            props = {"content_length": payload.size, "content_md5": md5, "etag": answer.get("ETag")}
            props["last_modified"] = answer.get("Last-Modified")
            return {"name": blob, "properties": props, "metadata": None}
        return self._verify(container, blob, md5, payload.size)

    def _stage_blocks(
        self, container, blob, payload, block_size: int, workers: int, transactional_md5: bool = False
    ) -> tuple[list[str], str]:
        """Put Block for each ``block_size`` piece on ``workers`` threads, each with its own Content-MD5 when
        ``transactional_md5``. Returns the block IDs in order and the base64 MD5 of the whole payload.

        Memory stays bounded by READ_PIECE per thread, not by the block size: this thread hashes each block (the
        whole MD5, and the block's own when asked) reading it piece by piece, then a worker sends it as a
        ``_RangeBody`` that reads the same bytes again, piece by piece, as they go out (from the page cache; on a
        retry, from the start). Each byte is hashed once. Whether the file changed between the two reads is
        checked before the commit (``Payload.check_unchanged``), and a per-block MD5 makes the service refuse a
        block whose bytes differ from those hashed.
        """
        upload_id = uuid.uuid4().hex[:12]
        whole = hashlib.md5()
        ids: list[str] = []

        def blocks():
            for index, offset in enumerate(range(0, payload.size, block_size)):
                length = min(block_size, payload.size - offset)
                own = hashlib.md5() if transactional_md5 else None
                for piece in payload.pieces(offset, length):
                    whole.update(piece)
                    if own is not None:
                        own.update(piece)
                ids.append(block_id(upload_id, index))
                yield ids[-1], _RangeBody(payload, offset, length), own and b64md5(own)

        def stage(item):
            bid, body, md5 = item
            self._call(
                "PUT",
                container,
                blob,
                query={"comp": "block", "blockid": bid},
                headers={"Content-MD5": md5} if md5 else {},
                data=body,
                expected=(201,),
                action="stage block %s of %s/%s" % (bid, container, blob),
            )

        self._bounded(blocks(), stage, workers)
        return ids, b64md5(whole)

    def _commit_block_list(self, container, blob, headers: dict, ids: list[str], md5: str, size: int) -> dict:
        """Put Block List (https://learn.microsoft.com/rest/api/storageservices/put-block-list; every block as
        ``Latest``) with the blob headers and the whole MD5, then verify.

        A create-only commit that gets 409 BlobAlreadyExists is reconciled (``_reconcile_conflict``); any other
        failure leaves the staged blocks uncommitted, which the message says.
        """
        root = ET.Element("BlockList")
        for bid in ids:
            ET.SubElement(root, "Latest").text = bid
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        headers["x-ms-blob-content-md5"] = md5
        headers["Content-MD5"] = md5_b64(body)
        headers["Content-Type"] = "application/xml"
        del headers["x-ms-blob-type"]
        try:
            self._call(
                "PUT",
                container,
                blob,
                query={"comp": "blocklist"},
                headers=headers,
                data=body,
                expected=(201,),
                action="commit block list of %s/%s" % (container, blob),
            )
        except AzureRestError as exc:
            try:
                return self._reconcile_conflict(exc, container, blob, md5, size)
            except AzureRestError as final:
                if final.details.get("blob_content") != "unknown":
                    final.msg = "%s\n%s" % (final.msg, UNCOMMITTED_NOTE)
                raise
        return self._verify(container, blob, md5, size)

    def _create_empty(self, kind: str, container: str, blob: str, headers: dict) -> None:
        """Put Blob of an empty page or append blob; a create-only conflict is reported as a concurrent creation."""
        try:
            self._call(
                "PUT",
                container,
                blob,
                headers=headers,
                data=b"",
                expected=(201,),
                action="create %s blob %s/%s" % (kind, container, blob),
            )
        except ConflictError as exc:
            if exc.error_code == "BlobAlreadyExists":
                raise ConflictError(
                    "create %s blob %s/%s: it was created by someone else meanwhile" % (kind, container, blob),
                    status=409,
                    error_code=exc.error_code,
                ) from None
            raise

    def _upload_page(self, container, blob, payload, settings, metadata, guard: dict, workers) -> dict:
        """A page blob: the non-zero pages go into a temporary page blob (sparse), which is then copied in place."""
        if payload.size % PAGE:
            raise ConfigError(
                "src: a page blob must be a multiple of 512 bytes, this content has %d bytes; set pad=true to pad it "
                "with zeros" % payload.raw_size
            )
        headers = self._create_headers("page", settings, metadata, None, False)
        headers["x-ms-blob-content-length"] = str(payload.size)

        def write(temp):
            self._create_empty("page", container, temp, headers)
            return self._put_pages(container, temp, payload, workers)

        return self._via_temp(container, blob, payload, settings, write, guard)

    def _put_pages(self, container, blob, payload, workers) -> str:
        """Put Page for each non-zero range of the payload, on ``workers`` threads; returns the payload's MD5."""
        whole = hashlib.md5()

        def pages():
            for offset, data in payload.chunks(MAX_PAGE_RANGE):
                whole.update(data)
                for start, length in nonzero_page_ranges(data, offset):
                    yield start, data[start - offset : start - offset + length]

        def put_page(item):
            start, data = item
            self._call(
                "PUT",
                container,
                blob,
                query={"comp": "page"},
                headers={
                    "x-ms-page-write": "update",
                    "x-ms-range": "bytes=%d-%d" % (start, start + len(data) - 1),
                    "Content-MD5": md5_b64(data),
                },
                data=data,
                expected=(201,),
                action="put page %d of %s/%s" % (start, container, blob),
            )

        self._bounded(pages(), put_page, workers)
        return b64md5(whole)

    def _upload_append(self, container, blob, payload, settings, metadata, guard: dict, append_from) -> dict:
        """An append blob: a tail of at most one Append Block is appended in place (``_append_tail``, one atomic
        request); anything else goes into a temporary blob (a server-side copy of the blob when appending), which is
        then copied in place."""
        if append_from is not None and payload.size - append_from <= MAX_APPEND_BLOCK:
            return self._append_tail(container, blob, payload, settings, guard["etag"], append_from)
        headers = self._create_headers("append", settings, metadata, None, False)

        def write(temp):
            if append_from is None:
                self._create_empty("append", container, temp, headers)
            else:
                self._copy_blob(container, blob, temp, {}, source_etag=guard["etag"])
            return self._append_blocks(container, temp, payload, append_from or 0)

        return self._via_temp(container, blob, payload, settings, write, guard)

    def _append_blocks(self, container, blob, payload, start: int) -> str:
        """Append Block for each MAX_APPEND_BLOCK piece of the payload from ``start``, each pinned to its append
        position; returns the MD5 of the whole payload."""
        whole = hashlib.md5()
        for offset, data in payload.chunks(MAX_APPEND_BLOCK):
            whole.update(data)
            if offset < start:
                data = data[start - offset :]
                offset = start
                if not data:
                    continue
            headers = {"Content-MD5": md5_b64(data), "x-ms-blob-condition-appendpos": str(offset)}
            try:
                self._call(
                    "PUT",
                    container,
                    blob,
                    query={"comp": "appendblock"},
                    headers=headers,
                    data=data,
                    expected=(201,),
                    action="append block at %d to %s/%s" % (offset, container, blob),
                )
            except PreconditionFailedError as exc:
                # A retried Append Block whose first attempt landed gets AppendPositionConditionNotMet: accept it
                # when the blob already ends exactly where this block ends.
                now = self.get_blob(container, blob) if exc.error_code == "AppendPositionConditionNotMet" else None
                if not now or now["properties"].get("content_length") != offset + len(data):
                    raise
        return b64md5(whole)

    # -- download ------------------------------------------------------------------------------------------------
    def _range_policy(self) -> RetryPolicy:
        """The retry policy of one range read: the collection's policy with the transport's backoff and sleep, and
        RANGE_READ_RETRIES retries (a reset or truncated body is read again once, whatever ``retries`` says)."""
        base = self.transport.policy
        return RetryPolicy(RANGE_READ_RETRIES, base.backoff_factor, base.backoff_max, sleep=self.transport.sleep)

    @staticmethod
    def _check_range_answer(resp, action: str, offset: int, length: int, size: int) -> None:
        """IntegrityError unless ``resp`` answers the range asked for: 206 with ``Content-Range: bytes
        <offset>-<end>/<size>`` (and a matching Content-Length when there is one), or 200 only when the range is the
        whole blob. A server or proxy that ignores Range (200 + the whole body) or sends another range is never
        stitched into the file (https://www.rfc-editor.org/rfc/rfc9110#name-206-partial-content)."""
        asked = "bytes %d-%d/%d" % (offset, offset + length - 1, size)
        status = getattr(resp, "status_code", 206)
        headers = getattr(resp, "headers", None) or {}
        if status == 200:
            if offset == 0 and length == size:
                return
            raise IntegrityError(
                "%s: asked for %s, the server answered 200 with the whole blob (a proxy or server that ignores Range); "
                "the local file is unchanged" % (action, asked)
            )
        got = _RANGE.match(headers.get("Content-Range") or "")
        if not got or (int(got.group(1)), int(got.group(2)), got.group(3)) != (offset, offset + length - 1, str(size)):
            raise IntegrityError(
                "%s: asked for %s, the server answered Content-Range %r; the local file is unchanged"
                % (action, asked, headers.get("Content-Range"))
            )
        if headers.get("Content-Length") not in (None, str(length)):
            raise IntegrityError(
                "%s: asked for %s (%d bytes), the server announced Content-Length %s; the local file is unchanged"
                % (action, asked, length, headers.get("Content-Length"))
            )

    def _stream_range(self, container, blob, query, headers, out: AtomicFile, offset: int, length: int, size: int):
        """One ranged GET streamed in small pieces written at their offsets (memory per worker stays ~STREAM_PIECE),
        after ``_check_range_answer``. Returns ``(bytes written, problem)``; ``problem`` names the exception that cut
        the body short, else None."""
        resp = self._call(
            "GET",
            container,
            blob,
            query=query,
            headers=headers,
            expected=(206, 200),
            action="download %s/%s" % (container, blob),
            stream=True,
        )
        got, problem = 0, None
        try:
            self._check_range_answer(resp, "download %s/%s" % (container, blob), offset, length, size)
            for piece in _body_pieces(resp):
                if got + len(piece) > length:
                    raise IntegrityError(
                        "download %s/%s: the answer to bytes %d-%d is longer than %d bytes; the local file is unchanged"
                        % (container, blob, offset, offset + length - 1, length)
                    )
                out.pwrite(piece, offset + got)
                got += len(piece)
        except AzureRestError:  # a wrong answer, or a local write that failed: never retried as a short read
            raise
        except Exception as exc:  # a reset or truncated body: retried, then reported
            problem = " (%s)" % type(exc).__name__
        finally:
            resp.close()
        return got, problem

    def _read_range(self, container, blob, query, etag, out: AtomicFile, item, size: int) -> None:
        """Read the range ``item`` (``(offset, length)``) of a blob of ``size`` bytes into ``out``, retried by the range
        policy; IntegrityError when it still comes back short, or at once when the answer is not that range."""
        offset, length = item
        headers = {"x-ms-range": "bytes=%d-%d" % (offset, offset + length - 1)}
        if etag:
            headers["If-Match"] = etag
        policy = self._range_policy()
        attempt, problem = 0, ""
        while True:
            got, failure = self._stream_range(container, blob, query, headers, out, offset, length, size)
            problem = failure or problem
            if got == length:
                return
            if not policy.can_retry(attempt):
                break
            attempt += 1
            policy.sleep(policy.delay(attempt))
        raise IntegrityError(
            "download %s/%s: range at %d returned %d bytes, expected %d%s" % (container, blob, offset, got, length, problem)
        )

    def download(
        self,
        container: str,
        blob: str,
        dest: str,
        *,
        props: dict,
        snapshot: str | None = None,
        version_id: str | None = None,
        chunk_size: int = DEFAULT_DOWNLOAD_CHUNK,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        keep_if_equal: bool = False,
        root: str | None = None,
        follow: bool = True,
    ) -> dict:
        """Download to ``dest`` atomically (``_localfile.AtomicFile``): ranged GETs in parallel written at their
        offsets into a temp file in the destination directory, then length and MD5 checked, fsync, ``os.replace``.
        ``props`` are the blob's properties (their ETag pins the version read: a blob changed meanwhile fails with 412).
        ``root`` and ``follow`` go to AtomicFile: with ``root``, no symbolic link below it is passed; without
        ``follow``, the directory of ``dest`` must not be a link. A replaced ``dest`` keeps its owner, group and mode.

        Returns ``{md5, size, replaced}`` (plus ``warnings`` when ownership could not be kept); with ``keep_if_equal``
        an existing ``dest`` with the same MD5 is kept (``replaced`` False). The temp file is removed on any failure,
        including KeyboardInterrupt.
        """
        size = int(props.get("content_length") or 0)
        query = {"snapshot": snapshot, "versionid": version_id}
        with AtomicFile(dest, "download %s/%s" % (container, blob), "the blob", root=root, follow=follow) as out:

            def fetch(item):
                self._read_range(container, blob, query, props.get("etag"), out, item, size)

            self._bounded(iter(chunk_ranges(size, chunk_size)), fetch, max_concurrency)
            out.close(size)
            md5 = out.md5()
            expected_md5 = props.get("content_md5")
            if expected_md5 and expected_md5 != md5:
                raise IntegrityError(
                    "download %s/%s: the MD5 of the data as received (%s) does not match the blob's Content-MD5 (%s): "
                    "either the data was corrupted or another tool did not keep the stored hash up to date"
                    % (container, blob, md5, expected_md5)
                )
            if keep_if_equal and out.dest_equals(md5):
                return {"md5": md5, "size": size, "replaced": False}
            out.commit()
            result = {"md5": md5, "size": size, "replaced": True}
            if out.warnings:
                result["warnings"] = out.warnings
            return result
