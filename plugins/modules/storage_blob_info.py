#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_info
short_description: List the blobs of a container, or read one blob's properties and metadata
version_added: 1.0.0
description:
  - Lists blobs with an optional O(prefix) and O(delimiter) (virtual folders come back in RV(prefixes)),
    including metadata, snapshots, soft-deleted blobs or versions when asked and supported by the account.
  - Follows every page by default; with O(max_results) returns one page and RV(next_marker) to continue from
    (pass it as O(marker)).
  - With O(name), returns the properties and metadata of that blob (or one of its snapshots or versions).
options:
  container:
    description: Name of the container.
    type: str
    required: true
  name:
    description: Return only this blob. Mutually exclusive with O(prefix) and O(delimiter).
    type: str
    aliases: [blob]
  snapshot:
    description: With O(name), read this snapshot.
    type: str
  version_id:
    description: With O(name), read this version.
    type: str
  prefix:
    description: List only blobs whose names start with this string.
    type: str
  delimiter:
    description:
      - Group names at this character (usually V(/)); the groups are returned in RV(prefixes) as virtual folders.
    type: str
  include:
    description:
      - Extra data in the listing. V(deleted) and V(versions) need soft delete and versioning on the account
        (Azurite has neither).
    type: list
    elements: str
    choices: [metadata, snapshots, deleted, versions, uncommittedblobs, copy, tags]
  max_results:
    description: Return at most this many entries (one page) and RV(next_marker).
    type: int
  marker:
    description: Continue a listing from this RV(next_marker).
    type: str
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.info_module
  - signet.azure.attributes.action_group_storage
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_container_info
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List the top level of a container as folders and files
  signet.azure.storage_blob_info:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: backups
    delimiter: /
  register: top

- name: List everything under db/ with metadata and snapshots
  signet.azure.storage_blob_info:
    connection_string: "{{ storage_connection_string }}"
    container: backups
    prefix: db/
    include: [metadata, snapshots]

- name: With module defaults
  module_defaults:
    group/signet.azure.storage:
      connection_string: "{{ storage_connection_string }}"
  block:
    - name: Read one blob's properties
      signet.azure.storage_blob_info:
        container: backups
        name: db/2026-12-01.dump
      register: one

    - name: Page through a big container 1000 at a time
      signet.azure.storage_blob_info:
        container: logs
        max_results: 1000
        marker: "{{ previous.next_marker | default(omit) }}"
"""

RETURN = r"""
blobs:
  description:
    - The blobs, each with C(name), C(properties) (C(content_length), C(content_md5) in base64 as Azure gives it,
      C(etag), C(last_modified), C(blob_type), C(content_type), ...) and C(metadata); snapshots have C(snapshot),
      versions C(version_id), soft-deleted blobs C(deleted).
  returned: always
  type: list
  elements: dict
  sample:
    - name: db/2026-12-01.dump
      properties: {blob_type: block, content_length: 41943040, content_md5: n1LDvlZXH+Ap+f87+VY0Rg==, etag: '"0x8DC2B5E6F1A2B3C"'}
      metadata: {source: pgdump}
prefixes:
  description: Virtual folders (with O(delimiter)), for example C(db/).
  returned: always
  type: list
  elements: str
  sample: [db/, logs/]
next_marker:
  description: Marker to continue from when O(max_results) stopped the listing, else null.
  returned: when O(name) is not given
  type: str
  sample: 2!64!MDAwMDA1IWRiLzEwMjQhMDAwMDI4ITk5OTktMTItMzFUMjM6NTk6NTkuOTk5OTk5OVoh
blob:
  description: The blob named by O(name), or null when it does not exist.
  returned: when O(name) is given
  type: dict
  sample: {name: db/2026-12-01.dump, properties: {content_length: 41943040}, metadata: {}}
exists:
  description: Whether the blob named by O(name) exists.
  returned: when O(name) is given
  type: bool
  sample: true
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob import blob_info
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", aliases=["blob"]),
                snapshot=dict(type="str"),
                version_id=dict(type="str"),
                prefix=dict(type="str"),
                delimiter=dict(type="str"),
                include=dict(
                    type="list",
                    elements="str",
                    choices=["metadata", "snapshots", "deleted", "versions", "uncommittedblobs", "copy", "tags"],
                ),
                max_results=dict(type="int"),
                marker=dict(type="str"),
            ),
            mutually_exclusive=[["name", "prefix"], ["name", "delimiter"], ["snapshot", "version_id"]],
            required_by={"snapshot": "name", "version_id": "name"},
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(blob_info)


if __name__ == "__main__":
    main()
