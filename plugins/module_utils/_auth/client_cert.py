# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Client-certificate (mutual TLS) auth for the classic Service Management API.

:class:`ClientCertificateAuth` adds ``x-ms-version`` to every attempt and, for a 403, tells the explainer which
certificate was offered. The certificate itself travels in the TLS handshake (``tls.ClientCertificateAdapter``);
the settings and local checks are in ``_settings/classic.py``.
"""

from __future__ import annotations

from .._certs import CertBundle
from .._settings.classic import DEFAULT_X_MS_VERSION, check_not_arm, check_x_ms_version, describe_offer
from .base import AuthScheme


class ClientCertificateAuth(AuthScheme):
    """Adds ``x-ms-version`` to every attempt; the certificate itself travels in TLS (the adapter)."""

    scheme = "ClientCertificate"
    name = "client_certificate"

    def __init__(
        self,
        bundle: CertBundle,
        x_ms_version: str = DEFAULT_X_MS_VERSION,
        cloud: str | None = None,
        subscription_id: str | None = None,
    ):
        self.bundle = bundle
        self.x_ms_version = x_ms_version
        self.cloud = cloud
        self.subscription_id = subscription_id

    def validate(self) -> None:
        check_x_ms_version(self.x_ms_version)

    def sign(self, r) -> None:
        check_not_arm(r.url, "url")
        if not r.headers.get("x-ms-version"):
            r.headers["x-ms-version"] = self.x_ms_version
        self.last_string_to_sign = None

    def explain_hint(self, resp, parsed: dict) -> str:
        """The local diagnosis of a 403: which certificate was offered, and what to do."""
        if resp.status_code != 403:
            return ""
        sub = self.subscription_id or "?"
        return (
            "Client certificate offered: %s. The local checks passed (the private key is present and matches, RSA >= 2048, "
            "not expired), so it was offered in the TLS handshake; the server did not accept it for subscription %s. Upload its public part "
            "(.cer, thumbprint %s) to that subscription's management certificates, or check subscription_id and "
            "cloud/management_endpoint." % (describe_offer(self.bundle), sub, self.bundle.thumbprint)
        )
