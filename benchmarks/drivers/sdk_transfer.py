# SPDX-License-Identifier: GPL-3.0-or-later
"""The other side of the transfer benchmarks: Microsoft's azure-storage-blob (test/bench-only dependency).

usage: sdk_transfer.py upload|download CONNSTR CONTAINER BLOB FILE CONCURRENCY BLOCK_SIZE [validate]
       (validate: validate_content=True, a Content-MD5 per request, the SDK's per-block MD5)
       sdk_transfer.py list CONNSTR CONTAINER [metadata]
       (prints the number of blobs; metadata: include=["metadata"])
"""

from __future__ import annotations

import sys

from azure.storage.blob import BlobServiceClient


def main(argv):
    op, conn, container = argv[1], argv[2], argv[3]
    if op == "list":
        svc = BlobServiceClient.from_connection_string(conn)
        include = ["metadata"] if len(argv) > 4 and argv[4] == "metadata" else None
        n = sum(1 for _ in svc.get_container_client(container).list_blobs(include=include))
        print(n)
        return 0
    blob, path, conc, block = argv[4], argv[5], int(argv[6]), int(argv[7])
    svc = BlobServiceClient.from_connection_string(
        conn, max_block_size=block, max_single_put_size=block, max_chunk_get_size=block, max_single_get_size=block
    )
    client = svc.get_blob_client(container, blob)
    if op == "upload":
        validate = len(argv) > 8 and argv[8] == "validate"
        with open(path, "rb") as fh:
            client.upload_blob(fh, overwrite=True, max_concurrency=conc, validate_content=validate)
    elif op == "download":
        with open(path, "wb") as fh:
            client.download_blob(max_concurrency=conc).readinto(fh)
    else:
        raise SystemExit("unknown op %s" % op)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
