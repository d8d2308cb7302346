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
  - With O(dest), writes the listing to a local file (JSON Lines) page by page instead of returning it, so that a
    container of any size is listed in the memory of one page; the result then has the counts only.
  - With O(name), returns the properties and metadata of that blob (or one of its snapshots or versions), with its
    access tier, lease and copy state, and its index tags when O(include) has V(tags).
  - With O(tag_filter), finds blobs by their index tags in a container or in the whole account.
options:
  container:
    description:
      - Name of the container. Required, except with O(tag_filter), which searches the whole account without it.
    type: str
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
  tag_filter:
    description:
      - Find the blobs whose index tags match this expression (Find Blobs by Tags), in O(container) or, without it,
        in every container of the account. For example V("project" = 'apollo' AND "retention" >= '2030').
      - Each result has C(name), C(container) and the matching C(tags). Needs the SAS permission C(f) (account) or
        the Storage Blob Data Owner role. Mutually exclusive with O(name), O(prefix) and O(delimiter).
    type: str
    version_added: 1.1.0
  max_results:
    description: Return at most this many entries (one page) and RV(next_marker).
    type: int
  marker:
    description: Continue a listing from this RV(next_marker).
    type: str
  dest:
    description:
      - Write the listing to this local file instead of the result, as JSON Lines (one JSON object per line, UTF-8).
        Each blob is one line, the same object as an element of RV(blobs); with O(delimiter), each virtual folder is
        one line C({"prefix":"db/"}) (after the blobs of its page). Pages follow each other in the service's order.
      - Each page is written as it arrives, so the memory used is that of one page (O(page_size) entries) whatever
        the size of the container. RV(blobs) and RV(prefixes) are then empty; RV(count) and RV(prefix_count) say
        how many lines were written.
      - The file is replaced atomically (a temporary file beside it, renamed over it), keeping the owner, group
        and mode of the file it replaces; it is left untouched, and the task reports no change, when it already
        holds exactly this listing. A O(dest) that is a symbolic link is replaced, not written through.
      - The directory must exist. With O(max_results), only that page is written (and RV(next_marker) returned).
      - Mutually exclusive with O(name) and O(tag_filter).
    type: path
    version_added: 1.1.0
  page_size:
    description:
      - Entries asked for in each List Blobs request when following every page (V(1) to V(5000)); with O(dest),
        the most entries held in memory at once. Ignored with O(max_results), which asks for one page of that size.
    type: int
    default: 5000
    version_added: 1.1.0
  result_limit:
    description:
      - The most entries (blobs and virtual folders) the listing may return in RV(blobs) and RV(prefixes). A
        listing that goes past it stops reading at once and fails, with a message naming O(dest) and O(max_results).
      - Unset, there is no limit, but a listing of more than 50,000 entries returned in the result comes with a
        warning (Ansible keeps every result in memory). Not used with O(dest) or O(max_results).
    type: int
    version_added: 1.1.0
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.info_module
  - signet.azure.attributes.action_group_storage
attributes:
  check_mode:
    support: full
    details:
      - Nothing on Azure is ever modified. With O(dest), check mode lists the container and reports whether the file
        would change, without writing it.
  diff_mode:
    support: full
    details: With O(dest), the diff shows the file's path, size and MD5 before and after; otherwise there is no diff.
  idempotent:
    support: full
    details: With O(dest), a second run over an unchanged container leaves the file as it is and reports no change.
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

    - name: Find every blob of a project, in any container
      signet.azure.storage_blob_info:
        tag_filter: "\"project\" = 'apollo'"
      register: apollo

    - name: Read one blob with its index tags
      signet.azure.storage_blob_info:
        container: reports
        name: 2026/q4.pdf
        include: [tags]

    - name: List the soft-deleted blobs of a container (accounts with soft delete)
      signet.azure.storage_blob_info:
        container: backups
        include: [deleted]

    - name: Page through a big container 1000 at a time
      signet.azure.storage_blob_info:
        container: logs
        max_results: 1000
        marker: "{{ previous.next_marker | default(omit) }}"

    - name: Write the listing of a container with millions of blobs to a file, in constant memory
      signet.azure.storage_blob_info:
        container: logs
        include: [metadata]
        dest: /var/tmp/logs-listing.jsonl
      register: listed

    - name: Read it back one line at a time (here, the names of the blobs larger than 1 GiB)
      ansible.builtin.command:
        argv: [jq, -r, 'select(.properties.content_length > 1073741824) | .name', /var/tmp/logs-listing.jsonl]
      register: large
      changed_when: false

    - name: Fail rather than return more than 10,000 blobs in the result
      signet.azure.storage_blob_info:
        container: backups
        prefix: db/
        result_limit: 10000
"""

RETURN = r"""
blobs:
  description:
    - The blobs, each with C(name), C(properties) (C(content_length), C(content_md5) in base64 as Azure gives it,
      C(etag), C(last_modified), C(blob_type), C(content_type), ...) and C(metadata); snapshots have C(snapshot),
      versions C(version_id), soft-deleted blobs C(deleted); with O(include=tags), C(tags).
    - With O(tag_filter), each blob is C(name), C(container) and C(tags).
    - Empty with O(dest) (the blobs are in the file).
  returned: always
  type: list
  elements: dict
  sample:
    - name: db/2026-12-01.dump
      properties: {blob_type: block, content_length: 41943040, content_md5: n1LDvlZXH+Ap+f87+VY0Rg==, etag: '"0x8DC2B5E6F1A2B3C"'}
      metadata: {source: pgdump}
prefixes:
  description: Virtual folders (with O(delimiter)), for example C(db/). Empty with O(dest) (they are in the file).
  returned: always
  type: list
  elements: str
  sample: [db/, logs/]
count:
  description: The number of blobs listed (returned in RV(blobs), or written to O(dest)).
  returned: when the container is listed (not with O(name) or O(tag_filter))
  type: int
  sample: 120000
  version_added: 1.1.0
prefix_count:
  description: The number of virtual folders listed (returned in RV(prefixes), or written to O(dest)).
  returned: when the container is listed (not with O(name) or O(tag_filter))
  type: int
  sample: 0
  version_added: 1.1.0
dest:
  description: The file the listing was written to.
  returned: when O(dest) is given
  type: str
  sample: /var/tmp/logs-listing.jsonl
  version_added: 1.1.0
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
from ..module_utils._plans.blob_features import blob_info_features
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str"),
                name=dict(type="str", aliases=["blob"]),
                tag_filter=dict(type="str"),
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
                dest=dict(type="path"),
                page_size=dict(type="int", default=5000),
                result_limit=dict(type="int"),
            ),
            mutually_exclusive=[
                ["name", "prefix"],
                ["name", "delimiter"],
                ["name", "dest"],
                ["tag_filter", "dest"],
                ["snapshot", "version_id"],
                ["tag_filter", "name"],
                ["tag_filter", "prefix"],
                ["tag_filter", "delimiter"],
            ],
            required_one_of=[["container", "tag_filter"]],
            required_by={"snapshot": "name", "version_id": "name"},
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(blob_info_features)


if __name__ == "__main__":
    main()
