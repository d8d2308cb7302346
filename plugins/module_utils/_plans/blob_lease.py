# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""storage_lease: the desired lease state of a container or a blob (Lease Container, Lease Blob:
https://learn.microsoft.com/rest/api/storageservices/lease-blob).

The service never tells who holds a lease, only its state (``available``, ``leased``, ``expired``, ``breaking``,
``broken``). So ``acquired`` on a leased object needs the caller's ``lease_id`` and proves it by renewing that lease
(a renewal is no change); ``released`` needs it too; ``broken`` needs nothing.
"""

from __future__ import annotations

import uuid

from .._clients.blob_features_wire import lease_duration
from .._clients.blob_wire import validate_blob_name, validate_container_name
from .._errors import AzureRestError, ConfigError, ConflictError, NotFoundError

#: What a lease conflict means for the user, by the service's error code.
LEASE_CONFLICTS = {
    "LeaseIdMismatchWithLeaseOperation": "it is leased under another lease ID than lease_id",
    "LeaseAlreadyPresent": "it is already leased under another lease ID",
    "LeaseIsBreakingAndCannotBeAcquired": "its lease is being broken; acquire it once the break period is over",
    "LeaseIsBrokenAndCannotBeRenewed": "its lease was broken; acquire a new one",
    "LeaseNotPresentWithLeaseOperation": "it has no active lease",
}


def _target(p: dict) -> tuple[str, str | None, str]:
    container = validate_container_name(p["container"])
    name = validate_blob_name(p["name"]) if p.get("name") else None
    return container, name, ("blob %s/%s" % (container, name) if name else "container %s" % container)


def _read(client, container: str, name: str | None, what: str) -> dict:
    """The object's lease properties ``{lease_state, lease_status, lease_duration}``; NotFoundError when absent."""
    current = client.get_blob_full(container, name) if name else client.get_container(container)
    if current is None:
        raise NotFoundError("lease on %s: it does not exist" % what, status=404, error_code="ResourceNotFound")
    props = current.get("properties") or {}
    return {k: props.get(k) for k in ("lease_state", "lease_status", "lease_duration")}


def _explained(exc: AzureRestError, what: str) -> AzureRestError:
    """``exc`` with the meaning of a lease conflict and the fix (break it with state=broken) in its message."""
    meaning = LEASE_CONFLICTS.get(exc.error_code or "")
    if meaning:
        exc.msg = "lease on %s: %s (%s). Give the ID of its lease in lease_id, or break it with state=broken" % (
            what,
            meaning,
            exc.error_code,
        )
    return exc


def _acquire(client, container, name, what, p: dict, state: dict, check_mode: bool) -> dict:
    """state=acquired: acquire when the object has no active lease; prove and renew (or change) a held one."""
    duration = lease_duration(p.get("duration") if p.get("duration") is not None else 60)
    lease_id, new_id = p.get("lease_id"), p.get("new_lease_id")
    if state["lease_state"] == "breaking":
        raise ConflictError(
            "lease on %s: its lease is being broken; acquire it once the break period is over" % what,
            error_code="LeaseIsBreakingAndCannotBeAcquired",
        )
    if state["lease_state"] != "leased":
        wanted = new_id or lease_id or str(uuid.uuid4())
        if not check_mode:
            wanted = client.lease(container, name, "acquire", duration=duration, proposed_id=wanted)["lease_id"] or wanted
        return {"changed": True, "lease_id": wanted, "action": "acquired"}
    if not lease_id:
        raise ConflictError(
            "lease on %s: it is already leased; give lease_id to renew your lease, or break it with state=broken" % what,
            error_code="LeaseAlreadyPresent",
        )
    if check_mode:
        return {
            "changed": bool(new_id and new_id != lease_id),
            "lease_id": new_id or lease_id,
            "action": "not verified in check mode",
        }
    if new_id and new_id != lease_id:
        try:
            client.lease(container, name, "renew", lease_id=new_id)
            return {"changed": False, "lease_id": new_id, "action": "renewed"}
        except ConflictError:
            client.lease(container, name, "change", lease_id=lease_id, proposed_id=new_id)
            return {"changed": True, "lease_id": new_id, "action": "changed"}
    client.lease(container, name, "renew", lease_id=lease_id)
    return {"changed": False, "lease_id": lease_id, "action": "renewed"}


def _release(client, container, name, p: dict, state: dict, check_mode: bool) -> dict:
    if state["lease_state"] != "leased":
        return {"changed": False, "lease_id": None, "action": "none"}
    if not p.get("lease_id"):
        raise ConfigError("lease_id: give the ID of the lease to release (state=broken ends a lease without it)")
    if not check_mode:
        client.lease(container, name, "release", lease_id=p["lease_id"])
    return {"changed": True, "lease_id": None, "action": "released"}


def _break(client, container, name, p: dict, state: dict, check_mode: bool) -> dict:
    if state["lease_state"] != "leased":
        return {"changed": False, "lease_id": None, "action": "none"}
    period = p.get("break_period")
    if period is not None and not 0 <= period <= 60:
        raise ConfigError("break_period: %d; give 0 to 60 seconds (0 breaks the lease at once)" % period)
    out = {"changed": True, "lease_id": None, "action": "broken"}
    if not check_mode:
        out["lease_time"] = client.lease(container, name, "break", break_period=period)["lease_time"]
    return out


def ensure_lease(client, p: dict, check_mode: bool) -> dict:
    """storage_lease: ``state`` acquired (acquire, or renew/change your lease), released or broken, on a container
    or (with ``name``) a blob. Returns ``{changed, lease_id, action, lease, diff}``."""
    container, name, what = _target(p)
    before = _read(client, container, name, what)
    state = p.get("state") or "acquired"
    try:
        if state == "acquired":
            out = _acquire(client, container, name, what, p, before, check_mode)
        elif state == "released":
            out = _release(client, container, name, p, before, check_mode)
        else:
            out = _break(client, container, name, p, before, check_mode)
    except AzureRestError as exc:
        raise _explained(exc, what) from None
    after = _read(client, container, name, what) if (out["changed"] and not check_mode) else dict(before)
    if check_mode and out["changed"]:
        after["lease_state"] = {"acquired": "leased", "released": "available", "broken": "broken"}[state]
    out.update(lease=after, diff={"before": before, "after": after})
    return out
