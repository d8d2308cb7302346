# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of _clients/classic.py: snake_case keys, labels, the List Storage Accounts XML, URL building."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients import classic
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._xml import snake_case, xml_to_dict

SUB = "4e224c9d-34b6-4006-ac33-9c06a60db572"

# The documented response template of "List Storage Accounts" (ee460787), filled in.
LIST_XML = """<?xml version="1.0" encoding="utf-8"?>
<StorageServices xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <StorageService>
    <Url>https://management.core.windows.net/%(sub)s/services/storageservices/alpha</Url>
    <ServiceName>alpha</ServiceName>
    <StorageServiceProperties>
      <Description i:nil="true"/>
      <AffinityGroup>my-ag</AffinityGroup>
      <Label>bXkgc3RvcmFnZQ==</Label>
      <Status>Created</Status>
      <Endpoints>
        <Endpoint>https://alpha.blob.core.windows.net/</Endpoint>
        <Endpoint>https://alpha.queue.core.windows.net/</Endpoint>
      </Endpoints>
      <GeoReplicationEnabled>false</GeoReplicationEnabled>
      <AccountType>Standard_LRS</AccountType>
    </StorageServiceProperties>
    <ExtendedProperties>
      <ExtendedProperty><Name>owner</Name><Value>ops</Value></ExtendedProperty>
    </ExtendedProperties>
  </StorageService>
</StorageServices>""" % {"sub": SUB}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ServiceName", "service_name"),
        ("Url", "url"),
        ("GeoReplicationEnabled", "geo_replication_enabled"),
        ("StatusOfPrimary", "status_of_primary"),
        ("ID", "id"),
        # blob listing and header names (the one snake_case serves both)
        ("Content-MD5", "content_md5"),
        ("Last-Modified", "last_modified"),
        ("x-ms-blob-sequence-number", "x_ms_blob_sequence_number"),
        ("CustomerProvidedKeySha256", "customer_provided_key_sha256"),
        ("Content-CRC64", "content_crc64"),
    ],
)
def test_snake(name, expected):
    assert snake_case(name) == expected


def test_decode_label():
    assert classic.decode_label("bXkgc3RvcmFnZQ==") == "my storage"
    assert classic.decode_label("not base64!") == "not base64!"
    assert classic.decode_label(None) is None


def test_storage_service_to_dict():
    root = xml_to_dict(LIST_XML)["StorageServices"]
    svc = classic.storage_service_to_dict(root["StorageService"])
    assert svc["service_name"] == "alpha"
    assert svc["url"].endswith("/services/storageservices/alpha")
    assert svc["description"] is None
    assert svc["affinity_group"] == "my-ag"
    assert svc["label"] == "my storage" and svc["label_base64"] == "bXkgc3RvcmFnZQ=="
    assert svc["endpoints"] == ["https://alpha.blob.core.windows.net/", "https://alpha.queue.core.windows.net/"]
    assert svc["geo_replication_enabled"] is False
    assert svc["account_type"] == "Standard_LRS"
    assert svc["extended_properties"] == {"owner": "ops"}


class _Settings:
    base_url = "https://management.core.windows.net/" + SUB
    subscription_id = SUB


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/services/storageservices", "/services/storageservices"),
        ("services/storageservices", "/services/storageservices"),
        ("/%s/services/storageservices" % SUB, "/services/storageservices"),
        ("/%s" % SUB.upper(), ""),
        ("/operations/abc?x=1", "/operations/abc?x=1"),
    ],
)
def test_url_under_subscription(path, expected):
    assert classic.ClassicClient(None, _Settings()).url(path) == _Settings.base_url + expected


def test_full_url_refused():
    with pytest.raises(ConfigError, match="path: give the path under the subscription"):
        classic.ClassicClient(None, _Settings()).url("https://management.core.windows.net/x")
