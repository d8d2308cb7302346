# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_blob_undelete: restore soft-deleted blobs (Undelete Blob,
https://learn.microsoft.com/rest/api/storageservices/undelete-blob), one by name or all under a prefix.

What is soft-deleted comes from List Blobs with ``include=deleted``. A name that has an active blob again is left
alone (undeleting it would only bring back soft-deleted snapshots).
"""

from __future__ import annotations

from .._clients.blob_wire import validate_blob_name, validate_container_name
from .._errors import AzureRestError, NotFoundError

NO_SOFT_DELETE_HINT = (
    "Soft-deleted blobs exist only when the account's blob soft delete (delete retention policy) was on when they "
    "were deleted, and only for its retention days; with blob versioning on, restore a previous version instead."
)


def soft_deleted(client, container: str, name: str | None, prefix: str | None) -> dict:
    """``{deleted: [names], active: [names]}`` under the name or prefix (base blobs; snapshots and versions left out)."""
    listing = client.list_blobs(container, prefix=name if name is not None else prefix, include=["deleted"])
    deleted, active = set(), set()
    for b in listing["blobs"]:
        if b.get("snapshot") or (name is not None and b["name"] != name):
            continue
        (deleted if b.get("deleted") else active).add(b["name"])
    return {"deleted": sorted(deleted - active), "active": sorted(active)}


def ensure_undeleted(client, p: dict, check_mode: bool) -> dict:
    """storage_blob_undelete: undelete the soft-deleted blob ``name``, or every soft-deleted blob under ``prefix``.
    Returns ``{changed, undeleted, diff}``; NotFoundError when ``name`` is neither soft-deleted nor active."""
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"]) if p.get("name") is not None else None
    found = soft_deleted(client, container, name, p.get("prefix"))
    if name is not None and not found["deleted"] and name not in found["active"]:
        raise NotFoundError(
            "undelete %s/%s: there is no soft-deleted (nor active) blob of that name. %s"
            % (container, name, NO_SOFT_DELETE_HINT),
            status=404,
            error_code="BlobNotFound",
        )
    todo = found["deleted"]
    result = {
        "changed": bool(todo),
        "undeleted": todo,
        "diff": {
            "before": "\n".join(found["active"]) + ("\n" if found["active"] else ""),
            "after": "\n".join(sorted(set(found["active"]) | set(todo))) + ("\n" if found["active"] or todo else ""),
        },
    }
    if check_mode:
        return result
    done = []
    for blob in todo:
        try:
            client.undelete_blob(container, blob)
        except AzureRestError as exc:
            exc.details.update(changed=bool(done), undeleted=done)
            raise
        done.append(blob)
    return result
