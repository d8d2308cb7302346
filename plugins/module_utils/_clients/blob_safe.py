# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Blob writes that never leave a blob half-replaced, and never report a false failure (mixed into BlobClient).

* **Replace through a temporary blob.** Page and append blobs are written into a temporary blob beside the target
  (same container and virtual folder, ``temp_blob_name``), then put in place server side with Copy Blob
  (https://learn.microsoft.com/rest/api/storageservices/copy-blob) under the target's ETag (``If-Match``), or
  ``If-None-Match: *`` for a creation. Readers see the old blob until the copy, then the new one; a failed write
  leaves the old blob untouched. The temporary blob is deleted afterwards (a failed delete is reported, never
  silent). Copy Blob needs the destination to be of the source's type, so a type change copies the old blob to a
  backup first, deletes it under its ETag, copies the new one in and restores the backup when that fails.
* **Reconcile, never guess.** A write whose answer was lost or ambiguous (no answer, a 5xx, 408, 429, or the
  409/412 a retried conditional write gets when its first attempt landed,
  https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations)
  is checked by reading the blob back: success when it holds what we wrote.
* **Snapshot is not idempotent** (every call makes one): it is sent without transport retries; after an ambiguous
  failure the blob's snapshots are listed and one made since the call started is adopted, else it is sent again.
* **Say what the service holds.** A failed write carries ``changed`` and ``blob_content`` (``old``, ``new`` or
  ``unknown``) in the error's details, which become fields of the failed task result.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

from .blob_wire import CONTENT_SETTINGS, MAX_APPEND_BLOCK
from .._errors import AzureRestError, ConflictError, OperationFailedError, PreconditionFailedError, TransportError

TEMP_MARK = ".signet-tmp-"
#: Statuses after which a write may still have landed (besides no answer at all and every 5xx).
AMBIGUOUS_STATUS = frozenset((408, 409, 412, 429))
COPY_POLL_MAX = 10.0
COPY_DEADLINE = 3600.0


def temp_blob_name(blob: str) -> str:
    """A new unique name beside ``blob`` (same virtual folder): ``<folder>/.<name>.signet-tmp-<12 hex>``, the name
    shortened so that the whole stays within the 1024-character limit."""
    folder, slash, base = blob.rpartition("/")
    suffix = TEMP_MARK + uuid.uuid4().hex[:12]
    room = 1024 - len(folder) - len(slash) - 1 - len(suffix)
    if room < 0:
        return suffix[1:]
    return folder + slash + "." + base[:room] + suffix


def ambiguous(exc: AzureRestError) -> bool:
    """True when a failed write may still have landed: no answer (TransportError), a 5xx, 408, 429, 409 or 412."""
    if isinstance(exc, TransportError):
        return True
    status = exc.status or 0
    return status >= 500 or status in AMBIGUOUS_STATUS


def mark(exc: AzureRestError, changed: bool, content: str | None, note: str | None = None, force: bool = False):
    """Record on ``exc`` whether the service was modified and which content the blob holds (``old``, ``new`` or
    ``unknown``), unless an inner step recorded it already (``force`` overrides); ``note`` is added to the message.
    Returns ``exc``."""
    put = exc.details.__setitem__ if force else exc.details.setdefault
    put("changed", changed)
    if content is not None:
        put("blob_content", content)
    if note:
        exc.msg = "%s\n%s" % (exc.msg, note)
    return exc


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def first_line(exc: AzureRestError) -> str:
    return exc.msg.split("\n", 1)[0]


class SafeWrites:
    """Mixed into BlobClient; uses its ``_call``, ``_transport``, ``get_blob``, ``list_blobs``, ``delete_blob``,
    ``set_blob_properties``, ``_verify``, ``url``, ``settings``, ``transport`` and ``warnings``."""

    # -- reconciliation -------------------------------------------------------------------------------------------
    def _holds(self, container: str, blob: str, md5: str, size: int) -> dict | None:
        """The blob when it has ``md5`` and ``size``, else None."""
        now = self.get_blob(container, blob)
        props = (now or {}).get("properties") or {}
        if now and props.get("content_md5") == md5 and props.get("content_length") == size:
            return now
        return None

    def _reconcile_conflict(self, exc: AzureRestError, container: str, blob: str, md5: str, size: int) -> dict:
        """A write of content ``md5``/``size`` failed with ``exc``: it may be our own request whose answer was lost
        (a retried create-only write gets 409 BlobAlreadyExists, a retried ``If-Match`` write 412 ConditionNotMet,
        https://learn.microsoft.com/rest/api/storageservices/put-blob). Returns the blob when it holds our content;
        else raises a clear conflict error, or ``exc`` itself (marked ``unknown`` when the blob cannot be read)."""
        if not ambiguous(exc):
            raise exc
        try:
            now = self._holds(container, blob, md5, size)
        except AzureRestError as read_exc:
            raise mark(exc, True, "unknown", "Whether the write landed could not be checked: %s" % first_line(read_exc)) from None
        if now:
            return now
        fields = dict(request_id=exc.request_id, client_request_id=exc.client_request_id, url=exc.url)
        if exc.error_code == "BlobAlreadyExists":
            raise ConflictError(
                "upload %s/%s: the blob was created by someone else meanwhile (409 BlobAlreadyExists, different content)"
                % (container, blob),
                status=409,
                error_code=exc.error_code,
                **fields,
            )
        if exc.error_code == "ConditionNotMet":
            raise PreconditionFailedError(
                "upload %s/%s: the blob was changed by someone else since it was read (412 ConditionNotMet); it was not "
                "replaced" % (container, blob),
                status=412,
                error_code=exc.error_code,
                **fields,
            )
        raise exc

    def _reconcile_update(self, exc: AzureRestError, container: str, blob: str, applied) -> None:
        """A property or metadata write failed with ``exc``: return when ``applied(blob)`` says the blob holds what
        we wrote anyway (the answer was lost), else raise ``exc``."""
        if not ambiguous(exc):
            raise exc
        try:
            now = self.get_blob(container, blob)
        except AzureRestError as read_exc:
            raise mark(exc, True, None, "Whether the write landed could not be checked: %s" % first_line(read_exc)) from None
        if not (now and applied(now)):
            raise exc

    @staticmethod
    def _settings_applied(now: dict, settings: dict, md5: str | None) -> bool:
        props = now.get("properties") or {}
        wanted = {k: v for k, v in settings.items() if k in CONTENT_SETTINGS and v}
        return all(props.get(k) == v for k, v in wanted.items()) and (not md5 or props.get("content_md5") == md5)

    @staticmethod
    def _metadata_applied(now: dict, metadata: dict) -> bool:
        have = {k.lower(): v for k, v in (now.get("metadata") or {}).items()}
        return have == {k.lower(): v for k, v in (metadata or {}).items()}

    # -- server-side copy -----------------------------------------------------------------------------------------
    def _source_url(self, container: str, blob: str) -> str:
        """The copy source URL: same account, so Shared Key authorizes it; with a SAS the token goes along."""
        url = self.url(container, blob)
        token = getattr(self.settings, "sas_token", None)
        if token and getattr(self.transport.auth, "scheme", "") == "SAS":
            url += "?" + token
        return url

    def _copy_blob(self, container: str, source: str, target: str, headers: dict, source_etag: str | None = None) -> None:
        """Copy Blob ``source`` onto ``target`` (same container; content, properties and metadata) with the
        destination conditions in ``headers``, and wait until the service has finished it."""
        hdrs = dict(headers)
        hdrs["x-ms-copy-source"] = self._source_url(container, source)
        if source_etag:
            hdrs["x-ms-source-if-match"] = source_etag
        resp = self._call(
            "PUT",
            container,
            target,
            headers=hdrs,
            expected=(202,),
            action="copy %s/%s onto %s" % (container, source, target),
        )
        self._wait_copy(container, target, resp.headers.get("x-ms-copy-id"), resp.headers.get("x-ms-copy-status"))

    def _wait_copy(self, container: str, blob: str, copy_id: str | None, status: str | None) -> None:
        """Poll a pending copy until it succeeded; OperationFailedError (target content unknown) when it failed,
        was aborted, was replaced by another copy or did not end within COPY_DEADLINE."""
        deadline, delay = time.monotonic() + COPY_DEADLINE, 0.5
        description = ""
        while status == "pending" and time.monotonic() < deadline:
            self.transport.sleep(delay)
            delay = min(delay * 2, COPY_POLL_MAX)
            try:
                resp = self._call("HEAD", container, blob, action="check the copy onto %s/%s" % (container, blob))
            except AzureRestError as exc:  # the copy may still run: its source must be kept
                raise mark(exc, True, "unknown", "The server-side copy may still be running.") from None
            if copy_id and resp.headers.get("x-ms-copy-id") not in (None, copy_id):
                status, description = "replaced", "another copy onto the blob started meanwhile"
                break
            status = resp.headers.get("x-ms-copy-status")
            description = resp.headers.get("x-ms-copy-status-description") or ""
        if status in (None, "success"):
            return
        ended = "did not finish within %d s" % COPY_DEADLINE if status == "pending" else "ended %s" % status
        raise mark(
            OperationFailedError(
                "copy onto %s/%s: the server-side copy %s%s" % (container, blob, ended, ": " + description if description else "")
            ),
            True,
            "unknown",
        )

    def _discard(self, container: str, temp: str, exc: AzureRestError | None = None) -> bool:
        """Delete a temporary blob. When that fails the note goes into ``exc``'s message, or into ``warnings`` when
        there is no error. Returns True when the temporary blob is gone."""
        try:
            self.delete_blob(container, temp)
            return True
        except AzureRestError as del_exc:
            note = "The temporary blob %s/%s could not be deleted (%s); delete it." % (container, temp, first_line(del_exc))
            if exc is None:
                self.warnings.append(note)
            else:
                exc.msg = "%s\n%s" % (exc.msg, note)
            return False

    # -- replace through a temporary blob -------------------------------------------------------------------------
    def _via_temp(self, container: str, blob: str, payload, settings: dict, write, guard: dict) -> dict:
        """Write the new content into a temporary blob with ``write(temp) -> md5`` (base64 MD5 of what was sent),
        check that the source did not change meanwhile (``payload.check_unchanged``), store the MD5 and content
        settings on the temporary blob, then put it in place (``_swap_in``). ``guard`` describes the target:
        ``etag``, ``create_only``, ``current_type``, ``blob_type``."""
        temp = temp_blob_name(blob)
        try:
            md5 = write(temp)
            payload.check_unchanged(md5)
            self.set_blob_properties(container, temp, settings, md5)
        except AzureRestError as exc:
            gone = self._discard(container, temp, exc)  # the target was not touched yet, whatever failed
            raise mark(exc, not gone, "old", "The blob %s/%s is unchanged." % (container, blob), force=True) from None
        return self._swap_in(container, temp, blob, md5, payload.size, guard)

    def _swap_in(self, container: str, temp: str, blob: str, md5: str, size: int, guard: dict) -> dict:
        """Copy the finished temporary blob onto the target under the guard's condition, then delete it."""
        if guard.get("current_type") and guard["current_type"] != guard["blob_type"]:
            return self._swap_type(container, temp, blob, md5, size, guard)
        if guard.get("create_only"):
            conditions = {"If-None-Match": "*"}
        else:
            conditions = {"If-Match": guard["etag"]} if guard.get("etag") else {}
        try:
            self._copy_blob(container, temp, blob, conditions)
        except AzureRestError as exc:
            try:
                self._reconcile_conflict(exc, container, blob, md5, size)
            except AzureRestError as final:
                raise self._abandon(container, temp, blob, final) from None
        return self._finish(container, [temp], blob, md5, size)

    def _abandon(self, container: str, temp: str, blob: str, exc: AzureRestError) -> AzureRestError:
        """The new content could not be put in place: delete the temporary blob, unless the target's state is
        unknown (then the temporary blob may be the only copy of the new content, and the message names it)."""
        if exc.details.get("blob_content") == "unknown":
            return mark(exc, True, "unknown", "The new content is in the temporary blob %s/%s." % (container, temp))
        gone = self._discard(container, temp, exc)
        return mark(exc, not gone, "old", "The blob %s/%s is unchanged." % (container, blob))

    def _finish(self, container: str, temps: list, blob: str, md5: str, size: int) -> dict:
        """The new content is in place: delete the temporary blobs (a failure is a warning) and read the blob back."""
        for temp in temps:
            self._discard(container, temp)
        return self._verify(container, blob, md5, size)

    def _swap_type(self, container: str, temp: str, blob: str, md5: str, size: int, guard: dict) -> dict:
        """Replace a blob of another type (Copy Blob cannot change it): copy the old blob to a backup, delete it under
        its ETag, copy the new one in; when that fails, copy the backup back (``_restore``)."""
        backup = temp_blob_name(blob)
        try:
            self._copy_blob(container, blob, backup, {}, source_etag=guard.get("etag"))
            self._delete_for_type_change(container, blob, guard)
        except AzureRestError as exc:
            self._discard(container, backup, exc)
            raise self._abandon(container, temp, blob, mark(exc, False, "old", force=True)) from None
        try:
            self._copy_blob(container, temp, blob, {"If-None-Match": "*"})
        except AzureRestError as exc:
            try:
                self._reconcile_conflict(exc, container, blob, md5, size)
            except AzureRestError as final:
                raise self._restore(container, backup, temp, blob, final) from None
        return self._finish(container, [temp, backup], blob, md5, size)

    def _delete_for_type_change(self, container: str, blob: str, guard: dict) -> None:
        """Delete the old blob under its ETag; a lost answer is checked by reading the blob."""
        try:
            self.delete_blob(container, blob, etag=guard.get("etag"))
        except ConflictError as exc:
            if exc.error_code == "SnapshotsPresent":
                exc.msg = (
                    "upload %s/%s: changing the blob type from %s to %s deletes the old blob, and this one has snapshots; "
                    "delete them first (state=absent, delete_snapshots=only) or keep blob_type=%s"
                    % (container, blob, guard["current_type"], guard["blob_type"], guard["current_type"])
                )
            raise
        except AzureRestError as exc:
            if not ambiguous(exc) or self.get_blob(container, blob) is not None:
                raise

    def _restore(self, container: str, backup: str, temp: str, blob: str, exc: AzureRestError) -> AzureRestError:
        """The new blob could not be copied in after the old one was deleted for a type change: copy the backup
        back. The message says where each content is when even that fails."""
        try:
            self._copy_blob(container, backup, blob, {"If-None-Match": "*"})
        except AzureRestError as restore_exc:
            return mark(
                exc,
                True,
                "unknown",
                "The old blob was deleted for the type change and could not be restored (%s): its content is in %s/%s, "
                "the new content in %s/%s." % (first_line(restore_exc), container, backup, container, temp),
                force=True,
            )
        self._discard(container, backup, exc)
        self._discard(container, temp, exc)
        return mark(exc, True, "old", "The old blob was restored from its server-side copy (same content, new ETag).", force=True)

    # -- append in place ------------------------------------------------------------------------------------------
    def _append_tail(self, container: str, blob: str, payload, settings: dict, etag: str | None, start: int) -> dict:
        """Append the payload's bytes from ``start`` (at most one Append Block: one atomic request, guarded by the
        blob's ETag and the append position) to the blob in place, then store the new MD5 under the new ETag."""
        whole, tail = hashlib.md5(), bytearray()
        for offset, data in payload.chunks(MAX_APPEND_BLOCK):
            whole.update(data)
            if offset + len(data) > start:
                tail += data[max(0, start - offset) :]
        md5 = base64.b64encode(whole.digest()).decode("ascii")
        payload.check_unchanged(md5)
        tail = bytes(tail)
        headers = {"Content-MD5": _md5(tail), "x-ms-blob-condition-appendpos": str(start)}
        if etag:
            headers["If-Match"] = etag
        try:
            resp = self._call(
                "PUT",
                container,
                blob,
                query={"comp": "appendblock"},
                headers=headers,
                data=tail,
                expected=(201,),
                action="append block at %d to %s/%s" % (start, container, blob),
            )
            new_etag = resp.headers.get("ETag")
        except AzureRestError as exc:
            new_etag = self._tail_landed(exc, container, blob, start, tail)
        try:
            self.set_blob_properties(container, blob, settings, md5, etag=new_etag)
        except AzureRestError as exc:
            raise mark(
                exc, True, "new", "The data was appended; only its MD5 could not be stored (a new run uploads again)."
            ) from None
        return self._verify(container, blob, md5, payload.size)

    def _tail_landed(self, exc: AzureRestError, container: str, blob: str, start: int, tail: bytes) -> str | None:
        """An Append Block failed with ``exc``: return the blob's ETag when it now ends with exactly ``tail`` at
        ``start`` (our answer was lost), else raise ``exc``."""
        if not ambiguous(exc):
            raise exc
        end = start + len(tail)
        try:
            now = self.get_blob(container, blob)
            landed = (
                bool(now)
                and now["properties"].get("content_length") == end
                and self._bytes_at(container, blob, start, end) == tail
            )
        except AzureRestError as read_exc:
            raise mark(
                exc, True, "unknown", "Whether the append landed could not be checked: %s" % first_line(read_exc)
            ) from None
        if not landed:
            raise exc
        return now["properties"].get("etag")

    def _bytes_at(self, container: str, blob: str, start: int, end: int) -> bytes:
        """The blob's bytes ``[start, end)`` (one small ranged GET, for reconciliation)."""
        resp = self._call(
            "GET",
            container,
            blob,
            headers={"x-ms-range": "bytes=%d-%d" % (start, end - 1)},
            expected=(206, 200),
            action="read back %s/%s" % (container, blob),
        )
        return resp.content[: end - start] if resp.status_code == 206 else resp.content[start:end]

    # -- snapshots ------------------------------------------------------------------------------------------------
    def _snapshots(self, container: str, blob: str) -> dict:
        """``{snapshot timestamp: metadata}`` of the blob's snapshots."""
        listing = self.list_blobs(container, prefix=blob, include=["snapshots", "metadata"])
        return {b["snapshot"]: b.get("metadata") or {} for b in listing["blobs"] if b["name"] == blob and b.get("snapshot")}

    def _snapshot_once(self, container: str, blob: str, headers: dict) -> str:
        """One Snapshot Blob request, without transport retries (each call makes a snapshot)."""
        transport = self._transport()
        saved = transport.retries
        transport.retries = 0
        try:
            resp = self._call(
                "PUT",
                container,
                blob,
                query={"comp": "snapshot"},
                headers=headers,
                expected=(201,),
                action="snapshot blob %s/%s" % (container, blob),
            )
        finally:
            transport.retries = saved
        return resp.headers.get("x-ms-snapshot")

    def _adopt_snapshot(self, exc: AzureRestError, container: str, blob: str, before: dict, metadata: dict | None):
        """After an ambiguous snapshot failure: the newest snapshot made since ``before`` (with ``metadata`` when
        given), or None when there is none."""
        try:
            now = self._snapshots(container, blob)
        except AzureRestError as list_exc:
            raise mark(exc, True, None, "Whether a snapshot was made could not be checked: %s" % first_line(list_exc)) from None
        made = [
            s
            for s, meta in now.items()
            if s not in before and (metadata is None or self._metadata_applied({"metadata": meta}, metadata))
        ]
        return max(made) if made else None
