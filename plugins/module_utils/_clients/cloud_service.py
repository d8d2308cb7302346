# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Cloud Services (extended support): read a cloud service and rotate its certificates (no AnsibleModule here).

``CloudServiceClient`` combines an :class:`~._clients.arm.ArmClient` (ARM token) with a Key Vault transport (vault
token) used only to *read* the secrets behind ``certificateUrl`` values, so that thumbprints are computed locally
from the certificate (never trust a pasted thumbprint; the service itself checks them, see the Cloud Services
(extended support) certificate docs). Secret values are passed to ``on_secret`` (the module registers them as
no_log) and dropped; they never appear in a result.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from .._defaults import KEYVAULT_API_VERSION
from .._errors import AzureRestError, CertificateError, ConfigError
from .._transport import json_of

BUSY_MESSAGE = "another operation in progress"
_SECRET_PATH = re.compile(r"^/secrets/(?P<name>[0-9A-Za-z-]{1,127})/(?P<version>[0-9A-Za-z]{32})/?$")


def parse_secret_url(url: str) -> dict | None:
    """``{host, vault, name, version}`` for a versioned Key Vault *secret* URL (``:443`` tolerated), else None."""
    try:
        split = urlsplit(str(url or ""))
    except ValueError:
        return None
    if split.scheme != "https" or not split.hostname or split.port not in (None, 443) or split.query:
        return None
    m = _SECRET_PATH.match(split.path)
    if not m:
        return None
    host = split.hostname.lower()
    return {"host": host, "vault": host.split(".", 1)[0], "name": m["name"], "version": m["version"]}


def thumbprint_of_secret_value(value: str, content_type: str | None = None, on_secret: Callable | None = None) -> str:
    """Thumbprint (upper-case hex) of the certificate inside a Key Vault secret value.

    The value of a certificate-backed secret is base64 PFX without password (or PEM); the Cloud Services form is
    JSON ``{"data": <base64 PFX>, "dataType": "pfx", "password": ...}`` (possibly base64 of that JSON). Raises
    CertificateError when no certificate can be read.
    """
    from .._certs import load_bundle

    text = (value or "").strip()
    password = None
    data = text
    doc = None
    if text.startswith("{"):
        doc = text
    else:
        try:
            decoded = base64.b64decode(text, validate=True)
            if decoded[:1] == b"{":
                doc = decoded.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            doc = None
    if doc is not None:
        try:
            parsed = json.loads(doc)
            data = parsed["data"]
            password = parsed.get("password") or None
        except (ValueError, KeyError, TypeError):
            raise CertificateError("the secret is JSON but not the Cloud Services form {data, dataType, password}") from None
        if password and on_secret:
            on_secret(password)
    bundle = load_bundle(content=data, password=password, option="Key Vault secret")
    return bundle.thumbprint


class CloudServiceClient:
    """Read and rotate a cloud service.

    ``arm``: ArmClient. ``kv_transport``: a callable returning a Transport signed for the cloud's Key Vault resource
    (created lazily, only when a secret must be read). ``keyvault_suffix``: e.g. ``vault.azure.net``; URLs on other
    hosts are not read. ``warn(msg)`` and ``on_secret(value)`` come from the module.
    """

    def __init__(
        self,
        arm,
        kv_transport: Callable | None,
        keyvault_suffix: str,
        warn: Callable | None = None,
        on_secret: Callable | None = None,
    ):
        self.arm = arm
        self._kv_factory = kv_transport
        self._kv = None
        self.keyvault_suffix = keyvault_suffix.lower()
        self.warn = warn or (lambda msg: None)
        self.on_secret = on_secret or (lambda value: None)

    # -- Key Vault ---------------------------------------------------------------------------------------------
    def _kv_transport(self):
        if self._kv is None:
            if self._kv_factory is None:
                raise ConfigError("reading Key Vault secrets needs Entra credentials for Key Vault")
            self._kv = self._kv_factory()
        return self._kv

    def in_this_cloud(self, url: str) -> bool:
        parsed = parse_secret_url(url)
        return bool(parsed) and parsed["host"].endswith("." + self.keyvault_suffix)

    def secret_thumbprint(self, url: str) -> str:
        """Read the secret at a versioned URL and return the thumbprint of its certificate. Raises AzureRestError."""
        parsed = parse_secret_url(url)
        clean = "https://%s/secrets/%s/%s" % (parsed["host"], parsed["name"], parsed["version"])
        resp = self._kv_transport().request(
            "GET", clean, params={"api-version": KEYVAULT_API_VERSION}, action="read the Key Vault secret %s" % clean
        )
        doc = json_of(resp, "read the Key Vault secret %s" % clean)
        value = doc.get("value") or ""
        self.on_secret(value)
        try:
            return thumbprint_of_secret_value(value, doc.get("contentType"), self.on_secret)
        finally:
            value = None
            doc = None

    def resolve(self, urls: list[str], strict: bool = False) -> dict:
        """``{url: thumbprint or None}``; with ``strict`` a read failure raises, else it becomes None plus a warning."""
        out = {}
        for url in urls:
            if url in out:
                continue
            if not self.in_this_cloud(url):
                out[url] = None
                continue
            try:
                out[url] = self.secret_thumbprint(url)
            except AzureRestError as exc:
                if strict:
                    raise
                self.warn("cannot read the thumbprint of %s: %s" % (url, exc.msg))
                out[url] = None
        return out

    # -- read ----------------------------------------------------------------------------------------------------
    def get(self, resource_id: str) -> dict:
        """GET the cloud service: ``{body, etag}``."""
        return self.arm.get(resource_id, action="read the cloud service %s" % resource_id.rsplit("/", 1)[-1])

    # -- write -------------------------------------------------------------------------------------------------
    def put(
        self, resource_id: str, body: dict, etag: str | None, wait: bool = True, wait_timeout: float = 3600, started=None
    ) -> dict:
        """PUT ``body`` (If-Match ``etag`` when given) and follow the LRO: ``{cloud_service, operation}``."""
        accepted = {}
        final = self.arm.put(
            resource_id, body, if_match=etag, wait=wait, wait_timeout=wait_timeout, started=started, on_accepted=accepted.update
        )
        return {"cloud_service": final, "operation": accepted}
