# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Key Vault data-plane client (certificates and secrets), REST API 2025-06-01.

Takes a Transport whose auth is an EntraAuth for ``<keyvault_resource>/.default``; the bearer token is sent up front,
so Key Vault's 401 challenge round trip is not needed. Returns plain dicts; secret values are removed from every
result unless a method says otherwise. Also holds the pure helpers the modules use (vault URL resolution, result
shaping, the Cloud Services secret form, the idempotency digest).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
from urllib.parse import quote, urlsplit

from .._clouds import CLOUDS
from .._errors import AuthenticationError, ConfigError, ConflictError, NotFoundError, OperationFailedError

API_VERSION = "2025-06-01"
DELETED_BUT_RECOVERABLE = "ObjectIsDeletedButRecoverable"
DIGEST_TAG = "signet-hmac-sha256"


# -- pure helpers -----------------------------------------------------------------------------------------------------
def vault_url_for(params: dict, endpoints: dict) -> str:
    """``vault_url`` as given, or ``https://<vault_name>.<keyvault_suffix>`` of the cloud. ConfigError when the URL
    belongs to another cloud than ``cloud`` (a vault.azure.net URL with cloud=AzureChinaCloud cannot work)."""
    url = params.get("vault_url")
    if url:
        split = urlsplit(url)
        if split.scheme != "https" or not split.hostname:
            raise ConfigError(
                "vault_url: %r is not an https URL such as https://myvault.%s" % (url, endpoints["keyvault_suffix"])
            )
        host = split.hostname.lower()
        for name, eps in CLOUDS.items():
            if host.endswith("." + eps["keyvault_suffix"]) and not host.endswith("." + endpoints["keyvault_suffix"]):
                raise ConfigError(
                    "vault_url: %s is a %s vault but cloud is %s: set cloud: %s (or fix vault_url)"
                    % (host, name, endpoints["name"], name)
                )
        return "https://%s" % host + (":%d" % split.port if split.port and split.port != 443 else "")
    name = params.get("vault_name")
    if not name:
        raise ConfigError("give vault_name (or vault_url) of the Key Vault")
    if (
        not (3 <= len(name) <= 24)
        or not name.replace("-", "").isalnum()
        or not name[0].isalpha()
        or "--" in name
        or name.endswith("-")
    ):
        raise ConfigError(
            "vault_name: %r is not a Key Vault name (3-24 letters, digits and single hyphens, starting with a letter)" % name
        )
    return "https://%s.%s" % (name.lower(), endpoints["keyvault_suffix"])


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


# -- the client -------------------------------------------------------------------------------------------------------
class KeyVaultClient:
    """Certificates and secrets of one vault. ``vault_url`` like ``https://myvault.vault.azure.net``."""

    def __init__(self, vault_url: str, transport, api_version: str = API_VERSION):
        self.vault_url = vault_url.rstrip("/")
        self.transport = transport
        self.api_version = api_version

    def _url(self, *parts: str) -> str:
        return self.vault_url + "/" + "/".join(quote(p, safe="") for p in parts)

    def _send(self, method: str, url: str, action: str, **kwargs):
        """One request; a 401 gets one retry with a fresh token (the cached one may have expired or been revoked)."""
        try:
            return self.transport.request(method, url, action=action, **kwargs)
        except AuthenticationError as exc:
            invalidate = getattr(self.transport.auth, "invalidate", None)
            if exc.status != 401 or not callable(invalidate) or not invalidate():
                raise
            return self.transport.request(method, url, action=action, **kwargs)

    def _call(self, method: str, parts: tuple, action: str, *, json_body=None, expected=(200,), params=None):
        query = {"api-version": self.api_version}
        query.update(params or {})
        resp = self._send(method, self._url(*parts), action, params=query, json_body=json_body, expected_status=expected)
        return resp.json() if resp.content else {}

    def _get_or_none(self, parts: tuple, action: str):
        try:
            return self._call("GET", parts, action)
        except NotFoundError:
            return None

    def _pages(self, parts: tuple, action: str) -> list:
        items = []
        data = self._call("GET", parts, action, params={"maxresults": "25"})
        items.extend(data.get("value") or [])
        seen = 0
        while data.get("nextLink") and seen < 1000:
            seen += 1
            next_url = data["nextLink"]
            if urlsplit(next_url).hostname != urlsplit(self.vault_url).hostname:
                raise OperationFailedError("%s: nextLink points at another host; refusing to send the token there" % action)
            data = self._send("GET", next_url, action).json()
            items.extend(data.get("value") or [])
        return items

    # certificates
    def import_certificate(
        self,
        name: str,
        value: str,
        password: str | None = None,
        content_type: str = "application/x-pkcs12",
        tags: dict | None = None,
    ) -> dict:
        """POST /certificates/{name}/import. ``value``: base64 PFX or PEM text. Returns the CertificateBundle."""
        body = {"value": value, "policy": {"secret_props": {"contentType": content_type}, "key_props": {"exportable": True}}}
        if password:
            body["pwd"] = password
        if tags is not None:
            body["tags"] = tags
        return self._call("POST", ("certificates", name, "import"), "import certificate %s" % name, json_body=body)

    def get_certificate(self, name: str, version: str | None = None) -> dict | None:
        """GET /certificates/{name}[/{version}]; None when it does not exist."""
        parts = ("certificates", name, version) if version else ("certificates", name, "")
        return self._get_or_none(parts, "get certificate %s" % name)

    def list_certificates(self) -> list:
        """GET /certificates (every page): CertificateItems of the current versions."""
        return self._pages(("certificates",), "list certificates")

    def list_secrets(self) -> list:
        """GET /secrets (every page): SecretItems (no values)."""
        return self._pages(("secrets",), "list secrets")

    def list_certificate_versions(self, name: str) -> list:
        return self._pages(("certificates", name, "versions"), "list versions of certificate %s" % name)

    def update_certificate(self, name: str, version: str, tags: dict | None = None, enabled: bool | None = None) -> dict:
        body: dict = {}
        if tags is not None:
            body["tags"] = tags
        if enabled is not None:
            body["attributes"] = {"enabled": enabled}
        return self._call("PATCH", ("certificates", name, version), "update certificate %s" % name, json_body=body)

    def delete_certificate(self, name: str) -> dict:
        return self._call("DELETE", ("certificates", name), "delete certificate %s" % name)

    def get_deleted_certificate(self, name: str) -> dict | None:
        return self._get_or_none(("deletedcertificates", name), "get deleted certificate %s" % name)

    def purge_deleted_certificate(self, name: str) -> None:
        self._call("DELETE", ("deletedcertificates", name), "purge certificate %s" % name, expected=(204, 200))

    def recover_deleted_certificate(self, name: str, timeout: float = 60, interval: float = 1) -> dict:
        """POST /deletedcertificates/{name}/recover, then poll GET until the certificate is back (recovery is
        asynchronous). OperationFailedError after ``timeout`` seconds of polling."""
        self._call("POST", ("deletedcertificates", name, "recover"), "recover certificate %s" % name)
        return self._poll(lambda: self.get_certificate(name), "certificate", name, timeout, interval)

    # secrets
    def set_secret(
        self, name: str, value: str, content_type: str | None = None, tags: dict | None = None, enabled: bool | None = None
    ) -> dict:
        """PUT /secrets/{name}. Returns the SecretBundle without ``value``."""
        body: dict = {"value": value}
        if content_type:
            body["contentType"] = content_type
        if tags is not None:
            body["tags"] = tags
        if enabled is not None:
            body["attributes"] = {"enabled": enabled}
        data = self._call("PUT", ("secrets", name), "set secret %s" % name, json_body=body)
        data.pop("value", None)
        return data

    def get_secret(self, name: str, version: str | None = None, with_value: bool = False) -> dict | None:
        """GET /secrets/{name}[/{version}]; None when missing. ``value`` is kept only with ``with_value``."""
        parts = ("secrets", name, version) if version else ("secrets", name, "")
        data = self._get_or_none(parts, "get secret %s" % name)
        if data is not None and not with_value:
            data.pop("value", None)
        return data

    def list_secret_versions(self, name: str) -> list:
        return self._pages(("secrets", name, "versions"), "list versions of secret %s" % name)

    def update_secret(
        self, name: str, version: str, tags: dict | None = None, enabled: bool | None = None, content_type: str | None = None
    ) -> dict:
        body: dict = {}
        if tags is not None:
            body["tags"] = tags
        if enabled is not None:
            body["attributes"] = {"enabled": enabled}
        if content_type is not None:
            body["contentType"] = content_type
        data = self._call("PATCH", ("secrets", name, version), "update secret %s" % name, json_body=body)
        data.pop("value", None)
        return data

    def delete_secret(self, name: str) -> dict:
        return self._call("DELETE", ("secrets", name), "delete secret %s" % name)

    def get_deleted_secret(self, name: str) -> dict | None:
        return self._get_or_none(("deletedsecrets", name), "get deleted secret %s" % name)

    def purge_deleted_secret(self, name: str) -> None:
        self._call("DELETE", ("deletedsecrets", name), "purge secret %s" % name, expected=(204, 200))

    def recover_deleted_secret(self, name: str, timeout: float = 60, interval: float = 1) -> dict:
        self._call("POST", ("deletedsecrets", name, "recover"), "recover secret %s" % name)
        return self._poll(lambda: self.get_secret(name), "secret", name, timeout, interval)

    def recover(self, kind: str, name: str, timeout: float = 60, interval: float = 1) -> dict:
        """Recover a soft-deleted ``certificate`` or ``secret`` and wait until it is readable."""
        if kind == "certificate":
            return self.recover_deleted_certificate(name, timeout, interval)
        return self.recover_deleted_secret(name, timeout, interval)

    def _poll(self, getter, kind: str, name: str, timeout: float, interval: float) -> dict:
        attempts = max(1, int(timeout / max(interval, 0.1)))
        for attempt in range(attempts):
            found = getter()
            if found is not None:
                return found
            if attempt + 1 < attempts:
                self.transport.sleep(interval)
        raise OperationFailedError(
            "recover %s %s: still not readable after %s s; the recovery continues in Key Vault, run the task again later"
            % (kind, name, timeout)
        )


# -- module plumbing and plans (pure logic on a client; no AnsibleModule import) ---------------------------------------
def client_for(module) -> KeyVaultClient:
    """A KeyVaultClient for the module's vault_name/vault_url, authenticated for the cloud's Key Vault resource."""
    from .._auth.entra import cloud_endpoints, entra_auth_for

    endpoints = cloud_endpoints(module.params)
    url = vault_url_for(module.params, endpoints)
    auth = entra_auth_for(module, "keyvault_resource")
    return KeyVaultClient(url, module.transport(auth))


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
    from .._certs import certificate_facts, pem_for_import

    current = client.get_certificate(name)
    recovered = False
    if current is None:
        current, recovered = _ensure_live(client, "certificate", name, recover, check_mode, recover_timeout)
    before = certificate_result(current) if current else {}
    local = certificate_facts(bundle.certificate)
    before_short = {k: before.get(k) for k in ("thumbprint", "version", "tags")} if before else {}
    if (
        before
        and before.get("thumbprint") == local["thumbprint"]
        and not (recovered and check_mode and "cer" not in (current or {}))
    ):
        if tags is not None and dict(tags) != before.get("tags"):
            result = before if check_mode else certificate_result(client.update_certificate(name, before["version"], tags=tags))
            result = dict(result, tags=dict(tags))
            return {
                "changed": True,
                "certificate": result,
                "recovered": recovered,
                "diff": {"before": before_short, "after": dict(before_short, tags=dict(tags))},
            }
        return {
            "changed": recovered,
            "certificate": before,
            "recovered": recovered,
            "diff": {"before": before_short, "after": before_short},
        }
    if check_mode:
        after = dict(local, version=None, id=None, secret_id=None, tags=dict(tags or {}))
        return {
            "changed": True,
            "certificate": after,
            "recovered": recovered,
            "diff": {
                "before": before_short,
                "after": {"thumbprint": local["thumbprint"], "version": "(new)", "tags": after["tags"]},
            },
        }
    if raw_pfx is not None:
        value, ctype = base64.b64encode(raw_pfx).decode("ascii"), "application/x-pkcs12"
    else:
        value, ctype, password = pem_for_import(bundle), "application/x-pem-file", None
    try:
        created = client.import_certificate(
            name, value, password=password, content_type=ctype, tags=tags if tags is not None else (before.get("tags") or None)
        )
    except ConflictError as exc:
        if is_deleted_but_recoverable(exc):
            raise ConfigError(_deleted_message("Certificate", name, None), error_code=DELETED_BUT_RECOVERABLE) from None
        raise
    result = certificate_result(created)
    after_short = {k: result.get(k) for k in ("thumbprint", "version", "tags")}
    return {
        "changed": True,
        "certificate": result,
        "recovered": recovered,
        "diff": {"before": before_short, "after": after_short},
    }


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
    current = client.get_secret(name)
    recovered = False
    if current is None:
        current, recovered = _ensure_live(client, "secret", name, recover, check_mode, recover_timeout)
    digest = value_digest(client.vault_url, name, digest_message, digest_key)
    before = secret_result(current) if current else {}
    user_tags = dict(tags) if tags is not None else {k: v for k, v in (before.get("tags") or {}).items() if k != DIGEST_TAG}
    want_tags = dict(user_tags, **({DIGEST_TAG: digest} if compare == "digest" else {}))
    same_value = False
    if before:
        tag = (before.get("tags") or {}).get(DIGEST_TAG)
        if compare == "digest" and tag:
            same_value = hmac.compare_digest(str(tag), digest)
        elif not (recovered and check_mode):
            current_full = client.get_secret(name, with_value=True) or {}
            if register and current_full.get("value"):
                register(current_full["value"])
            same_value = hmac.compare_digest(str(current_full.get("value", "")).encode("utf-8"), value.encode("utf-8"))
    if same_value and compare == "value" and DIGEST_TAG in (before.get("tags") or {}):
        want_tags[DIGEST_TAG] = before["tags"][DIGEST_TAG]  # still true for the unchanged value
    if same_value:
        if want_tags != before.get("tags") or (content_type or None) != before.get("content_type"):
            result = (
                dict(before, tags=want_tags, content_type=content_type)
                if check_mode
                else secret_result(client.update_secret(name, before["version"], tags=want_tags, content_type=content_type or ""))
            )
            return {
                "changed": True,
                "secret": result,
                "recovered": recovered,
                "diff": {"before": _short(before), "after": _short(result)},
            }
        return {
            "changed": recovered,
            "secret": before,
            "recovered": recovered,
            "diff": {"before": _short(before), "after": _short(before)},
        }
    if check_mode:
        after = {"id": None, "version": "(new)", "content_type": content_type, "tags": want_tags, "enabled": True}
        return {
            "changed": True,
            "secret": after,
            "recovered": recovered,
            "diff": {"before": _short(before), "after": _short(after)},
        }
    try:
        created = client.set_secret(name, value, content_type=content_type, tags=want_tags)
    except ConflictError as exc:
        if is_deleted_but_recoverable(exc):
            raise ConfigError(_deleted_message("Secret", name, None), error_code=DELETED_BUT_RECOVERABLE) from None
        raise
    result = secret_result(created)
    return {
        "changed": True,
        "secret": result,
        "recovered": recovered,
        "diff": {"before": _short(before), "after": _short(result)},
    }


def certificate_secret(params: dict, warn=None) -> tuple[str, str, str, dict]:
    """Build the secret value for a certificate file in ``params['format']``.

    Returns ``(value, digest_message, content_type, extra)``; ``extra`` holds ``thumbprint`` and ``role`` of the
    certificate. The digest message covers the source bytes, the password and the format (not the output, which is
    re-encrypted with a random salt when ``legacy_pfx`` applies), so re-runs stay idempotent. Raises CertificateError.
    """
    from .._certs import (
        certificates_pem,
        check_bundle,
        cloud_services_pfx_problem,
        export_pfx,
        is_aes_pfx,
        load_bundle,
        pem_for_import,
        pfx_bytes,
        role_of,
    )

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
    if path:
        with open(path, "rb") as fh:
            source = fh.read()
    else:
        source = content.encode("utf-8") if isinstance(content, str) else content
    extra = {"thumbprint": bundle.thumbprint, "role": role_of(bundle.certificate)}
    message = json.dumps(
        {
            "format": fmt,
            "source_sha256": hashlib.sha256(source).hexdigest(),
            "password": password or "",
            "legacy_pfx": bool(params.get("legacy_pfx")),
        },
        sort_keys=True,
    )
    if fmt == "pem":
        value = pem_for_import(bundle) if bundle.key is not None else certificates_pem(bundle)
        return value, message, params.get("content_type") or "application/x-pem-file", extra
    if raw is None or (fmt == "cloud_service_json" and is_aes_pfx(bundle)):
        if raw is not None and not params.get("legacy_pfx"):
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
    if fmt == "pfx_base64":
        return base64.b64encode(raw).decode("ascii"), message, params.get("content_type") or "application/x-pkcs12", extra
    return cloud_service_secret(raw, password), message, params.get("content_type") or "application/json", extra
