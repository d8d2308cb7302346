# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The generic REST call of signet.azure.request: URL building, body encoding and response parsing, the ``api-version``
a service needs, and ARM long-running operations (``wait``)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .._defaults import BATCH_API_VERSION
from .._errors import AzureRestError, ConfigError
from .._settings.entra import cloud_endpoints
from .._signing.batch import BATCH_CONTENT_TYPE
from .._xml import xml_to_dict
from .arm import ArmClient

#: Bytes read at a time from ``src`` (to hash it; requests streams it while sending).
CHUNK = 1024 * 1024
#: The first answers of an ARM long-running operation, accepted besides ``status_code`` when ``wait`` is set.
LRO_STARTED = (201, 202)
#: The ``auth`` values whose services take ``api-version`` in the query (storage and classic take x-ms-version).
QUERY_VERSIONED_AUTH = ("entra", "batch_shared_key", "none")


def build_url(url: str | None, path: str | None, base_url: str | None, query: dict | None = None) -> str:
    """The request URL: ``url`` as given, or ``base_url`` + ``path``. ``query`` is appended, encoded once."""
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError("url: %r is not an absolute http(s) URL" % url.split("?")[0])
        full = url
    else:
        if not base_url:
            raise ConfigError("path: no service endpoint is known for this auth; give url instead, or the account options")
        if not path.startswith("/"):
            path = "/" + path
        # keep what the user encoded; encode only characters that cannot appear in a URL
        full = base_url.rstrip("/") + quote(path, safe="/?&=%:@!$'()*+,;~-._")
    if query:
        sep = "&" if "?" in full else "?"
        full += sep + urlencode({str(k): str(v) for k, v in query.items()}, quote_via=quote, safe="")
    return full


def encode_body(body, body_format: str, headers: dict, json_type: str = "application/json"):
    """Encode ``body`` for sending; sets Content-Type for json/xml unless the caller set one (``json_type`` for json)."""
    if body is None:
        return None
    has_ct = any(k.lower() == "content-type" for k in headers)
    if body_format == "json":
        if not has_ct:
            headers["Content-Type"] = json_type
        if isinstance(body, (dict, list)):
            return json.dumps(body).encode("utf-8")
        return str(body).encode("utf-8")
    if body_format == "xml" and not has_ct:
        headers["Content-Type"] = "application/xml"
    if isinstance(body, (dict, list)):
        raise ConfigError("body: a dict or list needs body_format=json")
    return body.encode("utf-8") if isinstance(body, str) else body


def parse_content(resp):
    """Response body as a dict (JSON or XML) when it parses, else text."""
    ctype = resp.headers.get("Content-Type", "").lower()
    text = resp.content.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff").lstrip()
    if "json" in ctype or stripped.startswith(("{", "[")):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    if "xml" in ctype or stripped.startswith("<"):
        try:
            return xml_to_dict(stripped)
        except ValueError:
            pass
    return text


# -- request bodies: body, body_base64, src ---------------------------------------------------------------------------
def _has_header(headers: dict, name: str) -> bool:
    return any(k.lower() == name.lower() for k in headers)


def decode_base64_body(text: str) -> bytes:
    """The bytes of ``body_base64`` (whitespace and line breaks ignored, as in ``slurp`` output or PEM bodies)."""
    try:
        return base64.b64decode(re.sub(r"\s+", "", text or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(
            "body_base64: not valid base64 (%s); pass the bytes base64-encoded, e.g. slurp's content" % exc
        ) from None


def body_md5(data) -> str:
    """Base64 MD5 of a body: bytes, or an open binary file from its current position to the end, read in chunks (the
    position is kept)."""
    if isinstance(data, (bytes, bytearray)):
        return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")
    start = data.tell()
    digest = hashlib.md5()
    for chunk in iter(lambda: data.read(CHUNK), b""):
        digest.update(chunk)
    data.seek(start)
    return base64.b64encode(digest.digest()).decode("ascii")


def _open_src(path: str, stack: contextlib.ExitStack):
    """``src`` opened for streaming (a zero-byte file as ``b""``, which requests would otherwise send chunked)."""
    if not os.path.isfile(path):
        raise ConfigError("src: %s is not a file on the machine that runs the module" % path)
    try:
        fh = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - closed by the ExitStack
    except OSError as exc:
        raise ConfigError("src: cannot read %s: %s" % (path, exc.strerror or exc)) from None
    return fh if os.fstat(fh.fileno()).st_size else b""


@contextlib.contextmanager
def request_body(params: dict, headers: dict, json_type: str = "application/json"):
    """Yield ``(data, content_md5)`` for the body options of signet.azure.request.

    ``src`` is an open file that requests streams (never read into memory at once; the transport rewinds it before a
    retry), ``body_base64`` the decoded bytes, ``body`` as :func:`encode_body`. With ``content_md5`` the base64 MD5
    of exactly those bytes is set as ``Content-MD5`` (and yielded); ConfigError names the option when that cannot be.
    The file is closed when the block ends.
    """
    with contextlib.ExitStack() as stack:
        if params.get("src"):
            data = _open_src(params["src"], stack)
            encode_body("", params.get("body_format") or "raw", headers, json_type)  # only the Content-Type default
        elif params.get("body_base64") is not None:
            data = decode_base64_body(params["body_base64"])
            encode_body("", params.get("body_format") or "raw", headers, json_type)
        else:
            data = encode_body(params.get("body"), params.get("body_format") or "raw", headers, json_type)
        md5 = None
        if params.get("content_md5"):
            if data is None:
                raise ConfigError("content_md5: there is no body to hash; give body, body_base64 or src")
            if _has_header(headers, "Content-MD5"):
                raise ConfigError("content_md5: headers already set Content-MD5; drop one of them")
            md5 = body_md5(data)
            headers["Content-MD5"] = md5
        yield data, md5


# -- which service: api-version, the Batch Content-Type --------------------------------------------------------------
def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_batch_target(url: str, auth: str, params: dict) -> bool:
    """True for a Batch data-plane request: Batch Shared Key, or a token sent to a Batch account host."""
    if auth == "batch_shared_key":
        return True
    if auth != "entra":
        return False
    host = _host(url)
    endpoint = params.get("batch_endpoint") or ""
    suffix = cloud_endpoints(params)["batch_suffix"].lower()
    return host.endswith("." + suffix) or (
        bool(endpoint) and host == _host(endpoint if "://" in endpoint else "https://" + endpoint)
    )


def is_arm_target(url: str, auth: str, params: dict) -> bool:
    """True when ``url`` is on the resource manager of the cloud and is sent with an Entra token."""
    return auth == "entra" and _host(url) == _host(cloud_endpoints(params)["resource_manager"])


def with_api_version(url: str, auth: str, params: dict) -> str:
    """``url`` with ``api-version`` added when it has none: ``api_version`` when given, else ``batch_api_version`` for
    Batch. ARM has no default (each resource provider versions its own API): ConfigError names the option. Storage
    and the classic API version by header (``x-ms-version``): their URLs are left alone."""
    if auth not in QUERY_VERSIONED_AUTH or any(
        name.lower() == "api-version" for name, _v in parse_qsl(urlsplit(url).query, keep_blank_values=True)
    ):
        return url
    version = params.get("api_version")
    if not version and is_batch_target(url, auth, params):
        version = params.get("batch_api_version") or BATCH_API_VERSION
    if not version and is_arm_target(url, auth, params):
        raise ConfigError(
            "api_version: every Resource Manager request needs an api-version, and each resource provider has its own "
            "(see the provider's REST reference, e.g. 2024-11-04 for Microsoft.Compute/cloudServices); set api_version "
            "or add api-version to url, path or query"
        )
    if not version:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({"api-version": version}, quote_via=quote, safe="")


def batch_content_type_warning(headers: dict) -> str | None:
    """A warning when the caller's Content-Type for Batch is not JSON (it is kept, sent and signed as given)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if value is None or value.split(";", 1)[0].strip().lower() == "application/json":
        return None
    return (
        "headers: Content-Type %r is sent and signed as given, but the Batch service takes JSON bodies: "
        '"Authenticate requests to Azure Batch" asks for %s' % (value, BATCH_CONTENT_TYPE)
    )


# -- errors ----------------------------------------------------------------------------------------------------------
def _missing_parameter_name(body: str | None) -> str | None:
    text = (body or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        for item in (data.get("values") or []) if isinstance(data, dict) else []:
            if isinstance(item, dict) and item.get("key") == "QueryParameterName":
                return item.get("value")
        return None
    match = re.search(r"<QueryParameterName>([^<]+)</QueryParameterName>", text)
    return match.group(1).strip() if match else None


def name_missing_parameter(error: AzureRestError) -> None:
    """Say which query parameter a MissingRequiredQueryParameter answer (Batch, Storage) or ARM's
    MissingApiVersionParameter is about: the services put the name only in the body."""
    if error.error_code == "MissingApiVersionParameter":
        name = "api-version"
    elif error.error_code == "MissingRequiredQueryParameter":
        name = _missing_parameter_name(error.body)
    else:
        return
    if not name:
        return
    hint = "set api_version, or add it" if name == "api-version" else "add it"
    error.msg += "\nThe missing query parameter is %r: %s to url, path or query." % (name, hint)
    error.details["missing_query_parameter"] = name


# -- ARM long-running operations ---------------------------------------------------------------------------------------
def check_wait(url: str, auth: str, params: dict) -> None:
    """ConfigError unless ``wait`` can be honoured: an Entra-signed request to the cloud's resource manager."""
    if not is_arm_target(url, auth, params):
        raise ConfigError(
            "wait: only Azure Resource Manager long-running operations are followed, i.e. auth=entra and a url on %s "
            "(this request: auth=%s, host %s); poll other services with until/retries"
            % (_host(cloud_endpoints(params)["resource_manager"]), auth, _host(url) or "?")
        )


def follow_operation(transport, resp, method: str, url: str, params: dict) -> dict:
    """Follow the ARM long-running operation ``resp`` started. Returns ``{"response", "operation"}`` where
    ``operation`` is ``{"initial_status", "poll_url", "polls"}``; raises OperationFailedError (Failed, Canceled,
    ``wait_timeout``)."""
    endpoints = cloud_endpoints(params)
    arm = ArmClient(transport, endpoints["resource_manager"], "", poll_interval=float(params.get("poll_interval") or 15))
    followed = arm.follow(resp, method, url, float(params.get("wait_timeout") or 3600))
    operation = {"initial_status": resp.status_code, "poll_url": followed["poll_url"], "polls": len(arm.poll_log)}
    return {"response": followed["response"], "operation": operation}
