#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob
short_description: Upload, update or delete a block, page or append blob
version_added: 1.0.0
description:
  - Uploads a local file (O(src)) or a string (O(content)) to a blob, keeps its content settings and metadata in
    the wanted state, or deletes it.
  - With O(overwrite=different) (the default) the local MD5 is compared with the blob's C(Content-MD5) and an
    unchanged upload is skipped, so the task is idempotent. Metadata and content settings are updated without
    uploading again.
  - Block blobs up to O(single_put_size) go up in one request. Larger ones are staged in blocks of O(block_size)
    on O(max_concurrency) threads (each with its own C(Content-MD5) when O(transactional_md5=true)), then committed
    with the whole-file MD5 and verified (length and MD5) by reading the properties back. Each byte is hashed
    once (the whole-file MD5, and the block's own with O(transactional_md5)); a block is then read again piece by
    piece as it is sent, so memory stays at about 1 MiB per thread whatever O(block_size) and the file size. A
    pre-upload MD5 is computed only when an existing blob of the same type and length must be compared
    (O(overwrite=different)).
  - Page blobs (for example VHD disks) must be a multiple of 512 bytes (or use O(pad)); all-zero 512-byte pages
    are not sent, so a sparse disk uploads only its data. Their MD5 is stored as C(Content-MD5) after the upload.
  - Append blobs are created and written with Append Block (at most 4 MiB per request). With
    O(overwrite=different), when the blob already holds the beginning of the local data (its stored MD5 equals the
    MD5 of that many local bytes), only the new tail is appended; otherwise the blob is recreated. Either way the
    blob ends up equal to the local data.
  - A blob is never left half written. Block blobs switch to the new content in one request (Put Blob or Put Block
    List). Page and append blobs are written into a temporary blob beside the target (same folder, named
    C(.<name>.signet-tmp-<hex>)), which is then copied in place on the server (Copy Blob) under the target's ETag,
    and deleted; readers see the old blob until the copy. A tail of at most 4 MiB is appended in place in one
    request; a longer one is appended to a server-side copy first. A change of blob type (Copy Blob cannot change
    it) keeps a server-side copy of the old blob until the new one is in place and restores it if that fails; a blob
    with snapshots cannot change its type (delete the snapshots first).
  - The local file is checked just before the upload is committed. If its size, modification time or content
    (MD5, compared with the one computed for the plan) changed since the task read it, nothing is committed and the
    task fails, saying that the file changed during the upload and that the blob is unchanged.
  - A write whose answer was lost (connection reset, timeout, 5xx) or whose retry was refused with 409 or 412 is
    checked by reading the blob back, so the task does not fail when the service holds the new content.
options:
  container:
    description: Name of the container (it must exist).
    type: str
    required: true
  name:
    description:
      - Name of the blob, up to 1024 characters; C(/) makes virtual folders. Any character except control
        characters and U+E000-U+F8FF is allowed and encoded once.
    type: str
    required: true
    aliases: [blob]
  state:
    description: Whether the blob should exist.
    type: str
    default: present
    choices: [present, absent]
  src:
    description:
      - Local file to upload. Mutually exclusive with O(content).
      - Without O(src) and O(content), only the metadata and content settings of an existing blob are managed.
    type: path
  content:
    description: Text to upload (UTF-8). Mutually exclusive with O(src).
    type: str
  blob_type:
    description: Type of blob to create.
    type: str
    default: block
    choices: [block, page, append]
  overwrite:
    description:
      - V(different) uploads only when the blob is missing, of another type, or its length or C(Content-MD5)
        differs (see the description for append blobs). A blob without C(Content-MD5) is uploaded again.
      - V(always) uploads every time; V(never) uploads only when the blob does not exist (created with
        C(If-None-Match) so a concurrent writer is not overwritten).
    type: str
    default: different
    choices: [different, always, never]
  metadata:
    description:
      - Blob metadata. Names must be C# identifiers (case-insensitive); values are trimmed ASCII and may not be empty.
      - Not managed when omitted; a re-upload keeps the current metadata then.
    type: dict
  metadata_mode:
    description: V(exact) sets exactly O(metadata); V(merge) adds or updates its keys and keeps the others.
    type: str
    default: exact
    choices: [exact, merge]
  content_type:
    description:
      - The blob's C(Content-Type). When a blob is created without it, it is guessed from the name
        (C(application/octet-stream) if unknown). Not managed when omitted.
    type: str
  content_encoding:
    description: The blob's C(Content-Encoding), for example V(gzip). Not managed when omitted.
    type: str
  content_language:
    description: The blob's C(Content-Language). Not managed when omitted.
    type: str
  content_disposition:
    description: The blob's C(Content-Disposition). Not managed when omitted.
    type: str
  cache_control:
    description: The blob's C(Cache-Control). Not managed when omitted.
    type: str
  block_size:
    description:
      - Size of each staged block in bytes (block blobs). Raised automatically when the file would need more than
        50,000 blocks.
    type: int
    default: 4194304
  single_put_size:
    description: Block blobs up to this many bytes are uploaded with a single Put Blob request.
    type: int
    default: 8388608
  max_concurrency:
    description: Number of parallel requests for block and page uploads.
    type: int
    default: 4
  transactional_md5:
    description:
      - Send a C(Content-MD5) with every staged block (Put Block) so the service checks each request's body.
      - Off by default; TLS already protects each request, and the whole-file MD5 is still computed while reading,
        stored as the blob's C(Content-MD5) and verified after the commit. Turning it on hashes the data a second
        time (about 0.4x more client CPU for large uploads, see the benchmarks).
      - A single-request upload (Put Blob, up to O(single_put_size)) always carries the whole-file MD5.
    type: bool
    default: false
    version_added: 1.1.0
  pad:
    description: Pad page blob content with zeros to a multiple of 512 bytes instead of failing.
    type: bool
    default: false
  delete_snapshots:
    description:
      - With O(state=absent), V(include) deletes the blob and its snapshots, V(only) deletes only the snapshots.
        Without it a blob that has snapshots is not deleted (the error says so).
    type: str
    choices: [include, only]
  access_tier:
    description:
      - The access tier of a block blob. A created or replaced blob gets it in the upload request
        (C(x-ms-access-tier)); an existing blob whose tier differs is moved (Set Blob Tier).
      - Moving a blob out of V(Archive) starts a rehydration that takes hours; the blob stays in V(Archive) until it
        ends, and a task asking for the same tier meanwhile reports no change. Not managed when omitted.
    type: str
    choices: [Hot, Cool, Cold, Archive]
    version_added: 1.1.0
  rehydrate_priority:
    description: Priority of a rehydration out of V(Archive) (with O(access_tier)).
    type: str
    choices: [Standard, High]
    version_added: 1.1.0
  tags:
    description:
      - The blob index tags, exactly (up to 10; names of 1-128 and values of 0-256 letters, digits, spaces and
        the characters C(+-./:=_)). A created or replaced blob gets them in the upload request (C(x-ms-tags)); an existing
        blob whose tags differ gets them with Set Blob Tags. V({}) removes every tag. Not managed when omitted.
      - Unlike O(metadata), tags are indexed by the service and can be searched across containers with
        O(signet.azure.storage_blob_info#module:tag_filter). Reading and writing them needs the SAS permission C(t)
        or the Storage Blob Data Owner role.
    type: dict
    version_added: 1.1.0
  lease_id:
    description:
      - The ID of the blob's active lease (see M(signet.azure.storage_lease)). Every write of the task carries it
        (C(x-ms-lease-id)); without it a leased blob refuses writes with 412 C(LeaseIdMissing).
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
    details: The local MD5 is computed and compared; nothing is written.
  diff_mode:
    support: full
    details: The diff shows blob type, length, MD5, content settings and metadata before and after.
  idempotent:
    support: full
    details: With O(overwrite=different) or O(overwrite=never). O(overwrite=always) uploads every time.
notes:
  - If an upload fails after blocks were staged, the existing blob is unchanged; the uncommitted blocks are
    invisible to readers and discarded by the service after 7 days.
  - A failed task says what the service holds in RV(ignore:changed) (true when the service was modified) and, for an
    upload, RV(ignore:blob_content) (V(old), V(new) or V(unknown)).
  - Writing a page or append blob creates and deletes a temporary blob in the same container, so a SAS needs the
    create, write, read and delete permissions. A temporary blob that cannot be deleted is named in a warning (or in
    the error message); it holds no more than the blob itself and may be deleted at any time.
  - Metadata names are compared case-insensitively, as the service treats them.
  - The service does not update a page blob's C(Content-MD5) when pages are written (Put Page), so a page blob whose
    stored MD5 equals the local data's is compared by its bytes (its written page ranges are read); when they differ
    the blob is replaced and a warning says that its stored MD5 was stale.
seealso:
  - module: signet.azure.storage_blob_download
  - module: signet.azure.storage_blob_info
  - module: signet.azure.storage_blob_sync
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Upload a file (skipped when the blob already has the same MD5)
  signet.azure.storage_blob:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: backups
    name: db/2026-12-01.dump
    src: /var/backups/db.dump
    metadata:
      source: pgdump

- name: Upload a sparse VHD as a page blob, 8 parallel requests
  signet.azure.storage_blob:
    connection_string: "{{ storage_connection_string }}"
    container: disks
    name: web01.vhd
    src: /images/web01.vhd
    blob_type: page
    max_concurrency: 8

- name: Keep an append blob in step with a growing local log (only the tail is sent)
  signet.azure.storage_blob:
    connection_string: "{{ storage_connection_string }}"
    container: logs
    name: app.log
    src: /var/log/app.log
    blob_type: append

- name: Blobs with module defaults
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      sas_token: "{{ storage_sas }}"
  block:
    - name: Write a small text blob
      signet.azure.storage_blob:
        container: config
        name: motd.txt
        content: "Maintenance on Sunday\n"
        content_type: text/plain
        cache_control: no-cache

    - name: Change only the metadata of an existing blob
      signet.azure.storage_blob:
        container: config
        name: motd.txt
        metadata:
          reviewed: "yes"
        metadata_mode: merge

    - name: Delete a blob and its snapshots
      signet.azure.storage_blob:
        container: config
        name: old.txt
        state: absent
        delete_snapshots: include

    - name: Upload a report to the Cool tier with index tags
      signet.azure.storage_blob:
        container: reports
        name: 2026/q4.pdf
        src: /srv/reports/q4.pdf
        access_tier: Cool
        tags:
          project: apollo
          retention: 7y

    - name: Archive it later (tags unchanged)
      signet.azure.storage_blob:
        container: reports
        name: 2026/q4.pdf
        access_tier: Archive

    - name: Write to a blob under a lease
      signet.azure.storage_blob:
        container: config
        name: motd.txt
        content: "Back to normal\n"
        lease_id: "{{ lease.lease_id }}"
"""

RETURN = r"""
action:
  description: What the task did, one of C(created), C(replaced), C(appended), C(updated), C(deleted), C(unchanged).
  returned: always
  type: str
  sample: created
blob:
  description: The blob after the task (in check mode, before), or null when it does not exist.
  returned: always
  type: dict
  sample:
    name: db/2026-12-01.dump
    properties:
      blob_type: block
      content_length: 41943040
      content_md5: n1LDvlZXH+Ap+f87+VY0Rg==
      content_type: application/octet-stream
      etag: '"0x8DC2B5E6F1A2B3C"'
      last_modified: Wed, 02 Dec 2026 03:29:49 GMT
    metadata:
      source: pgdump
url:
  description: The blob URL, without any credential.
  returned: always
  type: str
  sample: https://mystorage.blob.core.windows.net/backups/db/2026-12-01.dump
tags:
  description: The blob index tags after the task, when O(tags) is given.
  returned: when O(tags) is given
  type: dict
  sample: {project: apollo, retention: 7y}
md5_stale:
  description:
    - True when the page blob's stored C(Content-MD5) was not the MD5 of its data (written in place after it was
      set), so the blob was compared by its bytes.
  returned: when the stored MD5 was found stale
  type: bool
  sample: true
plan:
  description: The upload decision and its reason.
  returned: when O(state=present)
  type: dict
  sample: {action: none, append_from: null, reason: same length and MD5}
blob_content:
  description:
    - When an upload fails, which content the blob holds afterwards. V(old) is the content before the task (or no
      blob, when it was being created), V(new) the uploaded content (then only a later step failed, such as reading
      the blob back), V(unknown) when the service could not be asked; the message then names every blob involved.
    - Together with RV(ignore:changed), which a failed task sets to true when the service was modified.
  returned: when an upload fails
  type: str
  sample: old
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob_features import ensure_blob_features
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", required=True, aliases=["blob"]),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                src=dict(type="path"),
                content=dict(type="str"),
                blob_type=dict(type="str", default="block", choices=["block", "page", "append"]),
                overwrite=dict(type="str", default="different", choices=["different", "always", "never"]),
                metadata=dict(type="dict"),
                metadata_mode=dict(type="str", default="exact", choices=["exact", "merge"]),
                content_type=dict(type="str"),
                content_encoding=dict(type="str"),
                content_language=dict(type="str"),
                content_disposition=dict(type="str"),
                cache_control=dict(type="str"),
                block_size=dict(type="int", default=4194304),
                single_put_size=dict(type="int", default=8388608),
                max_concurrency=dict(type="int", default=4),
                pad=dict(type="bool", default=False),
                transactional_md5=dict(type="bool", default=False),
                delete_snapshots=dict(type="str", choices=["include", "only"]),
                access_tier=dict(type="str", choices=["Hot", "Cool", "Cold", "Archive"]),
                rehydrate_priority=dict(type="str", choices=["Standard", "High"]),
                tags=dict(type="dict"),
                lease_id=dict(type="str", no_log=False),
            ),
            mutually_exclusive=[["src", "content"]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(ensure_blob_features)


if __name__ == "__main__":
    main()
