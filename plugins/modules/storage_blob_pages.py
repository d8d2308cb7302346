#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_pages
short_description: Write a range of a page blob from a local file, or clear a range
version_added: 1.1.0
description:
  - With O(state=present), writes O(length) bytes of O(src), starting at O(src_offset), into an existing page blob
    at O(offset) (Put Page with C(x-ms-range)). With O(state=absent), clears (zeroes) O(length) bytes at O(offset).
  - Idempotent. The range is read first (ranged GETs of 4 MiB) and compared with the wanted bytes; only the 512-byte
    pages that differ are written. A second run writes nothing.
  - Every write carries C(If-Match) on the ETag the previous request returned, so a blob changed by someone else
    during the task makes it fail (naming the pages already written) instead of mixing two writers' data.
  - The service does not update a blob's C(Content-MD5) after Put Page, so a stored MD5 would be stale. After
    writing, this module updates it (computed from the blob's bytes; only written page ranges are read) or clears
    it, per O(content_md5). A blob without C(Content-MD5) is left without one.
  - Page writes do not grow a blob; a range beyond the blob's end fails, naming how to resize it.
options:
  container:
    description: Name of the container.
    type: str
    required: true
  name:
    description: Name of the page blob (it must exist).
    type: str
    required: true
    aliases: [blob]
  state:
    description: V(present) writes bytes of O(src); V(absent) clears the range (it then reads as zeros).
    type: str
    default: present
    choices: [present, absent]
  src:
    description: Local file whose bytes are written. Required with O(state=present).
    type: path
  src_offset:
    description: Position in O(src) of the first byte to write.
    type: int
    default: 0
  offset:
    description: Position in the blob of the first byte of the range; a multiple of 512.
    type: int
    required: true
  length:
    description:
      - Number of bytes to write or clear; a multiple of 512.
      - With O(state=present) it defaults to the rest of O(src) from O(src_offset). Required with O(state=absent).
    type: int
  content_md5:
    description:
      - What to do with the blob's stored C(Content-MD5) after pages were written.
      - V(update) computes the MD5 of the blob's new content (reading its written page ranges) and stores it.
      - V(clear) removes it (a blob without an MD5 is never wrongly verified).
      - V(auto) updates it when the blob has one and is at most 256 MiB, clears it when the blob is larger, and
        leaves a blob without one alone.
    type: str
    default: auto
    choices: [auto, update, clear]
  lease_id:
    description: The ID of the blob's active lease; every write carries it (C(x-ms-lease-id)).
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
    details: The range is read and compared; nothing is written.
  diff_mode:
    support: full
    details: The MD5 of the range and the blob's C(Content-MD5) before and after.
  idempotent:
    support: full
notes:
  - A range longer than 4 MiB is written in several requests; readers may see part of the new data while the task
    runs. Use M(signet.azure.storage_blob) to replace a whole blob in one step.
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_blob_download
  - module: signet.azure.storage_lease
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Patch 4 KiB of a disk image at 1 MiB with bytes from a local file
  signet.azure.storage_blob_pages:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: disks
    name: web01.vhd
    src: /tmp/bootsector.bin
    src_offset: 0
    length: 4096
    offset: 1048576

- name: Page ranges with module defaults
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      sas_token: "{{ storage_sas }}"
  block:
    - name: Write a whole local file at the start of the blob, keeping its MD5 true
      signet.azure.storage_blob_pages:
        container: disks
        name: data.img
        src: /srv/images/header.img
        offset: 0
        content_md5: update

    - name: Clear 1 MiB at 8 MiB (it reads as zeros afterwards)
      signet.azure.storage_blob_pages:
        container: disks
        name: data.img
        state: absent
        offset: 8388608
        length: 1048576
"""

RETURN = r"""
range:
  description: The blob range of the task.
  returned: success
  type: str
  sample: bytes=1048576-1052671
written:
  description: The C([offset, length]) runs of pages that were written (or, in check mode, would be).
  returned: success
  type: list
  elements: list
  sample: [[1048576, 512]]
bytes_written:
  description: The number of bytes written (or that would be).
  returned: success
  type: int
  sample: 512
content_md5_action:
  description: What was done with the stored C(Content-MD5) (V(update), V(clear), V(none)).
  returned: success
  type: str
  sample: update
blob:
  description: The blob's C(name), C(properties) and C(metadata) after the task (in check mode, before).
  returned: success
  type: dict
  sample: {name: web01.vhd, properties: {blob_type: page, content_length: 10485760, content_md5: q1w2e3r4t5y6u7i8o9p0Aa==}, metadata: {}}
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._module import AzureRestModule
from ..module_utils._plans.blob_pages import ensure_pages


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", required=True, aliases=["blob"]),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                src=dict(type="path"),
                src_offset=dict(type="int", default=0),
                offset=dict(type="int", required=True),
                length=dict(type="int"),
                content_md5=dict(type="str", default="auto", choices=["auto", "update", "clear"]),
                lease_id=dict(type="str", no_log=False),
            ),
            required_if=[["state", "present", ["src"]], ["state", "absent", ["length"]]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(ensure_pages)


if __name__ == "__main__":
    main()
