# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: This action does not modify state.
  diff_mode:
    support: N/A
    details: This action does not modify state.
  idempotent:
    support: full
    details: This action does not modify state.
"""

    ACTION_GROUP_STORAGE = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/signet.azure.storage) in C(module_defaults) for the storage and Entra ID options of this module.
      - It is in C(group/signet.azure.entra) too, so the Entra ID options (for O(storage_auth=entra)) can come from
        there. Put only Entra ID options in that group, as its Key Vault and Cloud Service modules do not accept the
        storage options.
    support: full
    membership:
      - signet.azure.entra
      - signet.azure.storage
"""

    ACTION_GROUP_BATCH = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/signet.azure.batch) in C(module_defaults) for the Batch and Entra ID options of this module.
      - It is in C(group/signet.azure.entra) too, so the Entra ID options can come from there. Put only Entra ID
        options in that group, as its Key Vault and Cloud Service modules do not accept the Batch options.
    support: full
    membership:
      - signet.azure.batch
      - signet.azure.entra
"""

    ACTION_GROUP_ENTRA = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/signet.azure.entra) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - signet.azure.entra
"""

    ACTION_GROUP_CLASSIC = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/signet.azure.classic) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - signet.azure.classic
"""

    ACTION_GROUP_ALL = r"""
options: {}
attributes:
  action_group:
    description: Use any of the C(group/signet.azure.*) groups in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - signet.azure.batch
      - signet.azure.classic
      - signet.azure.entra
      - signet.azure.storage
"""
