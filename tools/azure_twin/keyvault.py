# SPDX-License-Identifier: GPL-3.0-or-later
"""Key Vault data plane of the twin (``<vault>.vault.azure.net`` and the China / US Gov suffixes).

Follows the REST spec 2025-06-01 (specification/keyvault/data-plane/Microsoft.KeyVault/stable/2025-06-01):

* Certificates: ``POST /certificates/{name}/import`` (PFX as base64 with ``pwd``, or PEM), ``GET
  /certificates/{name}[/{version}]``, ``GET /certificates/{name}/versions`` and ``GET /certificates`` (paged with
  ``nextLink``), ``PATCH /certificates/{name}/{version}``, ``DELETE /certificates/{name}`` (soft delete),
  ``GET|DELETE /deletedcertificates/{name}``, ``POST /deletedcertificates/{name}/recover`` (asynchronous).
  An import also creates the backing secret (``sid``; the PFX as base64, without password) and key (``kid``).
* Secrets: ``PUT /secrets/{name}``, ``GET /secrets/{name}[/{version}]``, ``GET /secrets/{name}/versions``,
  ``GET /secrets``, ``PATCH /secrets/{name}/{version}``, ``DELETE /secrets/{name}``, ``GET|DELETE
  /deletedsecrets/{name}``, ``POST /deletedsecrets/{name}/recover``.
* Keys (only what certificates create): ``GET /keys/{name}[/{version}]``.

Every request needs a bearer token for the vault resource of the host's cloud; without one the answer is Key Vault's
401 challenge (``WWW-Authenticate: Bearer authorization=..., resource=...``), which the SDKs' challenge policy needs.
Then ``api-version`` is required. A seeded vault named ``signetkv`` exists in every cloud (``twin.json`` →
``keyvault``); other vault names answer 404 ``VaultNotFound`` unless created with ``POST /_twin/keyvault/create-vault``.

``lookup_secret_by_url(state, url)`` is the helper the Cloud Service twin uses to check ``osProfile.secrets``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from . import entra
from .plugin import CLOUDS, DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, TokenError

VAULT_NAME = "signetkv"
RECOVERY_LEVEL = "Recoverable+Purgeable"
RECOVERABLE_DAYS = 90
#: A recovered object stays invisible for this many GETs (the SDKs poll GET until 200), or this many seconds.
RECOVER_GETS = 2
RECOVER_SECONDS = 3.0
PAGE_SIZE = 25
_API_VERSION_RE = re.compile(r"^(7\.\d+(-preview)?|20\d\d-\d\d-\d\d(-preview)?)$")
_NAME_RE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_VERSION_RE = re.compile(r"^[0-9a-f]{32}$")


# ====================================================================================================================
# Certificate parsing (the twin's own; it does not trust the client's arithmetic)
# ====================================================================================================================


class ImportError_(Exception):
    """A certificate import Key Vault would refuse: ``code``/``message`` as Key Vault words them."""

    def __init__(self, message: str, code: str = "BadParameter"):
        super().__init__(message)
        self.code = code
        self.message = message


def _x5t(der: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode("ascii")  # noqa: S324


def _thumbprint(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324


def _keys_match(cert, key) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def parse_import(value: str, password: str | None, content_type: str | None) -> dict:
    """Parse an import ``value`` like Key Vault: returns ``{cert, key, chain, content_type, secret_value}``.

    PFX: base64 of PKCS#12 (``pwd`` its password). PEM: the PEM text itself, or base64 of it (the Python SDK sends
    that); the key must be PKCS#8. Raises ImportError_ with Key Vault's messages.
    """
    raw = None
    text = value.strip()
    if "-----BEGIN" in text:
        raw = text.encode("utf-8")
    else:
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
        except ValueError:
            raise ImportError_("The specified value is not a valid base64 string.") from None
    if b"-----BEGIN" in raw:
        return _parse_pem(raw)
    if content_type == "application/x-pem-file":
        raise ImportError_(
            "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format."
        )
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(raw, password.encode("utf-8") if password else None)
    except ValueError:
        raise ImportError_(
            "The specified PKCS#12 X.509 certificate content can not be read. Please check if certificate is in valid "
            "PKCS#12 format."
        ) from None
    if cert is None or key is None:
        raise ImportError_(
            "No certificate with private key found in the specified X.509 certificate content. Please specify X.509 "
            "certificate content with only one certificate containing private key."
        )
    return _finish(cert, key, list(extra or []), "application/x-pkcs12")


def _parse_pem(raw: bytes) -> dict:
    if b"BEGIN RSA PRIVATE KEY" in raw or b"BEGIN EC PRIVATE KEY" in raw:
        raise ImportError_(
            "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format."
        )
    try:
        certs = x509.load_pem_x509_certificates(raw)
    except ValueError:
        certs = []
    if not certs:
        raise ImportError_(
            "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format."
        )
    if b"BEGIN ENCRYPTED PRIVATE KEY" in raw:
        raise ImportError_(
            "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format."
        )
    if b"BEGIN PRIVATE KEY" not in raw:
        raise ImportError_(
            "No certificate with private key found in the specified X.509 certificate content. Please specify X.509 "
            "certificate content with only one certificate containing private key."
        )
    block = raw[raw.index(b"-----BEGIN PRIVATE KEY-----") :]
    block = block[: block.index(b"-----END PRIVATE KEY-----") + len(b"-----END PRIVATE KEY-----")]
    key = serialization.load_pem_private_key(block, password=None)
    leaf = next((c for c in certs if _keys_match(c, key)), None)
    if leaf is None:
        raise ImportError_("The private key does not match the public key of the certificate.")
    return _finish(leaf, key, [c for c in certs if c is not leaf], "application/x-pem-file")


def _finish(cert, key, chain, content_type) -> dict:
    pub = cert.public_key()
    if isinstance(pub, rsa.RSAPublicKey) and pub.key_size < 2048:
        raise ImportError_(
            "The certificate key size %d is not supported. RSA keys must be 2048, 3072 or 4096 bits." % pub.key_size
        )
    if not isinstance(pub, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise ImportError_("The certificate key type is not supported.")
    if content_type == "application/x-pkcs12":
        secret_value = base64.b64encode(
            pkcs12.serialize_key_and_certificates(None, key, cert, chain or None, serialization.NoEncryption())
        ).decode("ascii")
    else:
        pem = [cert.public_bytes(serialization.Encoding.PEM)] + [c.public_bytes(serialization.Encoding.PEM) for c in chain]
        pem.append(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        secret_value = b"".join(pem).decode("ascii")
    return {"cert": cert, "key": key, "chain": chain, "content_type": content_type, "secret_value": secret_value}


def _pfx_thumbprint(data: bytes, password: str | None) -> str | None:
    """Thumbprint of a PFX's certificate (for a key-less PFX of CA certificates: the first one), or None."""
    try:
        _key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8") if password else None)
    except ValueError:
        return None
    cert = cert or (extra[0] if extra else None)
    return _thumbprint(cert.public_bytes(serialization.Encoding.DER)) if cert else None


def thumbprint_of_secret_value(value: str, content_type: str | None) -> str | None:
    """Upper-case hex thumbprint of the leaf certificate inside a secret value, or None.

    Understands a base64 PFX (certificate-backed secrets, no password), the Cloud Services JSON form
    ``{"data": <base64 PFX>, "dataType": "pfx", "password": ...}`` (as JSON, or base64 of that JSON) and PEM.
    """
    if not value:
        return None
    text = value.strip()
    candidates = [text]
    try:
        decoded = base64.b64decode(text, validate=True)
        if decoded[:1] == b"{":
            candidates.append(decoded.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass
    for candidate in candidates:
        if candidate.startswith("{"):
            try:
                data = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("data"):
                return _pfx_thumbprint(base64.b64decode(data["data"]), data.get("password"))
    if "-----BEGIN CERTIFICATE-----" in text:
        try:
            certs = x509.load_pem_x509_certificates(text.encode("utf-8"))
        except ValueError:
            return None
        return _thumbprint(certs[0].public_bytes(serialization.Encoding.DER)) if certs else None
    if content_type in (None, "", "application/x-pkcs12"):
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return None
        return _pfx_thumbprint(raw, None)
    return None


# ====================================================================================================================
# Public helper for other twin plugins
# ====================================================================================================================


def lookup_secret_by_url(state, url: str) -> dict | None:
    """Find a *versioned* secret by its identifier ``https://<vault>.<suffix>/secrets/<name>/<version>``.

    Returns ``{value, contentType, thumbprint, version, enabled, name, vault}`` (``thumbprint``: upper-case hex SHA-1
    of the certificate inside a PFX / Cloud Services JSON / PEM value, else None), or None when the URL is not a
    versioned secret URL of a known vault or the version does not exist (a deleted secret is not found).
    """
    try:
        split = urlsplit(url)
    except ValueError:
        return None
    parts = [p for p in split.path.split("/") if p]
    if split.scheme != "https" or len(parts) != 3 or parts[0] != "secrets" or not _VERSION_RE.match(parts[2]):
        return None
    host = (split.hostname or "").lower()
    with state.lock:
        vault = state.ns(KeyVault.name).get("vaults", {}).get(host)
        if vault is None:
            return None
        obj = vault["secrets"].get(parts[1].lower())
        if obj is None:
            return None
        ver = obj["versions"].get(parts[2])
        if ver is None:
            return None
        return {
            "value": ver["value"],
            "contentType": ver.get("contentType"),
            "thumbprint": thumbprint_of_secret_value(ver["value"], ver.get("contentType")),
            "version": parts[2],
            "enabled": ver["attributes"].get("enabled", True),
            "name": obj["name"],
            "vault": host,
        }


# ====================================================================================================================
# The plugin
# ====================================================================================================================


def _new_vault(host: str, name: str) -> dict:
    return {
        "host": host,
        "name": name,
        "certificates": {},
        "secrets": {},
        "keys": {},
        "deletedcertificates": {},
        "deletedsecrets": {},
        "recovering": {},
    }


def _error(status: int, code: str, message: str, inner: str | None = None) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if inner:
        body["error"]["innererror"] = {"code": inner}
    return Response(status, body, {"x-ms-request-id": str(uuid.uuid4()), "x-ms-keyvault-service-version": "1.9.twin"})


class KeyVault(Plugin):
    """Key Vault certificates, secrets and (certificate-backed) keys, per vault host."""

    name = "keyvault"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """``*.<vault suffix>``."""
        return [f"*.{cloud.vault_suffix}"]

    @classmethod
    def seed(cls, state, state_dir):
        """Create the vault ``signetkv`` in every cloud."""
        data = state.ns(cls.name)
        data["vaults"] = {}
        data["recover_gets"] = RECOVER_GETS
        urls = {}
        for cloud in CLOUDS.values():
            host = f"{VAULT_NAME}.{cloud.vault_suffix}"
            data["vaults"][host] = _new_vault(host, VAULT_NAME)
            urls[cloud.name] = f"https://{host}"
        state.info[cls.name] = {"vault_name": VAULT_NAME, "vault_url": urls["AzureCloud"], "vault_urls": urls}

    # -------------------------------------------------------------------------------------------------- helpers
    def _base(self, request: Request) -> str:
        return f"https://{request.host}"

    def _vault(self, request: Request) -> dict | None:
        return self.data["vaults"].get(request.host)

    @staticmethod
    def _now() -> int:
        return int(time.time())

    def _attrs(self, given: dict | None, now: int, old: dict | None = None) -> dict:
        attrs = dict(old or {"enabled": True, "created": now})
        for key in ("enabled", "nbf", "exp"):
            if given and key in given and given[key] is not None:
                attrs[key] = given[key]
        attrs["updated"] = now
        attrs["recoveryLevel"] = RECOVERY_LEVEL
        attrs["recoverableDays"] = RECOVERABLE_DAYS
        return attrs

    def _visible(self, vault: dict, kind: str, key: str) -> dict | None:
        """The live object, taking an in-flight recovery into account (invisible for N GETs / a few seconds)."""
        pending = vault["recovering"].get((kind, key))
        if pending is not None:
            pending["gets"] += 1
            if (
                pending["gets"] <= self.data.get("recover_gets", RECOVER_GETS)
                and time.time() - pending["since"] < RECOVER_SECONDS
            ):
                return None
            del vault["recovering"][(kind, key)]
        return vault[kind].get(key)

    def _recovering(self, vault: dict, kind: str, key: str) -> bool:
        pending = vault["recovering"].get((kind, key))
        if pending is None:
            return False
        if time.time() - pending["since"] >= RECOVER_SECONDS:
            del vault["recovering"][(kind, key)]
            return False
        return True

    # -------------------------------------------------------------------------------------------------- dispatch
    def handle(self, request: Request) -> Response:
        """Authenticate (401 challenge), check api-version, route."""
        try:
            request.bearer_claims(request.cloud.audiences("keyvault"))
        except TokenError as exc:
            return entra.keyvault_unauthorized(exc, request)
        api_version = request.query_one("api-version")
        if not api_version:
            return _error(400, "BadParameter", "The api-version query parameter is required. (api-version is missing)")
        if not _API_VERSION_RE.match(api_version):
            return _error(
                400,
                "BadParameter",
                f"The specified version ({api_version}) is not recognized. Consider using the latest supported version (2025-07-01).",
            )
        with self.state.lock:
            vault = self._vault(request)
            if vault is None:
                return _error(
                    404, "VaultNotFound", f"The vault {request.host} does not exist in the twin (only {VAULT_NAME} is seeded)."
                )
            parts = [p for p in request.path.split("/") if p]
            try:
                return self._route(request, vault, parts)
            except ValueError as exc:
                return _error(400, "BadParameter", f"The request body is not valid: {exc}")

    def _route(self, request: Request, vault: dict, parts: list[str]) -> Response:
        m = request.method
        if not parts:
            return _error(404, "NotFound", "No operation at /")
        head = parts[0]
        if len(parts) > 1 and not _NAME_RE.match(parts[1]) and parts[1] not in ("contacts", "issuers"):
            return _error(
                400, "BadParameter", f"The name '{parts[1]}' is invalid: only 0-9, a-z, A-Z and - are allowed (1-127 characters)."
            )
        if head == "certificates":
            if len(parts) == 1 and m == "GET":
                return self._list(request, vault, "certificates")
            if len(parts) == 3 and parts[2] == "import" and m == "POST":
                return self._import_certificate(request, vault, parts[1])
            if len(parts) == 3 and parts[2] == "versions" and m == "GET":
                return self._versions(request, vault, "certificates", parts[1])
            if len(parts) == 3 and parts[2] == "policy" and m == "GET":
                obj = self._visible(vault, "certificates", parts[1].lower())
                if obj is None:
                    return self._not_found("certificates", parts[1])
                return Response(200, self._policy(request, obj, obj["versions"][obj["latest"]]))
            if len(parts) in (2, 3) and m == "GET":
                return self._get(request, vault, "certificates", parts[1], parts[2] if len(parts) == 3 else None)
            if len(parts) == 3 and m == "PATCH":
                return self._patch(request, vault, "certificates", parts[1], parts[2])
            if len(parts) == 2 and m == "DELETE":
                return self._delete(request, vault, "certificates", parts[1])
        if head == "secrets":
            if len(parts) == 1 and m == "GET":
                return self._list(request, vault, "secrets")
            if len(parts) == 2 and m == "PUT":
                return self._set_secret(request, vault, parts[1])
            if len(parts) == 3 and parts[2] == "versions" and m == "GET":
                return self._versions(request, vault, "secrets", parts[1])
            if len(parts) in (2, 3) and m == "GET":
                return self._get(request, vault, "secrets", parts[1], parts[2] if len(parts) == 3 else None)
            if len(parts) == 3 and m == "PATCH":
                return self._patch(request, vault, "secrets", parts[1], parts[2])
            if len(parts) == 2 and m == "DELETE":
                return self._delete(request, vault, "secrets", parts[1])
        if head == "keys" and len(parts) in (2, 3) and m == "GET":
            return self._get(request, vault, "keys", parts[1], parts[2] if len(parts) == 3 else None)
        if head in ("deletedcertificates", "deletedsecrets"):
            kind = head[len("deleted") :]
            if len(parts) == 1 and m == "GET":
                return self._list_deleted(request, vault, kind)
            if len(parts) == 2 and m == "GET":
                return self._get_deleted(request, vault, kind, parts[1])
            if len(parts) == 2 and m == "DELETE":
                return self._purge(vault, kind, parts[1])
            if len(parts) == 3 and parts[2] == "recover" and m == "POST":
                return self._recover(request, vault, kind, parts[1])
        return _error(404, "NotFound", f"The twin's Key Vault has no operation {m} {request.path}")

    # -------------------------------------------------------------------------------------------------- bundles
    def _ids(self, request: Request, kind: str, name: str, version: str) -> str:
        return f"{self._base(request)}/{kind}/{name}/{version}"

    def _policy(self, request: Request, obj: dict, ver: dict) -> dict:
        cert = x509.load_der_x509_certificate(ver["cer"])
        pub = cert.public_key()
        kty = "RSA" if isinstance(pub, rsa.RSAPublicKey) else "EC"
        key_props: dict[str, Any] = {"exportable": True, "kty": kty, "reuse_key": False}
        if kty == "RSA":
            key_props["key_size"] = pub.key_size
        else:
            key_props["crv"] = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
                pub.curve.name, pub.curve.name
            )
        return {
            "id": f"{self._base(request)}/certificates/{obj['name']}/policy",
            "key_props": key_props,
            "secret_props": {"contentType": ver["contentType"]},
            "x509_props": {"subject": cert.subject.rfc4514_string(), "ekus": [], "key_usage": [], "validity_months": 12},
            "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
            "issuer": {"name": "Unknown"},
            "attributes": {"enabled": True, "created": obj["created"], "updated": ver["attributes"]["updated"]},
        }

    def _bundle(self, request: Request, kind: str, obj: dict, version: str, *, item: bool = False) -> dict:
        ver = obj["versions"][version]
        name = obj["name"]
        out: dict[str, Any] = {"id": self._ids(request, kind, name, version), "attributes": dict(ver["attributes"])}
        if ver.get("tags") is not None:
            out["tags"] = dict(ver["tags"])
        if kind == "certificates":
            out["x5t"] = ver["x5t"]
            if not item:
                out["kid"] = self._ids(request, "keys", name, version)
                out["sid"] = self._ids(request, "secrets", name, version)
                out["cer"] = base64.b64encode(ver["cer"]).decode("ascii")
                out["policy"] = self._policy(request, obj, ver)
                out["preserveCertOrder"] = False
        elif kind == "secrets":
            if ver.get("contentType") is not None:
                out["contentType"] = ver["contentType"]
            if ver.get("managed"):
                out["managed"] = True
                if not item:
                    out["kid"] = self._ids(request, "keys", name, version)
            if not item:
                out["value"] = ver["value"]
        elif kind == "keys":
            out = {
                "key": dict(ver["jwk"], kid=self._ids(request, "keys", name, version)),
                "attributes": dict(ver["attributes"]),
                "managed": True,
            }
            if ver.get("tags") is not None:
                out["tags"] = dict(ver["tags"])
        return out

    def _not_found(self, kind: str, name: str, version: str | None = None) -> Response:
        label = {"certificates": "certificate", "secrets": "secret", "keys": "key"}[kind]
        code = {"certificates": "CertificateNotFound", "secrets": "SecretNotFound", "keys": "KeyNotFound"}[kind]
        ident = f"{name}/{version}" if version else name
        return _error(
            404,
            code,
            f"A {label} with (name/id) {ident} was not found in this key vault. If you recently deleted this {label} you "
            f"may be able to recover it using the correct recovery command. For help resolving this issue, please see "
            f"https://go.microsoft.com/fwlink/?linkid=2125182",
        )

    def _deleted_conflict(self, kind: str, name: str) -> Response:
        label = {"certificates": "Certificate", "secrets": "Secret"}[kind]
        return _error(
            409,
            "Conflict",
            f"{label} {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this "
            f"state, the {label.lower()} can only be recovered or purged.",
            inner="ObjectIsDeletedButRecoverable",
        )

    def _recover_conflict(self, kind: str, name: str) -> Response:
        label = {"certificates": "certificate", "secrets": "secret"}[kind]
        return _error(
            409,
            "Conflict",
            f"There was a conflict while recovering the soft-deleted {label} {name}. Please perform operations against "
            f"the soft-deleted {label} in a sequential manner.",
        )

    # -------------------------------------------------------------------------------------------------- certificates
    def _import_certificate(self, request: Request, vault: dict, name: str) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not body.get("value"):
            return _error(400, "BadParameter", "Property 'value' is required.")
        key = name.lower()
        if key in vault["deletedcertificates"]:
            return self._deleted_conflict("certificates", name)
        if self._recovering(vault, "certificates", key):
            return self._recover_conflict("certificates", name)
        policy = body.get("policy") or {}
        content_type = (policy.get("secret_props") or {}).get("contentType")
        try:
            parsed = parse_import(str(body["value"]), body.get("pwd"), content_type)
        except ImportError_ as exc:
            return _error(400, exc.code, exc.message)
        now = self._now()
        cert = parsed["cert"]
        der = cert.public_bytes(serialization.Encoding.DER)
        nbf = int(getattr(cert, "not_valid_before_utc", None).timestamp())
        exp = int(getattr(cert, "not_valid_after_utc", None).timestamp())
        version = uuid.uuid4().hex
        given_attrs = dict(body.get("attributes") or {})
        attrs = self._attrs({"enabled": given_attrs.get("enabled", True), "nbf": nbf, "exp": exp}, now)
        tags = body.get("tags")
        obj = vault["certificates"].setdefault(key, {"name": name, "created": now, "versions": {}, "order": []})
        obj["versions"][version] = {
            "cer": der,
            "x5t": _x5t(der),
            "attributes": attrs,
            "tags": tags,
            "contentType": parsed["content_type"],
        }
        obj["order"].append(version)
        obj["latest"] = version
        secret = vault["secrets"].setdefault(key, {"name": name, "created": now, "versions": {}, "order": []})
        secret["versions"][version] = {
            "value": parsed["secret_value"],
            "contentType": parsed["content_type"],
            "attributes": dict(attrs),
            "tags": tags,
            "managed": True,
        }
        secret["order"].append(version)
        secret["latest"] = version
        self.state.register_secret(parsed["secret_value"])
        keyobj = vault["keys"].setdefault(key, {"name": name, "created": now, "versions": {}, "order": []})
        keyobj["versions"][version] = {"jwk": self._jwk(parsed["key"]), "attributes": dict(attrs), "tags": tags}
        keyobj["order"].append(version)
        keyobj["latest"] = version
        return Response(200, self._bundle(request, "certificates", obj, version), {"x-ms-request-id": str(uuid.uuid4())})

    @staticmethod
    def _jwk(key) -> dict:
        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode("ascii")

        pub = key.public_key()
        if isinstance(pub, rsa.RSAPublicKey):
            nums = pub.public_numbers()
            return {
                "kty": "RSA",
                "key_ops": ["sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"],
                "n": b64(nums.n),
                "e": b64(nums.e),
            }
        nums = pub.public_numbers()
        return {"kty": "EC", "key_ops": ["sign", "verify"], "x": b64(nums.x), "y": b64(nums.y)}

    # -------------------------------------------------------------------------------------------------- secrets
    def _set_secret(self, request: Request, vault: dict, name: str) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            return _error(400, "BadParameter", "Property 'value' is required and must be a string.")
        key = name.lower()
        if key in vault["deletedsecrets"]:
            return self._deleted_conflict("secrets", name)
        if self._recovering(vault, "secrets", key):
            return self._recover_conflict("secrets", name)
        existing = vault["secrets"].get(key)
        if existing and existing["versions"][existing["latest"]].get("managed"):
            return _error(
                403,
                "Forbidden",
                f"Secret {name} is managed by a certificate and cannot be set directly; import the certificate instead.",
            )
        if len(body["value"].encode("utf-8")) > 25 * 1024:
            return _error(400, "BadParameter", "The secret value exceeds the maximum size of 25 KB.")
        now = self._now()
        version = uuid.uuid4().hex
        obj = vault["secrets"].setdefault(key, {"name": name, "created": now, "versions": {}, "order": []})
        obj["versions"][version] = {
            "value": body["value"],
            "contentType": body.get("contentType"),
            "attributes": self._attrs(body.get("attributes"), now),
            "tags": body.get("tags"),
        }
        obj["order"].append(version)
        obj["latest"] = version
        self.state.register_secret(body["value"])
        return Response(200, self._bundle(request, "secrets", obj, version), {"x-ms-request-id": str(uuid.uuid4())})

    # -------------------------------------------------------------------------------------------------- shared ops
    def _get(self, request: Request, vault: dict, kind: str, name: str, version: str | None) -> Response:
        obj = self._visible(vault, kind, name.lower())
        if obj is None:
            return self._not_found(kind, name)
        version = version or obj["latest"]
        if version not in obj["versions"]:
            return self._not_found(kind, name, version)
        ver = obj["versions"][version]
        if kind == "secrets" and not ver["attributes"].get("enabled", True):
            return _error(403, "Forbidden", "Operation get is not allowed on a disabled secret.")
        return Response(200, self._bundle(request, kind, obj, version), {"x-ms-request-id": str(uuid.uuid4())})

    def _patch(self, request: Request, vault: dict, kind: str, name: str, version: str) -> Response:
        body = request.json() or {}
        obj = vault[kind].get(name.lower())
        if obj is None or version not in obj["versions"]:
            return self._not_found(kind, name, version)
        ver = obj["versions"][version]
        now = self._now()
        ver["attributes"] = self._attrs(body.get("attributes"), now, ver["attributes"])
        if "tags" in body:
            ver["tags"] = body.get("tags")
        if kind == "secrets" and "contentType" in body:
            ver["contentType"] = body["contentType"]
        if kind == "certificates":  # the backing secret follows the certificate's attributes and tags
            sec = vault["secrets"].get(name.lower())
            if sec and version in sec["versions"]:
                sec["versions"][version]["attributes"] = dict(ver["attributes"])
                sec["versions"][version]["tags"] = ver.get("tags")
        return Response(200, self._bundle(request, kind, obj, version))

    def _page(self, request: Request, items: list) -> dict:
        try:
            size = max(1, min(25, int(request.query_one("maxresults") or PAGE_SIZE)))
        except ValueError:
            size = PAGE_SIZE
        token = request.query_one("$skiptoken")
        start = 0
        if token:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["offset"])
            except (ValueError, KeyError, TypeError):
                start = 0
        page = items[start : start + size]
        out: dict[str, Any] = {"value": page, "nextLink": None}
        if start + size < len(items):
            skip = base64.urlsafe_b64encode(json.dumps({"offset": start + size}).encode()).rstrip(b"=").decode()
            out["nextLink"] = (
                f"{self._base(request)}:443{request.path}?api-version={quote(request.query_one('api-version'))}"
                f"&$skiptoken={skip}&maxresults={size}"
            )
        return out

    def _versions(self, request: Request, vault: dict, kind: str, name: str) -> Response:
        obj = self._visible(vault, kind, name.lower())
        if obj is None:
            return self._not_found(kind, name)
        items = [self._bundle(request, kind, obj, v, item=True) for v in obj["order"]]
        return Response(200, self._page(request, items))

    def _list(self, request: Request, vault: dict, kind: str) -> Response:
        items = []
        for key in sorted(vault[kind]):
            obj = vault[kind][key]
            if (
                kind == "secrets"
                and obj["versions"][obj["latest"]].get("managed")
                and request.query_one("includeManaged") is None
            ):
                pass  # managed secrets are listed too (Key Vault marks them "managed": true)
            item = self._bundle(request, kind, obj, obj["latest"], item=True)
            item["id"] = f"{self._base(request)}/{kind}/{obj['name']}"
            items.append(item)
        return Response(200, self._page(request, items))

    def _delete(self, request: Request, vault: dict, kind: str, name: str) -> Response:
        key = name.lower()
        obj = vault[kind].get(key)
        if obj is None or self._recovering(vault, kind, key):
            return self._not_found(kind, name)
        if kind == "secrets" and obj["versions"][obj["latest"]].get("managed"):
            return _error(403, "Forbidden", f"Secret {name} is managed by a certificate; delete the certificate instead.")
        now = self._now()
        record = {"kind": kind, "object": obj, "deletedDate": now, "scheduledPurgeDate": now + RECOVERABLE_DAYS * 86400}
        del vault[kind][key]
        if kind == "certificates":  # the backing key and secret go with it
            record["secret"] = vault["secrets"].pop(key, None)
            record["key"] = vault["keys"].pop(key, None)
        vault["deleted" + kind][key] = record
        return Response(200, self._deleted_bundle(request, kind, record))

    def _deleted_bundle(self, request: Request, kind: str, record: dict, *, item: bool = False) -> dict:
        obj = record["object"]
        out = self._bundle(request, kind, obj, obj["latest"], item=item)
        out.pop("value", None)
        if item:
            out["id"] = f"{self._base(request)}/{kind}/{obj['name']}"
        out["recoveryId"] = f"{self._base(request)}/deleted{kind}/{obj['name']}"
        out["deletedDate"] = record["deletedDate"]
        out["scheduledPurgeDate"] = record["scheduledPurgeDate"]
        return out

    def _get_deleted(self, request: Request, vault: dict, kind: str, name: str) -> Response:
        record = vault["deleted" + kind].get(name.lower())
        if record is None:
            label = {"certificates": "Certificate", "secrets": "Secret"}[kind]
            return _error(404, f"{label}NotFound", f"Deleted {label} not found: {name}")
        return Response(200, self._deleted_bundle(request, kind, record))

    def _list_deleted(self, request: Request, vault: dict, kind: str) -> Response:
        items = [
            self._deleted_bundle(request, kind, vault["deleted" + kind][k], item=True) for k in sorted(vault["deleted" + kind])
        ]
        return Response(200, self._page(request, items))

    def _purge(self, vault: dict, kind: str, name: str) -> Response:
        if vault["deleted" + kind].pop(name.lower(), None) is None:
            label = {"certificates": "Certificate", "secrets": "Secret"}[kind]
            return _error(404, f"{label}NotFound", f"Deleted {label} not found: {name}")
        return Response(204)

    def _recover(self, request: Request, vault: dict, kind: str, name: str) -> Response:
        key = name.lower()
        record = vault["deleted" + kind].get(key)
        if record is None:
            if self._recovering(vault, kind, key):
                return self._recover_conflict(kind, name)
            label = {"certificates": "Certificate", "secrets": "Secret"}[kind]
            return _error(404, f"{label}NotFound", f"Deleted {label} not found: {name}")
        del vault["deleted" + kind][key]
        vault[kind][key] = record["object"]
        vault["recovering"][(kind, key)] = {"gets": 0, "since": time.time()}
        if kind == "certificates":
            for sub in ("secret", "key"):
                if record.get(sub):
                    vault[sub + "s"][key] = record[sub]
        obj = record["object"]
        return Response(200, self._bundle(request, kind, obj, obj["latest"]))

    # -------------------------------------------------------------------------------------------------- control
    def control(self, action: str, payload: Any) -> Response | dict | list | None:
        """``create-vault`` ``{"name", "cloud"?}``; ``configure`` ``{"recover_gets": N}``; ``dump`` ``{"vault_url"?}``
        (names and versions, never values); ``lookup`` ``{"url"}`` -> lookup_secret_by_url without the value."""
        payload = payload or {}
        with self.state.lock:
            if action == "create-vault":
                cloud = CLOUDS[payload.get("cloud") or "AzureCloud"]
                host = f"{payload['name']}.{cloud.vault_suffix}".lower()
                self.data["vaults"].setdefault(host, _new_vault(host, payload["name"]))
                return {"vault_url": f"https://{host}"}
            if action == "configure":
                if "recover_gets" in payload:
                    self.data["recover_gets"] = int(payload["recover_gets"])
                return {"recover_gets": self.data["recover_gets"]}
            if action == "dump":
                out = {}
                for host, vault in self.data["vaults"].items():
                    out[host] = {
                        kind: {k: list(v["order"]) for k, v in vault[kind].items()}
                        for kind in ("certificates", "secrets", "keys")
                    }
                    out[host]["deleted"] = {kind: sorted(vault["deleted" + kind]) for kind in ("certificates", "secrets")}
                return out
        if action == "lookup":
            found = lookup_secret_by_url(self.state, payload.get("url", ""))
            if found is None:
                return Response(404, {"error": "not found"})
            found.pop("value")
            return found
        return super().control(action, payload)
