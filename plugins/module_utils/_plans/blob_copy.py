# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_copy: a server-side copy of a blob from a URL (another account, with a SAS or Entra ID) or from the
same account, idempotent.

Two ways ("Copy and move blobs"): Put Blob From URL (https://learn.microsoft.com/rest/api/storageservices/
put-blob-from-url) writes a block blob of up to 5000 MiB in one request; Copy Blob (.../copy-blob) copies any blob
type and size asynchronously, and its status is polled. A copy is skipped when the destination already holds the
source's content: same length and Content-MD5, or a finished copy from the same source URL that has not changed
since (``x-ms-copy-source``, ``x-ms-copy-status`` and the completion time). The source's SAS signature never appears
in a result: URLs are shown with ``sig=REDACTED``.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from .._clients.blob_features_wire import redact_sas, url_without_query
from .._clients.blob_wire import metadata_headers, validate_blob_name, validate_container_name
from .._errors import AzureRestError, ConfigError, NotFoundError
from .blob import normalize_metadata
from .blob_features import explain_lease_error
from .blob_sync_settings import creation_headers

#: mode=auto copies in one request (Put Blob From URL) up to this size, asynchronously (Copy Blob) above it.
SYNC_MAX = 256 * 1024 * 1024


def _when(text: str | None):
    try:
        return parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return None


def copy_source(client, p: dict) -> dict:
    """The copy source: ``{url, id, display, auth, headers}``. ``url`` is what goes into ``x-ms-copy-source``,
    ``id`` identifies it (no query), ``display`` has the signature masked, ``auth`` is how the source is read
    (``destination``: the module's own credential, same account; ``entra``; ``none``: the URL's SAS, or public)."""
    dest_entra = getattr(client.transport.auth, "name", "") == "entra"
    if p.get("source_url"):
        url = p["source_url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path.count("/") < 2:
            raise ConfigError(
                "source_url: %r is not a blob URL; give https://<account>.blob.core.windows.net/<container>/<blob>[?<SAS>]"
                % redact_sas(url)
            )
        has_sig = "sig" in {k.lower() for k in parse_qs(parts.query)}
        auth = p.get("source_auth") or "auto"
        if auth == "auto":
            auth = "none" if has_sig else ("entra" if dest_entra else "none")
        if auth == "entra" and not dest_entra:
            raise ConfigError(
                "source_auth: entra needs Entra ID for the destination too (storage_auth=entra); or put a SAS in source_url"
            )
        headers = {}
        if auth == "entra":
            headers["x-ms-copy-source-authorization"] = "Bearer " + client.transport.auth.token_auth.token()
        return {"url": url, "id": url_without_query(url), "display": redact_sas(url), "auth": auth, "headers": headers}
    container = validate_container_name(p["source_container"], "source_container")
    blob = validate_blob_name(p["source_name"], "source_name")
    url = client.url(container, blob, {"snapshot": p.get("source_snapshot")})
    token = getattr(client.settings, "sas_token", None)
    if token and getattr(client.transport.auth, "scheme", "") == "SAS":
        url += ("&" if "?" in url else "?") + token
    headers = {}
    if dest_entra:
        headers["x-ms-copy-source-authorization"] = "Bearer " + client.transport.auth.token_auth.token()
    ident = url_without_query(client.url(container, blob))
    return {
        "url": url,
        "id": ident,
        "display": redact_sas(url),
        "auth": "destination",
        "headers": headers,
        "blob": (container, blob),
    }


def read_source(client, p: dict, src: dict, source_transport) -> dict:
    """The source blob's ``{properties, metadata}``; NotFoundError naming the source (a SAS without read permission
    looks the same to the service)."""
    if src["auth"] == "destination":
        found = client.get_blob_full(src["blob"][0], src["blob"][1], p.get("source_snapshot"))
    else:
        transport = client.transport if src["auth"] == "entra" else source_transport
        found = client.head_url(transport, src["url"], "read the copy source %s" % src["display"])
    if found is None:
        raise NotFoundError(
            "copy from %s: the source blob does not exist (or the SAS in source_url does not allow reading it)" % src["display"],
            status=404,
            error_code="BlobNotFound",
        )
    return found


def plan_copy(source: dict, dest: dict | None, source_id: str, overwrite: str) -> dict:
    """Whether to copy: ``{action: copy | wait | none, reason}``. ``wait``: a copy from this source is still pending."""
    if dest is None:
        return {"action": "copy", "reason": "the blob does not exist"}
    if overwrite == "never":
        return {"action": "none", "reason": "the blob exists and overwrite=never"}
    sp, dp = source.get("properties") or {}, dest.get("properties") or {}
    same_source = url_without_query(dp.get("copy_source")) == source_id
    if same_source and dp.get("copy_status") == "pending":
        return {"action": "wait", "reason": "a copy from this source is in progress"}
    if overwrite == "always":
        return {"action": "copy", "reason": "overwrite=always"}
    same_length = sp.get("content_length") == dp.get("content_length")
    if same_length and sp.get("content_md5") and sp.get("content_md5") == dp.get("content_md5"):
        return {"action": "none", "reason": "same length and MD5 as the source"}
    done, changed = _when(dp.get("copy_completion_time")), _when(sp.get("last_modified"))
    if same_source and same_length and dp.get("copy_status") == "success" and done and changed and changed <= done:
        return {"action": "none", "reason": "copied from this source, which has not changed since"}
    return {
        "action": "copy",
        "reason": "the content differs" if sp.get("content_md5") and dp.get("content_md5") else "no MD5 to compare",
    }


def pick_mode(p: dict, source: dict, src: dict) -> str:
    """``sync`` (Put Blob From URL) or ``async`` (Copy Blob) per ``mode``; ``auto`` takes sync for a block blob of at
    most SYNC_MAX with a Content-MD5 read through a SAS or Entra ID, else async."""
    props = source.get("properties") or {}
    mode = p.get("mode") or "auto"
    if mode == "sync" and props.get("blob_type") not in (None, "block"):
        raise ConfigError(
            "mode: sync (Put Blob From URL) copies block blobs only; the source is a %s blob, use mode=async"
            % props.get("blob_type")
        )
    if mode != "auto":
        return mode
    small = (props.get("content_length") or 0) <= SYNC_MAX
    if props.get("blob_type") == "block" and small and props.get("content_md5") and src["auth"] != "destination":
        return "sync"
    return "async"


def _write_headers(p: dict, src: dict, source: dict, mode: str) -> dict:
    """Headers of the copy request: source authorization, metadata, tags, tier and, for Put Blob From URL, the
    source's MD5 (the service checks the copied bytes against it)."""
    headers = dict(src["headers"])
    meta = normalize_metadata(p.get("metadata"))
    if meta is not None:
        headers.update(metadata_headers(meta))
    headers.update(creation_headers(p))
    md5 = (source.get("properties") or {}).get("content_md5")
    if mode == "sync" and md5:
        headers["x-ms-source-content-md5"] = md5
    return headers


def _run_copy(client, container: str, name: str, p: dict, src: dict, source: dict, mode: str, plan: dict) -> dict:
    """Copy (or wait for the pending copy) and return ``{copy_operation, blob}``."""
    copy = {"mode": mode, "status": None, "id": None}
    if plan["action"] == "copy" and mode == "sync":
        try:
            client.put_blob_from_url(container, name, src["url"], _write_headers(p, src, source, mode))
        except AzureRestError as exc:
            if exc.status != 501 or (p.get("mode") or "auto") != "auto":
                raise
            # an emulator without Put Blob From URL (Azurite answers 501): Copy Blob does the same job
            return _run_copy(client, container, name, p, src, source, "async", plan)
        copy["status"] = "success"
        md5 = (source.get("properties") or {}).get("content_md5")
        now = client.get_blob_full(container, name)
        if md5 and not now["properties"].get("content_md5"):  # checked against x-ms-source-content-md5: store it
            client.set_content_md5(container, name, md5)
    else:
        if plan["action"] == "copy":
            started = client.start_copy(container, name, src["url"], _write_headers(p, src, source, mode))
            copy.update(id=started["copy_id"], status=started["copy_status"])
        if p.get("wait", True):
            done = client.wait_copy(container, name, copy["id"], float(p.get("wait_timeout") or 3600))
            copy.update(id=done["properties"].get("copy_id"), status=done["properties"].get("copy_status"))
    return {"copy_operation": copy, "blob": client.get_blob_full(container, name)}


def _summary(blob: dict | None) -> dict:
    props = (blob or {}).get("properties") or {}
    keys = ("blob_type", "content_length", "content_md5", "copy_source", "copy_status")
    return {k: props.get(k) for k in keys if props.get(k) is not None}


def ensure_copy(client, p: dict, check_mode: bool, source_transport=None) -> dict:
    """storage_blob_copy: copy the source (``source_url``, or ``source_container``/``source_name``) onto
    ``container``/``name`` unless the destination already holds it; ``source_transport`` reads a source URL that
    carries its own authorization (a SAS) or is public."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    client.use_lease(container, name, p.get("lease_id"))
    src = copy_source(client, p)
    source = read_source(client, p, src, source_transport)
    dest = client.get_blob_full(container, name)
    plan = plan_copy(source, dest, src["id"], p.get("overwrite") or "different")
    mode = pick_mode(p, source, src)
    sp = source.get("properties") or {}
    after = dict(_summary(dest), content_length=sp.get("content_length"), content_md5=sp.get("content_md5"))
    result = {
        "changed": plan["action"] == "copy",
        "action": {"copy": "copied", "wait": "waited", "none": "unchanged"}[plan["action"]],
        "plan": plan,
        "source": src["display"],
        "blob": dest,
        "diff": {"before": _summary(dest), "after": after if plan["action"] == "copy" else _summary(dest)},
    }
    if plan["action"] == "none" or check_mode:
        return result
    try:
        result.update(_run_copy(client, container, name, p, src, source, mode, plan))
    except AzureRestError as exc:
        exc.details.setdefault("changed", plan["action"] == "copy")
        raise explain_lease_error(exc) from None
    return result
