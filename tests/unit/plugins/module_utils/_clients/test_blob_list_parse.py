# SPDX-License-Identifier: GPL-3.0-or-later
"""parse_blob_list, the streaming parser of List Blobs pages (issue 19, listing at scale): the shapes a listing can
take, metadata names that are also element names of the listing, pages split across parser feeds, bad answers."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients import blob_wire
from ansible_collections.signet.azure.plugins.module_utils._clients.blob_wire import parse_blob_list

RICH = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/" ContainerName="c">
  <Prefix>p/</Prefix><Marker/><MaxResults>3</MaxResults><Delimiter>/</Delimiter>
  <NextMarker>2!48!early</NextMarker>
  <Blobs>
    <BlobPrefix><Name>p/dir/</Name></BlobPrefix>
    <Blob>
      <Name>p/snap.txt</Name>
      <Snapshot>2026-12-02T10:00:00.0000000Z</Snapshot>
      <Properties>
        <Content-Length>11</Content-Length><Content-MD5>XrY7u+Ae7tCTyyK7j1rNww==</Content-MD5>
        <Etag>0x8D1</Etag><BlobType>PageBlob</BlobType><x-ms-blob-sequence-number>7</x-ms-blob-sequence-number>
        <ServerEncrypted>true</ServerEncrypted><AccessTierInferred>false</AccessTierInferred><Content-Type/>
      </Properties>
      <Metadata><Blob>a leaf</Blob><NextMarker>not the marker</NextMarker><BlobPrefix>nor a prefix</BlobPrefix></Metadata>
    </Blob>
    <Blob>
      <Name Encoded="true">p/%EF%BF%BEodd</Name>
      <VersionId>2026-12-02T10:00:01.0000000Z</VersionId><IsCurrentVersion>true</IsCurrentVersion>
      <Deleted>false</Deleted>
      <Properties><Content-Length>0</Content-Length><BlobType>BlockBlob</BlobType></Properties>
      <Tags><TagSet><Tag><Key>project</Key><Value>apollo</Value></Tag><Tag><Key>empty</Key><Value/></Tag></TagSet></Tags>
    </Blob>
    <Blob><Name> spaced </Name><Properties><Content-Length>1</Content-Length></Properties><Metadata/></Blob>
  </Blobs>
</EnumerationResults>"""


def test_every_shape_of_a_listing():
    page = parse_blob_list(RICH.encode("utf-8"))
    assert page["next_marker"] == "2!48!early"  # found wherever the root holds it
    assert page["prefixes"] == ["p/dir/"]
    snap, version, spaced = page["blobs"]
    assert snap == {
        "name": "p/snap.txt",
        "properties": {
            "content_length": 11,
            "content_md5": "XrY7u+Ae7tCTyyK7j1rNww==",
            "etag": '"0x8D1"',
            "blob_type": "page",
            "sequence_number": 7,
            "server_encrypted": True,
            "access_tier_inferred": False,
            "content_type": None,
        },
        "metadata": {"Blob": "a leaf", "NextMarker": "not the marker", "BlobPrefix": "nor a prefix"},
        "snapshot": "2026-12-02T10:00:00.0000000Z",
    }
    assert version == {
        "name": "p/\ufffeodd",
        "properties": {"content_length": 0, "blob_type": "block"},
        "metadata": {},
        "version_id": "2026-12-02T10:00:01.0000000Z",
        "is_current_version": True,
        "deleted": False,
        "tags": {"project": "apollo", "empty": ""},
    }
    assert spaced["name"] == " spaced "  # a name is taken exactly


def test_a_page_larger_than_a_parse_chunk(monkeypatch):
    monkeypatch.setattr(blob_wire, "PARSE_CHUNK", 97)  # every element split across feeds
    blobs = "".join(
        "<Blob><Name>b%04d</Name><Properties><Content-Length>%d</Content-Length></Properties>"
        "<Metadata><i>%d</i></Metadata></Blob>" % (i, i, i)
        for i in range(300)
    )
    page = parse_blob_list("<EnumerationResults><Blobs>%s</Blobs><NextMarker>m</NextMarker></EnumerationResults>" % blobs)
    assert [b["name"] for b in page["blobs"]] == ["b%04d" % i for i in range(300)]
    assert page["blobs"][299] == {"name": "b0299", "properties": {"content_length": 299}, "metadata": {"i": "299"}}
    assert page["next_marker"] == "m"


def test_namespaced_answer_and_other_documents():
    ns = '<e:EnumerationResults xmlns:e="urn:x"><e:Blobs><e:Blob><e:Name>n</e:Name></e:Blob></e:Blobs></e:EnumerationResults>'
    assert parse_blob_list(ns)["blobs"] == [{"name": "n", "properties": {}, "metadata": {}}]
    assert parse_blob_list("<Error><Code>X</Code></Error>") == {"blobs": [], "prefixes": [], "next_marker": None}


@pytest.mark.parametrize("text", [b"", b"<EnumerationResults>", b"not xml", b"<a></b>"])
def test_not_xml_is_a_value_error(text):
    with pytest.raises(ValueError, match="not well-formed XML"):
        parse_blob_list(text)
