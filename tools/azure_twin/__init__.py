# SPDX-License-Identifier: GPL-3.0-or-later
"""signet.azure local HTTPS Azure twin: a CONNECT proxy that never forwards and imitates Azure services.

Test and demo only; excluded from the galaxy build. See README.md.
"""

__all__ = ["plugin", "server", "state", "faults", "entra", "harness"]
