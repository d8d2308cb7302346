# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  batch_account:
    description:
      - Name of the Batch account.
      - Falls back to E(AZURE_BATCH_ACCOUNT).
    type: str
  batch_access_key:
    description:
      - Primary or secondary access key of the Batch account, for Batch Shared Key.
      - Falls back to E(AZURE_BATCH_ACCESS_KEY).
    type: str
  batch_endpoint:
    description:
      - Account endpoint, C(https://<account>.<region>.batch.azure.com).
      - Falls back to E(AZURE_BATCH_ENDPOINT).
    type: str
  batch_auth:
    description:
      - V(shared_key) signs with O(batch_access_key); V(entra) uses an Entra ID token for the Batch resource (the
        Entra ID options); V(auto) uses the key when one is given.
    type: str
    default: auto
    choices: [auto, shared_key, entra]
  batch_api_version:
    description: The Batch service API version.
    type: str
    default: "2025-06-01.21.0"
"""
