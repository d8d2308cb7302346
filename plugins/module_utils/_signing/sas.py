# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Service SAS, user delegation SAS and account SAS generation (pure functions, no I/O).

Layouts follow Microsoft's "Create a service SAS", "Create a user delegation SAS" and "Create an account SAS" for
signed version ``SAS_VERSION`` (2020-12-06 and later field order, including signedEncryptionScope). The user
delegation layout also knows the fields that later versions add (2025-07-05: signedKeyDelegatedUserTenantId and
signedDelegatedUserObjectId; 2026-04-06: signedRequestHeaders and signedRequestQueryParameters), sent empty.
"""

from __future__ import annotations

import datetime as _dt
from urllib.parse import quote

from .storage import sign

SAS_VERSION = "2022-11-02"

# Canonical permission orders (the service requires this order).
CONTAINER_PERMISSIONS = "racwdxyltfmeop"
BLOB_PERMISSIONS = "racwdxytmei"
ACCOUNT_PERMISSIONS = "rwdxylacupitfo"
ACCOUNT_SERVICES = "bqtf"
ACCOUNT_RESOURCE_TYPES = "sco"


def format_time(value: _dt.datetime) -> str:
    """ISO 8601 UTC with seconds and a Z suffix, as the service (and AzCopy) require."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def normalize_permissions(permissions: str, allowed: str, what: str) -> str:
    """Return ``permissions`` re-ordered in the service's canonical order; ValueError names any unknown letter."""
    perms = permissions or ""
    unknown = sorted(set(perms) - set(allowed))
    if unknown:
        raise ValueError(
            "%s permission(s) %s are not valid; use letters from '%s'" % (what, ", ".join(map(repr, unknown)), allowed)
        )
    if not perms:
        raise ValueError("at least one %s permission is required (letters from '%s')" % (what, allowed))
    return "".join(ch for ch in allowed if ch in perms)


def _token(fields: list[tuple[str, str]]) -> str:
    return "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in fields if v)


def service_sas_string_to_sign(
    *,
    account: str,
    container: str,
    blob: str | None,
    permissions: str,
    expiry: str,
    start: str = "",
    identifier: str = "",
    ip: str = "",
    protocol: str = "https",
    resource: str = "c",
    snapshot: str = "",
    encryption_scope: str = "",
    cache_control: str = "",
    content_disposition: str = "",
    content_encoding: str = "",
    content_language: str = "",
    content_type: str = "",
    version: str = SAS_VERSION,
) -> str:
    """The service SAS string-to-sign. Names in the canonical resource are the logical (unencoded) names."""
    canonical = "/blob/%s/%s" % (account, container)
    if blob:
        canonical += "/" + blob
    return "\n".join(  # noqa: FLY002 - one field per line, in the documented order
        [
            permissions,
            start,
            expiry,
            canonical,
            identifier,
            ip,
            protocol,
            version,
            resource,
            snapshot,
            encryption_scope,
            cache_control,
            content_disposition,
            content_encoding,
            content_language,
            content_type,
        ]
    )


def service_sas(
    account: str,
    account_key: str,
    container: str,
    blob: str | None,
    permissions: str,
    expiry: _dt.datetime,
    start: _dt.datetime | None = None,
    ip: str = "",
    protocol: str = "https",
    snapshot: str = "",
    identifier: str = "",
) -> str:
    """Build a service SAS token (without leading '?') for a container (``blob`` None) or a blob.

    With ``identifier`` (a stored access policy of the container, ``si``), ``permissions`` and ``expiry`` may be
    empty/None: the policy gives them (a field may be in the policy or in the SAS, not in both)."""
    resource = "bs" if (blob and snapshot) else ("b" if blob else "c")
    if permissions or not identifier:
        perms = normalize_permissions(permissions, BLOB_PERMISSIONS if blob else CONTAINER_PERMISSIONS, "SAS")
    else:
        perms = ""
    if expiry is None and not identifier:
        raise ValueError("a SAS without a stored access policy needs an expiry")
    st = format_time(start) if start else ""
    se = format_time(expiry) if expiry is not None else ""
    sts = service_sas_string_to_sign(
        account=account,
        container=container,
        blob=blob,
        permissions=perms,
        expiry=se,
        start=st,
        identifier=identifier,
        ip=ip,
        protocol=protocol,
        resource=resource,
        snapshot=snapshot,
    )
    sig = sign(account_key, sts)
    return _token(
        [
            ("sv", SAS_VERSION),
            ("st", st),
            ("se", se),
            ("sr", resource),
            ("sp", perms),
            ("sip", ip),
            ("spr", protocol),
            ("si", identifier),
            ("sig", sig),
        ]
    )


def user_delegation_string_to_sign(
    *,
    account: str,
    container: str,
    blob: str | None,
    permissions: str,
    expiry: str,
    key: dict,
    start: str = "",
    ip: str = "",
    protocol: str = "https",
    resource: str = "c",
    snapshot: str = "",
    version: str = SAS_VERSION,
) -> str:
    """The user delegation SAS string-to-sign ("Create a user delegation SAS", "Construct a user delegation
    signature"). ``key`` is the Get User Delegation Key answer (``_clients/user_delegation.KEY_FIELDS`` names)."""
    canonical = "/blob/%s/%s" % (account, container) + ("/" + blob if blob else "")
    fields = [permissions, start, expiry, canonical]
    fields += [key["signed_oid"], key["signed_tid"], key["signed_start"], key["signed_expiry"]]
    fields += [key["signed_service"], key["signed_version"]]
    fields += ["", "", ""]  # signedAuthorizedUserObjectId, signedUnauthorizedUserObjectId, signedCorrelationId
    if version >= "2025-07-05":
        fields += ["", ""]  # signedKeyDelegatedUserTenantId, signedDelegatedUserObjectId
    fields += [ip, protocol, version, resource, snapshot, ""]  # ..., signedSnapshotTime, signedEncryptionScope
    if version >= "2026-04-06":
        fields += ["", ""]  # signedRequestHeaders, signedRequestQueryParameters
    fields += ["", "", "", "", ""]  # rscc, rscd, rsce, rscl, rsct
    return "\n".join(fields)


def user_delegation_sas(
    account: str,
    key: dict,
    container: str,
    blob: str | None,
    permissions: str,
    expiry: _dt.datetime,
    start: _dt.datetime | None = None,
    ip: str = "",
    protocol: str = "https",
    snapshot: str = "",
    version: str = SAS_VERSION,
) -> str:
    """Build a user delegation SAS token (without leading '?') for a container (``blob`` None) or a blob, signed with
    the user delegation key ``key`` (``value`` is its base64 secret). A user delegation SAS takes no stored access
    policy. ValueError for bad permissions."""
    resource = "bs" if (blob and snapshot) else ("b" if blob else "c")
    perms = normalize_permissions(permissions, BLOB_PERMISSIONS if blob else CONTAINER_PERMISSIONS, "SAS")
    st = format_time(start) if start else ""
    se = format_time(expiry)
    sts = user_delegation_string_to_sign(
        account=account,
        container=container,
        blob=blob,
        permissions=perms,
        expiry=se,
        key=key,
        start=st,
        ip=ip,
        protocol=protocol,
        resource=resource,
        snapshot=snapshot,
        version=version,
    )
    fields = [("sv", version), ("st", st), ("se", se), ("sr", resource), ("sp", perms), ("sip", ip), ("spr", protocol)]
    fields += [("skoid", key["signed_oid"]), ("sktid", key["signed_tid"]), ("skt", key["signed_start"])]
    fields += [("ske", key["signed_expiry"]), ("sks", key["signed_service"]), ("skv", key["signed_version"])]
    return _token(fields + [("sig", sign(key["value"], sts))])


def account_sas_string_to_sign(
    *,
    account: str,
    permissions: str,
    services: str,
    resource_types: str,
    expiry: str,
    start: str = "",
    ip: str = "",
    protocol: str = "https",
    encryption_scope: str = "",
    version: str = SAS_VERSION,
) -> str:
    """The account SAS string-to-sign (ends with a newline, as documented)."""
    return (
        "\n".join(  # noqa: FLY002 - the documented field order
            [account, permissions, services, resource_types, start, expiry, ip, protocol, version, encryption_scope]
        )
        + "\n"
    )


def account_sas(
    account: str,
    account_key: str,
    permissions: str,
    services: str,
    resource_types: str,
    expiry: _dt.datetime,
    start: _dt.datetime | None = None,
    ip: str = "",
    protocol: str = "https",
) -> str:
    """Build an account SAS token (without leading '?')."""
    perms = normalize_permissions(permissions, ACCOUNT_PERMISSIONS, "account SAS")
    ss = normalize_permissions(services, ACCOUNT_SERVICES, "account SAS service")
    srt = normalize_permissions(resource_types, ACCOUNT_RESOURCE_TYPES, "account SAS resource type")
    st = format_time(start) if start else ""
    se = format_time(expiry)
    sts = account_sas_string_to_sign(
        account=account,
        permissions=perms,
        services=ss,
        resource_types=srt,
        expiry=se,
        start=st,
        ip=ip,
        protocol=protocol,
    )
    sig = sign(account_key, sts)
    return _token(
        [
            ("sv", SAS_VERSION),
            ("ss", ss),
            ("srt", srt),
            ("sp", perms),
            ("st", st),
            ("se", se),
            ("sip", ip),
            ("spr", protocol),
            ("sig", sig),
        ]
    )
