# SPDX-License-Identifier: GPL-3.0-or-later
"""The SDK side of the many-small-files benchmark: upload every file under DIR to CONTAINER with azure-storage-blob,
THREADS files at a time (a thread pool, one BlobClient per file, as a script using the SDK would do).

usage: sdk_sync.py CONNSTR CONTAINER DIR THREADS
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from azure.storage.blob import BlobServiceClient


def main(argv):
    conn, container, root, threads = argv[1], argv[2], argv[3], int(argv[4])
    cc = BlobServiceClient.from_connection_string(conn).get_container_client(container)
    files = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            files.append((os.path.relpath(path, root).replace(os.sep, "/"), path))

    def upload(item):
        name, path = item
        with open(path, "rb") as fh:
            cc.upload_blob(name, fh, overwrite=True)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(upload, files):
            pass
    print(len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
