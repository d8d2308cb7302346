# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure Batch data plane (``<account>.<region>.batch.azure.com`` and the China / US Gov suffixes) - placeholder.

Another engineer replaces the body of :class:`Batch`; see README.md for the plugin interface.
"""

from __future__ import annotations

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, not_implemented


class Batch(Plugin):
    """Batch service. Currently answers 501 to everything."""

    name = "batch"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """``*.<region>.<batch suffix>`` for every configured region (a wildcard covers one label only)."""
        return [f"*.{region}.{cloud.batch_suffix}" for region in batch_regions]

    def handle(self, request: Request) -> Response:
        """Not implemented yet."""
        return not_implemented("Batch", request)
