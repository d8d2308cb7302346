# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Name rules shared by several services."""

from __future__ import annotations

import re

#: Storage and Batch account names: 3-24 lowercase letters and digits.
ACCOUNT_NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
#: A subscription or tenant GUID.
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
