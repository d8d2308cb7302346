# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure Resource Manager (``management.azure.com`` and the China / US Gov hosts) - placeholder.

Another engineer replaces the body of :class:`Arm`; see README.md for the plugin interface.
"""

from __future__ import annotations

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, not_implemented


class Arm(Plugin):
    """ARM control plane. Currently answers 501 to everything."""

    name = "arm"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """The ARM host of the cloud."""
        return [cloud.arm_host]

    def handle(self, request: Request) -> Response:
        """Not implemented yet."""
        return not_implemented("ARM", request)
