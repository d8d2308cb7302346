# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Key Vault data-plane client (certificates and secrets), REST API 2025-06-01.

Takes a Transport whose auth is an EntraAuth for ``<keyvault_resource>/.default``; the bearer token is sent up front,
so Key Vault's 401 challenge round trip is not needed. Returns plain dicts; secret values are removed from every
result unless a method says otherwise. The desired-state logic of the modules is in ``_plans/keyvault.py``.
"""

from __future__ import annotations

from urllib.parse import quote

from .._defaults import KEYVAULT_API_VERSION
from .._transport import json_of
from .paging import PageGuard
from .._errors import AuthenticationError, NotFoundError, OperationFailedError

API_VERSION = KEYVAULT_API_VERSION
DELETED_BUT_RECOVERABLE = "ObjectIsDeletedButRecoverable"


# -- pure helpers -----------------------------------------------------------------------------------------------------
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
        return json_of(resp, action)

    def _get_or_none(self, parts: tuple, action: str):
        try:
            return self._call("GET", parts, action)
        except NotFoundError:
            return None

    def _pages(self, parts: tuple, action: str) -> list:
        items = []
        guard = PageGuard(self.vault_url, action)
        data = self._call("GET", parts, action, params={"maxresults": "25"})
        items.extend(data.get("value") or [])
        while data.get("nextLink"):
            data = json_of(self._send("GET", guard.check_link(data["nextLink"]), action), action)
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
