# SPDX-License-Identifier: GPL-3.0-or-later
"""Blob features (issue 18) without a server: tag rules and wire forms, page lists, Find Blobs by Tags answers, the
extra properties, the write context (lease ID, creation headers) and the page-range plan's pure parts."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients import blob_features_wire as fw
from ansible_collections.signet.azure.plugins.module_utils._clients.blob_features import BlobFeatures
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._plans import blob_pages as bpg


# -- tags ---------------------------------------------------------------------------------------------------------
def test_tags_valid_and_encoded():
    tags = fw.validate_tags({"project": "apollo", "Retention": "7y", "path": "a/b c:d=e_f+g.h-i", "flag": True, "e": None})
    assert tags == {"project": "apollo", "Retention": "7y", "path": "a/b c:d=e_f+g.h-i", "flag": "true", "e": ""}
    assert fw.tags_header({"a b": "x/y", "k": "v=1"}) == "a%20b=x%2Fy&k=v%3D1"


@pytest.mark.parametrize(
    "tags, match",
    [
        ({"k%d" % i: "v" for i in range(11)}, "at most 10"),
        ({"": "v"}, "1 to 128"),
        ({"k" * 129: "v"}, "1 to 128"),
        ({"k": "v" * 257}, "limit is 256"),
        ({"k!": "v"}, "tag name 'k!'"),
        ({"k": "ü"}, "tag value"),
        (["k"], "dictionary"),
    ],
)
def test_tags_invalid(tags, match):
    with pytest.raises(ConfigError, match="^tags: .*" + match):
        fw.validate_tags(tags)


def test_tags_xml_round_trip():
    body = fw.tags_body({"a": "1", "b c": ""})
    assert body.startswith(b"<?xml") and b"<Key>b c</Key>" in body
    assert fw.parse_tags(body) == {"a": "1", "b c": ""}
    assert fw.parse_tags(b"<Tags><TagSet/></Tags>") == {}


def test_find_by_tags_answer():
    xml = (
        b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/">'
        b"<Where>&quot;p&quot;='x'</Where><Blobs><Blob><Name>r/1.pdf</Name><ContainerName>reports</ContainerName>"
        b"<Tags><TagSet><Tag><Key>p</Key><Value>x</Value></Tag></TagSet></Tags></Blob>"
        b"<Blob><Name>2.pdf</Name><ContainerName>other</ContainerName></Blob></Blobs><NextMarker>m1</NextMarker>"
        b"</EnumerationResults>"
    )
    assert fw.parse_blobs_by_tags(xml) == {
        "blobs": [
            {"name": "r/1.pdf", "container": "reports", "tags": {"p": "x"}},
            {"name": "2.pdf", "container": "other", "tags": {}},
        ],
        "next_marker": "m1",
    }


# -- pages, properties, tiers ---------------------------------------------------------------------------------------
def test_page_list():
    xml = (
        b"<PageList><PageRange><Start>1024</Start><End>2047</End></PageRange><ClearRange><Start>0</Start>"
        b"<End>511</End></ClearRange><PageRange><Start>0</Start><End>511</End></PageRange></PageList>"
    )
    assert fw.parse_page_list(xml) == [(0, 512), (1024, 1024)]
    assert fw.parse_page_list(b"<PageList />") == []


def test_extra_properties_mask_the_copy_source_signature():
    props = fw.extra_properties_from_headers(
        {
            "x-ms-access-tier": "Cool",
            "x-ms-access-tier-inferred": "false",
            "x-ms-tag-count": "2",
            "x-ms-copy-source": "https://src.blob.core.windows.net/c/b?sv=2023-11-03&sr=b&sp=r&sig=SECRETSIG%2Babc%3D",
            "x-ms-archive-status": "rehydrate-pending-to-hot",
        }
    )
    assert props["access_tier"] == "Cool" and props["access_tier_inferred"] is False and props["tag_count"] == 2
    assert "SECRETSIG" not in props["copy_source"] and "sig=REDACTED" in props["copy_source"]
    assert "sv=2023-11-03" in props["copy_source"]
    assert fw.rehydrating_to(props) == "Hot"
    assert fw.url_without_query("https://a/c/b?sig=x#f") == "https://a/c/b"
    assert fw.redact_sas("https://a/c/b") == "https://a/c/b"


def test_tiers_and_lease_durations():
    assert fw.normalize_tier("cool") == "Cool" and fw.normalize_tier(None) is None
    with pytest.raises(ConfigError, match="^access_tier: 'warm'"):
        fw.normalize_tier("warm")
    assert fw.lease_duration(-1) == "-1" and fw.lease_duration(15) == "15"
    with pytest.raises(ConfigError, match="^duration: 10 "):
        fw.lease_duration(10)


# -- write context --------------------------------------------------------------------------------------------------
def test_lease_and_creation_headers_go_only_where_they_belong():
    f = BlobFeatures()
    f.use_lease("c", "b", "L1")
    f.use_lease("c", None, "CL")
    f.on_create("c", "b", {"x-ms-tags": "a=1", "x-ms-access-tier": "Cool"})
    put_blob = f._context_headers("PUT", "c", "b", {}, {"x-ms-blob-type": "BlockBlob"})
    assert put_blob == {"x-ms-blob-type": "BlockBlob", "x-ms-lease-id": "L1", "x-ms-tags": "a=1", "x-ms-access-tier": "Cool"}
    commit = f._context_headers("PUT", "c", "b", {"comp": "blocklist"}, {})
    assert commit["x-ms-tags"] == "a=1"
    assert f._context_headers("PUT", "c", "b", {"comp": "metadata"}, {}) == {"x-ms-lease-id": "L1"}
    assert f._context_headers("DELETE", "c", "b", {}, None) == {"x-ms-lease-id": "L1"}
    assert f._context_headers("PUT", "c", "b", {"comp": "lease"}, {}) == {}
    assert f._context_headers("GET", "c", "b", {}, {}) == {}
    assert f._context_headers("PUT", "c", ".b.signet-tmp-1", {}, {}) == {}
    assert f._context_headers("PUT", "c", None, {"restype": "container", "comp": "metadata"}, {}) == {"x-ms-lease-id": "CL"}
    assert f._context_headers("GET", None, None, {"comp": "blobs"}, {}) == {}


# -- page plan --------------------------------------------------------------------------------------------------------
def test_differing_runs_merge_adjacent_pages():
    current = bytes(2048)
    wanted = b"x" * 512 + bytes(512) + b"y" * 1024
    assert bpg.differing_runs(current, wanted, 4096) == [(4096, 512), (5120, 1024)]
    assert bpg.differing_runs(wanted, wanted, 0) == []


def test_page_request_validation(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"a" * 2048)
    assert bpg.page_request({"src": str(src), "offset": 512, "src_offset": 1024}, 4096) == {
        "offset": 512,
        "length": 1024,
        "src": str(src),
        "src_offset": 1024,
    }
    cases = [
        ({"src": str(src), "offset": 100}, "^offset: 100 is not a multiple of 512"),
        ({"src": str(src), "offset": 0, "length": 1000}, "^length: 1000 is not a multiple"),
        ({"src": str(src), "offset": 0, "src_offset": 1024, "length": 2048}, "^length: the file .* run past its end"),
        ({"src": str(src), "offset": 3072}, "^offset: the range 3072-5119 ends beyond the blob's 4096 bytes"),
        ({"offset": 0}, "^src: give the local file"),
        ({"state": "absent", "offset": 0}, "^length: give the number of bytes to clear"),
        ({"src": str(tmp_path / "none"), "offset": 0}, "^src: cannot read"),
    ]
    for params, match in cases:
        with pytest.raises(ConfigError, match=match):
            bpg.page_request(params, 4096)
    assert bpg.page_request({"state": "absent", "offset": 0, "length": 512}, 4096)["src"] is None


def test_md5_action():
    assert bpg._md5_action("auto", None, 10) == "none"
    assert bpg._md5_action("auto", "x", 10) == "update"
    assert bpg._md5_action("auto", "x", bpg.AUTO_MD5_LIMIT + 512) == "clear"
    assert bpg._md5_action("clear", None, 10) == "clear"


# -- copy plan ------------------------------------------------------------------------------------------------------
def _props(**kw):
    return {"properties": kw}


def test_plan_copy_decisions():
    from ansible_collections.signet.azure.plugins.module_utils._plans import blob_copy as bc

    src_id = "https://a.blob.core.windows.net/c/b"
    source = _props(content_length=5, content_md5="m", last_modified="Sun, 06 Dec 2026 03:00:00 GMT")
    assert bc.plan_copy(source, None, src_id, "different")["action"] == "copy"
    same = _props(content_length=5, content_md5="m")
    assert bc.plan_copy(source, same, src_id, "different")["reason"] == "same length and MD5 as the source"
    assert bc.plan_copy(source, same, src_id, "always")["action"] == "copy"
    assert bc.plan_copy(source, _props(content_length=9), src_id, "never")["action"] == "none"
    pending = _props(copy_source=src_id + "?sig=REDACTED", copy_status="pending")
    assert bc.plan_copy(source, pending, src_id, "always")["action"] == "wait"
    no_md5 = _props(content_length=5, last_modified="Sun, 06 Dec 2026 03:00:00 GMT")
    copied = _props(
        content_length=5, copy_source=src_id, copy_status="success", copy_completion_time="Sun, 06 Dec 2026 03:05:00 GMT"
    )
    assert bc.plan_copy(no_md5, copied, src_id, "different")["action"] == "none"
    later = _props(content_length=5, last_modified="Sun, 06 Dec 2026 04:00:00 GMT")
    assert bc.plan_copy(later, copied, src_id, "different") == {"action": "copy", "reason": "no MD5 to compare"}
    assert bc.plan_copy(no_md5, copied, "https://other/c/b", "different")["action"] == "copy"


def test_pick_mode():
    from ansible_collections.signet.azure.plugins.module_utils._plans import blob_copy as bc

    block = _props(blob_type="block", content_length=10, content_md5="m")
    assert bc.pick_mode({}, block, {"auth": "none"}) == "sync"
    assert bc.pick_mode({}, block, {"auth": "destination"}) == "async"
    assert bc.pick_mode({}, _props(blob_type="block", content_length=10), {"auth": "none"}) == "async"
    assert (
        bc.pick_mode({}, _props(blob_type="block", content_length=bc.SYNC_MAX + 1, content_md5="m"), {"auth": "none"}) == "async"
    )
    assert bc.pick_mode({"mode": "async"}, block, {"auth": "none"}) == "async"
    with pytest.raises(ConfigError, match="^mode: sync .* page blob"):
        bc.pick_mode({"mode": "sync"}, _props(blob_type="page"), {"auth": "none"})


# -- undelete plan --------------------------------------------------------------------------------------------------
class _FakeSoftDelete:
    def __init__(self, blobs):
        self.blobs = blobs
        self.undeleted = []

    def list_blobs(self, container, prefix=None, include=None):
        assert include == ["deleted"]
        return {"blobs": [b for b in self.blobs if b["name"].startswith(prefix or "")], "prefixes": [], "next_marker": None}

    def undelete_blob(self, container, blob):
        self.undeleted.append(blob)


def test_undelete_plan():
    from ansible_collections.signet.azure.plugins.module_utils._errors import NotFoundError
    from ansible_collections.signet.azure.plugins.module_utils._plans import blob_undelete as bu

    blobs = [
        {"name": "a/1", "deleted": True},
        {"name": "a/2", "deleted": True},
        {"name": "a/2"},  # active again: left alone
        {"name": "a/3", "deleted": True, "snapshot": "2026-12-06T00:00:00Z"},
        {"name": "b"},
    ]
    fake = _FakeSoftDelete(blobs)
    check = bu.ensure_undeleted(fake, {"container": "ccc", "prefix": "a/"}, True)
    assert check["changed"] and check["undeleted"] == ["a/1"] and fake.undeleted == []
    assert check["diff"] == {"before": "a/2\n", "after": "a/1\na/2\n"}
    assert bu.ensure_undeleted(fake, {"container": "ccc", "prefix": "a/"}, False)["undeleted"] == ["a/1"]
    assert fake.undeleted == ["a/1"]
    assert not bu.ensure_undeleted(fake, {"container": "ccc", "name": "b"}, False)["changed"]
    with pytest.raises(NotFoundError, match="no soft-deleted .* blob of that name. Soft-deleted blobs exist only"):
        bu.ensure_undeleted(fake, {"container": "ccc", "name": "zzz"}, False)


# -- sync settings --------------------------------------------------------------------------------------------------
def test_sync_content_settings_rules():
    from ansible_collections.signet.azure.plugins.module_utils._plans import blob_sync_settings as ss

    rules = [
        {"pattern": "*", "cache_control": "max-age=300"},
        {"pattern": ["*.html", "*.htm"], "content_type": "text/html", "cache_control": "no-cache"},
        {"pattern": "js/*.gz", "content_encoding": "gzip"},
    ]
    p = {"content_settings": rules}
    checked = ss.validate_rules(rules)
    assert ss.ruled_settings("a/index.html", checked) == {"cache_control": "no-cache", "content_type": "text/html"}
    assert ss.ruled_settings("js/app.js.gz", checked) == {"cache_control": "max-age=300", "content_encoding": "gzip"}
    kept = {"props": {"content_type": "text/plain", "content_language": "de"}, "metadata": {"owner": "ops"}}
    assert ss.upload_attributes("notes.txt", p, kept) == {
        "settings": {"content_type": "text/plain", "content_language": "de", "cache_control": "max-age=300"},
        "metadata": {"owner": "ops"},
    }
    assert ss.upload_attributes("new.json", {}, None) == {"settings": {"content_type": "application/json"}, "metadata": {}}
    remote = {"index.html": {"props": {"content_type": "text/html", "cache_control": "no-cache"}}, "b.txt": {"props": {}}}
    assert ss.settings_updates(p, {"skip": ["index.html", "b.txt"]}, remote) == {"b.txt": {"cache_control": "max-age=300"}}
    assert ss.creation_headers({"tags": {"a b": "1"}, "access_tier": "cool"}) == {
        "x-ms-tags": "a%20b=1",
        "x-ms-access-tier": "Cool",
    }
    for bad, match in (
        ([{"content_type": "x"}], r"^content_settings\[0\]: give a pattern"),
        ([{"pattern": "*", "typo": 1}], "unknown keys typo"),
    ):
        with pytest.raises(ConfigError, match=match):
            ss.validate_rules(bad)
