# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The desired state of the storage_* modules, on a BlobClient (tests may pass a fake one). No AnsibleModule: each
``ensure_*``/``*_info`` function takes the client, the module's params dict and ``check_mode`` and returns the
result dict (``changed``, ``diff`` and the module's keys). The pure helpers (metadata, content settings, the upload
plan) come first; the sync of a directory is in ``blob_sync.py``, storage_blob_info's listings in
``blob_listing.py``.
"""

from __future__ import annotations

import mimetypes
import os

from .._clients.blob import Payload
from .._clients.blob_wire import CONTENT_SETTINGS, METADATA_NAME_RE, MIB, validate_blob_name, validate_container_name
from .._errors import AzureRestError, ConfigError, NotFoundError
from .._localfile import file_md5, fs_limits, local_paths, regular_file


# -- pure helpers ---------------------------------------------------------------------------------------------------
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


def content_settings_diff(current: dict, wanted: dict) -> dict:
    """The content settings in ``wanted`` (None = not managed) that differ from the blob's ``current`` properties."""
    return {k: v for k, v in wanted.items() if v is not None and (current.get(k) or "") != v}


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


def _positive(p: dict, *names: str) -> None:
    """ConfigError naming the first option that is set but below 1."""
    for name in names:
        if p.get(name) is not None and p[name] < 1:
            raise ConfigError("%s: %s is not valid; give a positive number" % (name, p[name]))


def _summary(blob: dict | None) -> dict:
    if not blob:
        return {}
    props = blob.get("properties") or {}
    out = {k: props.get(k) for k in ("blob_type", "content_length", "content_md5") if props.get(k) is not None}
    out.update({k: props.get(k) for k in CONTENT_SETTINGS if props.get(k)})
    out["metadata"] = dict(blob.get("metadata") or {})
    return out


def _container_summary(c: dict | None) -> dict:
    if not c:
        return {}
    return {"public_access": c["properties"].get("public_access"), "metadata": dict(c.get("metadata") or {})}


# -- containers --------------------------------------------------------------------------------------------------
def ensure_container(client, p: dict, check_mode: bool) -> dict:
    """storage_container: state present/absent, metadata (exact or merge), public access."""
    name = validate_container_name(p["name"], "name")
    wanted_meta = normalize_metadata(p.get("metadata"))
    current = client.get_container(name)
    before = _container_summary(current)
    if p["state"] == "absent":
        if current is None:
            return {"changed": False, "container": None, "diff": {"before": before, "after": {}}}
        if not check_mode:
            client.delete_container(name)
        return {"changed": True, "container": None, "diff": {"before": before, "after": {}}}
    if current is None:
        meta = wanted_meta or {}
        after = {"public_access": p.get("public_access") or "private", "metadata": meta}
        if not check_mode:
            client.create_container(name, meta, p.get("public_access"))
            current = client.get_container(name)
        return {"changed": True, "container": current or dict(name=name, **after), "diff": {"before": before, "after": after}}
    changed = False
    target_meta = desired_metadata(current["metadata"], wanted_meta, p.get("metadata_mode") or "exact")
    if target_meta is not None and not metadata_equal(target_meta, current["metadata"]):
        changed = True
        if not check_mode:
            client.set_container_metadata(name, target_meta)
    level = p.get("public_access")
    if level and level != current["properties"].get("public_access"):
        changed = True
        if not check_mode:
            client.set_container_public_access(name, level)
    after = dict(before)
    if target_meta is not None:
        after["metadata"] = target_meta
    if level:
        after["public_access"] = level
    if changed and not check_mode:
        current = client.get_container(name)
    return {"changed": changed, "container": current, "diff": {"before": before, "after": after}}


# -- blobs -------------------------------------------------------------------------------------------------------
def _payload(p: dict) -> Payload | None:
    pad = p.get("blob_type") == "page" and bool(p.get("pad"))
    if p.get("src") is not None:
        return Payload(path=p["src"], pad_to_page=pad)
    if p.get("content") is not None:
        return Payload(content=p["content"].encode("utf-8"), pad_to_page=pad)
    return None


def _delete_blob(client, container: str, name: str, p: dict, current: dict | None, result: dict, check_mode: bool) -> dict:
    """state=absent: delete the blob (and, per ``delete_snapshots``, its snapshots) when it exists."""
    result["diff"] = {"before": _summary(current), "after": {}}
    if current is None:
        return result
    if not check_mode:
        client.delete_blob(container, name, p.get("delete_snapshots"))
    result.update(changed=True, action="deleted", blob=None)
    return result


def _check_blob_options(p: dict, payload: Payload | None, current: dict | None, container: str, name: str) -> None:
    """ConfigError for what the service would reject or what cannot be done: no content for a missing blob, sizes."""
    if payload is None and current is None:
        raise ConfigError("src: the blob %s/%s does not exist; give src or content to create it" % (container, name))
    _positive(p, "block_size", "single_put_size", "max_concurrency")
    if p.get("block_size") is not None and p["block_size"] > 4000 * MIB:
        raise ConfigError("block_size: %d is above the limit of 4000 MiB (4194304000 bytes)" % p["block_size"])


def _needs_digest(p: dict, payload: Payload, current: dict | None, blob_type: str) -> bool:
    """Whether ``plan_upload`` needs the payload's MD5 before the upload: only to compare with an existing blob of
    the same type and length (or, for an append blob, a shorter one that may hold a prefix) under
    ``overwrite=different``. Otherwise the upload hashes the data once, as it reads it."""
    props = (current or {}).get("properties") or {}
    if current is None or (p.get("overwrite") or "different") != "different" or props.get("blob_type") != blob_type:
        return False
    length = props.get("content_length")
    return length == payload.size or (blob_type == "append" and (length or 0) < payload.size)


def _content_plan(
    p: dict, payload: Payload | None, current: dict | None, blob_type: str, check_mode: bool = True
) -> tuple[dict, dict | None]:
    """``(plan, local)``: ``plan_upload`` of the payload against ``current`` (action ``none`` without a payload) and
    the payload's ``{size, md5, prefix_md5}`` (None without one; ``md5`` None when the plan does not need it and
    the upload will compute it, see ``_needs_digest``; check mode always computes it for the diff). ConfigError for
    a page blob that is not a multiple of 512 bytes."""
    if payload is None:
        return {"action": "none", "append_from": None, "reason": "no content given"}, None
    current_props = (current or {}).get("properties") or {}
    prefix_len = current_props.get("content_length") if (blob_type == "append" and current) else None
    if check_mode or _needs_digest(p, payload, current, blob_type):
        local = payload.digest(prefix_len)
    else:
        local = {"size": payload.size, "md5": None, "prefix_md5": None}
    plan = plan_upload(current, local, blob_type, p.get("overwrite") or "different")
    if blob_type == "page" and payload.size % 512:
        raise ConfigError(
            "src: a page blob must be a multiple of 512 bytes, the content has %d bytes; set pad=true to pad it with zeros"
            % payload.raw_size
        )
    return plan, local


def _full_settings(current: dict | None, wanted: dict, plan: dict, name: str) -> dict:
    """Every content setting to send: the blob's current ones updated with the wanted ones; a created blob without a
    content type gets one guessed from its name."""
    current_props = (current or {}).get("properties") or {}
    full = {k: current_props.get(k) for k in CONTENT_SETTINGS} if current else {}
    full.update({k: v for k, v in wanted.items() if v is not None})
    if not full.get("content_type") and plan["action"] == "create":
        full["content_type"] = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return full


def _blob_after(before: dict, full_settings: dict, target_meta, local, plan: dict, blob_type: str) -> dict:
    """The diff's ``after``: ``before`` with the settings, metadata and (when uploading) the new content."""
    after = dict(before)
    after.update({k: v for k, v in full_settings.items() if v})
    if target_meta is not None:
        after["metadata"] = target_meta
    if local is not None and plan["action"] != "none":
        after.update(blob_type=blob_type, content_length=local["size"], content_md5=local["md5"])
    return after


def _upload_blob(client, container, name, p: dict, payload, plan: dict, full_settings: dict, target_meta, current) -> dict:
    """Carry out an upload plan (create, replace or append) and return the blob as it is afterwards."""
    current_props = (current or {}).get("properties") or {}
    current_meta = (current or {}).get("metadata") or {}
    meta = target_meta if target_meta is not None else current_meta
    blob = client.upload(
        container,
        name,
        payload,
        blob_type=p.get("blob_type") or "block",
        settings=full_settings,
        metadata=None if plan["action"] == "append" else meta,
        etag=current_props.get("etag"),
        create_only=current is None or (p.get("overwrite") == "never"),
        append_from=plan["append_from"],
        block_size=p.get("block_size") or 4 * MIB,
        single_put_size=p.get("single_put_size") or 8 * MIB,
        max_concurrency=p.get("max_concurrency") or 4,
        current_type=current_props.get("blob_type"),
        transactional_md5=bool(p.get("transactional_md5")),
    )
    if plan["action"] == "append" and target_meta is not None and not metadata_equal(target_meta, blob["metadata"]):
        try:
            client.set_blob_metadata(container, name, target_meta)
            blob = client.get_blob(container, name)
        except AzureRestError as exc:
            exc.details.update(changed=True, blob_content="new")
            raise
    return blob


def _update_blob(
    client, container, name, result: dict, current: dict, wanted: dict, full_settings: dict, target_meta, check_mode
):
    """No upload: set the content settings and the metadata that differ from the blob's."""
    current_props = current.get("properties") or {}
    settings_changes = content_settings_diff(current_props, wanted)
    meta_changes = target_meta is not None and not metadata_equal(target_meta, current.get("metadata") or {})
    if not (settings_changes or meta_changes):
        return result
    result.update(changed=True, action="updated")
    if check_mode:
        return result
    done = False
    try:
        if settings_changes:
            client.set_blob_properties(
                container, name, full_settings, current_props.get("content_md5"), etag=current_props.get("etag")
            )
            done = True
        if meta_changes:
            client.set_blob_metadata(container, name, target_meta)
            done = True
        result["blob"] = client.get_blob(container, name)
    except AzureRestError as exc:
        exc.details.setdefault("changed", done)  # a failed task still says whether the blob was modified
        raise
    return result


def ensure_blob(client, p: dict, check_mode: bool) -> dict:
    """storage_blob: upload (create/replace/append), metadata and property updates, delete."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    wanted_meta = normalize_metadata(p.get("metadata"))
    current = client.get_blob(container, name)
    result = {"changed": False, "action": "unchanged", "blob": current, "url": client.url(container, name)}
    if p["state"] == "absent":
        return _delete_blob(client, container, name, p, current, result, check_mode)

    blob_type = p.get("blob_type") or "block"
    payload = _payload(p)
    _check_blob_options(p, payload, current, container, name)
    wanted_settings = {k: p.get(k) for k in CONTENT_SETTINGS}
    current_meta = (current or {}).get("metadata") or {}
    target_meta = desired_metadata(current_meta, wanted_meta, p.get("metadata_mode") or "exact")
    plan, local = _content_plan(p, payload, current, blob_type, check_mode)
    full_settings = _full_settings(current, wanted_settings, plan, name)
    before = _summary(current)
    result["plan"] = plan
    result["diff"] = {"before": before, "after": _blob_after(before, full_settings, target_meta, local, plan, blob_type)}

    if plan["action"] != "none":
        result.update(changed=True, action={"create": "created", "replace": "replaced", "append": "appended"}[plan["action"]])
        if not check_mode:
            result["blob"] = _upload_blob(client, container, name, p, payload, plan, full_settings, target_meta, current)
            if local is not None and local["md5"] is None:  # hashed by the upload itself
                result["diff"]["after"]["content_md5"] = (result["blob"] or {}).get("properties", {}).get("content_md5")
        return result
    return _update_blob(client, container, name, result, current, wanted_settings, full_settings, target_meta, check_mode)


def _download_dest(p: dict, name: str, follow: bool) -> str:
    """The local file of storage_blob_download: ``dest``, or ``dest/<last segment of the name>`` when ``dest`` is a
    directory (the segment checked by ``local_paths`` first). Without ``follow``, a directory of ``dest`` that is a
    symbolic link is refused (ConfigError); with it, a ``dest`` that is a link becomes the file it points to."""
    dest = p["dest"]
    if os.path.isdir(dest):
        segment = name.rstrip("/").rsplit("/", 1)[-1]
        paths, rejected = local_paths(dest, [segment], **fs_limits(dest))
        if rejected:
            raise ConfigError(
                "name: the last segment of the blob name, %r, cannot be a file name in dest (%s); give dest as a file "
                "path" % (segment, rejected[segment])
            )
        dest = paths[segment]
    directory = os.path.dirname(os.path.abspath(dest))
    if not follow and os.path.islink(directory):
        raise ConfigError(
            "dest: the directory %s is a symbolic link (to %s); refusing to write through it. Set follow=true to write "
            "where it points" % (directory, os.readlink(directory))
        )
    if follow and os.path.islink(dest):
        dest = os.path.realpath(dest)
    return dest


def _local_state(dest: str, size: int, follow: bool) -> tuple[bool, int | None, str | None]:
    """``(exists, size, md5)`` of ``dest`` as a regular file (through a link only with ``follow``); the MD5 only when
    the size is ``size``."""
    st = regular_file(dest, follow)
    if st is None:
        return False, None, None
    try:
        return True, st.st_size, file_md5(dest, follow) if st.st_size == size else None
    except FileNotFoundError:
        return False, None, None


def ensure_download(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_download: download to dest unless the local file already matches. A replaced dest keeps its
    owner, group and mode; a dest that is a symbolic link is replaced (``follow``: the file it points to is)."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    _positive(p, "chunk_size", "max_concurrency")
    follow = bool(p.get("follow"))
    dest = _download_dest(p, name, follow)
    blob = client.get_blob(container, name, p.get("snapshot"), p.get("version_id"))
    if blob is None:
        raise NotFoundError(
            "download %s/%s: the blob%s does not exist"
            % (container, name, " snapshot/version" if (p.get("snapshot") or p.get("version_id")) else ""),
            status=404,
            error_code="BlobNotFound",
        )
    props = blob["properties"]
    size = props.get("content_length") or 0
    remote_md5 = props.get("content_md5")
    result = {"changed": False, "dest": dest, "blob": blob, "size": size, "md5": remote_md5}
    exists, local_size, local_md5 = _local_state(dest, size, follow)
    before = {"path": dest, "size": local_size, "md5": local_md5}
    result["diff"] = {"before": before, "after": {"path": dest, "size": size, "md5": remote_md5}}
    if exists and p.get("overwrite") == "never":
        result["msg"] = "dest exists and overwrite=never"
        return result
    if exists and p.get("overwrite") != "always" and remote_md5 and local_md5 == remote_md5:
        return result
    if check_mode:
        result["changed"] = True
        if exists and not remote_md5 and local_md5:
            result["msg"] = "the blob has no Content-MD5; a real run downloads it and compares"
        return result
    out = client.download(
        container,
        name,
        dest,
        props=props,
        snapshot=p.get("snapshot"),
        version_id=p.get("version_id"),
        chunk_size=p.get("chunk_size") or 4 * MIB,
        max_concurrency=p.get("max_concurrency") or 4,
        keep_if_equal=exists and p.get("overwrite") != "always",
        follow=follow,
    )
    result.update(changed=out["replaced"], md5=out["md5"])
    result["diff"]["after"]["md5"] = out["md5"]
    if out.get("warnings"):
        result["warnings"] = out["warnings"]
    return result


def create_snapshot(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_snapshot: create a snapshot (or, with only_if_changed, reuse the latest equal one)."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"])
    meta = normalize_metadata(p.get("metadata"))
    blob = client.get_blob(container, name)
    if blob is None:
        raise NotFoundError("snapshot %s/%s: the blob does not exist" % (container, name), status=404, error_code="BlobNotFound")
    props = blob["properties"]
    if p.get("only_if_changed"):
        listing = client.list_blobs(container, prefix=name, include=["snapshots", "metadata"])
        snaps = [b for b in listing["blobs"] if b["name"] == name and b.get("snapshot")]
        if snaps:
            latest = max(snaps, key=lambda b: b["snapshot"])
            lp = latest["properties"]
            same_meta = metadata_equal(latest["metadata"], meta if meta is not None else blob["metadata"])
            if (
                lp.get("content_md5") == props.get("content_md5")
                and lp.get("content_length") == props.get("content_length")
                and lp.get("etag") == props.get("etag")
                and same_meta
            ):
                return {
                    "changed": False,
                    "snapshot": latest["snapshot"],
                    "blob": blob,
                    "diff": {"before": {"snapshot": latest["snapshot"]}, "after": {"snapshot": latest["snapshot"]}},
                }
    if check_mode:
        return {"changed": True, "snapshot": None, "blob": blob, "diff": {"before": {}, "after": {"snapshot": "(new)"}}}
    stamp = client.snapshot_blob(container, name, meta)
    return {"changed": True, "snapshot": stamp, "blob": blob, "diff": {"before": {}, "after": {"snapshot": stamp}}}


def container_info(client, p: dict, check_mode: bool) -> dict:
    """storage_container_info: one container, or the listing."""
    if p.get("name"):
        c = client.get_container(validate_container_name(p["name"], "name"))
        return {"changed": False, "exists": c is not None, "container": c, "containers": [c] if c else []}
    listing = client.list_containers(p.get("prefix"), bool(p.get("include_metadata")), p.get("max_results"))
    return {"changed": False, "containers": listing["containers"], "next_marker": listing["next_marker"]}
