# SPDX-License-Identifier: GPL-3.0-or-later
"""Blob storage of the twin (``<account>.blob.core.windows.net`` and the China / US Gov suffixes): the small part of
the Blob service that Azurite lacks, so that signet.azure can be tested against it (issue 18).

* **Soft delete and undelete** ("Soft delete for blobs"): with the account's delete retention policy on (seeded: 7
  days), Delete Blob keeps the blob as soft-deleted; ``List Blobs`` with ``include=deleted`` shows it (``Deleted``,
  ``DeletedTime``, ``RemainingRetentionDays``); ``Undelete Blob`` (``PUT ?comp=undelete``) restores it. Get/Set Blob
  Service Properties read and change the policy (``DeleteRetentionPolicy``).
* **Put Blob From URL** (``PUT`` with ``x-ms-copy-source``, version 2020-04-08+): the source must be a blob of a twin
  account, readable through a SAS in its URL (verified with the source account's key) or an Entra ID token in
  ``x-ms-copy-source-authorization``; ``x-ms-source-content-md5`` is checked; ``x-ms-copy-source-blob-properties``
  (default true) copies the content settings; ``x-ms-tags`` and ``x-ms-meta-*`` apply.
* Enough around them to be usable by Microsoft's azure-storage-blob and by the collection: create, get and delete
  containers; Put Blob (block blobs), Get Blob (ranges), Get Blob Properties, Set Blob Properties, Delete Blob,
  Get Blob Tags, List Blobs (prefix, include, paging).

Authorization: ``Authorization: Bearer`` (a twin Entra token for ``https://storage.azure.com``), or a SAS in the query
(account SAS or blob/container service SAS, version 2020-12-06 and later, checked with the account key). No Shared
Key: use Azurite for that. Answers and errors are Storage's XML (``<Error><Code/><Message/></Error>``, with
``x-ms-error-code`` and ``x-ms-request-id``).

Seeded accounts (``twin.json`` → ``blob``): ``signettwinsa`` (the destination) and ``signettwinsrc`` (a second account,
for cross-account copies), each with a random key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import time
import uuid
import xml.etree.ElementTree as ET
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from . import entra
from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, TokenError

ACCOUNTS = ("signettwinsa", "signettwinsrc")
SUFFIXES = {
    "AzureCloud": "blob.core.windows.net",
    "AzureChinaCloud": "blob.core.chinacloudapi.cn",
    "AzureUSGovernment": "blob.core.usgovcloudapi.net",
}
STORAGE_AUDIENCE = "https://storage.azure.com"
RETENTION_DAYS = 7
MIN_SAS_VERSION = "2020-12-06"
CONTENT_HEADERS = {
    "content_type": ("x-ms-blob-content-type", "Content-Type"),
    "content_encoding": ("x-ms-blob-content-encoding", "Content-Encoding"),
    "content_language": ("x-ms-blob-content-language", "Content-Language"),
    "content_disposition": ("x-ms-blob-content-disposition", "Content-Disposition"),
    "cache_control": ("x-ms-blob-cache-control", "Cache-Control"),
}
_LIST_PROPS = (
    ("content_type", "Content-Type"),
    ("content_encoding", "Content-Encoding"),
    ("content_language", "Content-Language"),
    ("content_md5", "Content-MD5"),
    ("content_disposition", "Content-Disposition"),
    ("cache_control", "Cache-Control"),
)


class BlobError(Exception):
    """A Storage error answer: status, code, message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def _etag() -> str:
    return '"0x%s"' % uuid.uuid4().hex[:15].upper()


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def _meta(request: Request) -> dict:
    return {n[len("x-ms-meta-") :]: v for n, v in request.headers.items() if n.lower().startswith("x-ms-meta-")}


def _tags_from_header(value: str | None) -> dict:
    if not value:
        return {}
    return {k: vs[0] for k, vs in parse_qs(value, keep_blank_values=True).items()}


# -- SAS ------------------------------------------------------------------------------------------------------------
def sas_string_to_sign(account: str, q: dict, container: str | None, blob: str | None) -> str:
    """The string-to-sign of an account SAS (``ss``) or a blob/container service SAS (``sr``), version 2020-12-06+
    ("Create an account SAS", "Create a service SAS")."""
    g = lambda k: q.get(k, [""])[0]  # noqa: E731
    if g("ss"):
        parts = [account, g("sp"), g("ss"), g("srt"), g("st"), g("se"), g("sip"), g("spr"), g("sv"), g("ses")]
        return "\n".join(parts) + "\n"
    resource = "/blob/%s/%s" % (account, container or "")
    if g("sr") in ("b", "bs", "bv") and blob:
        resource += "/" + blob
    parts = [g("sp"), g("st"), g("se"), resource, g("si"), g("sip"), g("spr"), g("sv"), g("sr"), g("sst"), g("ses")]
    parts += [g("rscc"), g("rscd"), g("rsce"), g("rscl"), g("rsct")]
    return "\n".join(parts)


def verify_sas(key: str, account: str, query: str, container: str | None, blob: str | None, need: str) -> None:
    """BlobError 403 unless the SAS in ``query`` is signed with ``key``, valid now, and grants one of ``need``."""
    q = parse_qs(query, keep_blank_values=True)
    sig = q.get("sig", [""])[0]
    if (q.get("sv", [""])[0] or "") < MIN_SAS_VERSION:
        raise BlobError(403, "AuthenticationFailed", "The twin checks SAS of version %s and later only." % MIN_SAS_VERSION)
    expected = base64.b64encode(
        hmac.new(base64.b64decode(key), sas_string_to_sign(account, q, container, blob).encode("utf-8"), hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(sig, expected):
        raise BlobError(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly "
            "including the signature.",
        )
    expiry = q.get("se", [""])[0]
    if expiry and dt.datetime.fromisoformat(expiry.replace("Z", "+00:00")) < dt.datetime.now(dt.timezone.utc):
        raise BlobError(403, "AuthenticationFailed", "Signed expiry time has to be after signed start time / the SAS expired.")
    if not set(q.get("sp", [""])[0]) & set(need):
        raise BlobError(
            403,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        )


# -- the plugin ----------------------------------------------------------------------------------------------------
class BlobStorage(Plugin):
    name = "blob"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        return ["*." + SUFFIXES[cloud.name]]

    @classmethod
    def seed(cls, state, state_dir) -> None:
        data = state.ns(cls.name)
        data["accounts"] = {}
        info = {"accounts": {}, "retention_days": RETENTION_DAYS}
        for name in ACCOUNTS:
            key = base64.b64encode(os.urandom(64)).decode()
            state.register_secret(key)
            data["accounts"][name] = {"key": key, "containers": {}, "retention_days": RETENTION_DAYS}
            info["accounts"][name] = {
                "key": key,
                "endpoints": {c: "https://%s.%s" % (name, s) for c, s in SUFFIXES.items()},
            }
        info["account"], info["source_account"] = ACCOUNTS
        state.info[cls.name] = info

    # -- plumbing ---------------------------------------------------------------------------------------------------
    def _error(self, exc: BlobError) -> Response:
        rid = str(uuid.uuid4())
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        body = (
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s\nRequestId:%s\nTime:%s</Message></Error>'
            % (
                exc.code,
                exc.message.replace("&", "&amp;").replace("<", "&lt;"),
                rid,
                now,
            )
        )
        headers = {"Content-Type": "application/xml", "x-ms-error-code": exc.code, "x-ms-request-id": rid}
        headers.update(exc.headers)
        return Response(exc.status, body.encode("utf-8"), headers)

    @staticmethod
    def _ok(status: int, body=None, headers=None) -> Response:
        hdrs = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-version": "2023-11-03"}
        hdrs.update(headers or {})
        return Response(status, body, hdrs)

    def _account(self, request: Request) -> tuple[str, dict]:
        name = request.host.split(".", 1)[0]
        acct = self.data["accounts"].get(name)
        if acct is None:
            raise BlobError(400, "InvalidUri", "The twin has no storage account %s." % name)
        return name, acct

    def _authorize(self, request: Request, account: str, acct: dict, container, blob, need: str) -> None:
        auth = request.headers.get("Authorization") or ""
        if not request.headers.get("x-ms-version") and "sv=" not in request.raw_query:
            raise BlobError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.")
        if auth.lower().startswith("bearer "):
            self._verify_token(request, account, auth[7:].strip())
            return
        if auth:
            raise BlobError(
                403,
                "AuthenticationFailed",
                "The twin's blob service takes Entra ID tokens and SAS only (use Azurite for Shared Key).",
            )
        if "sig=" in request.raw_query:
            verify_sas(acct["key"], account, request.raw_query, container, blob, need)
            return
        if blob and request.method in ("GET", "HEAD"):  # anonymous read of a private blob: Azure says nothing more
            raise BlobError(404, "ResourceNotFound", "The specified resource does not exist.")
        raise BlobError(
            401,
            "NoAuthenticationInformation",
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
            self._challenge(request),
        )

    def _challenge(self, request: Request) -> dict:
        login = request.cloud.login_host if request.cloud else "login.microsoftonline.com"
        return {
            "WWW-Authenticate": "Bearer authorization_uri=https://%s/%s/oauth2/authorize resource_id=%s"
            % (login, self.state.tenant_id, STORAGE_AUDIENCE)
        }

    def _verify_token(self, request: Request, account: str, token: str) -> dict:
        audiences = (STORAGE_AUDIENCE, "https://%s.%s" % (account, request.host.split(".", 1)[1]))
        try:
            return entra.verify_access_token(self.state, token, audiences)
        except TokenError as exc:
            raise BlobError(
                401,
                "InvalidAuthenticationInfo",
                "Server failed to authenticate the request. %s" % exc.message,
                self._challenge(request),
            ) from None

    # -- dispatch ---------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        try:
            with self.state.lock:
                return self._dispatch(request)
        except BlobError as exc:
            return self._error(exc)

    def _dispatch(self, request: Request) -> Response:
        account, acct = self._account(request)
        parts = request.path.lstrip("/").split("/", 1)
        container = parts[0] or None
        blob = parts[1] if len(parts) > 1 and parts[1] else None
        restype, comp = request.query_one("restype"), request.query_one("comp")
        method = request.method
        need = "rl" if method in ("GET", "HEAD") else ("d" if method == "DELETE" else "wc")
        if comp == "list" and blob is None:
            need = "l"
        self._authorize(request, account, acct, container, blob, need)
        if container is None:
            if restype == "service" and comp == "properties":
                return self._service_properties(request, acct)
            raise BlobError(400, "InvalidQueryParameterValue", "The twin's blob service has no such account operation.")
        if blob is None:
            return self._container_op(request, acct, container, restype, comp)
        return self._blob_op(request, account, acct, container, blob, comp)

    def _container(self, acct: dict, name: str) -> dict:
        c = acct["containers"].get(name)
        if c is None:
            raise BlobError(404, "ContainerNotFound", "The specified container does not exist.")
        return c

    def _container_op(self, request: Request, acct: dict, name: str, restype, comp) -> Response:
        method = request.method
        if restype == "container" and comp == "list" and method == "GET":
            return self._list(request, name, self._container(acct, name))
        if restype == "container" and comp is None:
            if method == "PUT":
                if name in acct["containers"]:
                    raise BlobError(409, "ContainerAlreadyExists", "The specified container already exists.")
                acct["containers"][name] = {
                    "meta": _meta(request),
                    "etag": _etag(),
                    "modified": time.time(),
                    "blobs": {},
                    "deleted": {},
                }
                return self._ok(201, headers={"ETag": acct["containers"][name]["etag"]})
            c = self._container(acct, name)
            if method == "DELETE":
                del acct["containers"][name]
                return self._ok(202)
            if method in ("GET", "HEAD"):
                hdrs = {
                    "ETag": c["etag"],
                    "Last-Modified": _http_date(c["modified"]),
                    "x-ms-lease-state": "available",
                    "x-ms-lease-status": "unlocked",
                }
                hdrs.update({"x-ms-meta-" + k: v for k, v in c["meta"].items()})
                return self._ok(200, headers=hdrs)
        raise BlobError(400, "InvalidQueryParameterValue", "The twin's blob service has no such container operation.")

    def _blob_op(self, request: Request, account: str, acct: dict, container: str, name: str, comp) -> Response:
        c = self._container(acct, container)
        method = request.method
        if method == "PUT" and comp is None:
            if request.headers.get("x-ms-copy-source"):
                return self._put_from_url(request, c, name)
            return self._put_blob(request, c, name)
        if method == "PUT" and comp == "undelete":
            return self._undelete(c, name)
        if method == "PUT" and comp == "properties":
            b = self._blob(c, name)
            for key, (header, _resp) in CONTENT_HEADERS.items():
                b["props"][key] = request.headers.get(header)
            b["props"]["content_md5"] = request.headers.get("x-ms-blob-content-md5")
            b["etag"], b["modified"] = _etag(), time.time()
            return self._ok(200, headers={"ETag": b["etag"], "Last-Modified": _http_date(b["modified"])})
        if method == "GET" and comp == "tags":
            return self._get_tags(self._blob(c, name))
        if method == "DELETE" and comp is None:
            return self._delete(acct, c, name)
        if method in ("GET", "HEAD") and comp is None:
            return self._get(request, self._blob(c, name))
        raise BlobError(400, "InvalidQueryParameterValue", "The twin's blob service has no such blob operation.")

    # -- blobs ------------------------------------------------------------------------------------------------------
    @staticmethod
    def _blob(c: dict, name: str) -> dict:
        b = c["blobs"].get(name)
        if b is None:
            raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
        return b

    @staticmethod
    def _new_blob(content: bytes, props: dict, meta: dict, tags: dict) -> dict:
        now = time.time()
        return {"content": content, "props": props, "meta": meta, "tags": tags, "etag": _etag(), "modified": now, "created": now}

    def _put_blob(self, request: Request, c: dict, name: str) -> Response:
        if (request.headers.get("x-ms-blob-type") or "") != "BlockBlob":
            raise BlobError(400, "InvalidHeaderValue", "The twin stores block blobs only (x-ms-blob-type: BlockBlob).")
        if request.headers.get("If-None-Match") == "*" and name in c["blobs"]:
            raise BlobError(409, "BlobAlreadyExists", "The specified blob already exists.")
        md5 = _md5(request.body)
        given = request.headers.get("Content-MD5")
        if given and given != md5:
            raise BlobError(
                400,
                "Md5Mismatch",
                "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
            )
        props = {k: request.headers.get(h) for k, (h, _r) in CONTENT_HEADERS.items()}
        props["content_type"] = props["content_type"] or "application/octet-stream"
        props["content_md5"] = request.headers.get("x-ms-blob-content-md5") or md5
        c["blobs"][name] = b = self._new_blob(
            request.body, props, _meta(request), _tags_from_header(request.headers.get("x-ms-tags"))
        )
        return self._ok(201, headers={"ETag": b["etag"], "Last-Modified": _http_date(b["modified"]), "Content-MD5": md5})

    def _source(self, request: Request) -> dict:
        """The source blob of Put Blob From URL, authorized by its SAS or the copy-source token."""
        url = request.headers.get("x-ms-copy-source")
        parts = urlsplit(url)
        account = (parts.hostname or "").split(".", 1)[0]
        acct = self.data["accounts"].get(account)
        path = unquote(parts.path).lstrip("/").split("/", 1)
        if acct is None or len(path) < 2 or not (parts.hostname or "").endswith(tuple(SUFFIXES.values())):
            raise BlobError(400, "CannotVerifyCopySource", "The source is not a blob of a twin storage account.")
        token = request.headers.get("x-ms-copy-source-authorization") or ""
        try:
            if token.lower().startswith("bearer "):
                self._verify_token(request, account, token[7:].strip())
            elif "sig=" in parts.query:
                verify_sas(acct["key"], account, parts.query, path[0], path[1], "r")
            else:
                raise BlobError(403, "CannotVerifyCopySource", "Public access is not permitted on this storage account.")
        except BlobError as exc:
            raise BlobError(exc.status if exc.status != 401 else 403, "CannotVerifyCopySource", exc.message) from None
        c = acct["containers"].get(path[0]) or {"blobs": {}}
        if path[1] not in c["blobs"]:
            raise BlobError(404, "CannotVerifyCopySource", "The specified blob does not exist.")
        return c["blobs"][path[1]]

    def _put_from_url(self, request: Request, c: dict, name: str) -> Response:
        if (request.headers.get("x-ms-version") or "") < "2020-04-08":
            raise BlobError(400, "InvalidHeaderValue", "Put Blob From URL needs x-ms-version 2020-04-08 or later.")
        if request.headers.get("If-None-Match") == "*" and name in c["blobs"]:
            raise BlobError(409, "BlobAlreadyExists", "The specified blob already exists.")
        src = self._source(request)
        want = request.headers.get("x-ms-source-content-md5")
        if want and want != _md5(src["content"]):
            raise BlobError(
                400,
                "Md5Mismatch",
                "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
            )
        copy_props = (request.headers.get("x-ms-copy-source-blob-properties") or "true").lower() != "false"
        props = dict(src["props"]) if copy_props else {"content_type": "application/octet-stream"}
        for key, (header, _resp) in CONTENT_HEADERS.items():
            if request.headers.get(header):
                props[key] = request.headers.get(header)
        if request.headers.get("x-ms-blob-content-md5"):
            props["content_md5"] = request.headers.get("x-ms-blob-content-md5")
        tags = _tags_from_header(request.headers.get("x-ms-tags"))
        c["blobs"][name] = b = self._new_blob(src["content"], props, _meta(request), tags)
        headers = {"ETag": b["etag"], "Last-Modified": _http_date(b["modified"])}
        if want:
            headers["Content-MD5"] = want
        return self._ok(201, headers=headers)

    def _blob_headers(self, b: dict) -> dict:
        p = b["props"]
        hdrs = {
            "ETag": b["etag"],
            "Last-Modified": _http_date(b["modified"]),
            "x-ms-creation-time": _http_date(b["created"]),
            "x-ms-blob-type": "BlockBlob",
            "x-ms-lease-state": "available",
            "x-ms-lease-status": "unlocked",
            "x-ms-server-encrypted": "true",
            "x-ms-access-tier": "Hot",
            "x-ms-access-tier-inferred": "true",
            "Accept-Ranges": "bytes",
        }
        for key, (_h, header) in CONTENT_HEADERS.items():
            if p.get(key):
                hdrs[header] = p[key]
        if b["tags"]:
            hdrs["x-ms-tag-count"] = str(len(b["tags"]))
        hdrs.update({"x-ms-meta-" + k: v for k, v in b["meta"].items()})
        return hdrs

    def _get(self, request: Request, b: dict) -> Response:
        hdrs = self._blob_headers(b)
        data = b["content"]
        if request.headers.get("If-Match") not in (None, "*", b["etag"]):
            raise BlobError(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")
        wanted = request.headers.get("x-ms-range") or request.headers.get("Range")
        if wanted and data:
            start, _, end = wanted.split("=", 1)[1].partition("-")
            start, end = int(start), min(int(end) if end else len(data) - 1, len(data) - 1)
            if start >= len(data):
                raise BlobError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
            hdrs["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
            if b["props"].get("content_md5"):
                hdrs["x-ms-blob-content-md5"] = b["props"]["content_md5"]
            hdrs.pop("Content-MD5", None)
            part = data[start : end + 1]
            return self._ok(206, None if request.method == "HEAD" else part, hdrs)
        if b["props"].get("content_md5"):
            hdrs["Content-MD5"] = b["props"]["content_md5"]
        if request.method == "HEAD":
            hdrs["Content-Length"] = str(len(data))
            return self._ok(200, None, hdrs)
        return self._ok(200, data, hdrs)

    def _get_tags(self, b: dict) -> Response:
        root = ET.Element("Tags")
        tag_set = ET.SubElement(root, "TagSet")
        for k, v in b["tags"].items():
            tag = ET.SubElement(tag_set, "Tag")
            ET.SubElement(tag, "Key").text = k
            ET.SubElement(tag, "Value").text = v
        return self._ok(200, ET.tostring(root, encoding="utf-8", xml_declaration=True), {"Content-Type": "application/xml"})

    def _delete(self, acct: dict, c: dict, name: str) -> Response:
        b = self._blob(c, name)
        del c["blobs"][name]
        if acct["retention_days"]:
            c["deleted"].setdefault(name, []).append(dict(b, deleted_time=time.time()))
        return self._ok(202, headers={"x-ms-delete-type-permanent": "false" if acct["retention_days"] else "true"})

    def _undelete(self, c: dict, name: str) -> Response:
        versions = c["deleted"].get(name) or []
        if name not in c["blobs"]:
            if not versions:
                raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
            restored = dict(versions.pop())
            restored.pop("deleted_time", None)
            c["blobs"][name] = restored
        if not versions:
            c["deleted"].pop(name, None)
        return self._ok(200)

    # -- listing and the service ------------------------------------------------------------------------------------
    def _list(self, request: Request, cname: str, c: dict) -> Response:
        include = set((request.query_one("include") or "").split(","))
        prefix = request.query_one("prefix") or ""
        entries = [(n, b, None) for n, b in c["blobs"].items()]
        if "deleted" in include:
            entries += [(n, b, b["deleted_time"]) for n, vs in c["deleted"].items() for b in vs]
        entries = sorted((e for e in entries if e[0].startswith(prefix)), key=lambda e: (e[0], e[2] or 0))
        start = int(request.query_one("marker") or 0)
        size = int(request.query_one("maxresults") or 5000)
        page = entries[start : start + size]
        root = ET.Element("EnumerationResults", ServiceEndpoint="https://%s/" % request.host, ContainerName=cname)
        if prefix:
            ET.SubElement(root, "Prefix").text = prefix
        blobs = ET.SubElement(root, "Blobs")
        for name, b, deleted in page:
            self._list_entry(blobs, name, b, deleted, include, c)
        ET.SubElement(root, "NextMarker").text = str(start + size) if start + size < len(entries) else None
        return self._ok(200, ET.tostring(root, encoding="utf-8", xml_declaration=True), {"Content-Type": "application/xml"})

    def _list_entry(self, parent, name: str, b: dict, deleted, include: set, c: dict) -> None:
        node = ET.SubElement(parent, "Blob")
        ET.SubElement(node, "Name").text = name
        if deleted is not None:
            ET.SubElement(node, "Deleted").text = "true"
        props = ET.SubElement(node, "Properties")
        ET.SubElement(props, "Creation-Time").text = _http_date(b["created"])
        ET.SubElement(props, "Last-Modified").text = _http_date(b["modified"])
        ET.SubElement(props, "Etag").text = b["etag"]
        ET.SubElement(props, "Content-Length").text = str(len(b["content"]))
        for key, tag in _LIST_PROPS:
            ET.SubElement(props, tag).text = b["props"].get(key) or None
        for tag, text in (("BlobType", "BlockBlob"), ("AccessTier", "Hot"), ("AccessTierInferred", "true")):
            ET.SubElement(props, tag).text = text
        for tag, text in (("LeaseStatus", "unlocked"), ("LeaseState", "available"), ("ServerEncrypted", "true")):
            ET.SubElement(props, tag).text = text
        if deleted is not None:
            days_left = RETENTION_DAYS - int((time.time() - deleted) // 86400)
            ET.SubElement(props, "DeletedTime").text = _http_date(deleted)
            ET.SubElement(props, "RemainingRetentionDays").text = str(max(days_left, 0))
        meta = ET.SubElement(node, "Metadata")
        if "metadata" in include:
            for k, v in b["meta"].items():
                ET.SubElement(meta, k).text = v

    def _service_properties(self, request: Request, acct: dict) -> Response:
        if request.method == "PUT":
            root = ET.fromstring(request.body or b"<StorageServiceProperties/>")
            policy = root.find("DeleteRetentionPolicy")
            if policy is not None:
                enabled = (policy.findtext("Enabled") or "false").lower() == "true"
                acct["retention_days"] = int(policy.findtext("Days") or RETENTION_DAYS) if enabled else 0
            return self._ok(202)
        root = ET.Element("StorageServiceProperties")
        policy = ET.SubElement(root, "DeleteRetentionPolicy")
        ET.SubElement(policy, "Enabled").text = "true" if acct["retention_days"] else "false"
        if acct["retention_days"]:
            ET.SubElement(policy, "Days").text = str(acct["retention_days"])
        return self._ok(200, ET.tostring(root, encoding="utf-8", xml_declaration=True), {"Content-Type": "application/xml"})

    def control(self, action: str, payload):
        """``POST /_twin/blob/retention`` ``{"account", "days"}`` (0 turns soft delete off)."""
        if action == "retention":
            with self.state.lock:
                self.data["accounts"][payload["account"]]["retention_days"] = int(payload["days"])
            return {"ok": True}
        return super().control(action, payload)
