# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Key Vault desired state: result shaping, the idempotency digest, the Cloud Services secret form, and the plans of
keyvault_certificate and keyvault_secret. Plans take a client with KeyVaultClient's methods (tests pass a fake one)
and never import AnsibleModule.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
from urllib.parse import urlsplit

from .._errors import AuthenticationError, ConfigError, ConflictError
from .._clients.keyvault import DELETED_BUT_RECOVERABLE, KeyVaultClient

DIGEST_TAG = "signet-hmac-sha256"


def _iso(ts) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).isoformat()


def version_of(identifier: str | None) -> str | None:
    """The version segment of a Key Vault object identifier (``.../<kind>/<name>/<version>``)."""
    parts = [p for p in urlsplit(identifier or "").path.split("/") if p]
    return parts[2] if len(parts) >= 3 else None


def certificate_result(bundle: dict) -> dict:
    """Non-secret facts of a CertificateBundle: ids, version, thumbprint (hex, from ``cer``), x5t, validity, names."""
    from .._certs import certificate_facts, load_der_certificate

    out = {
        "id": bundle.get("id"),
        "version": version_of(bundle.get("id")),
        "secret_id": bundle.get("sid"),
        "key_id": bundle.get("kid"),
        "x5t": bundle.get("x5t"),
        "enabled": (bundle.get("attributes") or {}).get("enabled"),
        "tags": bundle.get("tags") or {},
        "created": _iso((bundle.get("attributes") or {}).get("created")),
        "updated": _iso((bundle.get("attributes") or {}).get("updated")),
        "recovery_level": (bundle.get("attributes") or {}).get("recoveryLevel"),
        "content_type": ((bundle.get("policy") or {}).get("secret_props") or {}).get("contentType"),
    }
    if bundle.get("cer"):
        facts = certificate_facts(load_der_certificate(base64.b64decode(bundle["cer"])))
        out.update(
            thumbprint=facts["thumbprint"],
            subject=facts["subject"],
            issuer=facts["issuer"],
            not_before=facts["not_before"],
            not_after=facts["not_after"],
        )
        out["x5t"] = out["x5t"] or facts["x5t"]
    elif bundle.get("x5t"):
        raw = base64.urlsafe_b64decode(bundle["x5t"] + "=" * (-len(bundle["x5t"]) % 4))
        out["thumbprint"] = raw.hex().upper()
    return out


def secret_result(bundle: dict) -> dict:
    """Non-secret facts of a SecretBundle (the value is never part of it)."""
    attrs = bundle.get("attributes") or {}
    return {
        "id": bundle.get("id"),
        "version": version_of(bundle.get("id")),
        "content_type": bundle.get("contentType"),
        "enabled": attrs.get("enabled"),
        "not_before": _iso(attrs.get("nbf")),
        "expires": _iso(attrs.get("exp")),
        "created": _iso(attrs.get("created")),
        "updated": _iso(attrs.get("updated")),
        "recovery_level": attrs.get("recoveryLevel"),
        "tags": bundle.get("tags") or {},
        "managed": bool(bundle.get("managed")),
        "key_id": bundle.get("kid"),
    }


def value_digest(vault_url: str, name: str, message: str, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of ``message`` for the idempotency tag.

    Keyed with ``key`` when given (a secret of the user's: the tag then reveals nothing), else with
    ``signet.azure/v1|<vault host>|<name>``: that is public, so it only salts the digest per secret (no rainbow tables,
    no correlation of equal values across secrets or vaults) and does not stop an offline guess of a low-entropy
    value by someone who can list the vault's tags. See docs/docsite/rst/keyvault.rst.
    """
    k = key.encode("utf-8") if key else ("signet.azure/v1|%s|%s" % (urlsplit(vault_url).hostname, name.lower())).encode("utf-8")
    return hmac.new(k, message.encode("utf-8"), hashlib.sha256).hexdigest()


def cloud_service_secret(pfx: bytes, password: str | None) -> str:
    """The Compute form of a certificate in a secret: base64 of the UTF-8 JSON
    ``{"data": <base64 PFX>, "dataType": "pfx", "password": <password>}`` (what osProfile.secrets expects)."""
    doc = {"data": base64.b64encode(pfx).decode("ascii"), "dataType": "pfx", "password": password or ""}
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode("utf-8")).decode("ascii")


def is_deleted_but_recoverable(error: Exception) -> bool:
    return isinstance(error, ConflictError) and (error.details or {}).get("inner_error_code") == DELETED_BUT_RECOVERABLE


def _deleted_message(kind: str, name: str, deleted: dict | None) -> str:
    when = ""
    if deleted:
        when = " (deleted %s, purge scheduled %s)" % (_iso(deleted.get("deletedDate")), _iso(deleted.get("scheduledPurgeDate")))
    return (
        "%s %s is deleted but recoverable%s; Key Vault will not reuse the name until it is recovered or purged: set "
        "recover: true to recover it (a new version is then imported only if it differs), purge it, or use another name"
        % (kind, name, when)
    )


def _ensure_live(client: KeyVaultClient, kind: str, name: str, recover: bool, check_mode: bool, timeout: float):
    """If ``name`` is soft-deleted: ConfigError, or recover it (``recover``). Returns (bundle_or_None, recovered)."""
    getter = client.get_deleted_certificate if kind == "certificate" else client.get_deleted_secret
    try:
        deleted = getter(name)
    except AuthenticationError:  # no permission on deleted objects: the import/set will tell us with a 409
        deleted = None
    if deleted is None:
        return None, False
    if not recover:
        raise ConfigError(_deleted_message(kind.capitalize(), name, deleted), error_code=DELETED_BUT_RECOVERABLE)
    if check_mode:
        return deleted, True
    return client.recover(kind, name, timeout=timeout), True


def _current_or_recovered(client: KeyVaultClient, kind: str, name: str, recover: bool, check_mode: bool, timeout: float):
    """The current certificate/secret bundle, else the soft-deleted one per :func:`_ensure_live`: (bundle, recovered)."""
    get = client.get_certificate if kind == "certificate" else client.get_secret
    current = get(name)
    recovered = False
    if current is None:
        current, recovered = _ensure_live(client, kind, name, recover, check_mode, timeout)
    return current, recovered


def _outcome(key: str, changed: bool, obj: dict, recovered: bool, before: dict, after: dict) -> dict:
    """A plan's result: ``{changed, <key>: obj, recovered, diff: {before, after}}``."""
    return {"changed": changed, key: obj, "recovered": recovered, "diff": {"before": before, "after": after}}


def _reject_deleted(exc: ConflictError, kind: str, name: str) -> None:
    """Inside ``except ConflictError``: raise ConfigError when Key Vault refused because ``name`` is soft-deleted."""
    if is_deleted_but_recoverable(exc):
        raise ConfigError(_deleted_message(kind, name, None), error_code=DELETED_BUT_RECOVERABLE) from None


def _certificate_unchanged(
    client: KeyVaultClient, name: str, before: dict, before_short: dict, tags, recovered: bool, check_mode: bool
) -> dict:
    """The plan when the current version already has the thumbprint: update the tags if they differ, else nothing."""
    if tags is not None and dict(tags) != before.get("tags"):
        result = before if check_mode else certificate_result(client.update_certificate(name, before["version"], tags=tags))
        result = dict(result, tags=dict(tags))
        return _outcome("certificate", True, result, recovered, before_short, dict(before_short, tags=dict(tags)))
    return _outcome("certificate", recovered, before, recovered, before_short, before_short)


def _import_certificate(client: KeyVaultClient, name: str, bundle, raw_pfx: bytes | None, password, tags, before: dict):
    """Import a new version: the PFX as given, else PEM (certificate and key). Returns the CertificateBundle."""
    from .._certs import pem_for_import

    if raw_pfx is not None:
        value, ctype = base64.b64encode(raw_pfx).decode("ascii"), "application/x-pkcs12"
    else:
        value, ctype, password = pem_for_import(bundle), "application/x-pem-file", None
    try:
        return client.import_certificate(
            name, value, password=password, content_type=ctype, tags=tags if tags is not None else (before.get("tags") or None)
        )
    except ConflictError as exc:
        _reject_deleted(exc, "Certificate", name)
        raise


def plan_certificate(
    client: KeyVaultClient,
    name: str,
    bundle,
    raw_pfx: bytes | None,
    password: str | None,
    *,
    tags=None,
    recover=False,
    check_mode=False,
    recover_timeout=60,
) -> dict:
    """Import ``bundle`` as certificate ``name`` unless the current version has the same thumbprint.

    Returns ``{changed, certificate (certificate_result or local facts in check mode), diff, recovered}``.
    """
    from .._certs import certificate_facts

    current, recovered = _current_or_recovered(client, "certificate", name, recover, check_mode, recover_timeout)
    before = certificate_result(current) if current else {}
    local = certificate_facts(bundle.certificate)
    before_short = {k: before.get(k) for k in ("thumbprint", "version", "tags")} if before else {}
    if (
        before
        and before.get("thumbprint") == local["thumbprint"]
        and not (recovered and check_mode and "cer" not in (current or {}))
    ):
        return _certificate_unchanged(client, name, before, before_short, tags, recovered, check_mode)
    if check_mode:
        after = dict(local, version=None, id=None, secret_id=None, tags=dict(tags or {}))
        after_short = {"thumbprint": local["thumbprint"], "version": "(new)", "tags": after["tags"]}
        return _outcome("certificate", True, after, recovered, before_short, after_short)
    result = certificate_result(_import_certificate(client, name, bundle, raw_pfx, password, tags, before))
    after_short = {k: result.get(k) for k in ("thumbprint", "version", "tags")}
    return _outcome("certificate", True, result, recovered, before_short, after_short)


def plan_absent(client: KeyVaultClient, kind: str, name: str, *, purge=False, check_mode=False, timeout=60) -> dict:
    """Delete certificate/secret ``name`` (soft delete), and purge it too with ``purge``. Returns {changed, deleted}."""
    get = client.get_certificate if kind == "certificate" else client.get_secret
    delete = client.delete_certificate if kind == "certificate" else client.delete_secret
    get_deleted = client.get_deleted_certificate if kind == "certificate" else client.get_deleted_secret
    do_purge = client.purge_deleted_certificate if kind == "certificate" else client.purge_deleted_secret
    current = get(name)
    changed = False
    deleted = None
    if current is not None:
        changed = True
        if not check_mode:
            deleted = delete(name)
    if purge:
        if check_mode:
            changed = changed or get_deleted(name) is not None
        else:
            for _attempt in range(max(1, int(timeout))):
                if get_deleted(name) is not None:
                    do_purge(name)
                    changed = True
                    break
                if current is None:
                    break
                client.transport.sleep(1)
    info = {}
    if deleted:
        info = {
            "recovery_id": deleted.get("recoveryId"),
            "scheduled_purge_date": _iso(deleted.get("scheduledPurgeDate")),
            "id": deleted.get("id"),
        }
    return {"changed": changed, "deleted": info, "diff": {"before": {"exists": current is not None}, "after": {"exists": False}}}


def _short(r: dict) -> dict:
    """The diff view of a secret: version, content type and tags (never the value)."""
    return {"version": r.get("version"), "content_type": r.get("content_type"), "tags": r.get("tags")} if r else {}


def _secret_holds_value(
    client: KeyVaultClient, name: str, value: str, digest: str, before: dict, compare: str, skip_read: bool, register
) -> bool:
    """Whether the current version (``before``) already holds ``value``.

    Compares the digest tag with ``compare=digest`` when the tag is there; otherwise reads the value (handed to
    ``register``), unless ``skip_read`` (a recovery that check mode did not perform).
    """
    if not before:
        return False
    tag = (before.get("tags") or {}).get(DIGEST_TAG)
    if compare == "digest" and tag:
        return hmac.compare_digest(str(tag), digest)
    if skip_read:
        return False
    current_full = client.get_secret(name, with_value=True) or {}
    if register and current_full.get("value"):
        register(current_full["value"])
    return hmac.compare_digest(str(current_full.get("value", "")).encode("utf-8"), value.encode("utf-8"))


def _secret_unchanged(
    client: KeyVaultClient, name: str, before: dict, want_tags: dict, content_type, recovered: bool, check_mode: bool
) -> dict:
    """The plan when the current version holds the value: update tags and content type if they differ."""
    if want_tags != before.get("tags") or (content_type or None) != before.get("content_type"):
        result = (
            dict(before, tags=want_tags, content_type=content_type)
            if check_mode
            else secret_result(client.update_secret(name, before["version"], tags=want_tags, content_type=content_type or ""))
        )
        return _outcome("secret", True, result, recovered, _short(before), _short(result))
    return _outcome("secret", recovered, before, recovered, _short(before), _short(before))


def _set_secret(client: KeyVaultClient, name: str, value: str, content_type, tags: dict) -> dict:
    """Set a new version of secret ``name``; ConfigError when the name is soft-deleted. Returns the SecretBundle."""
    try:
        return client.set_secret(name, value, content_type=content_type, tags=tags)
    except ConflictError as exc:
        _reject_deleted(exc, "Secret", name)
        raise


def plan_secret(
    client: KeyVaultClient,
    name: str,
    value: str,
    digest_message: str,
    *,
    content_type=None,
    tags=None,
    compare="digest",
    digest_key=None,
    recover=False,
    check_mode=False,
    recover_timeout=60,
    register=None,
) -> dict:
    """Set secret ``name`` to ``value`` unless the current version already holds it.

    ``compare=digest`` reads the HMAC tag (``signet-hmac-sha256``) and falls back to reading the value when the tag is
    missing; ``compare=value`` always reads the current value (needs the 'get' permission). A value read is passed to
    ``register`` (mark it secret) and never returned. Returns ``{changed, secret (secret_result), diff, recovered}``.
    """
    current, recovered = _current_or_recovered(client, "secret", name, recover, check_mode, recover_timeout)
    digest = value_digest(client.vault_url, name, digest_message, digest_key)
    before = secret_result(current) if current else {}
    user_tags = dict(tags) if tags is not None else {k: v for k, v in (before.get("tags") or {}).items() if k != DIGEST_TAG}
    want_tags = dict(user_tags, **({DIGEST_TAG: digest} if compare == "digest" else {}))
    same_value = _secret_holds_value(client, name, value, digest, before, compare, recovered and check_mode, register)
    if same_value and compare == "value" and DIGEST_TAG in (before.get("tags") or {}):
        want_tags[DIGEST_TAG] = before["tags"][DIGEST_TAG]  # still true for the unchanged value
    if same_value:
        return _secret_unchanged(client, name, before, want_tags, content_type, recovered, check_mode)
    if check_mode:
        after = {"id": None, "version": "(new)", "content_type": content_type, "tags": want_tags, "enabled": True}
        return _outcome("secret", True, after, recovered, _short(before), _short(after))
    result = secret_result(_set_secret(client, name, value, content_type, want_tags))
    return _outcome("secret", True, result, recovered, _short(before), _short(result))


def _source_bytes(path: str | None, content) -> bytes:
    """The certificate as given: the file's bytes, or the inline content (UTF-8 when text)."""
    if path:
        with open(path, "rb") as fh:
            return fh.read()
    return content.encode("utf-8") if isinstance(content, str) else content


def _secret_digest_message(fmt: str, source: bytes, password: str | None, legacy_pfx: bool) -> str:
    """The idempotency digest message of a certificate secret: format, source SHA-256, password, legacy_pfx."""
    return json.dumps(
        {
            "format": fmt,
            "source_sha256": hashlib.sha256(source).hexdigest(),
            "password": password or "",
            "legacy_pfx": legacy_pfx,
        },
        sort_keys=True,
    )


def _compute_pfx(bundle, raw: bytes | None, fmt: str, password: str | None, legacy_pfx: bool, option: str) -> bytes:
    """The PFX bytes of the secret: ``raw`` (the PFX as given), or a 3DES/SHA-1 PFX exported from ``bundle`` when the
    input is PEM/DER or, for ``cloud_service_json``, an AES-256 PFX that Cloud Services would reject.

    Raises CertificateError for an AES-256 PFX without ``legacy_pfx``, or when a PFX must be built without a password.
    """
    from .._certs import cloud_services_pfx_problem, export_pfx, is_aes_pfx

    if raw is None or (fmt == "cloud_service_json" and is_aes_pfx(bundle)):
        if raw is not None and not legacy_pfx:
            from .._errors import CertificateError

            raise CertificateError(
                cloud_services_pfx_problem(bundle) + ", or set legacy_pfx: true to let the module re-encrypt it"
            )
        if not password:
            from .._errors import CertificateError

            raise CertificateError(
                "%s: a PFX is built from this PEM for format %s; give certificate_password to protect it" % (option, fmt)
            )
        raw = export_pfx(bundle, password, legacy=True)
    return raw


def certificate_secret(params: dict, warn=None) -> tuple[str, str, str, dict]:
    """Build the secret value for a certificate file in ``params['format']``.

    Returns ``(value, digest_message, content_type, extra)``; ``extra`` holds ``thumbprint`` and ``role`` of the
    certificate. The digest message covers the source bytes, the password and the format (not the output, which is
    re-encrypted with a random salt when ``legacy_pfx`` applies), so re-runs stay idempotent. Raises CertificateError.
    """
    from .._certs import certificates_pem, check_bundle, load_bundle, pem_for_import, pfx_bytes, role_of

    path, content, password, fmt = (
        params.get("certificate_path"),
        params.get("certificate_content"),
        params.get("certificate_password"),
        params.get("format") or "cloud_service_json",
    )
    option = "certificate_path" if path else "certificate_content"
    bundle = load_bundle(path, content, password, option=option)
    for warning in check_bundle(bundle, require_key=False, purpose="Key Vault secret"):
        if warn:
            warn(warning)
    raw = pfx_bytes(path, content, option=option) if bundle.format == "pfx" else None
    source = _source_bytes(path, content)
    extra = {"thumbprint": bundle.thumbprint, "role": role_of(bundle.certificate)}
    message = _secret_digest_message(fmt, source, password, bool(params.get("legacy_pfx")))
    if fmt == "pem":
        value = pem_for_import(bundle) if bundle.key is not None else certificates_pem(bundle)
        return value, message, params.get("content_type") or "application/x-pem-file", extra
    raw = _compute_pfx(bundle, raw, fmt, password, bool(params.get("legacy_pfx")), option)
    if fmt == "pfx_base64":
        return base64.b64encode(raw).decode("ascii"), message, params.get("content_type") or "application/x-pkcs12", extra
    return cloud_service_secret(raw, password), message, params.get("content_type") or "application/json", extra
