#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_snapshot
short_description: Create a read-only snapshot of a blob
version_added: 1.0.0
description:
  - Creates a snapshot of a blob and returns its timestamp, which names the snapshot in later calls
    (for example O(signet.azure.storage_blob_download#module:snapshot)).
  - With O(only_if_changed=true), no snapshot is taken when the latest existing snapshot already has the blob's
    ETag, length, MD5 and the wanted metadata; its timestamp is returned instead. This makes a
    "snapshot before change" task idempotent.
  - Each Snapshot Blob request makes a snapshot, so it is never retried blindly. When an attempt fails in a way
    that may hide a success (connection reset, lost answer, timeout, 5xx), the blob's snapshots are listed and one
    made since the task started is returned; only when there is none is the request sent again (up to O(retries)).
    A lost answer therefore never leaves two snapshots. A failed task has RV(ignore:changed=true) when a snapshot
    may have been made.
options:
  container:
    description: Name of the container.
    type: str
    required: true
  name:
    description: Name of the blob.
    type: str
    required: true
    aliases: [blob]
  metadata:
    description:
      - Metadata of the snapshot. When omitted, the snapshot gets the blob's metadata.
    type: dict
  only_if_changed:
    description: Reuse the latest snapshot when the blob has not changed since it was taken.
    type: bool
    default: false
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
    details: The diff shows the snapshot timestamp.
  idempotent:
    support: partial
    details: Only with O(only_if_changed=true); otherwise every run creates a snapshot.
seealso:
  - module: signet.azure.storage_blob_info
  - module: signet.azure.storage_blob_download
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Snapshot a disk before patching
  signet.azure.storage_blob_snapshot:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: disks
    name: web01.vhd
    metadata:
      reason: pre-patch
  register: snap

- name: With module defaults, only when the blob changed since the last snapshot
  module_defaults:
    group/signet.azure.storage:
      connection_string: "{{ storage_connection_string }}"
  block:
    - name: Snapshot the config
      signet.azure.storage_blob_snapshot:
        container: config
        name: app.ini
        only_if_changed: true
"""

RETURN = r"""
snapshot:
  description: Timestamp of the snapshot created (or reused); null in check mode when one would be created.
  returned: always
  type: str
  sample: "2026-12-02T03:29:49.2820000Z"
blob:
  description: The base blob's C(name), C(properties) and C(metadata).
  returned: always
  type: dict
  sample: {name: web01.vhd, properties: {blob_type: page, content_length: 10737418240}, metadata: {}}
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob import create_snapshot
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", required=True, aliases=["blob"]),
                metadata=dict(type="dict"),
                only_if_changed=dict(type="bool", default=False),
            )
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(create_snapshot)


if __name__ == "__main__":
    main()
