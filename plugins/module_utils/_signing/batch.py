# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Batch Shared Key string-to-sign construction (pure functions, no I/O).

Rules follow Microsoft's "Authenticate requests to Azure Batch" (sections "Specify the date header", "Construct the
signature string", "Construct the canonicalized headers string", "Construct the canonicalized resource string") .
Only the standard header list and the HMAC are shared with ``storage.py`` (``common.py``); the rest is deliberately
separate:

* Content-Length is signed as the literal header value ("0" for an empty POST), never blanked as Storage does for
  x-ms-version >= 2015-02-21;
* the Content-Type is the one sent: the collection sends :data:`BATCH_CONTENT_TYPE` unless the caller set one (the
  Batch service assumes it for a request without one, StackOverflow question 59024892);
* the canonicalized headers are the ``ocp-*`` headers, and the date is ``ocp-date`` (the Date line is then empty);
* the canonicalized resource is ``/`` + account + encoded path, then ``\\nname:value`` per query parameter, with no
  space before it and exactly the parameters on the URL.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from .common import STANDARD_HEADERS, hmac_sha256_b64

#: The Content-Type the Batch service expects; sent (and signed) on every request that has none, GET included.
BATCH_CONTENT_TYPE = "application/json; odata=minimalmetadata; charset=utf-8"

_LWS = re.compile(r"[ \t\r\n]+")


def decode_batch_key(key: str) -> bytes:
    """Base64-decode a Batch account access key.

    Raises ValueError with a reason that never echoes the key (the Python Batch SDK does; we do not).
    """
    if not key or not key.strip():
        raise ValueError("the Batch access key is empty")
    try:
        raw = base64.b64decode(key.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(
            "the Batch access key is not valid base64 (%s); copy the primary or secondary key from the Batch account's Keys page"
            % exc
        ) from None
    if not raw:
        raise ValueError("the Batch access key decodes to zero bytes")
    return raw


def sign(key: str, string_to_sign: str) -> str:
    """Base64(HMAC-SHA256(base64-decoded key, UTF-8 string-to-sign))."""
    return hmac_sha256_b64(decode_batch_key(key), string_to_sign)


def _header_map(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(n), "" if v is None else str(v)) for n, v in items]


def canonicalized_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """ "Construct the canonicalized headers string": every ``ocp-*`` header (ocp-date included), name lowercased,
    sorted by name, values of repeated names joined with commas, linear whitespace folded to one space and trimmed,
    each as ``name:value\\n``.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in _header_map(headers):
        lname = name.strip().lower()
        if lname.startswith("ocp-"):
            grouped.setdefault(lname, []).append(_LWS.sub(" ", value).strip())
    return "".join("%s:%s\n" % (name, ",".join(grouped[name])) for name in sorted(grouped))


def canonicalized_resource(account: str, url_path: str, query: str = "") -> str:
    """ "Construct the canonicalized resource string": ``/`` + account + the path as encoded on the wire, then for
    each query parameter (names lowercased, sorted, name and value URL-decoded once, repeated values sorted and
    comma-joined) ``\\nname:value``. No space anywhere, no trailing newline, only the parameters actually sent.
    """
    resource = "/%s%s" % (account, url_path or "/")
    grouped: dict[str, list[str]] = {}
    for part in (query or "").split("&"):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        grouped.setdefault(unquote(name).lower(), []).append(unquote(value))
    for name in sorted(grouped):
        resource += "\n%s:%s" % (name, ",".join(sorted(grouped[name])))
    return resource


def string_to_sign(method: str, url: str, headers: Mapping[str, str] | Iterable[tuple[str, str]], account: str) -> str:
    """The Batch Shared Key string-to-sign for a request as it goes on the wire.

    ``url`` is the final URL (path and query exactly as sent), ``headers`` the final headers. When ``ocp-date`` is
    present the Date line is empty even if a Date header is sent ("If you set ocp-date, construct the signature with
    an empty value for the Date header"). Content-Length and Content-Type are signed exactly as sent.
    """
    pairs = _header_map(headers)
    lower: dict[str, str] = {}
    for name, value in pairs:
        lower.setdefault(name.strip().lower(), value.strip())
    has_ocp_date = bool(lower.get("ocp-date"))
    lines = [method.upper()]
    for name in STANDARD_HEADERS:
        if name == "date" and has_ocp_date:
            lines.append("")
        else:
            lines.append(lower.get(name, ""))
    parts = urlsplit(url)
    return "\n".join(lines) + "\n" + canonicalized_headers(pairs) + canonicalized_resource(account, parts.path, parts.query)


def authorization(account: str, key: str, sts: str) -> str:
    """The ``Authorization`` header value ``SharedKey <account>:<signature>``."""
    return "SharedKey %s:%s" % (account, sign(key, sts))
