#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_download
short_description: Download a blob (or a snapshot or version of it) to a local file, atomically and verified
version_added: 1.0.0
description:
  - Downloads a blob with ranged GETs of O(chunk_size) on O(max_concurrency) threads, written at their offsets
    into a temporary file in the destination directory. The length and, when the blob has one, the
    C(Content-MD5) are checked; then the file is flushed to disk and renamed over O(dest). A failed or interrupted
    download never leaves a partial O(dest).
  - Every range is read with C(If-Match) on the blob's ETag, so a blob that changes during the download fails
    instead of giving a mix of two versions.
  - Skipped (C(changed=false)) when O(dest) already has the blob's MD5. A blob without C(Content-MD5) is downloaded
    and compared; O(dest) is only replaced when it differs.
  - A replaced O(dest) keeps its owner, group and mode, as M(ansible.builtin.copy) keeps them (only root can keep
    another user's ownership; otherwise a warning says what changed). A new file gets mode 0666 minus the umask.
  - O(mode), O(owner), O(group), the SELinux options and O(attributes) are then applied as M(ansible.builtin.copy)
    applies them, also to a O(dest) that was already up to date (a change of them alone reports C(changed)).
  - Every range read must come back as the range asked for (status 206 and the matching C(Content-Range)); a server
    or proxy that ignores C(Range) (200 with the whole blob) or answers another range fails the task, O(dest) unchanged.
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
  dest:
    description:
      - Local file to write. If it is an existing directory, the file gets the last segment of the blob name; a last
        segment that cannot be a file name there (V(..), a backslash, longer than the file system allows) fails
        before anything is read or written.
      - The directory must exist. Unless O(follow=true), it must not be a symbolic link.
    type: path
    required: true
  follow:
    description:
      - Follow symbolic links in O(dest), as O(ansible.builtin.copy#module:follow) does.
      - V(false) refuses to write through a O(dest) directory that is a symbolic link, and replaces a O(dest) file
        that is a symbolic link with a regular file (the file it pointed to is left alone). Links higher up in the
        path (for example C(/var) on some systems) are not checked.
      - V(true) writes into the directory a link points to, and replaces the file a O(dest) link points to.
    type: bool
    default: false
    version_added: 1.1.0
  snapshot:
    description: Download this snapshot of the blob (its timestamp, as returned by M(signet.azure.storage_blob_snapshot)).
    type: str
  version_id:
    description: Download this version of the blob (accounts with versioning; Azurite has none).
    type: str
  overwrite:
    description:
      - V(different) downloads when O(dest) is missing or differs; V(always) downloads every time; V(never) leaves an
        existing O(dest) alone.
    type: str
    default: different
    choices: [different, always, never]
  chunk_size:
    description: Size of each ranged GET in bytes.
    type: int
    default: 4194304
  max_concurrency:
    description: Number of parallel ranged GETs.
    type: int
    default: 4
  verify:
    description:
      - How the downloaded data is checked against the blob's stored C(Content-MD5). The length is always checked.
      - V(md5) requires a stored MD5 that matches the data; a blob without one, or with another one, fails and
        O(dest) is left unchanged.
      - V(auto) compares when the blob has an MD5. A block blob whose data does not match fails, O(dest) unchanged,
        with the possible causes. A page or append blob is downloaded anyway with a warning (and RV(md5_stale)), because
        the service does not update the stored MD5 when pages are written or blocks appended after it was set; such
        an MD5 is stale, not a sign of corruption.
      - V(none) compares nothing (every range is still read under the blob's ETag, so a changing blob fails).
    type: str
    default: auto
    choices: [auto, md5, none]
    version_added: 1.1.0
extends_documentation_fragment:
  - ansible.builtin.files
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_storage
attributes:
  check_mode:
    support: full
    details: The local MD5 is compared with the blob's C(Content-MD5); nothing is written.
  diff_mode:
    support: full
    details: The diff shows the local path, size and MD5 before and after.
  idempotent:
    support: full
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_blob_sync
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Download a backup
  signet.azure.storage_blob_download:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: backups
    name: db/2026-12-01.dump
    dest: /restore/db.dump

- name: Download into a directory that is a symbolic link to a data disk
  signet.azure.storage_blob_download:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: backups
    name: db/2026-12-01.dump
    dest: /srv/restore/
    follow: true

- name: Download a snapshot into a directory, 8 parallel 8 MiB ranges
  signet.azure.storage_blob_download:
    connection_string: "{{ storage_connection_string }}"
    container: disks
    name: web01.vhd
    snapshot: "2026-12-02T03:29:49.2820000Z"
    dest: /restore/
    chunk_size: 8388608
    max_concurrency: 8

- name: Download a private key file, readable by its service only
  signet.azure.storage_blob_download:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: secrets
    name: tls/web.key
    dest: /etc/ssl/private/web.key
    owner: root
    group: ssl-cert
    mode: "0640"

- name: With module defaults
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      sas_token: "{{ storage_sas }}"
  block:
    - name: Fetch a config file only if it is not there yet
      signet.azure.storage_blob_download:
        container: config
        name: app.ini
        dest: /etc/app.ini
        overwrite: never
"""

RETURN = r"""
dest:
  description: The local file written (or that would be written).
  returned: always
  type: str
  sample: /restore/db.dump
size:
  description: Size of the blob in bytes.
  returned: always
  type: int
  sample: 41943040
md5:
  description: Base64 MD5 of the data (computed over the downloaded file, or the blob's C(Content-MD5)).
  returned: always
  type: str
  sample: n1LDvlZXH+Ap+f87+VY0Rg==
md5_stale:
  description: True when O(verify=auto) accepted a page or append blob whose stored C(Content-MD5) is stale.
  returned: when the stored MD5 was found stale
  type: bool
  sample: true
blob:
  description: The blob's C(name), C(properties) and C(metadata).
  returned: always
  type: dict
  sample: {name: db/2026-12-01.dump, properties: {content_length: 41943040, content_md5: n1LDvlZXH+Ap+f87+VY0Rg==}, metadata: {}}
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob_features import ensure_download_features
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", required=True, aliases=["blob"]),
                dest=dict(type="path", required=True),
                snapshot=dict(type="str"),
                version_id=dict(type="str"),
                overwrite=dict(type="str", default="different", choices=["different", "always", "never"]),
                follow=dict(type="bool", default=False),
                chunk_size=dict(type="int", default=4194304),
                max_concurrency=dict(type="int", default=4),
                verify=dict(type="str", default="auto", choices=["auto", "md5", "none"]),
            ),
            mutually_exclusive=[["snapshot", "version_id"]],
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True, add_file_common_args=True)

    def run(client, params, check_mode):
        with module.private_new_files():
            result = ensure_download_features(client, params, check_mode)
        result["changed"] = module.set_file_attributes([result["dest"]], result["changed"])
        return result

    module.run_blob(run)


if __name__ == "__main__":
    main()
