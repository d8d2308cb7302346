# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Pure Blob helpers (no I/O): name and metadata validation, the URL encoder, block IDs, page ranges, listing parse,
property mapping and the sync plan. Everything here is unit-tested without a server.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from urllib.parse import quote

from ._errors import ConfigError
from ._xml import as_list, xml_to_dict

PAGE = 512
MAX_PAGE_RANGE = 4 * 1024 * 1024
MAX_APPEND_BLOCK = 4 * 1024 * 1024
MAX_BLOCKS = 50000
MAX_BLOCK_SIZE = 4000 * 1024 * 1024
MIB = 1024 * 1024

CONTAINER_RE = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
SPECIAL_CONTAINERS = ("$root", "$logs", "$web")
METADATA_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BAD_BLOB_CHARS = re.compile("[\x00-\x1f\x7f\ue000-\uf8ff]")

# Content settings: option name -> (request header on Put Blob / Set Blob Properties, response header)
CONTENT_SETTINGS = {
    "content_type": ("x-ms-blob-content-type", "Content-Type"),
    "content_encoding": ("x-ms-blob-content-encoding", "Content-Encoding"),
    "content_language": ("x-ms-blob-content-language", "Content-Language"),
    "content_disposition": ("x-ms-blob-content-disposition", "Content-Disposition"),
    "cache_control": ("x-ms-blob-cache-control", "Cache-Control"),
}
BLOB_TYPES = {"block": "BlockBlob", "page": "PageBlob", "append": "AppendBlob"}
BLOB_TYPE_NAMES = {v: k for k, v in BLOB_TYPES.items()}


# -- names -------------------------------------------------------------------------------------------------------
def validate_container_name(name: str, option: str = "container") -> str:
    """Return ``name`` when it is a valid container name, else raise ConfigError naming ``option`` and the rule."""
    if name in SPECIAL_CONTAINERS:
        return name
    if not isinstance(name, str) or not CONTAINER_RE.match(name):
        raise ConfigError(
            "%s: %r is not a valid container name: use 3-63 lowercase letters, digits and '-', starting and ending with "
            "a letter or digit, with no '--'" % (option, name)
        )
    return name


def validate_blob_name(name: str, option: str = "name") -> str:
    """Return ``name`` when it is a valid blob name (1-1024 characters, no control or private-use characters,
    at most 254 path segments), else raise ConfigError naming ``option``."""
    if not isinstance(name, str) or not name:
        raise ConfigError("%s: the blob name is empty; give 1 to 1024 characters" % option)
    if len(name) > 1024:
        raise ConfigError("%s: the blob name has %d characters; the limit is 1024" % (option, len(name)))
    bad = _BAD_BLOB_CHARS.search(name)
    if bad:
        raise ConfigError(
            "%s: the blob name contains the character U+%04X; control characters and U+E000-U+F8FF are not allowed"
            % (option, ord(bad.group()))
        )
    if name.count("/") >= 254:
        raise ConfigError("%s: the blob name has more than 254 path segments" % option)
    return name


def container_path(container: str) -> str:
    """The URL path part of a container (percent-encoded, the one encoder of the collection)."""
    return "/" + quote(container, safe="")


def blob_path(container: str, blob: str) -> str:
    """The URL path part of a blob: ``/quote(container, safe='')/quote(blob, safe='/~')``."""
    return "/" + quote(container, safe="") + "/" + quote(blob, safe="/~")


def query_string(params: dict | list) -> str:
    """Encode query parameters; every value is percent-encoded (block IDs carry ``+ / =``). None values are dropped."""
    items = params.items() if isinstance(params, dict) else params
    parts = []
    for key, value in items:
        if value is None:
            continue
        parts.append("%s=%s" % (quote(str(key), safe=""), quote(str(value), safe="")))
    return "&".join(parts)


# -- metadata ----------------------------------------------------------------------------------------------------
def normalize_metadata(metadata: dict | None, option: str = "metadata") -> dict | None:
    """Validate user metadata: names are C# identifiers, unique ignoring case; values are ASCII strings, trimmed,
    not empty. Returns a new dict (None stays None). Raises ConfigError naming ``option``."""
    if metadata is None:
        return None
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for key, value in metadata.items():
        key = str(key)
        if not METADATA_NAME_RE.match(key):
            raise ConfigError(
                "%s: the name %r is not valid: metadata names must be C# identifiers (a letter or '_', then letters, "
                "digits or '_')" % (option, key)
            )
        if key.lower() in seen:
            raise ConfigError(
                "%s: the names %r and %r differ only by case; metadata names are case-insensitive"
                % (option, seen[key.lower()], key)
            )
        seen[key.lower()] = key
        text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        text = text.strip()
        if not text:
            raise ConfigError(
                "%s: the value of %r is empty; Azure drops empty metadata values, remove the key instead" % (option, key)
            )
        try:
            text.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigError(
                "%s: the value of %r is not ASCII; HTTP headers carry ASCII only (encode it, e.g. base64)" % (option, key)
            ) from None
        if "\n" in text or "\r" in text:
            raise ConfigError("%s: the value of %r contains a line break" % (option, key))
        out[key] = text
    return out


def metadata_headers(metadata: dict | None) -> dict:
    """``x-ms-meta-<name>`` headers for a metadata dict."""
    return {"x-ms-meta-%s" % k: v for k, v in (metadata or {}).items()}


def metadata_from_headers(headers) -> dict:
    """The metadata in response headers (``x-ms-meta-*``), names as the service returned them."""
    out = {}
    for name, value in headers.items():
        if name.lower().startswith("x-ms-meta-"):
            out[name[len("x-ms-meta-") :]] = value
    return out


def metadata_equal(a: dict | None, b: dict | None) -> bool:
    """Compare metadata the way the service does: names case-insensitive, values exact."""
    return {k.lower(): v for k, v in (a or {}).items()} == {k.lower(): v for k, v in (b or {}).items()}


def desired_metadata(current: dict | None, wanted: dict | None, mode: str) -> dict | None:
    """The metadata to set: ``wanted`` exactly (mode ``exact``) or ``current`` updated with ``wanted`` (``merge``).
    None means the metadata is not managed."""
    if wanted is None:
        return None
    if mode == "merge":
        merged = {k: v for k, v in (current or {}).items() if k.lower() not in {w.lower() for w in wanted}}
        merged.update(wanted)
        return merged
    return dict(wanted)


# -- block IDs and ranges ----------------------------------------------------------------------------------------
def block_id(upload_id: str, index: int) -> str:
    """Fixed-width base64 block ID ``base64("<upload_id>-<index:08d>")``: every ID of an upload has the same length."""
    if not 0 <= index < 10**8:
        raise ValueError("block index out of range: %d" % index)
    return base64.b64encode(("%s-%08d" % (upload_id, index)).encode("ascii")).decode("ascii")


def pick_block_size(size: int, block_size: int) -> int:
    """``block_size`` or, when the file would need more than 50,000 blocks, the smallest whole MiB that fits."""
    if block_size <= 0 or block_size > MAX_BLOCK_SIZE:
        raise ConfigError("block_size: %d is out of range; use 1 to 4000 MiB (in bytes)" % block_size)
    if size > block_size * MAX_BLOCKS:
        needed = -(-size // MAX_BLOCKS)
        block_size = -(-needed // MIB) * MIB
        if block_size > MAX_BLOCK_SIZE:
            raise ConfigError("src: the file is larger than a block blob can hold (50,000 blocks of 4000 MiB)")
    return block_size


def chunk_ranges(size: int, chunk: int) -> list[tuple[int, int]]:
    """``[(offset, length), ...]`` covering ``size`` bytes in pieces of at most ``chunk``."""
    return [(off, min(chunk, size - off)) for off in range(0, size, chunk)]


def round_up_page(size: int) -> int:
    """``size`` rounded up to a multiple of 512."""
    return -(-size // PAGE) * PAGE


def nonzero_page_ranges(data: bytes, offset: int = 0, max_range: int = MAX_PAGE_RANGE) -> list[tuple[int, int]]:
    """The non-zero parts of ``data`` (whose start is ``offset`` in the blob) as ``[(start, length), ...]``.

    Works on 512-byte pages: runs of pages holding any non-zero byte are merged into ranges of at most ``max_range``
    bytes; all-zero pages are skipped (a new page blob reads as zeros, so a sparse VHD uploads only its data).
    ``len(data)`` must be a multiple of 512.
    """
    if len(data) % PAGE:
        raise ValueError("page data must be a multiple of 512 bytes")
    zero = bytes(PAGE)
    if data == bytes(len(data)):
        return []
    ranges: list[tuple[int, int]] = []
    start = None
    view = memoryview(data)
    for pos in range(0, len(data), PAGE):
        is_zero = view[pos : pos + PAGE] == zero
        if not is_zero and start is None:
            start = pos
        elif is_zero and start is not None:
            ranges.append((start, pos - start))
            start = None
        if start is not None and pos + PAGE - start >= max_range:
            ranges.append((start, pos + PAGE - start))
            start = None
    if start is not None:
        ranges.append((start, len(data) - start))
    return [(offset + s, n) for s, n in ranges]


# -- response parsing --------------------------------------------------------------------------------------------
def _snake(name: str) -> str:
    name = name.replace("-", "_")
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.lower().replace("__", "_")


def _props_dict(props: dict | None) -> dict:
    out = {}
    for key, value in (props or {}).items():
        if key.startswith("@"):
            continue
        out[_snake(key)] = value
    if "x_ms_blob_sequence_number" in out:
        out["sequence_number"] = out.pop("x_ms_blob_sequence_number")
    for key in ("content_length", "sequence_number"):
        if out.get(key) is not None:
            out[key] = int(out[key])
    for key, value in list(out.items()):
        if value in ("true", "false"):
            out[key] = value == "true"
    if out.get("etag") and not out["etag"].startswith('"'):
        out["etag"] = '"%s"' % out["etag"]
    if "blob_type" in out and out["blob_type"] in BLOB_TYPE_NAMES:
        out["blob_type"] = BLOB_TYPE_NAMES[out["blob_type"]]
    return out


def parse_blob_list(text) -> dict:
    """Parse a List Blobs response into ``{blobs: [...], prefixes: [...], next_marker}`` of plain snake_case dicts.

    Each blob: ``{name, snapshot?, version_id?, is_current_version?, deleted?, properties: {content_length,
    content_md5, etag, last_modified, blob_type, ...}, metadata: {...}}``.
    """
    root = xml_to_dict(text).get("EnumerationResults") or {}
    blobs_node = root.get("Blobs") or {}
    blobs = []
    for item in as_list(blobs_node.get("Blob") if isinstance(blobs_node, dict) else None):
        entry = {
            "name": item.get("Name"),
            "properties": _props_dict(item.get("Properties")),
            "metadata": dict(item.get("Metadata") or {}),
        }
        for key in ("Snapshot", "VersionId", "IsCurrentVersion", "Deleted"):
            if item.get(key) is not None:
                entry[_snake(key)] = item[key] if key not in ("IsCurrentVersion", "Deleted") else item[key] == "true"
        blobs.append(entry)
    prefixes = [p.get("Name") for p in as_list(blobs_node.get("BlobPrefix") if isinstance(blobs_node, dict) else None)]
    return {"blobs": blobs, "prefixes": prefixes, "next_marker": root.get("NextMarker") or None}


def parse_container_list(text) -> dict:
    """Parse a List Containers response into ``{containers: [{name, properties, metadata}], next_marker}``."""
    root = xml_to_dict(text).get("EnumerationResults") or {}
    node = root.get("Containers") or {}
    containers = []
    for item in as_list(node.get("Container") if isinstance(node, dict) else None):
        props = _props_dict(item.get("Properties"))
        props["public_access"] = props.get("public_access") or "private"
        containers.append({"name": item.get("Name"), "properties": props, "metadata": dict(item.get("Metadata") or {})})
    return {"containers": containers, "next_marker": root.get("NextMarker") or None}


_BLOB_HEADER_PROPS = {
    "content-length": "content_length",
    "content-type": "content_type",
    "content-md5": "content_md5",
    "content-encoding": "content_encoding",
    "content-language": "content_language",
    "content-disposition": "content_disposition",
    "cache-control": "cache_control",
    "etag": "etag",
    "last-modified": "last_modified",
    "x-ms-blob-type": "blob_type",
    "x-ms-creation-time": "creation_time",
    "x-ms-lease-state": "lease_state",
    "x-ms-lease-status": "lease_status",
    "x-ms-access-tier": "access_tier",
    "x-ms-blob-committed-block-count": "committed_block_count",
    "x-ms-blob-sequence-number": "sequence_number",
    "x-ms-server-encrypted": "server_encrypted",
    "x-ms-version-id": "version_id",
    "x-ms-copy-status": "copy_status",
}


def blob_properties_from_headers(headers) -> dict:
    """Blob properties from Get Blob Properties response headers (snake_case, like the listing)."""
    lower = {k.lower(): v for k, v in headers.items()}
    props = {}
    for header, key in _BLOB_HEADER_PROPS.items():
        if header in lower:
            props[key] = lower[header]
    for key in ("content_length", "committed_block_count", "sequence_number"):
        if key in props:
            props[key] = int(props[key])
    if props.get("blob_type") in BLOB_TYPE_NAMES:
        props["blob_type"] = BLOB_TYPE_NAMES[props["blob_type"]]
    if "server_encrypted" in props:
        props["server_encrypted"] = props["server_encrypted"] == "true"
    return props


def container_properties_from_headers(headers) -> dict:
    """Container properties from Get Container Properties response headers."""
    lower = {k.lower(): v for k, v in headers.items()}
    return {
        "etag": lower.get("etag"),
        "last_modified": lower.get("last-modified"),
        "public_access": lower.get("x-ms-blob-public-access") or "private",
        "lease_state": lower.get("x-ms-lease-state"),
        "lease_status": lower.get("x-ms-lease-status"),
        "has_immutability_policy": lower.get("x-ms-has-immutability-policy") == "true",
        "has_legal_hold": lower.get("x-ms-has-legal-hold") == "true",
    }


def content_settings_diff(current: dict, wanted: dict) -> dict:
    """The content settings in ``wanted`` (None = not managed) that differ from the blob's ``current`` properties."""
    return {k: v for k, v in wanted.items() if v is not None and (current.get(k) or "") != v}


# -- sync plan ---------------------------------------------------------------------------------------------------
def remote_name(prefix: str, relpath: str) -> str:
    """The blob name of a relative path under a container prefix (a virtual folder; separators become '/')."""
    rel = relpath.replace("\\", "/").lstrip("/")
    prefix = (prefix or "").strip("/")
    return "%s/%s" % (prefix, rel) if prefix else rel


def selected(relpath: str, include: list | None, exclude: list | None) -> bool:
    """Glob filter on a relative path ('/' separators): kept when it matches any ``include`` (all if none) and no
    ``exclude``. A pattern also matches against the base name, so ``*.tmp`` excludes ``a/b.tmp``."""

    def match(patterns):
        base = relpath.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(relpath, p) or fnmatch.fnmatchcase(base, p) for p in patterns)

    if include and not match(include):
        return False
    return not (exclude and match(exclude))


def sync_plan(source: dict, target: dict, delete_extraneous: bool = False) -> dict:
    """Plan a one-way sync. ``source`` and ``target`` map relative path -> ``{size, md5}`` (md5 base64, may be None).

    Returns ``{copy: [...], skip: [...], delete: [...]}`` (sorted). A path is skipped only when both sides have the
    same size and the same, known MD5; everything else present in ``source`` is copied. ``delete`` lists target
    paths missing from the source, only when ``delete_extraneous``.
    """
    copy, skip = [], []
    for path in sorted(source):
        src = source[path]
        dst = target.get(path)
        if dst is not None and dst.get("size") == src.get("size") and src.get("md5") and src.get("md5") == dst.get("md5"):
            skip.append(path)
        else:
            copy.append(path)
    delete = sorted(p for p in target if p not in source) if delete_extraneous else []
    return {"copy": copy, "skip": skip, "delete": delete}


# -- upload plan -------------------------------------------------------------------------------------------------
def plan_upload(current: dict | None, local: dict, blob_type: str, overwrite: str) -> dict:
    """Decide what an upload does. ``current`` is the blob (``{properties, metadata}``) or None; ``local`` is
    ``{size, md5, prefix_md5}`` (``prefix_md5``: MD5 of the local bytes up to the blob's current length).

    Returns ``{action, append_from, reason}`` with action ``create``, ``replace``, ``append`` or ``none``:

    * ``never``: create when absent, else leave the content alone.
    * ``always``: create or replace.
    * ``different``: nothing when type, length and Content-MD5 are equal; for an append blob whose stored
      content is a prefix of the local data (length shorter, stored MD5 equal to the local prefix MD5), append
      only the tail; otherwise replace. The end state always equals the local data.
    """
    if current is None:
        return {"action": "create", "append_from": None, "reason": "the blob does not exist"}
    props = current.get("properties") or {}
    if overwrite == "never":
        return {"action": "none", "append_from": None, "reason": "the blob exists and overwrite=never"}
    if overwrite == "always":
        return {"action": "replace", "append_from": None, "reason": "overwrite=always"}
    same_type = props.get("blob_type") == blob_type
    remote_md5 = props.get("content_md5")
    if same_type and props.get("content_length") == local["size"] and remote_md5 and remote_md5 == local["md5"]:
        return {"action": "none", "append_from": None, "reason": "same length and MD5"}
    if (
        blob_type == "append"
        and same_type
        and remote_md5
        and local.get("prefix_md5") == remote_md5
        and (props.get("content_length") or 0) < local["size"]
    ):
        return {"action": "append", "append_from": props["content_length"], "reason": "the blob holds a prefix of the data"}
    if not same_type:
        reason = "the blob is a %s blob" % props.get("blob_type")
    elif not remote_md5:
        reason = "the blob has no Content-MD5 to compare"
    else:
        reason = "the content differs"
    return {"action": "replace", "append_from": None, "reason": reason}
