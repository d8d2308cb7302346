# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_sync: the content settings, metadata, tags and tier of uploaded blobs (issue 18).

* ``content_settings`` is a list of rules ``{pattern, content_type, content_encoding, content_language,
  content_disposition, cache_control}``; every rule whose pattern (a glob, or a list of globs, matched against the
  relative path and the base name as ``include`` is) matches a file applies, in order, later rules overriding
  earlier ones. A ``$web`` static site needs them (``*.html`` ``text/html``, ``*.gz`` ``gzip``, cache headers).
* A re-upload keeps the blob's metadata and the content settings no rule sets; a new blob gets a content type
  guessed from its name unless a rule gives one.
* A blob whose content is unchanged but whose ruled settings differ gets them with Set Blob Properties (``updated``).
* ``tags`` and ``access_tier`` go into the upload request of every uploaded blob (``x-ms-tags``,
  ``x-ms-access-tier``).
"""

from __future__ import annotations

import fnmatch
import mimetypes

from .._clients.blob_features_wire import normalize_tier, tags_header, validate_tags
from .._clients.blob_wire import CONTENT_SETTINGS
from .._errors import ConfigError


def validate_rules(rules) -> list[dict]:
    """The ``content_settings`` rules, each ``{patterns: [...], settings: {...}}``; ConfigError naming the rule."""
    out = []
    for index, rule in enumerate(rules or []):
        if not isinstance(rule, dict) or not rule.get("pattern"):
            raise ConfigError("content_settings[%d]: give a pattern (a glob such as '*.html') and the settings" % index)
        unknown = sorted(set(rule) - set(CONTENT_SETTINGS) - {"pattern"})
        if unknown:
            raise ConfigError(
                "content_settings[%d]: unknown keys %s; use pattern and %s"
                % (index, ", ".join(unknown), ", ".join(CONTENT_SETTINGS))
            )
        patterns = rule["pattern"] if isinstance(rule["pattern"], list) else [rule["pattern"]]
        settings = {k: str(v) for k, v in rule.items() if k in CONTENT_SETTINGS and v is not None}
        out.append({"patterns": [str(x) for x in patterns], "settings": settings})
    return out


def ruled_settings(rel: str, rules: list[dict]) -> dict:
    """The content settings the rules give the relative path ``rel`` (later matching rules override earlier ones)."""
    base = rel.rsplit("/", 1)[-1]
    out: dict = {}
    for rule in rules:
        if any(fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(base, pat) for pat in rule["patterns"]):
            out.update(rule["settings"])
    return out


def upload_attributes(rel: str, p: dict, blob: dict | None) -> dict:
    """``{settings, metadata}`` for the upload of ``rel`` over ``blob`` (its listing entry, or None): the blob's
    current content settings and metadata, the ruled settings over them, a guessed content type for a new blob."""
    current = (blob or {}).get("props") or {}
    settings = {k: current.get(k) for k in CONTENT_SETTINGS if current.get(k)}
    settings.update(ruled_settings(rel, validate_rules(p.get("content_settings"))))
    if not settings.get("content_type"):
        settings["content_type"] = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return {"settings": settings, "metadata": dict((blob or {}).get("metadata") or {})}


def creation_headers(p: dict) -> dict:
    """``x-ms-tags`` and ``x-ms-access-tier`` for every uploaded blob, from ``tags`` and ``access_tier``."""
    headers = {}
    tags = validate_tags(p.get("tags"))
    if tags:
        headers["x-ms-tags"] = tags_header(tags)
    tier = normalize_tier(p.get("access_tier"))
    if tier:
        headers["x-ms-access-tier"] = tier
    return headers


def settings_updates(p: dict, plan: dict, remote: dict) -> dict:
    """``{rel: full settings}`` of the unchanged blobs whose ruled settings differ from their current ones."""
    rules = validate_rules(p.get("content_settings"))
    out = {}
    for rel in plan["skip"] if rules else []:
        current = remote[rel].get("props") or {}
        wanted = ruled_settings(rel, rules)
        if any((current.get(k) or "") != v for k, v in wanted.items()):
            full = {k: current.get(k) for k in CONTENT_SETTINGS if current.get(k)}
            full.update(wanted)
            out[rel] = full
    return out


def update_settings(client, container: str, names: dict, p: dict, plan: dict, remote: dict, result: dict, check_mode: bool):
    """Set the ruled content settings of unchanged blobs that differ (Set Blob Properties, keeping their MD5 and
    guarded by their ETag); ``names`` maps a relative path to its blob name. Adds ``updated`` to ``result``."""
    updates = settings_updates(p, plan, remote)
    result["updated"] = sorted(updates)
    if updates:
        result["changed"] = True
    if check_mode:
        return
    for rel, settings in sorted(updates.items()):
        blob = remote[rel]
        client.set_blob_properties(container, names[rel], settings, blob.get("md5"), etag=blob.get("etag"))
