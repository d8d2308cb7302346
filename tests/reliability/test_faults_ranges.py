# SPDX-License-Identifier: GPL-3.0-or-later
"""Wrong answers to a ranged GET (issue 15, behaviour 6), injected by the fault proxy between storage_blob_download
and Azurite: a 200 with the whole blob (a server or proxy that ignores Range) and a 206 with another range's bytes and
its Content-Range. The blobs carry no Content-MD5, so nothing but the range check can notice: the download must fail,
leave ``dest`` as it was and no temp file, and not retry the wrong answer. Judged by the bytes on disk and the proxy's
request log, never by the module's own word.
"""

from __future__ import annotations

import os
import uuid

from tests.reliability import _support
from tests.reliability._playbook import run_cases

PIECE = 256 * 1024  # the client's STREAM_PIECE: a whole-body answer fills a range in one piece (the worst case)
SIZE = 3 * PIECE + 5


def _blob_without_md5(oracle, container: str, name: str, data: bytes) -> None:
    """Upload in blocks (Put Block List stores no Content-MD5 unless asked), and check that it has none."""
    from azure.storage.blob import BlobBlock

    client = oracle.get_blob_client(container, name)
    ids = []
    for i in range(0, len(data), PIECE):
        ids.append("%08d" % i)
        client.stage_block(ids[-1], data[i : i + PIECE])
    client.commit_block_list([BlobBlock(block_id=b) for b in ids])
    assert not client.get_blob_properties().content_settings.content_md5


def test_wrong_range_answers_are_never_stitched(azurite, fault_proxy, oracle, container, tmp_path):
    _support.require_module("storage_blob_download")
    old = b"the previous content of dest\n"
    cases = {}

    def case(cid, answer):
        name = "%s-%s.bin" % (cid, uuid.uuid4().hex[:6])
        data = os.urandom(SIZE)
        _blob_without_md5(oracle, container, name, data)
        if answer is not None:
            status, headers, body = answer(data)
            path = "/%s/%s$" % (container, name.replace(".", r"\."))
            fault_proxy.add("respond", method="GET", path=path, skip=1, status=status, headers=headers, body=body)
        d = tmp_path / cid
        d.mkdir()
        (d / "out.bin").write_bytes(old)
        args = {"container": container, "name": name, "dest": str(d / "out.bin"), "chunk_size": PIECE, "max_concurrency": 1}
        cases[cid] = {"name": name, "data": data, "dir": d, "args": args}

    case("whole200", lambda data: (200, {}, data))
    case("otherrange", lambda data: (206, {"Content-Range": "bytes 0-%d/%d" % (PIECE - 1, SIZE)}, data[:PIECE]))
    case("control", None)
    defaults = {
        "group/signet.azure.storage": {
            "account_name": azurite.account,
            "account_key": azurite.key,
            "endpoint": fault_proxy.endpoint(),
            "timeout": 5,
            "retries": 2,
        }
    }
    tasks = [{"id": cid, "module": "storage_blob_download", "args": c["args"]} for cid, c in cases.items()]
    results = run_cases("faults_download_ranges", tmp_path, tasks, defaults=defaults)

    control = cases["control"]
    assert results["control"]["status"] == "ok", results["control"]["result"].get("msg")
    assert (control["dir"] / "out.bin").read_bytes() == control["data"]
    for cid, words in (("whole200", "answered 200 with the whole blob"), ("otherrange", "answered Content-Range")):
        c, r = cases[cid], results[cid]
        assert r["status"] != "ok", "%s: a wrong range answer was accepted" % cid
        assert words in r["result"].get("msg", ""), r["result"].get("msg")
        assert sorted(p.name for p in c["dir"].iterdir()) == ["out.bin"], "%s: temp files left" % cid
        assert (c["dir"] / "out.bin").read_bytes() == old, "%s: dest was changed by a failed download" % cid
        gets = fault_proxy.entries(path=r"/%s/%s$" % (container, c["name"].replace(".", r"\.")), method="GET")
        assert [e["fault"] for e in gets] == [None, "respond"], "%s: the wrong answer was retried: %s" % (cid, gets)
