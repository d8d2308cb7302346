#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_blob_sync
short_description: Sync a local directory with a container prefix, by content (MD5)
version_added: 1.0.0
description:
  - With O(direction=upload), makes the blobs under O(prefix) match the files under O(path); with
    O(direction=download), makes the files under O(path) match the blobs.
  - Content-aware. A file is copied only when the other side is missing, has another size, or another MD5 (the
    C(Content-MD5) of the blob). Local MD5s are computed only for files whose size matches.
  - O(delete_extraneous) removes what exists only on the target side. O(include) and O(exclude) globs filter both
    sides, so excluded files are never copied nor deleted.
  - In check mode the result lists what would be copied and deleted; with C(--diff) the target's file list
    before and after is shown.
  - Symbolic links never take a write or an upload outside the tree. With O(direction=upload), a link is followed
    only when it points inside O(path) (O(follow_symlinks=true) follows every link); links to elsewhere, dangling
    links, link loops, fifos, sockets and devices are left out, listed in RV(skipped), and their blobs are never
    deleted by O(delete_extraneous). A file replaced by a link or a special file after the directory was read fails
    the task before it is read.
  - With O(direction=download), no symbolic link below O(path) is followed (O(path) itself may be one; a link where
    a blob's file belongs is replaced by a regular file), and every blob name is checked before anything is
    written. A name is refused when it is absolute, has an empty, V(.) or V(..) segment (C(a//b), C(/a),
    C(a/../b)), a NUL, control character or backslash, cannot be encoded for the
    local file system, has a segment longer than the file system allows (C(NAME_MAX), usually 255 bytes) or makes a
    path longer than C(PATH_MAX) with a temp suffix; when it collides with another name (C(d) and C(d/x), a file and
    a directory; on a case-insensitive file system, names equal after Unicode canonical caseless matching);
    or when the local tree is in the way (a directory on the way is a symbolic link or a file, the target is a
    directory, a special file, or exists under another spelling). Then the task fails listing every refused name
    (also in C(rejected)) and nothing is written. Blob names ending in C(/) (folder markers) are ignored.
  - Replaced local files keep their owner, group and mode (see M(signet.azure.storage_blob_download)).
options:
  container:
    description: Name of the container (it must exist).
    type: str
    required: true
  path:
    description: The local directory. For O(direction=download) it is created when missing.
    type: path
    required: true
  prefix:
    description:
      - Virtual folder in the container, for example V(site/static). The file C(a/b.txt) maps to the blob
        C(<prefix>/a/b.txt). Empty means the container root.
    type: str
    default: ""
  direction:
    description: V(upload) copies local files to blobs; V(download) copies blobs to local files.
    type: str
    default: upload
    choices: [upload, download]
  delete_extraneous:
    description: Delete target blobs (with their snapshots) or files that have no source counterpart.
    type: bool
    default: false
  include:
    description:
      - Only paths matching one of these globs (relative path with C(/), or base name), for example V(*.html).
    type: list
    elements: str
  exclude:
    description: Skip paths matching any of these globs, for example V(*.tmp) or V(.git/*).
    type: list
    elements: str
  follow_symlinks:
    description:
      - With O(direction=upload), also follow symbolic links that point outside O(path) (files and directories; link
        loops are still skipped). By default they are skipped and listed in RV(skipped).
      - Ignored for O(direction=download), where links below O(path) are never written through.
    type: bool
    default: false
    version_added: 1.1.0
  block_size:
    description: Block size in bytes for large uploads (see M(signet.azure.storage_blob)).
    type: int
    default: 4194304
  max_concurrency:
    description:
      - Parallel requests. Files up to 8 MiB are copied O(max_concurrency) at a time (each worker thread with its own
        connection); larger files are copied one after another, each with O(max_concurrency) parallel requests.
      - An uploaded small file is verified by the C(Content-MD5) the service returns for what it received (no extra
        read-back request); a file uploaded in blocks is read back once after its commit.
    type: int
    default: 4
  transactional_md5:
    description:
      - Send a C(Content-MD5) with every staged block of a large file (see
        O(signet.azure.storage_blob#module:transactional_md5)). The whole-file MD5 is always stored and verified.
    type: bool
    default: false
    version_added: 1.1.0
  content_settings:
    description:
      - Content settings of uploaded blobs, by pattern. Each rule has a C(pattern) (a glob or a list of globs,
        matched against the relative path and the base name like O(include)) and any of C(content_type),
        C(content_encoding), C(content_language), C(content_disposition), C(cache_control). Every matching rule
        applies, in order; a later one overrides a setting of an earlier one.
      - A blob whose content is unchanged but whose ruled settings differ is updated in place (Set Blob Properties,
        listed in RV(updated)). Settings that no rule gives are kept on re-upload; a new blob without a ruled
        C(content_type) gets one guessed from its name.
      - With O(direction=download) it is ignored.
    type: list
    elements: dict
    version_added: 1.1.0
  tags:
    description:
      - Blob index tags of every uploaded blob (in the upload request, C(x-ms-tags)). Blobs that are not uploaded keep
        theirs (use M(signet.azure.storage_blob) to change them).
    type: dict
    version_added: 1.1.0
  access_tier:
    description: Access tier of every uploaded blob (in the upload request, C(x-ms-access-tier)).
    type: str
    choices: [Hot, Cool, Cold, Archive]
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
    details: Lists what would be copied and deleted; nothing is written.
  diff_mode:
    support: full
    details: The target's list of relative paths before and after.
  idempotent:
    support: full
notes:
  - Blobs uploaded by other tools without C(Content-MD5) are copied again once; after that they carry an MD5.
  - A re-uploaded blob keeps its metadata and the content settings no O(content_settings) rule gives; a new blob
    gets a content type guessed from the file name (unless a rule gives one) and no metadata.
  - With O(direction=download), O(mode), O(owner), O(group), the SELinux options and O(attributes) are applied to
    every file of the target (downloaded or already up to date), as M(ansible.builtin.copy) applies them. With
    O(mode) set, new files are created without group or other access until it is applied.
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_blob_download
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Publish a static site, removing stale files
  signet.azure.storage_blob_sync:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: $web
    path: /srv/site/public
    delete_extraneous: true
    exclude: ["*.map", ".DS_Store"]

- name: A static website with the headers browsers and CDNs need
  signet.azure.storage_blob_sync:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    container: $web
    path: /srv/site/public
    content_settings:
      - pattern: "*"
        cache_control: public, max-age=300
      - pattern: ["*.html", "*.htm"]
        content_type: text/html; charset=utf-8
        cache_control: no-cache
      - pattern: "*.js.gz"
        content_type: application/javascript
        content_encoding: gzip
    tags: {site: public}

- name: With module defaults
  module_defaults:
    group/signet.azure.storage:
      connection_string: "{{ storage_connection_string }}"
  block:
    - name: Restore a config folder from the container, readable by the app only
      signet.azure.storage_blob_sync:
        container: config
        prefix: hosts/web01
        path: /etc/myapp/conf.d
        direction: download
        owner: myapp
        mode: "0600"

    - name: Restore a config folder from the container
      signet.azure.storage_blob_sync:
        container: config
        prefix: hosts/web01
        path: /etc/myapp
        direction: download
        include: ["*.ini"]

    - name: Publish a tree whose links point to shared assets outside it
      signet.azure.storage_blob_sync:
        container: site
        path: /srv/site/public
        follow_symlinks: true
"""

RETURN = r"""
uploaded:
  description: Relative paths uploaded (or that would be).
  returned: when O(direction=upload)
  type: list
  elements: str
  sample: [index.html, css/site.css]
downloaded:
  description: Relative paths downloaded (or that would be).
  returned: when O(direction=download)
  type: list
  elements: str
  sample: [app.ini]
deleted:
  description: Relative paths deleted on the target side (or that would be).
  returned: always
  type: list
  elements: str
  sample: [old.html]
updated:
  description: Relative paths whose blob kept its content but got the content settings of O(content_settings).
  returned: with O(direction=upload)
  type: list
  elements: str
  sample: [index.html]
unchanged:
  description: Relative paths equal on both sides.
  returned: always
  type: list
  elements: str
  sample: [favicon.ico]
skipped:
  description:
    - Local entries left out, with the reason; nothing is copied or deleted for them.
    - Links not followed (see O(follow_symlinks)), dangling links, link loops, fifos, sockets, devices and unreadable
      entries. Entries matched by O(exclude) are not listed.
  returned: always
  type: list
  elements: dict
  sample: [{path: secrets.txt, reason: "symbolic link to /etc/app/secrets.txt, outside path (follow_symlinks=true follows it)"}]
  contains:
    path:
      description: Relative path of the entry.
      type: str
      returned: always
    reason:
      description: Why it was left out.
      type: str
      returned: always
"""

import os

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._plans.blob_sync import sync_directory
from ..module_utils._module import AzureRestModule


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                path=dict(type="path", required=True),
                prefix=dict(type="str", default=""),
                direction=dict(type="str", default="upload", choices=["upload", "download"]),
                delete_extraneous=dict(type="bool", default=False),
                follow_symlinks=dict(type="bool", default=False),
                include=dict(type="list", elements="str"),
                exclude=dict(type="list", elements="str"),
                block_size=dict(type="int", default=4194304),
                max_concurrency=dict(type="int", default=4),
                transactional_md5=dict(type="bool", default=False),
                content_settings=dict(type="list", elements="dict"),
                tags=dict(type="dict"),
                access_tier=dict(type="str", choices=["Hot", "Cool", "Cold", "Archive"]),
            )
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True, add_file_common_args=True)

    def run(client, params, check_mode):
        with module.private_new_files():
            result = sync_directory(client, params, check_mode)
        if params["direction"] == "download":
            files = [os.path.join(params["path"], *rel.split("/")) for rel in result["downloaded"] + result["unchanged"]]
            result["changed"] = module.set_file_attributes(files, result["changed"])
        return result

    module.run_blob(run)


if __name__ == "__main__":
    main()
