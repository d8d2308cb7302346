# SPDX-License-Identifier: GPL-3.0-or-later
"""Classic Service Management API (``management.core.windows.net`` etc., mutual TLS) - placeholder.

Another engineer replaces the body of :class:`Classic`; see README.md for the plugin interface.
"""

from __future__ import annotations

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response

FORBIDDEN_XML = (
    '<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code>ForbiddenError</Code><Message>The server failed '
    "to authenticate the request. Verify that the certificate is valid and is associated with this subscription."
    "</Message></Error>"
)


class Classic(Plugin):
    """Classic management. The TLS layer requests a client certificate (``client_cert = True``)."""

    name = "classic"
    client_cert = True

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """The classic management host of the cloud."""
        return [cloud.classic_host]

    def handle(self, request: Request) -> Response:
        """403 without a client certificate, 501 otherwise (not implemented yet)."""
        if request.peer_cert_der is None:
            return Response(403, FORBIDDEN_XML, {"Content-Type": "application/xml; charset=utf-8"})
        return Response(501, '<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code>NotImplemented</Code>'
                             "<Message>The Azure twin has no classic handler yet.</Message></Error>",
                        {"Content-Type": "application/xml; charset=utf-8"})
