# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Blob wire helpers (no I/O): name validation, paths and the URL encoder, metadata headers, block IDs, page ranges,
listing parse and property mapping. Everything here is unit-tested without a server.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

from .blob_features_wire import tags_from_node
from .._errors import ConfigError
from .._xml import as_list, element_to_dict, leaf_text, snake_case, strip_ns, xml_to_dict

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


# -- metadata headers ----------------------------------------------------------------------------------------------
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
def _props_dict(props: dict | None) -> dict:
    out = {}
    for key, value in (props or {}).items():
        if key.startswith("@"):
            continue
        out[snake_case(key)] = value
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


#: XML tag of a listed blob's property -> its snake_case key (filled as tags are met: a listing repeats the same
#: dozen tags for every blob, so each is converted once, not per blob)
_PROPERTY_KEYS: dict[str, str] = {"x-ms-blob-sequence-number": "sequence_number"}
_INT_PROPERTIES = ("content_length", "sequence_number")
_BOOLS = {"true": True, "false": False}


def _property_key(tag: str) -> str:
    key = _PROPERTY_KEYS.get(tag)
    if key is None:
        key = _PROPERTY_KEYS[tag] = snake_case(strip_ns(tag))
    return key


def _blob_properties(node) -> dict:
    """The ``<Properties>`` of a listed blob as ``_props_dict`` maps them: snake_case keys, ``true``/``false`` as
    bools, integer lengths, a quoted ETag, the short blob type."""
    out: dict = {}
    keys = _PROPERTY_KEYS
    for child in node:
        key = keys.get(child.tag) or _property_key(child.tag)
        if len(child) or child.attrib:
            out[key] = element_to_dict(child)
            continue
        value = child.text
        if value:
            value = value.strip() or value
            out[key] = _BOOLS.get(value, value)
        else:
            out[key] = None
    for key in _INT_PROPERTIES:
        if out.get(key) is not None:
            out[key] = int(out[key])
    etag = out.get("etag")
    if etag and not etag.startswith('"'):
        out["etag"] = '"%s"' % etag
    if out.get("blob_type") in BLOB_TYPE_NAMES:
        out["blob_type"] = BLOB_TYPE_NAMES[out["blob_type"]]
    return out


def _blob_name(elem) -> str | None:
    """A ``<Name>``'s text exactly (a name may begin or end with spaces); ``Encoded="true"`` names (with characters
    XML cannot carry) are percent-decoded."""
    if elem is None:
        return None
    text = elem.text or ""
    return unquote(text) if elem.get("Encoded") == "true" else text


_BLOB_FLAGS = {"Snapshot": "snapshot", "VersionId": "version_id", "IsCurrentVersion": "is_current_version", "Deleted": "deleted"}


def _tag(elem) -> str:
    tag = elem.tag
    return strip_ns(tag) if tag[0] == "{" else tag


def _child(elem, name: str):
    """The first child element called ``name`` (any namespace), or None."""
    return next((c for c in elem if _tag(c) == name), None)


def _listed_blob(item) -> dict:
    """One ``<Blob>`` of a listing: ``{name, properties, metadata, snapshot?, version_id?, is_current_version?,
    deleted?, tags?}``."""
    entry: dict = {"name": None, "properties": {}, "metadata": {}}
    extra: dict = {}
    for child in item:
        tag = _tag(child)
        if tag == "Properties":
            entry["properties"] = _blob_properties(child)
        elif tag == "Name":
            entry["name"] = _blob_name(child)
        elif tag == "Metadata":
            entry["metadata"] = {_tag(m): leaf_text(m) for m in child}
        elif tag in _BLOB_FLAGS:
            value = leaf_text(child)
            if value is not None:
                extra[_BLOB_FLAGS[tag]] = value == "true" if tag in ("IsCurrentVersion", "Deleted") else value
        elif tag == "Tags":  # include=tags
            extra["tags"] = tags_from_node(element_to_dict(child))
    for key in ("snapshot", "version_id", "is_current_version", "deleted", "tags"):
        if key in extra:
            entry[key] = extra[key]
    return entry


#: Bytes of the answer fed to the parser at a time: the tree never holds more than these and one blob.
PARSE_CHUNK = 64 * 1024


def parse_blob_list(text) -> dict:
    """Parse a List Blobs response into ``{blobs: [...], prefixes: [...], next_marker}`` of plain snake_case dicts.

    Each blob: ``{name, snapshot?, version_id?, is_current_version?, deleted?, properties: {content_length,
    content_md5, etag, last_modified, blob_type, ...}, metadata: {...}}``. ValueError when the text is not XML.

    The answer is pulled through the parser a piece at a time and each ``<Blob>`` is converted and emptied as soon
    as it ends, so a 5,000-blob page never becomes a whole element tree (a third of the memory, and faster). A
    ``<Blob>``/``<BlobPrefix>`` of the listing has children; a metadata element of that name is a leaf.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parser = ET.XMLPullParser(events=("end",))
    blobs: list = []
    prefixes: list = []
    root = None
    try:
        for pos in range(0, max(len(data), 1), PARSE_CHUNK):
            parser.feed(data[pos : pos + PARSE_CHUNK])
            for _event, root in parser.read_events():
                tag = _tag(root)
                if tag == "Blob" and len(root):
                    blobs.append(_listed_blob(root))
                    root.clear()
                elif tag == "BlobPrefix" and len(root):
                    prefixes.append(_blob_name(_child(root, "Name")))
                    root.clear()
        parser.close()
    except ET.ParseError as exc:
        raise ValueError("response is not well-formed XML: %s" % exc) from None
    if root is None or _tag(root) != "EnumerationResults":  # the last element to end is the root
        return {"blobs": [], "prefixes": [], "next_marker": None}
    marker = _child(root, "NextMarker")
    return {"blobs": blobs, "prefixes": prefixes, "next_marker": (leaf_text(marker) if marker is not None else None) or None}


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
