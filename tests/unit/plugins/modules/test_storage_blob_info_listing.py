# SPDX-License-Identifier: GPL-3.0-or-later
"""storage_blob_info at scale (issue 19): the listing streamed to a JSON Lines file page by page (``dest``,
``page_size``), ``result_limit``, check mode and bad input, in-process against Azurite with azure-storage-blob as
the oracle; and the compact remote listing of storage_blob_sync."""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest

from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient
from ansible_collections.signet.azure.plugins.module_utils._plans import blob_listing, blob_sync
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import resolve
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport
from ansible_collections.signet.azure.plugins.modules import storage_blob_info, storage_blob_sync


NAMES = ["a/%02d.txt" % i for i in range(8)] + ["b/x.bin", "top.txt", "dir one/ü+%20~(a).txt", "z"]


@pytest.fixture
def seeded(azurite):
    """A container of the 12 ``NAMES`` (each a different length, with metadata), and the module's options for it."""
    from azure.storage.blob import BlobServiceClient

    oracle = BlobServiceClient.from_connection_string(azurite.connection_string)
    name = "bil-" + uuid.uuid4().hex[:10]
    cc = oracle.create_container(name)
    for i, blob in enumerate(NAMES):
        cc.upload_blob(blob, b"x" * i, metadata={"i": str(i), "kind": "seed"})
    conn = dict(account_name=azurite.account, account_key=azurite.key, endpoint=azurite.blob_endpoint, retries=0)
    yield dict(conn, container=name), cc
    oracle.delete_container(name)


def _lines(path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dest_streams_every_page_to_json_lines_and_is_idempotent(run, seeded, tmp_path):
    args, cc = seeded
    dest = tmp_path / "listing.jsonl"
    opts = dict(args, include=["metadata"], page_size=5)  # 12 blobs: three List Blobs pages
    kind, listed = run(storage_blob_info, opts)
    assert kind == "exit" and listed["count"] == 12 and len(listed["blobs"]) == 12

    kind, result = run(storage_blob_info, dict(opts, dest=str(dest), _ansible_check_mode=True))
    assert kind == "exit" and result["changed"] is True and result["count"] == 12 and not dest.exists()

    kind, result = run(storage_blob_info, dict(opts, dest=str(dest)))
    assert kind == "exit" and result["changed"] is True
    assert (result["count"], result["prefix_count"], result["blobs"], result["prefixes"]) == (12, 0, [], [])
    assert result["next_marker"] is None and result["dest"] == str(dest)
    lines = _lines(dest)
    assert lines == listed["blobs"]  # the same objects as returned in the result, in the same order
    oracle = {b.name: b for b in cc.list_blobs(include=["metadata"])}
    assert [line["name"] for line in lines] == sorted(oracle) == sorted(NAMES)
    for line in lines:
        want = oracle[line["name"]]
        assert line["properties"]["content_length"] == want.size
        assert line["properties"]["content_md5"] == base64.b64encode(want.content_settings.content_md5).decode()
        assert line["properties"]["etag"].strip('"') == want.etag.strip('"')
        assert line["metadata"] == want.metadata
    digest = result["diff"]["after"]["md5"]

    before = os.stat(dest)
    kind, again = run(storage_blob_info, dict(opts, dest=str(dest)))
    assert kind == "exit" and again["changed"] is False and again["diff"]["before"]["md5"] == digest
    assert os.stat(dest).st_ino == before.st_ino  # left untouched, not rewritten
    assert run(storage_blob_info, dict(opts, dest=str(dest), _ansible_check_mode=True))[1]["changed"] is False

    cc.upload_blob("a/99.txt", b"new")
    kind, result = run(storage_blob_info, dict(opts, dest=str(dest), _ansible_check_mode=True))
    assert result["changed"] is True and result["count"] == 13 and len(_lines(dest)) == 12  # check mode: unchanged
    kind, result = run(storage_blob_info, dict(opts, dest=str(dest)))
    assert result["changed"] is True and len(_lines(dest)) == 13
    assert [p.name for p in tmp_path.iterdir()] == ["listing.jsonl"]  # no temporary file left


def test_dest_with_folders_and_with_one_page(run, seeded, tmp_path):
    args, _cc = seeded
    dest = tmp_path / "top.jsonl"
    kind, result = run(storage_blob_info, dict(args, delimiter="/", dest=str(dest), page_size=2))
    assert kind == "exit" and (result["count"], result["prefix_count"]) == (2, 3)
    lines = _lines(dest)
    assert sorted(line["name"] for line in lines if "name" in line) == ["top.txt", "z"]
    assert sorted(line["prefix"] for line in lines if "prefix" in line) == ["a/", "b/", "dir one/"]

    first = tmp_path / "first.jsonl"
    kind, result = run(storage_blob_info, dict(args, dest=str(first), max_results=5))
    assert result["count"] == 5 and result["next_marker"]
    rest = tmp_path / "rest.jsonl"
    kind, result = run(storage_blob_info, dict(args, dest=str(rest), marker=result["next_marker"], page_size=3))
    assert result["count"] == 7 and result["next_marker"] is None
    assert [line["name"] for line in _lines(first) + _lines(rest)] == sorted(NAMES)


def test_result_limit_and_large_result_warning(run, seeded, azurite, monkeypatch):
    args, _cc = seeded
    kind, result = run(storage_blob_info, dict(args, result_limit=10, page_size=5))
    assert kind == "fail" and result["msg"].startswith("result_limit: ") and result["result_limit"] == 10
    assert "dest" in result["msg"] and "max_results" in result["msg"]
    kind, result = run(storage_blob_info, dict(args, result_limit=12, page_size=5))
    assert kind == "exit" and result["count"] == 12
    kind, result = run(storage_blob_info, dict(args, result_limit=1, max_results=4))  # one page: not limited
    assert kind == "exit" and result["count"] == 4

    monkeypatch.setattr(blob_listing, "LARGE_RESULT", 11)
    settings = resolve({"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings, Transport(storage_scheme(settings), retries=0))
    out = blob_listing.blob_info(client, dict(container=args["container"]), False)
    assert out["count"] == 12 and "dest" in out["warnings"][0] and "max_results" in out["warnings"][0]
    assert "warnings" not in blob_listing.blob_info(client, dict(container=args["container"], prefix="a/"), False)


def test_bad_input_names_the_option(run, seeded, tmp_path):
    args, _cc = seeded
    cases = [
        (dict(dest=str(tmp_path)), "dest: %s is a directory" % tmp_path),
        (dict(dest=str(tmp_path / "missing" / "l.jsonl")), "dest: the directory %s does not exist" % (tmp_path / "missing")),
        (dict(page_size=0), "page_size: 0 is out of range"),
        (dict(page_size=5001), "page_size: 5001 is out of range"),
        (dict(result_limit=0), "result_limit: "),
        (dict(dest=str(tmp_path / "l.jsonl"), name="z"), "mutually exclusive"),
    ]
    for extra, message in cases:
        for check in (False, True):
            kind, result = run(storage_blob_info, dict(args, _ansible_check_mode=check, **extra))
            assert kind == "fail" and message in result["msg"], (extra, result["msg"])
    assert list(tmp_path.iterdir()) == []


def test_sync_keeps_a_compact_entry_per_blob_and_still_syncs(run, seeded, azurite, tmp_path):
    args, cc = seeded
    for blob in ("a/00.txt", "a/01.txt"):
        cc.get_blob_client(blob).set_http_headers(content_settings=_settings(cc, blob, cache_control="max-age=60"))
    settings = resolve({"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint})
    client = BlobClient(settings, Transport(storage_scheme(settings), retries=0))
    remote = blob_sync._walk_remote(client, args["container"], "a", None, None, with_metadata=True)
    assert sorted(remote) == ["%02d.txt" % i for i in range(8)]
    first, second, third = remote["00.txt"], remote["01.txt"], remote["02.txt"]
    assert set(first) == {"size", "md5", "etag", "props", "metadata"}
    assert first["props"] == {"content_type": "application/octet-stream", "cache_control": "max-age=60"}
    assert first["props"] is second["props"] and first["props"] is not third["props"]  # equal settings: one dict
    assert third["metadata"] == {"i": "2", "kind": "seed"}
    assert set(blob_sync._walk_remote(client, args["container"], "a", None, None)["03.txt"]) == {"size", "md5", "etag"}

    local = tmp_path / "a"
    local.mkdir()
    for i in range(8):
        (local / ("%02d.txt" % i)).write_bytes(b"x" * i)
    (local / "01.txt").write_bytes(b"changed")
    sync = dict(args, path=str(local), prefix="a")
    kind, result = run(storage_blob_sync, sync)
    assert kind == "exit" and result["uploaded"] == ["01.txt"] and len(result["unchanged"]) == 7
    props = cc.get_blob_client("a/01.txt").get_blob_properties()
    assert props.metadata == {"i": "1", "kind": "seed"} and props.content_settings.cache_control == "max-age=60"
    assert cc.download_blob("a/01.txt").readall() == b"changed"
    assert run(storage_blob_sync, sync)[1]["changed"] is False


def _settings(cc, blob, **changes):
    current = cc.get_blob_client(blob).get_blob_properties().content_settings
    for key, value in changes.items():
        setattr(current, key, value)
    return current
