#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_copy
short_description: Copy a blob server side, from a URL or within the account, idempotently
version_added: 1.1.0
description:
  - Copies a blob into O(container)/O(name) without the data passing through the Ansible host. The source is
    O(source_url), a blob of any account (with a SAS in its query, or read with Entra ID), or
    O(source_container)/O(source_name) in the same account.
  - Two ways. V(sync) is Put Blob From URL, one request that writes a block blob of up to 5000 MiB; the service checks
    the copied bytes against the source's C(Content-MD5). V(async) is Copy Blob, for any size and blob type; the
    service copies in the background and the module polls its status until it succeeds (O(wait)).
    O(mode=auto) takes V(sync) for a block blob of at most 256 MiB that has a C(Content-MD5) and is read through a SAS
    or Entra ID, else V(async). When the service does not implement Put Blob From URL (HTTP 501, as Azurite), V(auto)
    falls back to V(async).
  - Idempotent. Nothing is copied when the destination has the source's length and C(Content-MD5), or when its last
    copy came from the same source URL (query ignored), succeeded, and the source has not changed since. A copy from
    the same source still pending is waited for, not started again.
  - The SAS of O(source_url) never appears in the output; URLs are shown with C(sig=REDACTED).
options:
  container:
    description: Name of the destination container.
    type: str
    required: true
  name:
    description: Name of the destination blob.
    type: str
    required: true
    aliases: [blob]
  source_url:
    description:
      - URL of the source blob, with a SAS in its query when it is not public and not read with Entra ID, for
        example C(https://other.blob.core.windows.net/c/b.vhd?sv=...&sig=...). Mutually exclusive with
        O(source_container).
      - Its C(sig) is treated as a secret (never logged, masked in results).
    type: str
  source_container:
    description: Container of the source blob in the destination's account. Needs O(source_name).
    type: str
  source_name:
    description: Name of the source blob in O(source_container).
    type: str
  source_snapshot:
    description: Copy this snapshot of O(source_container)/O(source_name).
    type: str
  source_auth:
    description:
      - How the service reads O(source_url). V(none) relies on the URL (a SAS, or a public blob). V(entra) sends the
        module's Entra ID token as C(x-ms-copy-source-authorization) (the destination must use O(storage_auth=entra);
        the identity needs read access to the source). V(auto) takes V(none) when the URL has a C(sig), else V(entra)
        when the destination uses Entra ID, else V(none).
      - A source in the same account (O(source_container)) is read with the destination's credential.
    type: str
    default: auto
    choices: [auto, none, entra]
  mode:
    description: V(sync) (Put Blob From URL), V(async) (Copy Blob with status polling) or V(auto) (see above).
    type: str
    default: auto
    choices: [auto, sync, async]
  overwrite:
    description:
      - V(different) copies when the destination is missing or does not hold the source's content (see above);
        V(always) copies every time; V(never) copies only when the destination does not exist.
    type: str
    default: different
    choices: [different, always, never]
  wait:
    description: With an asynchronous copy, wait until the service has finished it (polling with backoff).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for an asynchronous copy; the task then fails and the copy goes on in the service.
    type: int
    default: 3600
  metadata:
    description: Metadata of the copy. When omitted, Copy Blob copies the source's metadata.
    type: dict
  tags:
    description: Blob index tags of the copy (see O(signet.azure.storage_blob#module:tags)).
    type: dict
  access_tier:
    description: Access tier of the copy (block blobs).
    type: str
    choices: [Hot, Cool, Cold, Archive]
  lease_id:
    description: The ID of the destination blob's active lease.
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
    details: Source and destination are read and compared; nothing is copied.
  diff_mode:
    support: full
    details: Length, MD5 and copy source of the destination before and after.
  idempotent:
    support: full
    details: With O(overwrite=different) or O(overwrite=never).
notes:
  - O(metadata), O(tags) and O(access_tier) apply to a copy that is made; use M(signet.azure.storage_blob) to change
    them on a blob that is already up to date.
  - Put Blob From URL and a cross-account Copy Blob need the source readable by the service (SAS with read
    permission, public access, or Entra ID); the SAS must stay valid until an asynchronous copy ends.
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_blob_info
  - plugin: signet.azure.storage_sas
    plugin_type: lookup
    description: Makes a SAS for the source.
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Copy a disk image from another account with a read SAS (waits for the copy)
  signet.azure.storage_blob_copy:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: disks
    name: web01.vhd
    source_url: "https://golden.blob.core.windows.net/images/web01.vhd?{{ golden_read_sas }}"

- name: Copy within the account, to the Cool tier, with tags
  signet.azure.storage_blob_copy:
    connection_string: "{{ storage_connection_string }}"
    container: archive
    name: 2026/db.dump
    source_container: backups
    source_name: db/latest.dump
    access_tier: Cool
    tags: {kind: backup}

- name: Copy with Entra ID on both sides (no SAS)
  signet.azure.storage_blob_copy:
    account_name: mystorage
    storage_auth: entra
    container: data
    name: input.csv
    source_url: https://shared.blob.core.windows.net/public-data/input.csv
    source_auth: entra

- name: Start a large copy and come back later
  signet.azure.storage_blob_copy:
    connection_string: "{{ storage_connection_string }}"
    container: disks
    name: big.vhd
    source_url: "{{ big_vhd_sas_url }}"
    mode: async
    wait: false
  register: started
"""

RETURN = r"""
action:
  description: C(copied), C(waited) (for a copy from the same source already pending) or C(unchanged).
  returned: success
  type: str
  sample: copied
plan:
  description: The copy decision and its reason.
  returned: success
  type: dict
  sample: {action: none, reason: same length and MD5 as the source}
source:
  description: The source URL, its SAS signature masked.
  returned: success
  type: str
  sample: https://golden.blob.core.windows.net/images/web01.vhd?sv=2023-11-03&sr=b&sp=r&sig=REDACTED
copy_operation:
  description: How the copy ran (C(mode)) and its C(status) and C(id) (asynchronous copies).
  returned: when a copy was made or waited for
  type: dict
  sample: {mode: async, status: success, id: 8a0b2c3d-1e2f-4a5b-9c8d-7e6f5a4b3c2d}
blob:
  description: The destination blob after the task (in check mode, before), with its copy properties.
  returned: success
  type: dict
  sample: {name: web01.vhd, properties: {content_length: 10485760, copy_status: success}, metadata: {}}
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._module import AzureRestModule
from ..module_utils._plans.blob_copy import ensure_copy


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", required=True, aliases=["blob"]),
                source_url=dict(type="str"),
                source_container=dict(type="str"),
                source_name=dict(type="str"),
                source_snapshot=dict(type="str"),
                source_auth=dict(type="str", default="auto", choices=["auto", "none", "entra"]),
                mode=dict(type="str", default="auto", choices=["auto", "sync", "async"]),
                overwrite=dict(type="str", default="different", choices=["different", "always", "never"]),
                wait=dict(type="bool", default=True),
                wait_timeout=dict(type="int", default=3600),
                metadata=dict(type="dict"),
                tags=dict(type="dict"),
                access_tier=dict(type="str", choices=["Hot", "Cool", "Cold", "Archive"]),
                lease_id=dict(type="str", no_log=False),
            ),
            mutually_exclusive=[["source_url", "source_container"], ["source_url", "source_snapshot"]],
            required_one_of=[["source_url", "source_container"]],
            required_together=[["source_container", "source_name"]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(lambda client, params, check_mode: ensure_copy(client, params, check_mode, module.transport()))


if __name__ == "__main__":
    main()
