# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""XML <-> dict helpers for Azure's XML APIs (Storage, classic Service Management)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_SNAKE_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def strip_ns(tag: str) -> str:
    """``{namespace}Tag`` -> ``Tag``."""
    return tag.split("}", 1)[-1]


def snake_case(name: str) -> str:
    """``GeoReplicationEnabled`` -> ``geo_replication_enabled``, ``Content-MD5`` -> ``content_md5``, ``URL`` -> ``url``."""
    return re.sub("_+", "_", _SNAKE_RE.sub("_", name.replace("-", "_"))).lower()


#: No Azure answer nests deeper than a handful of levels; a deeper one is refused, not recursed into.
MAX_DEPTH = 64


def element_to_dict(elem, depth: int = 0):
    """Convert an element: children become keys (repeated names become lists), attributes ``@name``, text ``#text``.

    A leaf element with no attributes becomes its text (or None when empty). ValueError past ``MAX_DEPTH`` levels.
    """
    if depth > MAX_DEPTH:
        raise ValueError("the XML is nested deeper than %d levels" % MAX_DEPTH)
    children = list(elem)
    if not children and not elem.attrib:
        return leaf_text(elem)
    out: dict = {}
    for key, value in elem.attrib.items():
        out["@" + strip_ns(key)] = value
    for child in children:
        name = strip_ns(child.tag)
        value = element_to_dict(child, depth + 1)
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    if elem.text and elem.text.strip():
        out["#text"] = elem.text.strip()
    return out


def leaf_text(elem):
    """The text of a leaf element as ``element_to_dict`` gives it: stripped, None when empty (text made only of
    whitespace is kept as it is)."""
    text = elem.text
    return (text.strip() or text) if text else None


def parse_xml(text):
    """The root Element of an XML document (bytes or str, a UTF-8 BOM allowed). ValueError when it is not XML."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError("response is not well-formed XML: %s" % exc) from None


def xml_to_dict(text):
    """Parse an XML document into ``{root_tag: element_to_dict(root)}``. ValueError when it is not XML."""
    root = parse_xml(text)
    return {strip_ns(root.tag): element_to_dict(root)}


def as_list(value):
    """A value that XML parsing may give as None, a dict or a list, as a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
