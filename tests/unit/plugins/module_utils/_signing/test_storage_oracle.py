# SPDX-License-Identifier: GPL-3.0-or-later
"""Our Shared Key signature against Microsoft's own SharedKeyCredentialPolicy (azure-storage-blob, test-only oracle).

Each case builds one ``requests.PreparedRequest`` the way the collection sends it, signs it with SharedKeyAuth, then
hands an equivalent azure-core request (same method, final URL and headers) to the SDK's policy and compares the
string-to-sign and the Authorization header. Tricky names use the collection's path encoding
(container ``quote(safe='')``, blob ``quote(safe='/~')``, facts section 1.6).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

pytest.importorskip("azure.storage.blob")

from azure.core.pipeline import PipelineContext, PipelineRequest  # noqa: E402
from azure.core.pipeline.transport import HttpRequest  # noqa: E402
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._auth.storage import SharedKeyAuth  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._clients.generic import build_url  # noqa: E402
from tests.helpers.names import TRICKY_NAMES

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BASE = "http://127.0.0.1:10000/" + ACCOUNT


class RecordingPolicy(SharedKeyCredentialPolicy):
    """The SDK policy, recording the string it signs (its own code computes it)."""

    string_to_sign = None

    def _add_authorization_header(self, request, string_to_sign):
        self.string_to_sign = string_to_sign
        super()._add_authorization_header(request, string_to_sign)


def blob_path(container: str, name: str) -> str:
    return "/%s/%s" % (quote(container, safe=""), quote(name, safe="/~"))


def sign_ours(method: str, url: str, headers: dict | None = None, data=None):
    auth = SharedKeyAuth(ACCOUNT, KEY, "2023-11-03")
    prepared = requests.Request(method, url, headers=headers or {}, data=data, auth=auth).prepare()
    return prepared, auth


def sign_oracle(prepared):
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "authorization"}
    http_request = HttpRequest(prepared.method, prepared.url, headers=headers)
    policy = RecordingPolicy(ACCOUNT, KEY)
    policy.on_request(PipelineRequest(http_request, PipelineContext(None)))
    return policy.string_to_sign, http_request.headers["Authorization"]


def assert_same(prepared, auth):
    oracle_sts, oracle_authz = sign_oracle(prepared)
    assert auth.last_string_to_sign == oracle_sts
    assert prepared.headers["Authorization"] == oracle_authz


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_put_blob_tricky_names(name):
    prepared, auth = sign_ours(
        "PUT",
        BASE + blob_path("oracle", name),
        headers={"x-ms-blob-type": "BlockBlob", "Content-Type": "text/plain"},
        data=b"hello",
    )
    assert_same(prepared, auth)
    assert prepared.headers["Content-Length"] == "5"


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_get_blob_tricky_names_via_build_url(name):
    url = build_url(None, blob_path("oracle", name), BASE)
    prepared, auth = sign_ours("GET", url)
    assert_same(prepared, auth)


def test_put_container_signs_content_length_zero_as_empty():
    prepared, auth = sign_ours("PUT", BASE + "/oracle?restype=container")
    assert prepared.headers["Content-Length"] == "0"
    assert_same(prepared, auth)
    assert auth.last_string_to_sign.split("\n")[3] == ""


def test_metadata_names_with_underscore_dash_and_case():
    headers = {
        "x-ms-meta-my_key": "v1",
        "x-ms-meta-Other_Key2": "v2",
        "x-ms-meta-a-b": "v3",
        "x-ms-meta-a_b": "v4",
        "x-ms-meta-ab": "v5",
        "x-ms-meta-test_a-_": "v6",
        "x-ms-meta-test-a": "v7",
        "x-ms-meta-test_z": "v8",
        "x-ms-blob-type": "BlockBlob",
    }
    prepared, auth = sign_ours("PUT", BASE + "/oracle/meta.txt", headers=headers, data=b"x")
    assert_same(prepared, auth)


@pytest.mark.parametrize(
    "query",
    [
        "restype=container&comp=list&include=metadata,snapshots,uncommittedblobs",
        "restype=container&comp=list&prefix=dir%20one/&maxresults=5",
        "comp=block&blockid=YWJj%2B%2F%3D",
        "comp=metadata&timeout=20",
        "restype=service&comp=properties",
    ],
)
def test_queries(query):
    prepared, auth = sign_ours("GET", BASE + "/oracle?" + query)
    assert_same(prepared, auth)


def test_conditional_and_range_headers():
    headers = {"If-Match": '"0x8DC1"', "x-ms-range": "bytes=0-4", "If-Modified-Since": "Sun, 11 Oct 2009 21:49:13 GMT"}
    prepared, auth = sign_ours("GET", BASE + "/oracle/plain.txt", headers=headers)
    assert_same(prepared, auth)


def test_delete_and_head():
    for method in ("DELETE", "HEAD"):
        prepared, auth = sign_ours(method, BASE + "/oracle/with%20space.txt")
        assert_same(prepared, auth)


def test_host_style_url():
    prepared, auth = sign_ours("GET", "https://myaccount.blob.core.windows.net/c/b%20x?comp=metadata")
    oracle_sts = sign_oracle(prepared)[0]
    # host-style: the canonical resource is /account + path (no account segment in the path)
    assert "\n/devstoreaccount1/c/b%20x\ncomp:metadata" in oracle_sts
    assert auth.last_string_to_sign == oracle_sts


# ---- Table Shared Key: azure-data-tables' SharedKeyCredentialPolicy as the oracle ---------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("GET", "/Tables", {"Accept": "application/json;odata=nometadata"}, None),
        ("POST", "/Tables", {"Content-Type": "application/json", "Accept": "application/json"}, b'{"TableName": "t1"}'),
        ("GET", "/t1(PartitionKey='p%20k',RowKey='r')", {}, None),
        ("GET", "/t1()?$filter=PartitionKey%20eq%20'p'&$top=5", {}, None),
        ("PUT", "/t1?comp=acl", {"Content-Type": "application/xml", "Content-MD5": "XrY7u+Ae7tCTyyK7j1rNww=="}, b"<a/>"),
        ("DELETE", "/Tables('t1')", {}, None),
    ],
)
def test_table_shared_key_matches_oracle(method, path, headers, body):
    tables = pytest.importorskip("azure.data.tables._authentication")
    from azure.core.credentials import AzureNamedKeyCredential

    auth = SharedKeyAuth(ACCOUNT, KEY, "2019-02-02", table=True)
    prepared = requests.Request(
        method, "http://127.0.0.1:10002/" + ACCOUNT + path, headers=headers, data=body, auth=auth
    ).prepare()
    seen = []

    class Recording(tables.SharedKeyCredentialPolicy):
        def _add_authorization_header(self, request, string_to_sign):
            seen.append(string_to_sign)
            super()._add_authorization_header(request, string_to_sign)

    http_request = HttpRequest(method, prepared.url, headers={k: v for k, v in prepared.headers.items() if k != "Authorization"})
    Recording(AzureNamedKeyCredential(ACCOUNT, KEY)).on_request(PipelineRequest(http_request, PipelineContext(None)))
    assert seen == [auth.last_string_to_sign]
    assert http_request.headers["Authorization"] == prepared.headers["Authorization"]
    assert "x-ms-version" not in auth.last_string_to_sign  # Table Shared Key signs no canonicalized headers
