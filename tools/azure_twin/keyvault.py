# SPDX-License-Identifier: GPL-3.0-or-later
"""Key Vault data plane (``<vault>.vault.azure.net`` and the China / US Gov suffixes) - placeholder.

Another engineer replaces the body of :class:`KeyVault`; see README.md for the plugin interface.
"""

from __future__ import annotations

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, not_implemented


class KeyVault(Plugin):
    """Key Vault secrets/certificates/keys. Currently answers 501 to everything."""

    name = "keyvault"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """``*.<vault suffix>``."""
        return [f"*.{cloud.vault_suffix}"]

    def handle(self, request: Request) -> Response:
        """Not implemented yet."""
        return not_implemented("Key Vault", request)
