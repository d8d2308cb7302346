# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The generic REST call of signet.azure.request: URL building, body encoding and response parsing."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode, urlsplit

from .._errors import ConfigError
from .._xml import xml_to_dict


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


def encode_body(body, body_format: str, headers: dict):
    """Encode ``body`` for sending; sets Content-Type for json/xml unless the caller set one."""
    if body is None:
        return None
    has_ct = any(k.lower() == "content-type" for k in headers)
    if body_format == "json":
        if not has_ct:
            headers["Content-Type"] = "application/json"
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
