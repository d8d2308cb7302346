# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Wire helpers (no I/O) of the blob features beyond upload and download: blob index tags (validation, the
``x-ms-tags`` header, the Tags XML), page lists, Find Blobs by Tags answers, the extra blob properties (tier, tags,
lease, copy) and access tiers. Everything here is unit-tested without a server.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .._errors import ConfigError
from .._xml import as_list, xml_to_dict

#: "Manage and find Azure Blob data with blob index tags": at most 10 tags, keys 1-128 and values 0-256 characters of
#: letters, digits, space and ``+ - . / : = _``.
MAX_TAGS = 10
_TAG_CHARS = re.compile(r"^[A-Za-z0-9 +\-./:=_]*$")
#: Access tiers of block blobs on standard accounts ("Access tiers for blob data").
ACCESS_TIERS = ("Hot", "Cool", "Cold", "Archive")
REHYDRATE_PRIORITIES = ("Standard", "High")
LEASE_DURATION_INFINITE = -1


def validate_tags(tags: dict | None, option: str = "tags") -> dict | None:
    """Return ``tags`` as a ``{str: str}`` dict when they are valid blob index tags, else ConfigError naming
    ``option`` and the rule. None stays None (tags not managed)."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise ConfigError("%s: give a dictionary of tag names and values" % option)
    if len(tags) > MAX_TAGS:
        raise ConfigError("%s: %d tags given; a blob holds at most %d index tags" % (option, len(tags), MAX_TAGS))
    out = {}
    for key, value in tags.items():
        key = str(key)
        text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        if not 1 <= len(key) <= 128:
            raise ConfigError("%s: the tag name %r must have 1 to 128 characters" % (option, key))
        if len(text) > 256:
            raise ConfigError("%s: the value of tag %r has %d characters; the limit is 256" % (option, key, len(text)))
        for what, item in (("name", key), ("value", text)):
            if not _TAG_CHARS.match(item):
                raise ConfigError(
                    "%s: the tag %s %r has a character blob index tags do not allow; use letters, digits, space and "
                    "+ - . / : = _" % (option, what, item)
                )
        out[key] = text
    return out


def tags_header(tags: dict) -> str:
    """The ``x-ms-tags`` value of Put Blob, Put Block List and Copy Blob: the tags as an encoded query string."""
    return "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in tags.items())


def tags_body(tags: dict) -> bytes:
    """The Set Blob Tags body: ``<Tags><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tags>``."""
    root = ET.Element("Tags")
    tag_set = ET.SubElement(root, "TagSet")
    for key, value in tags.items():
        tag = ET.SubElement(tag_set, "Tag")
        ET.SubElement(tag, "Key").text = key
        ET.SubElement(tag, "Value").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def tags_from_node(node) -> dict:
    """``{key: value}`` of a parsed ``<Tags>`` element (``xml_to_dict`` shape); an empty value is ``""``."""
    tag_set = (node or {}).get("TagSet") if isinstance(node, dict) else None
    tags = as_list(tag_set.get("Tag") if isinstance(tag_set, dict) else None)
    return {t.get("Key"): t.get("Value") or "" for t in tags if isinstance(t, dict) and t.get("Key")}


def parse_tags(text) -> dict:
    """The tags of a Get Blob Tags answer."""
    return tags_from_node(xml_to_dict(text).get("Tags"))


def parse_blobs_by_tags(text) -> dict:
    """A Find Blobs by Tags answer as ``{blobs: [{name, container, tags}], next_marker}``."""
    root = xml_to_dict(text).get("EnumerationResults") or {}
    node = root.get("Blobs") or {}
    blobs = []
    for item in as_list(node.get("Blob") if isinstance(node, dict) else None):
        blobs.append({"name": item.get("Name"), "container": item.get("ContainerName"), "tags": tags_from_node(item.get("Tags"))})
    return {"blobs": blobs, "next_marker": root.get("NextMarker") or None}


def parse_page_list(text) -> list[tuple[int, int]]:
    """The valid (written) page ranges of a Get Page Ranges answer as ``[(start, length), ...]``, in order."""
    root = xml_to_dict(text).get("PageList") or {}
    ranges = []
    for item in as_list(root.get("PageRange") if isinstance(root, dict) else None):
        start, end = int(item["Start"]), int(item["End"])
        ranges.append((start, end - start + 1))
    return sorted(ranges)


def redact_sas(url: str | None) -> str | None:
    """``url`` with the value of a ``sig`` query parameter replaced by ``REDACTED`` (the rest of a SAS is no secret
    and helps to tell copy sources apart)."""
    if not url or "?" not in url:
        return url
    parts = urlsplit(url)
    query = "&".join(
        "%s=%s" % (quote(k, safe=""), "REDACTED" if k.lower() == "sig" else quote(v, safe=""))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def url_without_query(url: str | None) -> str | None:
    """``url`` without its query string (a SAS) and fragment: what identifies a copy source."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


_EXTRA_HEADER_PROPS = {
    "x-ms-access-tier": "access_tier",
    "x-ms-access-tier-inferred": "access_tier_inferred",
    "x-ms-access-tier-change-time": "access_tier_change_time",
    "x-ms-archive-status": "archive_status",
    "x-ms-rehydrate-priority": "rehydrate_priority",
    "x-ms-tag-count": "tag_count",
    "x-ms-lease-duration": "lease_duration",
    "x-ms-lease-state": "lease_state",
    "x-ms-lease-status": "lease_status",
    "x-ms-copy-id": "copy_id",
    "x-ms-copy-source": "copy_source",
    "x-ms-copy-status": "copy_status",
    "x-ms-copy-progress": "copy_progress",
    "x-ms-copy-completion-time": "copy_completion_time",
    "x-ms-copy-status-description": "copy_status_description",
}


def extra_properties_from_headers(headers) -> dict:
    """The tier, tag, lease and copy properties of a Get Blob Properties answer (snake_case). ``copy_source`` has its
    SAS signature masked (``redact_sas``): the service returns the source URL as it was given."""
    lower = {k.lower(): v for k, v in headers.items()}
    props = {key: lower[header] for header, key in _EXTRA_HEADER_PROPS.items() if header in lower}
    if "tag_count" in props:
        props["tag_count"] = int(props["tag_count"])
    if "access_tier_inferred" in props:
        props["access_tier_inferred"] = props["access_tier_inferred"] == "true"
    if "copy_source" in props:
        props["copy_source"] = redact_sas(props["copy_source"])
    return props


def normalize_tier(tier: str | None, option: str = "access_tier") -> str | None:
    """The service spelling of an access tier (``hot`` -> ``Hot``), or ConfigError naming ``option``."""
    if tier is None:
        return None
    for known in ACCESS_TIERS:
        if known.lower() == str(tier).lower():
            return known
    raise ConfigError("%s: %r is not an access tier; use one of %s" % (option, tier, ", ".join(ACCESS_TIERS)))


def rehydrating_to(props: dict) -> str | None:
    """The tier an archived blob is being rehydrated to (``archive_status`` ``rehydrate-pending-to-cool`` ->
    ``Cool``), or None."""
    status = (props.get("archive_status") or "").lower()
    if not status.startswith("rehydrate-pending-to-"):
        return None
    return normalize_tier(status[len("rehydrate-pending-to-") :], "archive_status")


def lease_duration(value) -> str:
    """The ``x-ms-lease-duration`` of a lease: -1 (infinite) or 15 to 60 seconds, else ConfigError naming
    ``duration``."""
    value = int(value)
    if value != LEASE_DURATION_INFINITE and not 15 <= value <= 60:
        raise ConfigError("duration: %d is not a lease duration; give 15 to 60 seconds, or -1 for a lease without end" % value)
    return str(value)
