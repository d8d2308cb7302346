#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_undelete
short_description: Restore soft-deleted blobs
version_added: 1.1.0
description:
  - Restores the soft-deleted blob O(name), or every soft-deleted blob whose name starts with O(prefix), with their
    soft-deleted snapshots (Undelete Blob). Soft-deleted blobs are found with List Blobs and C(include=deleted); list
    them yourself with O(signet.azure.storage_blob_info#module:include=deleted).
  - Idempotent. A blob that is not soft-deleted, or whose name holds an active blob again, is left alone; a run with
    nothing to restore reports no change. O(name) that is neither soft-deleted nor active fails, naming the causes.
  - Works on accounts with blob soft delete (a delete retention policy) and without blob versioning; with versioning,
    restore a previous version with M(signet.azure.storage_blob_copy) instead. Azurite has no soft delete.
options:
  container:
    description: Name of the container.
    type: str
    required: true
  name:
    description: The blob to restore. Mutually exclusive with O(prefix).
    type: str
    aliases: [blob]
  prefix:
    description: Restore every soft-deleted blob whose name starts with this (V("") for the whole container).
    type: str
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_storage
attributes:
  check_mode:
    support: full
    details: The soft-deleted blobs are listed; nothing is restored.
  diff_mode:
    support: full
    details: The active blob names under the name or prefix before and after.
  idempotent:
    support: full
seealso:
  - module: signet.azure.storage_blob_info
  - module: signet.azure.storage_blob
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Restore a blob deleted by mistake
  signet.azure.storage_blob_undelete:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: backups
    name: db/2026-12-01.dump

- name: Restore a whole virtual folder
  signet.azure.storage_blob_undelete:
    connection_string: "{{ storage_connection_string }}"
    container: site
    prefix: images/

- name: What is soft-deleted (list only)
  signet.azure.storage_blob_info:
    connection_string: "{{ storage_connection_string }}"
    container: site
    include: [deleted]
  register: listing
"""

RETURN = r"""
undeleted:
  description: The names of the blobs restored (in check mode, that would be).
  returned: success
  type: list
  elements: str
  sample: [images/logo.png, images/hero.jpg]
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._module import AzureRestModule
from ..module_utils._plans.blob_undelete import ensure_undeleted


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", aliases=["blob"]),
                prefix=dict(type="str"),
            ),
            mutually_exclusive=[["name", "prefix"]],
            required_one_of=[["name", "prefix"]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(ensure_undeleted)


if __name__ == "__main__":
    main()
