# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Default values used in more than one place (argument specs, settings, clients). The doc fragments and module
DOCUMENTATION repeat them as literals, and ansible-test's validate-modules checks that they agree."""

from __future__ import annotations

#: Read timeout (seconds) and retries after the first attempt, for every call.
TIMEOUT = 60
RETRIES = 3
#: Service API versions.
STORAGE_API_VERSION = "2023-11-03"
BATCH_API_VERSION = "2025-06-01.21.0"
CLASSIC_X_MS_VERSION = "2014-06-01"
ARM_CLOUD_SERVICES_API_VERSION = "2024-11-04"
KEYVAULT_API_VERSION = "2025-06-01"
