# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only oracle for the storage_* integration targets: reads Azurite with Microsoft's azure-storage-blob SDK
(never with the collection's own code) and prints one JSON document.

Usage: ORACLE_BLOB_ENDPOINT=http://127.0.0.1:<port>/devstoreaccount1 python oracle.py <command> <container> [<blob>] [<arg>]
The account key is Azurite's well-known key, imported here so that it never appears on a command line or in the
environment of a logged task.
Commands: md5 (download, md5 base64 + size + sha256), blocks (committed block list), pages (page ranges),
props (properties and metadata), snapshots (list snapshot timestamps), names (blob names), put (upload <arg> text),
tags (index tags), putpage (512 bytes of the first character of <arg> at offset 0), findtags (<arg> expression).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from azure.storage.blob import BlobServiceClient

sys.path.insert(0, str(Path(__file__).resolve().parents[5]))
from tests.helpers.servers import DEV_ACCOUNT, DEV_KEY  # noqa: E402


def service() -> BlobServiceClient:
    """A BlobServiceClient for the Azurite endpoint in ORACLE_BLOB_ENDPOINT."""
    endpoint = os.environ["ORACLE_BLOB_ENDPOINT"]
    return BlobServiceClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;" % (DEV_ACCOUNT, DEV_KEY, endpoint)
    )


def main() -> None:
    cmd, container = sys.argv[1], sys.argv[2]
    blob = sys.argv[3] if len(sys.argv) > 3 else None
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    svc = service()
    cc = svc.get_container_client(container)
    out: dict = {}
    if cmd == "md5":
        md5, sha, size = hashlib.md5(), hashlib.sha256(), 0
        for chunk in cc.download_blob(blob, snapshot=arg).chunks():
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)
        out = {"md5": base64.b64encode(md5.digest()).decode(), "sha256": sha.hexdigest(), "size": size}
    elif cmd == "blocks":
        committed = cc.get_blob_client(blob).get_block_list("committed")[0]
        out = {"count": len(committed), "id_lengths": sorted({len(b.id) for b in committed})}
    elif cmd == "pages":
        ranges = cc.get_blob_client(blob).get_page_ranges()[0]
        out = {"ranges": [[r["start"], r["end"]] for r in ranges]}
    elif cmd == "props":
        p = cc.get_blob_client(blob).get_blob_properties()
        cs = p.content_settings
        out = {
            "size": p.size,
            "blob_type": str(p.blob_type).rsplit(".", maxsplit=1)[-1],
            "content_md5": base64.b64encode(cs.content_md5).decode() if cs.content_md5 else None,
            "content_type": cs.content_type,
            "cache_control": cs.cache_control,
            "metadata": dict(p.metadata),
            "tier": str(p.blob_tier) if p.blob_tier else None,
            "lease_state": p.lease.state,
            "copy_status": p.copy.status,
            "copy_source": re.sub(r"sig=[^&]+", "sig=REDACTED", p.copy.source) if p.copy.source else None,
        }
    elif cmd == "tags":
        out = {"tags": cc.get_blob_client(blob).get_blob_tags()}
    elif cmd == "putpage":  # someone else's page write (the stored Content-MD5 goes stale): 512 bytes of arg at 0
        cc.get_blob_client(blob).upload_page(arg.encode()[:1].ljust(1, b"Z") * 512, offset=0, length=512)
        out = {"ok": True}
    elif cmd == "findtags":  # Find Blobs by Tags in the account: arg is the expression
        out = {"names": sorted("%s/%s" % (b.container_name, b.name) for b in svc.find_blobs_by_tags(arg))}
    elif cmd == "snapshots":
        out = {
            "snapshots": sorted(
                b.snapshot for b in cc.list_blobs(name_starts_with=blob, include=["snapshots"]) if b.snapshot and b.name == blob
            )
        }
    elif cmd == "names":
        out = {"names": sorted(b.name for b in cc.list_blobs(name_starts_with=blob or None))}
    elif cmd == "put":
        cc.upload_blob(blob, arg.encode(), overwrite=True)
        out = {"ok": True}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
