# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Base class of the auth schemes, and NoAuth. Each scheme is a requests AuthBase that signs the final prepared request."""

from __future__ import annotations

import email.utils

try:
    from requests.auth import AuthBase
except ImportError:  # pragma: no cover - without requests the module fails earlier with missing_required_lib
    AuthBase = object


def http_date() -> str:
    """RFC 1123 date in GMT, locale-independent (never strftime)."""
    return email.utils.formatdate(usegmt=True)


class AuthScheme(AuthBase):
    """Contract: ``validate()`` runs offline and raises ConfigError naming every missing option; ``sign(prepared)``
    signs a prepared request in place (called on every attempt); ``last_string_to_sign`` keeps the last string we
    signed (never the key or the signature) for the 403 explainer. ``scheme`` names the Authorization scheme.
    """

    scheme = "none"
    name = "none"
    cloud = None
    last_string_to_sign = None

    def validate(self) -> None:
        return None

    def sign(self, r) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, r):
        self.sign(r)
        return r


class NoAuth(AuthScheme):
    """Sends no credentials, but still blocks requests' .netrc lookup."""

    def sign(self, r) -> None:
        return None
