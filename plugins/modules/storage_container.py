#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_container
short_description: Create, update or delete a Blob storage container
version_added: 1.0.0
description:
  - Creates or deletes a container of an Azure storage account, and manages its metadata and public access level.
  - Signs every request itself with the account key (Shared Key), a SAS token or a connection string; no Azure SDK.
options:
  name:
    description:
      - Name of the container (3-63 lowercase letters, digits and C(-), no C(--)), or V($root), V($web), V($logs).
    type: str
    required: true
  state:
    description: Whether the container should exist.
    type: str
    default: present
    choices: [present, absent]
  metadata:
    description:
      - Container metadata (C(x-ms-meta-*)). Names must be C# identifiers and are case-insensitive; values are
        trimmed ASCII strings and may not be empty.
      - Not managed when omitted.
    type: dict
  metadata_mode:
    description:
      - V(exact) sets the metadata to exactly O(metadata) (other keys are removed); V(merge) adds or updates the
        keys of O(metadata) and keeps the others.
    type: str
    default: exact
    choices: [exact, merge]
  public_access:
    description:
      - Anonymous read access. V(private) allows none, V(blob) allows reading blobs, V(container) also listing.
      - Not managed when omitted (a new container is private). Stored access policies are kept when it changes.
    type: str
    choices: [private, blob, container]
  lease_id:
    description:
      - The ID of the container's active lease (see M(signet.azure.storage_lease)). Every write of the task
        (metadata, public access, delete) carries it (C(x-ms-lease-id)); a leased container cannot be deleted
        without it.
    type: str
    version_added: 1.1.0
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_storage
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the public access level and the metadata before and after.
  idempotent:
    support: full
notes:
  - Deleting a container on Azure takes a while; creating one with the same name at once fails with C(ContainerBeingDeleted).
seealso:
  - module: signet.azure.storage_container_info
  - module: signet.azure.storage_blob
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Create a private container with metadata
  signet.azure.storage_container:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    name: backups
    metadata:
      owner: ops
      purpose: nightly

- name: Add one metadata key, keep the others, and allow anonymous blob reads
  signet.azure.storage_container:
    connection_string: "{{ storage_connection_string }}"
    name: public-assets
    metadata:
      cdn: "yes"
    metadata_mode: merge
    public_access: blob

- name: Containers with module defaults
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      sas_token: "{{ storage_sas }}"
  block:
    - name: Delete a container
      signet.azure.storage_container:
        name: scratch
        state: absent
"""

RETURN = r"""
container:
  description: The container after the task (in check mode, before), or null when it does not exist.
  returned: always
  type: dict
  sample:
    name: backups
    properties:
      etag: '"0x8DC2B5E6F1A2B3C"'
      last_modified: Wed, 02 Dec 2026 03:29:48 GMT
      public_access: private
      lease_state: available
      lease_status: unlocked
      has_immutability_policy: false
      has_legal_hold: false
    metadata:
      owner: ops
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob_features import ensure_container_features
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                name=dict(type="str", required=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                metadata=dict(type="dict"),
                metadata_mode=dict(type="str", default="exact", choices=["exact", "merge"]),
                public_access=dict(type="str", choices=["private", "blob", "container"]),
                lease_id=dict(type="str", no_log=False),
            )
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(ensure_container_features)


if __name__ == "__main__":
    main()
