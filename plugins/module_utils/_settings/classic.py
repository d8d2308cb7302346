# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Classic Service Management settings: subscription, endpoint (per cloud, or ``management_endpoint``),
``x-ms-version`` and the loaded, checked management certificate. Every local check runs before any connection: the
key is present and matches, RSA >= 2048 bits, valid now, the endpoint is not ARM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._certs import CertBundle, check_bundle, load_bundle
from .._clouds import CLOUDS, cloud
from .._defaults import CLASSIC_X_MS_VERSION
from .._errors import CertificateError, ConfigError
from .common import GUID_RE

DEFAULT_X_MS_VERSION = CLASSIC_X_MS_VERSION
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ARM_HOSTS = frozenset(urlsplit(c["resource_manager"]).hostname for c in CLOUDS.values())


def check_not_arm(url: str, option: str = "management_endpoint") -> None:
    """ConfigError when ``url`` points at Azure Resource Manager, which never accepts management certificates."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ARM_HOSTS:
        raise ConfigError(
            "%s: %s is Azure Resource Manager (ARM). ARM does not accept management certificates; use Entra ID "
            "(auth: entra with the tenant_id/client_id options), or the classic endpoint %s for the classic API"
            % (
                option,
                host,
                next(c["classic_management"] for c in CLOUDS.values() if urlsplit(c["resource_manager"]).hostname == host),
            )
        )


def describe_offer(bundle: CertBundle) -> str:
    """One line about the certificate we offer (non-secret)."""
    d = bundle.describe()
    return "%s (thumbprint %s, subject %s, RSA %s bits, private key %s, valid until %s)" % (
        bundle.source,
        d["thumbprint"],
        d["subject"],
        d["key_bits"],
        "present and matching" if d["has_private_key"] else "MISSING",
        d["not_after"],
    )


def check_management_certificate(bundle: CertBundle) -> list[str]:
    """:func:`check_bundle` plus the classic rule that management certificates are RSA. Returns expiry warnings."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    warnings = check_bundle(bundle, purpose="classic Service Management API")
    pub = bundle.certificate.public_key()
    if not isinstance(pub, rsa.RSAPublicKey):
        raise CertificateError(
            "the certificate in %s has a %s key; classic management certificates must be RSA (at least 2048 bits): "
            "create one with openssl req -newkey rsa:2048" % (bundle.source, type(pub).__name__.lstrip("_"))
        )
    return warnings


def check_x_ms_version(version: str | None) -> None:
    """ConfigError unless ``version`` is a Service Management version (YYYY-MM-DD, 2009-10-01 or later)."""
    if not version or not _VERSION_RE.match(version) or version < "2009-10-01":
        raise ConfigError(
            "x_ms_version: %r is not a Service Management version (YYYY-MM-DD, 2009-10-01 or later), e.g. 2014-06-01" % version
        )


@dataclass
class ClassicSettings:
    """Resolved classic options. ``base_url`` is ``<endpoint>/<subscription_id>``."""

    subscription_id: str
    endpoint: str
    x_ms_version: str
    bundle: CertBundle
    cloud: str
    warnings: list

    @property
    def base_url(self) -> str:
        return "%s/%s" % (self.endpoint.rstrip("/"), self.subscription_id)

    def certificate_facts(self) -> dict:
        """Non-secret facts about the management certificate, for results (audit)."""
        return self.bundle.describe()


def resolve(params: dict) -> ClassicSettings:
    """Validate and load the classic options (no network). Raises ConfigError / CertificateError."""
    sub = (params.get("subscription_id") or "").strip()
    if not sub:
        raise ConfigError(
            "subscription_id is required for the classic API: set subscription_id (or SIGNET_AZURE_SUBSCRIPTION_ID / AZURE_SUBSCRIPTION_ID)"
        )
    if not GUID_RE.match(sub):
        raise ConfigError("subscription_id: %r is not a subscription GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" % sub)
    c = cloud(params.get("cloud"))
    endpoint = (params.get("management_endpoint") or c["classic_management"]).rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError("management_endpoint: %r is not an https:// URL (e.g. %s)" % (endpoint, c["classic_management"]))
    check_not_arm(endpoint)
    version = params.get("x_ms_version") or DEFAULT_X_MS_VERSION
    check_x_ms_version(version)
    path = params.get("management_certificate_path")
    content = params.get("management_certificate_content")
    if not path and not content:
        raise ConfigError(
            "the classic API needs a management certificate: set management_certificate_path (PFX, or PEM with the key) "
            "or management_certificate_content (or SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH)"
        )
    bundle = load_bundle(
        path=path,
        content=content,
        password=params.get("management_certificate_password"),
        key_path=params.get("management_key_path"),
        option="management_certificate_path" if path else "management_certificate_content",
    )
    warnings = check_management_certificate(bundle)
    return ClassicSettings(
        subscription_id=sub, endpoint=endpoint, x_ms_version=version, bundle=bundle, cloud=c["name"], warnings=warnings
    )
