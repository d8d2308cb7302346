#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_container_info
short_description: List Blob storage containers, or read one container's properties and metadata
version_added: 1.0.0
description:
  - Lists the containers of a storage account (all pages, or the first O(max_results)), optionally with their
    metadata, or returns the properties and metadata of one container.
options:
  name:
    description: Return only this container (its properties and metadata). Mutually exclusive with O(prefix).
    type: str
  prefix:
    description: List only containers whose name starts with this prefix.
    type: str
  include_metadata:
    description: Include each container's metadata in the listing (one container is always read with metadata).
    type: bool
    default: false
  max_results:
    description:
      - Return at most this many containers, and RV(next_marker) to continue. By default every page is followed.
    type: int
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.info_module
  - signet.azure.attributes.action_group_storage
seealso:
  - module: signet.azure.storage_container
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List every container whose name starts with "logs-", with metadata
  signet.azure.storage_container_info:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    prefix: logs-
    include_metadata: true
  register: listing

- name: Read one container
  signet.azure.storage_container_info:
    connection_string: "{{ storage_connection_string }}"
    name: backups
  register: backups

- name: With module defaults
  module_defaults:
    group/signet.azure.storage:
      connection_string: "{{ storage_connection_string }}"
  block:
    - name: First ten containers
      signet.azure.storage_container_info:
        max_results: 10

- name: With Entra ID, from AWX's Azure credential in the environment (no key; needs Storage Blob Data Reader)
  signet.azure.storage_container_info:
    account_name: mystorage
    storage_auth: entra

- name: With Entra ID from the Azure CLI's sign-in (az login), in the US Government cloud
  signet.azure.storage_container_info:
    account_name: mystorage
    auth_source: cli
    cloud_environment: AzureUSGovernment
    name: backups

- name: With the system-assigned managed identity of the host
  signet.azure.storage_container_info:
    account_name: mystorage
    auth_source: msi
"""

RETURN = r"""
containers:
  description: The containers, each with C(name), C(properties) and C(metadata) (empty unless requested).
  returned: always
  type: list
  elements: dict
  sample:
    - name: backups
      properties: {etag: '"0x8DC2B5E6F1A2B3C"', last_modified: "Wed, 02 Dec 2026 03:29:48 GMT", public_access: private}
      metadata: {owner: ops}
container:
  description: The container named by O(name), or null when it does not exist.
  returned: when O(name) is given
  type: dict
  sample: {name: backups, properties: {public_access: private}, metadata: {owner: ops}}
exists:
  description: Whether the container named by O(name) exists.
  returned: when O(name) is given
  type: bool
  sample: true
next_marker:
  description: Marker of the next page when O(max_results) stopped the listing early, else null.
  returned: when O(name) is not given
  type: str
  sample: /devstoreaccount1/logs-0042
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob import container_info
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                name=dict(type="str"),
                prefix=dict(type="str"),
                include_metadata=dict(type="bool", default=False),
                max_results=dict(type="int"),
            ),
            mutually_exclusive=[["name", "prefix"]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(container_info)


if __name__ == "__main__":
    main()
