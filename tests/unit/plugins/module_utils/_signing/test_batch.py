# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch Shared Key string-to-sign (facts section 1.9), with strings written out by hand from Microsoft's
"Authenticate requests to Azure Batch", the StackOverflow 59024892 case, and azure-batch's own signer as an oracle."""

from __future__ import annotations

import base64

import pytest
import requests

from ansible_collections.signet.azure.plugins.module_utils._auth.batch import BatchSharedKeyAuth
from ansible_collections.signet.azure.plugins.module_utils._settings.batch import resolve_endpoint
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._explain import diff_strings_to_sign
from ansible_collections.signet.azure.plugins.module_utils._signing import batch as bk

CT = "application/json; odata=minimalmetadata; charset=utf-8"
DATE = "Sun, 24 Nov 2019 21:08:20 GMT"
#: base64 of bytes 0..63; the HMAC below was computed with `openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..3f`
KEY64 = base64.b64encode(bytes(range(64))).decode()


def test_hmac_known_answer_from_openssl():
    assert bk.sign(KEY64, "GET\n/acct/jobs") == "r8IDf7uX4KaU1VOSIQEUXMO1Z7pLb0pk3/DkoPrTcvw="


def test_golden_stackoverflow_59024892_server_string():
    """The string the server reported for GET /jobs (SO 59024892), which we now produce ourselves."""
    url = "https://acct.region.batch.azure.com/jobs?api-version=2019-08-01.10.0"
    headers = {"ocp-date": DATE, "Content-Type": CT}
    expected = (
        "GET\n"  # VERB
        "\n"  # Content-Encoding
        "\n"  # Content-Language
        "\n"  # Content-Length
        "\n"  # Content-MD5
        "application/json; odata=minimalmetadata; charset=utf-8\n"  # Content-Type
        "\n"  # Date (empty: ocp-date is set)
        "\n"  # If-Modified-Since
        "\n"  # If-Match
        "\n"  # If-None-Match
        "\n"  # If-Unmodified-Since
        "\n"  # Range
        "ocp-date:Sun, 24 Nov 2019 21:08:20 GMT\n"
        "/acct/jobs\n"
        "api-version:2019-08-01.10.0"
    )
    assert bk.string_to_sign("GET", url, headers, "acct") == expected


def test_stackoverflow_user_string_is_diagnosed_at_the_content_type_line():
    """The user's hand-made string (no Content-Type, a space before /acct, a timeout he did not send)."""
    server = bk.string_to_sign(
        "GET",
        "https://acct.region.batch.azure.com/jobs?api-version=2019-08-01.10.0",
        {"ocp-date": DATE, "Content-Type": CT},
        "acct",
    )
    user = "GET" + "\n" * 12 + "ocp-date:%s\n /acct/jobs\napi-version:2019-08-01.10.0\ntimeout:20" % DATE
    diff = diff_strings_to_sign(server, user, "SharedKey")
    assert diff["first_difference"].startswith("line 6 (Content-Type)")
    rows = [r for r in diff["string_to_sign_diff"] if r.startswith(">")]
    assert len(rows) == 3  # Content-Type, the resource with the stray space, the unsent timeout
    assert "' /acct/jobs'" in rows[1] and "'timeout:20'" in rows[2]


def test_doc_style_post_signs_content_length_and_query():
    """POST /jobs with a 65-byte body, as the documentation's signature format describes it."""
    url = "https://myaccount.westus.batch.azure.com/jobs?api-version=2014-04-01.1.0&timeout=20"
    headers = {
        "Content-Type": "application/json;odata=minimalmetadata",
        "Content-Length": "65",
        "ocp-date": "Tue, 29 Apr 2014 23:58:21 GMT",
    }
    expected = (
        "POST\n\n\n65\n\napplication/json;odata=minimalmetadata\n\n\n\n\n\n\n"
        "ocp-date:Tue, 29 Apr 2014 23:58:21 GMT\n"
        "/myaccount/jobs\napi-version:2014-04-01.1.0\ntimeout:20"
    )
    assert bk.string_to_sign("POST", url, headers, "myaccount") == expected


def test_empty_post_signs_literal_zero_unlike_storage():
    sts = bk.string_to_sign(
        "POST", "https://a.r.batch.azure.com/jobs/j/disable?api-version=v", {"Content-Length": "0", "ocp-date": DATE}, "a"
    )
    assert sts.split("\n")[3] == "0"


def test_ocp_date_blanks_the_date_line_even_when_date_is_sent():
    sts = bk.string_to_sign(
        "GET", "https://a.r.batch.azure.com/jobs?api-version=v", {"Date": "Mon, 25 Nov 2019 00:00:00 GMT", "ocp-date": DATE}, "a"
    )
    lines = sts.split("\n")
    assert lines[6] == "" and lines[12] == "ocp-date:" + DATE


def test_date_header_alone_is_signed_on_the_date_line():
    sts = bk.string_to_sign("GET", "https://a.r.batch.azure.com/jobs?api-version=v", {"Date": DATE}, "a")
    lines = sts.split("\n")
    assert lines[6] == DATE and lines[12] == "/a/jobs"


def test_canonicalized_headers_only_ocp_sorted_and_folded():
    headers = [
        ("ocp-zeta", " z  1 "),
        ("OCP-Date", DATE),
        ("x-ms-date", "ignored"),
        ("client-request-id", "ignored"),
        ("ocp-alpha", "a"),
        ("ocp-alpha", "b"),
    ]
    assert bk.canonicalized_headers(headers) == "ocp-alpha:a,b\nocp-date:%s\nocp-zeta:z 1\n" % DATE


def test_canonicalized_resource_decodes_lowercases_and_sorts():
    query = "api-version=2025-06-01.21.0&%24filter=state%20eq%20%27active%27&MaxResults=10&b=2&b=1"
    assert bk.canonicalized_resource("acct", "/jobs", query) == (
        "/acct/jobs\n$filter:state eq 'active'\napi-version:2025-06-01.21.0\nb:1,2\nmaxresults:10"
    )


def test_encoded_path_is_kept_as_sent():
    assert bk.canonicalized_resource("acct", "/jobs/a%2Fb/tasks", "") == "/acct/jobs/a%2Fb/tasks"


def _prepared(url: str, headers: dict | None = None):
    return requests.Request("GET", url, headers=headers or {}).prepare()


def test_auth_sends_and_signs_the_batch_content_type_when_none_is_set():
    auth = BatchSharedKeyAuth("acct", KEY64, "https://acct.eastus.batch.azure.com")
    r = _prepared("https://acct.eastus.batch.azure.com/jobs?api-version=2025-06-01.21.0")
    auth(r)
    assert r.headers["Content-Type"] == CT
    assert auth.last_string_to_sign.split("\n")[5] == CT
    assert r.headers["Authorization"] == "SharedKey acct:" + bk.sign(KEY64, auth.last_string_to_sign)
    assert "ocp-date" in r.headers and KEY64 not in auth.last_string_to_sign


@pytest.mark.parametrize("name", ["Content-Type", "content-type"])
def test_auth_keeps_and_signs_the_callers_content_type(name):
    """The Batch service signs the Content-Type it receives: the caller's value is sent and signed, not replaced."""
    auth = BatchSharedKeyAuth("acct", KEY64, "https://acct.eastus.batch.azure.com")
    r = _prepared("https://acct.eastus.batch.azure.com/jobs?api-version=2025-06-01.21.0", {name: "application/json"})
    auth(r)
    assert r.headers["Content-Type"] == "application/json"
    assert [k for k in r.headers if k.lower() == "content-type"] == [name]
    assert auth.last_string_to_sign.split("\n")[5] == "application/json"
    assert r.headers["Authorization"] == "SharedKey acct:" + bk.sign(KEY64, auth.last_string_to_sign)


def test_signature_equals_azure_batch_sdk_signer():
    """Oracle: azure-batch's SharedKeyAuth signs the same prepared request to the same value."""
    from azure.batch.batch_auth import SharedKeyAuth as SdkAuth

    url = (
        "https://acct.eastus.batch.azure.com/jobs?api-version=2024-02-01.19.0&%24filter=startswith%28id%2C%27x%27%29&maxresults=5"
    )
    ours = _prepared(url)
    BatchSharedKeyAuth("acct", KEY64, "https://acct.eastus.batch.azure.com")(ours)
    theirs = _prepared(url, {"Content-Type": ours.headers["Content-Type"], "ocp-date": ours.headers["ocp-date"]})
    SdkAuth("Authorization", "acct", KEY64)(theirs)
    assert theirs.headers["Authorization"] == ours.headers["Authorization"]


def test_validate_names_every_missing_option():
    with pytest.raises(ConfigError) as exc:
        BatchSharedKeyAuth(None, None, None).validate()
    for name in ("batch_account", "batch_access_key", "batch_endpoint", "AZURE_BATCH_ACCESS_KEY"):
        assert name in exc.value.msg


def test_bad_key_is_rejected_without_echoing_it():
    with pytest.raises(ConfigError) as exc:
        BatchSharedKeyAuth("acct", "not$base64!", "https://acct.eastus.batch.azure.com").validate()
    assert "batch_access_key" in exc.value.msg and "not$base64!" not in exc.value.msg


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"batch_endpoint": "https://acct.eastus.batch.azure.com/"},
            ("https://acct.eastus.batch.azure.com", "acct", "AzureCloud"),
        ),
        (
            {"batch_endpoint": "acct.chinanorth3.batch.chinacloudapi.cn"},
            ("https://acct.chinanorth3.batch.chinacloudapi.cn", "acct", "AzureChinaCloud"),
        ),
        (
            {"batch_endpoint": "https://acct.usgovvirginia.batch.usgovcloudapi.net", "batch_account": "acct"},
            ("https://acct.usgovvirginia.batch.usgovcloudapi.net", "acct", "AzureUSGovernment"),
        ),
    ],
)
def test_resolve_endpoint(params, expected):
    assert resolve_endpoint(params) == expected


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"batch_endpoint": "https://acct.blob.core.windows.net"}, "batch_endpoint"),
        ({"batch_endpoint": "http://acct.eastus.batch.azure.com"}, "batch_endpoint"),
        ({"batch_endpoint": "https://acct.eastus.batch.azure.com/jobs"}, "batch_endpoint"),
        ({"batch_endpoint": "https://acct.eastus.batch.azure.com", "batch_account": "other"}, "batch_account"),
        ({"batch_endpoint": "https://acct.eastus.batch.azure.com", "cloud": "AzureChinaCloud"}, "batch_endpoint"),
        ({"batch_endpoint": "https://My_Acct.eastus.batch.azure.com"}, "batch_account"),
        ({"batch_access_key": KEY64}, "batch_endpoint"),
    ],
)
def test_resolve_endpoint_errors_name_the_option(params, option):
    with pytest.raises(ConfigError) as exc:
        resolve_endpoint(params)
    assert exc.value.msg.startswith(option)
