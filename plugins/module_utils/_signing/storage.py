# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Storage Shared Key and SharedKeyLite string-to-sign construction (pure functions, no I/O).

Rules follow Microsoft's "Authorize with Shared Key" (sections "Constructing the signature string",
"Constructing the canonicalized headers string", "Constructing the canonicalized resource string") .
The header order is the service's collation, not code-point order (see ``header_sort_key``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus, urlsplit

from .common import STANDARD_HEADERS, hmac_sha256_b64


def decode_account_key(account_key: str) -> bytes:
    """Base64-decode an account key.

    Raises ValueError with a readable reason when the key is not valid base64 or is empty.
    """
    if not account_key or not account_key.strip():
        raise ValueError("the account key is empty")
    key = account_key.strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(
            "the account key is not valid base64 (%s); copy key1 or key2 from the storage account's Access keys" % exc
        ) from None
    if not raw:
        raise ValueError("the account key decodes to zero bytes")
    return raw


def sign(account_key: str, string_to_sign: str) -> str:
    """Sign a string-to-sign with a base64 account key (the key is base64-*decoded* first)."""
    return hmac_sha256_b64(decode_account_key(account_key), string_to_sign)


def _fold_value(value: str) -> str:
    """The header value as the service reads it: leading and trailing whitespace trimmed, inner runs kept.

    Microsoft's page says "replace any linear whitespace with a single space", but the service, Azurite and every
    Azure SDK (azure-storage-blob's SharedKeyCredentialPolicy signs the raw value) keep inner runs; folding them made
    a metadata value such as ``"a  b"`` fail with a signature mismatch (found by the property-based oracle test).
    """
    return str(value).strip(" \t\r\n")


# Header-name ordering used by the service. Azure sorts canonical header names with the Windows "word sort"
# collation, not by code point (azure-sdk-for-python issue #10277, fixed by PR #26991; azure-sdk-for-net #41328):
#   level 1: primary weights, where '-' and the apostrophe are ignorable (skipped), '.' < '_' < digits < letters,
#            letters compare case-insensitively, and a shorter sequence sorts first;
#   level 2 (ties only): the names are walked in lockstep, each position classed as an ordinary character < end of
#            name < apostrophe < hyphen, and the first differing class decides.
# Only characters that can appear in signed header names are supported; anything else raises ValueError.
_PRIMARY = {".": 1, "_": 2}
_PRIMARY.update({str(d): 10 + d for d in range(10)})
_PRIMARY.update({chr(c): 30 + c - ord("a") for c in range(ord("a"), ord("z") + 1)})
_LEVEL2 = {"'": 2, "-": 3}
_END = 1


def header_sort_key(name: str) -> tuple:
    """Sort key for canonicalized header names that mirrors the service's word-sort ordering."""
    lname = name.lower()
    primary = []
    for ch in lname:
        if ch in _LEVEL2:
            continue
        if ch not in _PRIMARY:
            raise ValueError("header name %r contains %r, which Azure's header ordering does not define" % (name, ch))
        primary.append(_PRIMARY[ch])
    level2 = tuple(_LEVEL2.get(ch, 0) for ch in lname) + (_END,)
    return (tuple(primary), level2)


def canonicalized_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]], prefix: str = "x-ms-") -> str:
    """Build CanonicalizedHeaders: every ``prefix*`` header, name lowercased, value folded, sorted, ``name:value\\n``.

    Empty values are kept (``name:\\n``), as required since version 2016-05-31.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    selected: dict[str, str] = {}
    for name, value in items:
        lname = name.strip().lower()
        if lname.startswith(prefix):
            selected[lname] = _fold_value("" if value is None else value)
    return "".join("%s:%s\n" % (name, selected[name]) for name in sorted(selected, key=header_sort_key))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Split a raw query string into (decoded name, decoded value) pairs; each part is decoded exactly once.

    A literal ``+`` means a space, as the service (and Azurite) decode it; ``requests`` encodes ``params`` spaces so.
    """
    pairs = []
    if not query:
        return pairs
    for part in query.split("&"):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def canonicalized_resource(account: str, url_path: str, query: str = "") -> str:
    """CanonicalizedResource for Blob/Queue/File Shared Key (2009-09-19 and later).

    ``url_path`` must be the path exactly as sent on the wire (still percent-encoded). For path-style emulator URLs
    the account appears twice, which is expected.
    """
    path = url_path or "/"
    resource = "/%s%s" % (account, path)
    grouped: dict[str, list[str]] = {}
    for name, value in _query_pairs(query):
        grouped.setdefault(name.lower(), []).append(value)
    for name in sorted(grouped):
        resource += "\n%s:%s" % (name, ",".join(sorted(grouped[name])))
    return resource


def canonicalized_resource_lite(account: str, url_path: str, query: str = "") -> str:
    """CanonicalizedResource for SharedKeyLite and Table: path plus ``?comp=`` only."""
    resource = "/%s%s" % (account, url_path or "/")
    for name, value in _query_pairs(query):
        if name.lower() == "comp":
            resource += "?comp=%s" % value
            break
    return resource


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): ("" if v is None else str(v)) for k, v in headers.items()}


def _version_at_least(version: str | None, floor: str) -> bool:
    return bool(version) and version >= floor


def string_to_sign_shared_key(method: str, url: str, headers: Mapping[str, str], account: str) -> str:
    """String-to-sign for Blob, Queue and File Shared Key (2009-09-19 and later).

    ``url`` is the final URL as sent. Content-Length 0 is signed as an empty line for x-ms-version >= 2015-02-21.
    The Date line is empty whenever x-ms-date is present.
    """
    h = _lower_headers(headers)
    parts = urlsplit(url)
    lines = [method.upper()]
    for name in STANDARD_HEADERS:
        value = h.get(name, "")
        if name == "content-length" and value == "0" and _version_at_least(h.get("x-ms-version"), "2015-02-21"):
            value = ""
        if name == "date" and "x-ms-date" in h:
            value = ""
        lines.append(value)
    return "\n".join(lines) + "\n" + canonicalized_headers(h) + canonicalized_resource(account, parts.path, parts.query)


def string_to_sign_shared_key_lite(method: str, url: str, headers: Mapping[str, str], account: str) -> str:
    """String-to-sign for Blob/Queue/File SharedKeyLite: VERB, Content-MD5, Content-Type, Date, headers, resource."""
    h = _lower_headers(headers)
    parts = urlsplit(url)
    date = "" if "x-ms-date" in h else h.get("date", "")
    return "%s\n%s\n%s\n%s\n%s%s" % (
        method.upper(),
        h.get("content-md5", ""),
        h.get("content-type", ""),
        date,
        canonicalized_headers(h),
        canonicalized_resource_lite(account, parts.path, parts.query),
    )


def string_to_sign_table(method: str, url: str, headers: Mapping[str, str], account: str) -> str:
    """String-to-sign for Table Shared Key. The Date line is never empty: x-ms-date wins when present."""
    h = _lower_headers(headers)
    parts = urlsplit(url)
    date = h.get("x-ms-date") or h.get("date", "")
    return "%s\n%s\n%s\n%s\n%s" % (
        method.upper(),
        h.get("content-md5", ""),
        h.get("content-type", ""),
        date,
        canonicalized_resource_lite(account, parts.path, parts.query),
    )


def string_to_sign_table_lite(url: str, headers: Mapping[str, str], account: str) -> str:
    """String-to-sign for Table SharedKeyLite: ``Date\\nCanonicalizedResource``."""
    h = _lower_headers(headers)
    parts = urlsplit(url)
    date = h.get("x-ms-date") or h.get("date", "")
    return "%s\n%s" % (date, canonicalized_resource_lite(account, parts.path, parts.query))


def storage_service_of(url: str) -> str:
    """Guess the storage service ('blob', 'queue', 'table', 'file', 'dfs') from a URL's host or emulator port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    label = host.split(".")[1] if host.count(".") >= 2 else ""
    if label in ("blob", "queue", "table", "file", "dfs"):
        return label
    return {10000: "blob", 10001: "queue", 10002: "table"}.get(parts.port or 0, "blob")
