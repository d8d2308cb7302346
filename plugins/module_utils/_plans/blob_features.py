# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Desired state of the blob features around the core plans of ``blob.py``: leases on every write, access tier and
index tags on upload and as changes, a page blob's stale Content-MD5, download verification, tags in the info
module, Find Blobs by Tags. Each ``*_features`` function wraps the core plan of its module (same signature: client,
params, check_mode) and adds its steps before and after it; no AnsibleModule, no HTTP of its own.
"""

from __future__ import annotations

import os

from .._clients.blob_features_wire import normalize_tier, rehydrating_to, tags_header, validate_tags
from .._clients.blob_wire import round_up_page, validate_blob_name, validate_container_name
from .._errors import AzureRestError, ConfigError, IntegrityError
from .blob import ensure_blob, ensure_container, ensure_download
from .blob_listing import blob_info

#: The message of ``BlobClient.download`` when the data does not match the stored Content-MD5.
_MD5_MISMATCH = "does not match the blob's Content-MD5"
STALE_MD5_NOTE = (
    "the stored Content-MD5 of %s blob %s/%s (%s) is not the MD5 of its data (%s): the service does not update it when "
    "pages are written or blocks appended after it was set, so it is stale"
)


#: Write refusals of a leased (or no longer leased) blob or container, and what to do.
LEASE_WRITE_ERRORS = {
    "LeaseIdMissing": "it is leased and the request carried no lease ID: set lease_id to the ID of its lease",
    "LeaseIdMismatchWithBlobOperation": "it is leased under another ID than lease_id",
    "LeaseIdMismatchWithContainerOperation": "it is leased under another ID than lease_id",
    "LeaseNotPresentWithBlobOperation": "lease_id is set but it has no active lease: remove lease_id",
    "LeaseNotPresentWithContainerOperation": "lease_id is set but it has no active lease: remove lease_id",
    "LeaseLost": "the lease of lease_id expired or was broken: acquire it again",
}


def explain_lease_error(exc: AzureRestError) -> AzureRestError:
    """``exc`` with the meaning and the fix of a lease refusal (412) added to its message."""
    meaning = LEASE_WRITE_ERRORS.get(exc.error_code or "")
    if meaning and "lease_id" not in exc.msg:
        exc.msg += (
            "\nThe write was refused because %s (signet.azure.storage_lease acquires, reads back or breaks a lease)." % meaning
        )
    return exc


class _ClientView:
    """The client with some methods replaced: attributes not set on the view come from the client."""

    def __init__(self, client, **overrides):
        self._client = client
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(self._client, name)


# -- storage_blob: lease, tier, tags, a page blob's true MD5 ------------------------------------------------------
def blob_feature_options(p: dict) -> dict:
    """The validated feature options of storage_blob: ``{tier, rehydrate_priority, tags}``. ConfigError naming the
    option for an unknown tier, a tier on a page or append blob, or invalid tags."""
    tier = normalize_tier(p.get("access_tier"))
    if tier and (p.get("blob_type") or "block") != "block":
        raise ConfigError(
            "access_tier: Hot, Cool, Cold and Archive apply to block blobs only (premium page blobs have their own "
            "tiers); remove access_tier or use blob_type=block"
        )
    if p.get("rehydrate_priority") and not tier:
        raise ConfigError("rehydrate_priority: it goes with access_tier (the tier to rehydrate an archived blob to)")
    return {"tier": tier, "rehydrate_priority": p.get("rehydrate_priority"), "tags": validate_tags(p.get("tags"))}


def _true_md5_view(client, container: str, name: str, p: dict, current: dict | None, notes: list):
    """For a page blob whose length equals the local data's, the client whose first ``get_blob`` of the blob answers
    the MD5 of the blob's bytes instead of the stored Content-MD5 (which Put Page leaves stale); else ``client``."""
    props = (current or {}).get("properties") or {}
    if (
        p.get("blob_type") != "page"
        or props.get("blob_type") != "page"
        or not props.get("content_md5")
        or (p.get("overwrite") or "different") != "different"
        or not (p.get("src") or p.get("content") is not None)
    ):
        return client
    if p.get("src"):
        size = os.stat(p["src"]).st_size if os.path.isfile(p["src"]) else None
    else:
        size = len(p["content"].encode("utf-8"))
    if size is None or props.get("content_length") != (round_up_page(size) if p.get("pad") else size):
        return client
    true_md5 = client.page_blob_md5(container, name, props["content_length"], props.get("etag"))
    if true_md5 == props["content_md5"]:
        return client
    notes.append(
        STALE_MD5_NOTE % ("page", container, name, props["content_md5"], true_md5) + "; the blob is compared by its bytes"
    )
    first = {"done": False}

    def get_blob(c, b, *args, **kwargs):
        out = client.get_blob(c, b, *args, **kwargs)
        if out and (c, b) == (container, name) and not first["done"]:
            first["done"] = True
            out = dict(out, properties=dict(out["properties"], content_md5=true_md5))
        return out

    return _ClientView(client, get_blob=get_blob)


def _feature_state(client, container: str, name: str, opts: dict) -> dict:
    """The blob's current ``{exists, tags, access_tier, rehydrating_to}`` as far as the options manage them."""
    blob = client.get_blob_full(container, name) if (opts["tier"] or opts["tags"] is not None) else None
    state = {"exists": blob is not None, "tags": None, "access_tier": None, "rehydrating_to": None}
    if blob:
        props = blob["properties"]
        state["access_tier"] = props.get("access_tier")
        state["rehydrating_to"] = rehydrating_to(props)
        if opts["tags"] is not None:
            state["tags"] = client.get_blob_tags(container, name) if props.get("tag_count") != 0 else {}
    return state


def _converge_features(client, container: str, name: str, opts: dict, before: dict, check_mode: bool) -> list:
    """Set the tags and the tier that differ from ``before`` (after the core plan ran). Returns what changed."""
    changes = []
    if opts["tags"] is not None and before["tags"] != opts["tags"]:
        changes.append("tags")
        if not check_mode:
            client.set_blob_tags(container, name, opts["tags"])
    tier = opts["tier"]
    if tier and (before["access_tier"] or "").lower() != tier.lower() and before["rehydrating_to"] != tier:
        changes.append("access_tier")
        if not check_mode:
            client.set_blob_tier(container, name, tier, opts["rehydrate_priority"])
    return changes


def _add_feature_diff(result: dict, opts: dict, before: dict) -> None:
    """The managed tags and tier in the diff: before (when the blob existed) and the wanted ones after."""
    diff = result.setdefault("diff", {"before": {}, "after": {}})
    for key, wanted in (("tags", opts["tags"]), ("access_tier", opts["tier"])):
        if wanted is not None:
            if before["exists"]:
                diff["before"][key] = before[key]
            diff["after"][key] = wanted


def ensure_blob_features(client, p: dict, check_mode: bool) -> dict:
    """storage_blob: ``ensure_blob`` with ``lease_id`` on every write, ``access_tier``/``rehydrate_priority`` and
    ``tags`` (set on upload through ``x-ms-access-tier``/``x-ms-tags``, else changed with Set Blob Tier/Tags), and a
    page blob compared by its bytes when its stored Content-MD5 is stale."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    client.use_lease(container, name, p.get("lease_id"))
    if p.get("state") == "absent":
        try:
            return ensure_blob(client, p, check_mode)
        except AzureRestError as exc:
            raise explain_lease_error(exc) from None
    opts = blob_feature_options(p)
    before = _feature_state(client, container, name, opts)
    create = {}
    if opts["tags"]:
        create["x-ms-tags"] = tags_header(opts["tags"])
    if opts["tier"]:
        create["x-ms-access-tier"] = opts["tier"]
    client.on_create(container, name, create)
    notes: list = []
    current = client.get_blob(container, name) if p.get("blob_type") == "page" else None
    try:
        result = ensure_blob(_true_md5_view(client, container, name, p, current, notes), p, check_mode)
    except AzureRestError as exc:
        raise explain_lease_error(exc) from None
    uploaded = result.get("action") in ("created", "replaced", "appended")
    now = _feature_state(client, container, name, opts) if (uploaded and not check_mode) else before
    if uploaded and check_mode:
        now = dict(before, tags=opts["tags"], access_tier=opts["tier"] or before["access_tier"])
    changes = _converge_features(client, container, name, opts, now, check_mode)
    if changes:
        result["changed"] = True
        if result.get("action") == "unchanged":
            result["action"] = "updated"
        if not check_mode:
            result["blob"] = client.get_blob_full(container, name)
    _add_feature_diff(result, opts, before)
    if opts["tags"] is not None:
        result["tags"] = opts["tags"]
    if notes:
        result.setdefault("warnings", []).extend(notes)
        result["md5_stale"] = True
    return result


# -- storage_container: lease -----------------------------------------------------------------------------------
def ensure_container_features(client, p: dict, check_mode: bool) -> dict:
    """storage_container: ``ensure_container`` with ``lease_id`` on every write of the container."""
    client.use_lease(validate_container_name(p["name"], "name"), None, p.get("lease_id"))
    try:
        return ensure_container(client, p, check_mode)
    except AzureRestError as exc:
        raise explain_lease_error(exc) from None


# -- storage_blob_download: verify ----------------------------------------------------------------------------------
def _verified_download(client, verify: str, notes: list):
    """``client.download`` per ``verify``: ``md5`` demands a matching Content-MD5; ``none`` compares nothing;
    ``auto`` compares it for block blobs and, for page and append blobs (whose MD5 the service lets go stale),
    accepts a mismatch with a note."""

    def download(container, blob, dest, *, props, **kwargs):
        stored = props.get("content_md5")
        if verify == "md5" and not stored:
            raise IntegrityError(
                "download %s/%s: verify=md5, but the blob has no Content-MD5 to verify against; nothing was written. Use "
                "verify=auto to download it checking the length only, or store an MD5 on the blob" % (container, blob)
            )
        lenient = verify == "none" or (verify == "auto" and props.get("blob_type") in ("page", "append"))
        if not lenient:
            return client.download(container, blob, dest, props=props, **kwargs)
        out = client.download(container, blob, dest, props=dict(props, content_md5=None), **kwargs)
        if verify == "auto" and stored and out["md5"] != stored:
            notes.append(
                STALE_MD5_NOTE
                % (props.get("blob_type"), container, blob, stored, out["md5"])
                + ". The download was kept (verify=auto; verify=md5 refuses it). Writing the blob with "
                "signet.azure.storage_blob_pages keeps its MD5 true"
            )
        return out

    return download


def ensure_download_features(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_download: ``ensure_download`` with ``verify`` (auto, md5, none)."""
    notes: list = []
    verify = p.get("verify") or "auto"
    view = _ClientView(client, download=_verified_download(client, verify, notes))
    try:
        result = ensure_download(view, p, check_mode)
    except IntegrityError as exc:
        if _MD5_MISMATCH in exc.msg and verify == "md5":
            exc.msg += (
                ". Nothing was written (verify=md5). A page or append blob's stored MD5 goes stale when it is written "
                "in place: verify=auto accepts that with a warning, verify=none skips the comparison"
            )
        elif _MD5_MISMATCH in exc.msg and verify == "auto":
            exc.msg += (
                ". Nothing was written. The download is refused because the stored MD5 of a block blob is set by its "
                "writer: if you trust the blob's data (another tool set a wrong MD5), set verify=none, or store the "
                "right MD5 by uploading the blob again"
            )
        raise
    if notes:
        result.setdefault("warnings", []).extend(notes)
        result["md5_stale"] = True
    return result


# -- storage_blob_info: tags, Find Blobs by Tags ----------------------------------------------------------------------
def blob_info_features(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_info: ``blob_info`` with ``tag_filter`` (Find Blobs by Tags, in the container or, without one,
    the account), and for one blob its tier, lease and copy properties, and its tags when ``include`` has ``tags``."""
    include = p.get("include") or []
    if p.get("tag_filter"):
        container = validate_container_name(p["container"]) if p.get("container") else None
        if p.get("max_results") is not None and p["max_results"] < 1:
            raise ConfigError("max_results: give a positive number, or leave it unset for every page")
        found = client.find_blobs_by_tags(p["tag_filter"], container, p.get("max_results"), p.get("marker"))
        return {"changed": False, "blobs": found["blobs"], "prefixes": [], "next_marker": found["next_marker"]}
    if not p.get("container"):
        raise ConfigError("container: give the container to list or read (only tag_filter searches the whole account)")
    if not p.get("name"):
        return blob_info(client, p, check_mode)
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    b = client.get_blob_full(container, name, p.get("snapshot"), p.get("version_id"))
    if b is not None and "tags" in include:
        try:
            b["tags"] = client.get_blob_tags(container, name, p.get("snapshot"), p.get("version_id"))
        except AzureRestError as exc:
            exc.msg += "\nReading tags needs the Tags permission (SAS 't', or the Storage Blob Data Owner role)."
            raise
    return {"changed": False, "exists": b is not None, "blob": b, "blobs": [b] if b else [], "prefixes": []}
