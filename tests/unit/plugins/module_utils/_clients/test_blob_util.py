# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure Blob helpers: names, URL encoding, metadata, block IDs, page ranges, listing parse, upload and sync plans."""

from __future__ import annotations

import base64
import threading
import time

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients import blob_wire as bu
from ansible_collections.signet.azure.plugins.module_utils._plans import blob as bp
from ansible_collections.signet.azure.plugins.module_utils._plans import blob_sync as bs
from ansible_collections.signet.azure.plugins.module_utils._clients.blob import BlobClient, Payload
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError

# -- names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abc", "a-b-c", "a" * 63, "0ab", "$root", "$web", "$logs"])
def test_container_names_ok(name):
    assert bu.validate_container_name(name) == name


@pytest.mark.parametrize("name", ["ab", "a" * 64, "My_Container", "a--b", "-ab", "ab-", "ABC", "a.b", "", "$other"])
def test_container_names_bad(name):
    with pytest.raises(ConfigError, match=r"^container: .*lowercase.*'--'"):
        bu.validate_container_name(name)


def test_container_name_error_names_option():
    with pytest.raises(ConfigError, match=r"^name: "):
        bu.validate_container_name("a--b", "name")


@pytest.mark.parametrize("name", ["a", "x" * 1024, "dir one/ü+%~(a),b=c.txt", "日本/😀", "a/" * 253 + "a"])
def test_blob_names_ok(name):
    assert bu.validate_blob_name(name) == name


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("", "empty"),
        ("x" * 1025, "1025 characters"),
        ("a\x01b", "U\\+0001"),
        ("a\ue000", "U\\+E000"),
        ("a\x7f", "U\\+007F"),
        ("a/" * 254 + "a", "segments"),
    ],
)
def test_blob_names_bad(name, match):
    with pytest.raises(ConfigError, match="^name: .*" + match):
        bu.validate_blob_name(name)


def test_blob_path_one_encoder():
    assert bu.blob_path("c", "dir one/ü+%~(a),b=c.txt") == "/c/dir%20one/%C3%BC%2B%25~%28a%29%2Cb%3Dc.txt"
    assert bu.blob_path("c", "a%20b") == "/c/a%2520b"
    assert bu.blob_path("c", "q?#x") == "/c/q%3F%23x"
    assert bu.container_path("$root") == "/%24root"


def test_query_values_encoded():
    q = bu.query_string({"comp": "block", "blockid": "ab+/=", "skip": None})
    assert q == "comp=block&blockid=ab%2B%2F%3D"
    assert bu.query_string([("prefix", "a b/ü")]) == "prefix=a%20b%2F%C3%BC"


# -- metadata ------------------------------------------------------------------------------------------------------


def test_metadata_normalized():
    assert bp.normalize_metadata({"a": "  v  ", "_B2": 3, "flag": True}) == {"a": "v", "_B2": "3", "flag": "true"}
    assert bp.normalize_metadata(None) is None


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        ({"my-key": "v"}, "C# identifiers"),
        ({"1abc": "v"}, "C# identifiers"),
        ({"Foo": "1", "foo": "2"}, "differ only by case"),
        ({"k": " "}, "empty"),
        ({"k": "café"}, "not ASCII"),
        ({"k": "a\nb"}, "line break"),
    ],
)
def test_metadata_bad(meta, match):
    with pytest.raises(ConfigError, match="^metadata: .*" + match):
        bp.normalize_metadata(meta)


def test_metadata_modes_and_compare():
    assert bp.desired_metadata({"a": "1", "B": "2"}, {"b": "3"}, "merge") == {"a": "1", "b": "3"}
    assert bp.desired_metadata({"a": "1"}, {"b": "3"}, "exact") == {"b": "3"}
    assert bp.desired_metadata({"a": "1"}, None, "exact") is None
    assert bp.metadata_equal({"Owner": "x"}, {"owner": "x"})
    assert not bp.metadata_equal({"owner": "x"}, {"owner": "X"})
    assert bu.metadata_from_headers({"x-ms-meta-Owner": "x", "Content-Type": "t"}) == {"Owner": "x"}


# -- block IDs, sizes, ranges --------------------------------------------------------------------------------------


def test_block_ids_equal_length_and_unique():
    ids = [bu.block_id("0123456789ab", i) for i in (0, 9, 10, 99999, 10**8 - 1)]
    assert len({len(i) for i in ids}) == 1
    assert len(set(ids)) == len(ids)
    assert base64.b64decode(ids[1]) == b"0123456789ab-00000009"
    with pytest.raises(ValueError):
        bu.block_id("x", 10**8)


def test_pick_block_size():
    assert bu.pick_block_size(10, 4 * bu.MIB) == 4 * bu.MIB
    big = 50000 * 4 * bu.MIB + 1
    size = bu.pick_block_size(big, 4 * bu.MIB)
    assert size % bu.MIB == 0 and size * 50000 >= big
    with pytest.raises(ConfigError, match="^block_size"):
        bu.pick_block_size(10, 0)
    with pytest.raises(ConfigError, match="^block_size"):
        bu.pick_block_size(10, 4000 * bu.MIB + 1)


def test_chunk_ranges():
    assert bu.chunk_ranges(10, 4) == [(0, 4), (4, 4), (8, 2)]
    assert bu.chunk_ranges(0, 4) == []


def test_nonzero_page_ranges_skips_zero_pages():
    z, d = bytes(512), b"\x01" * 512
    assert bu.nonzero_page_ranges(z * 8) == []
    assert bu.nonzero_page_ranges(d + z + d + d + z, offset=1024) == [(1024, 512), (2048, 1024)]
    assert bu.nonzero_page_ranges(z * 3 + d) == [(1536, 512)]
    # a long run is split at max_range
    assert bu.nonzero_page_ranges(d * 5, max_range=1024) == [(0, 1024), (1024, 1024), (2048, 512)]
    with pytest.raises(ValueError):
        bu.nonzero_page_ranges(b"x" * 100)


def test_round_up_page():
    assert [bu.round_up_page(n) for n in (0, 1, 512, 513)] == [0, 512, 512, 1024]


def test_payload_pads_and_digests(tmp_path):
    p = Payload(content=b"x" * 100, pad_to_page=True)
    assert p.size == 512
    assert b"".join(d for _o, d in p.chunks(200)) == b"x" * 100 + bytes(412)
    f = tmp_path / "f"
    f.write_bytes(b"hello world")
    d = Payload(path=str(f)).digest(prefix_len=5)
    assert d["size"] == 11 and d["prefix_md5"] == bu_md5(b"hello") and d["md5"] == bu_md5(b"hello world")
    with pytest.raises(ConfigError, match="^src: "):
        Payload(path=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="^src: .*not a regular file"):
        Payload(path=str(tmp_path))


def bu_md5(data: bytes) -> str:
    import hashlib

    return base64.b64encode(hashlib.md5(data).digest()).decode()


# -- parallel runner: bounded read-ahead ---------------------------------------------------------------------------


def test_bounded_runner_never_reads_more_than_workers_plus_one_ahead():
    produced = []
    done = []
    alive_max = [0]
    lock = threading.Lock()

    def items():
        for i in range(40):
            with lock:
                produced.append(i)
                alive_max[0] = max(alive_max[0], len(produced) - len(done))
            yield i

    def work(i):
        time.sleep(0.002 * (i % 3))
        with lock:
            done.append(i)
        return i * 2

    results = {}
    BlobClient._bounded(items(), work, 4, on_done=results.__setitem__)
    assert results == {i: i * 2 for i in range(40)}
    assert alive_max[0] <= 5


def test_bounded_runner_stops_at_first_error():
    started = []

    def items():
        for i in range(100):
            started.append(i)
            yield i

    def work(i):
        if i == 3:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        BlobClient._bounded(items(), work, 2)
    assert len(started) < 100


# -- listing parse -------------------------------------------------------------------------------------------------

LISTING = """<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="c">
  <Prefix>a</Prefix><MaxResults>2</MaxResults><Delimiter>/</Delimiter>
  <Blobs>
    <Blob><Name>a b.txt</Name><Snapshot>2026-12-02T03:29:49.2820000Z</Snapshot>
      <Properties><Last-Modified>Wed, 02 Dec 2026 03:29:49 GMT</Last-Modified><Etag>0x8D1</Etag>
        <Content-Length>11</Content-Length><Content-Type>text/plain</Content-Type><Content-MD5>XrY7u+Ae7tCTyyK7j1rNww==</Content-MD5>
        <BlobType>AppendBlob</BlobType><x-ms-blob-sequence-number>0</x-ms-blob-sequence-number><ServerEncrypted>true</ServerEncrypted></Properties>
      <Metadata><Owner>ops</Owner></Metadata></Blob>
    <Blob><Name>b</Name><Properties><Content-Length>0</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>
    <BlobPrefix><Name>a/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>2!48!abc</NextMarker>
</EnumerationResults>"""


def test_parse_blob_list():
    page = bu.parse_blob_list(LISTING)
    assert page["next_marker"] == "2!48!abc"
    assert page["prefixes"] == ["a/"]
    first = page["blobs"][0]
    assert first["name"] == "a b.txt" and first["snapshot"].startswith("2026-12-02")
    assert first["metadata"] == {"Owner": "ops"}
    props = first["properties"]
    assert props["content_length"] == 11 and props["content_md5"] == "XrY7u+Ae7tCTyyK7j1rNww=="
    assert props["etag"] == '"0x8D1"' and props["blob_type"] == "append" and props["sequence_number"] == 0
    assert props["server_encrypted"] is True and props["last_modified"].startswith("Wed")
    assert page["blobs"][1] == {"name": "b", "properties": {"content_length": 0, "blob_type": "block"}, "metadata": {}}


def test_parse_empty_listings():
    assert bu.parse_blob_list("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>") == {
        "blobs": [],
        "prefixes": [],
        "next_marker": None,
    }
    text = "<EnumerationResults><Containers><Container><Name>x</Name><Properties><Etag>0x1</Etag></Properties></Container></Containers></EnumerationResults>"
    assert bu.parse_container_list(text)["containers"] == [
        {"name": "x", "properties": {"etag": '"0x1"', "public_access": "private"}, "metadata": {}}
    ]


def test_blob_properties_from_headers():
    props = bu.blob_properties_from_headers(
        {
            "Content-Length": "5",
            "x-ms-blob-type": "PageBlob",
            "ETag": '"0x1"',
            "x-ms-server-encrypted": "true",
            "x-ms-meta-a": "b",
        }
    )
    assert props == {"content_length": 5, "blob_type": "page", "etag": '"0x1"', "server_encrypted": True}


# -- upload plan ---------------------------------------------------------------------------------------------------


def _blob(blob_type="block", size=11, md5="M"):
    return {"properties": {"blob_type": blob_type, "content_length": size, "content_md5": md5}, "metadata": {}}


@pytest.mark.parametrize(
    ("current", "local", "btype", "overwrite", "action"),
    [
        (None, {"size": 1, "md5": "M"}, "block", "different", "create"),
        (None, {"size": 1, "md5": "M"}, "block", "never", "create"),
        (_blob(), {"size": 11, "md5": "M"}, "block", "different", "none"),
        (_blob(), {"size": 11, "md5": "X"}, "block", "different", "replace"),
        (_blob(), {"size": 12, "md5": "M"}, "block", "different", "replace"),
        (_blob(md5=None), {"size": 11, "md5": "M"}, "block", "different", "replace"),
        (_blob("page"), {"size": 11, "md5": "M"}, "block", "different", "replace"),
        (_blob(), {"size": 11, "md5": "M"}, "block", "always", "replace"),
        (_blob(), {"size": 99, "md5": "X"}, "block", "never", "none"),
        (_blob("append", 6, "P"), {"size": 12, "md5": "X", "prefix_md5": "P"}, "append", "different", "append"),
        (_blob("append", 6, "P"), {"size": 12, "md5": "X", "prefix_md5": "Q"}, "append", "different", "replace"),
        (_blob("append", 12, "X"), {"size": 12, "md5": "X", "prefix_md5": "X"}, "append", "different", "none"),
        (_blob("append", 12, "P"), {"size": 6, "md5": "X", "prefix_md5": None}, "append", "different", "replace"),
    ],
)
def test_plan_upload(current, local, btype, overwrite, action):
    plan = bp.plan_upload(current, local, btype, overwrite)
    assert plan["action"] == action
    assert plan["reason"]
    if action == "append":
        assert plan["append_from"] == current["properties"]["content_length"]


# -- sync plan -----------------------------------------------------------------------------------------------------


def test_sync_plan():
    src = {
        "a": {"size": 1, "md5": "A"},
        "b": {"size": 2, "md5": "B"},
        "c": {"size": 3, "md5": None},
        "d": {"size": 4, "md5": "D"},
    }
    dst = {
        "a": {"size": 1, "md5": "A"},
        "b": {"size": 2, "md5": "X"},
        "c": {"size": 3, "md5": None},
        "z": {"size": 1, "md5": "Z"},
    }
    assert bs.sync_plan(src, dst) == {"copy": ["b", "c", "d"], "skip": ["a"], "delete": []}
    assert bs.sync_plan(src, dst, delete_extraneous=True)["delete"] == ["z"]
    assert bs.sync_plan({}, {}, True) == {"copy": [], "skip": [], "delete": []}


def test_sync_filters_and_names():
    assert bs.selected("a/b.tmp", None, ["*.tmp"]) is False
    assert bs.selected("a/b.html", ["*.html"], None) is True
    assert bs.selected("css/x.css", ["*.html"], None) is False
    assert bs.selected(".git/config", None, [".git/*"]) is False
    assert bs.remote_name("web/", "a/b.txt") == "web/a/b.txt"
    assert bs.remote_name("", "a\\b.txt") == "a/b.txt"
