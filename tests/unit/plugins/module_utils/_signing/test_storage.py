# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared Key / SharedKeyLite / Table string-to-sign rules (facts section 1), against the documentation's vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest

from ansible_collections.signet.azure.plugins.module_utils._signing import storage as sk

DOC_DATE = "Sun, 11 Oct 2009 21:49:13 GMT"
KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_doc_golden_vector_get_container_metadata():
    url = "https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata&timeout=20"
    headers = {"x-ms-date": DOC_DATE, "x-ms-version": "2009-09-19"}
    expected = (
        "GET\n\n\n\n\n\n\n\n\n\n\n\n"
        "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n"
        "/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20"
    )
    assert sk.string_to_sign_shared_key("GET", url, headers, "myaccount") == expected


def test_twelve_standard_lines_in_order():
    names = [
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-MD5",
        "Content-Type",
        "Date",
        "If-Modified-Since",
        "If-Match",
        "If-None-Match",
        "If-Unmodified-Since",
        "Range",
    ]
    headers = {n: "v%d" % i for i, n in enumerate(names)}
    headers["x-ms-version"] = "2023-11-03"
    sts = sk.string_to_sign_shared_key("put", "https://a.blob.core.windows.net/c", headers, "a")
    lines = sts.split("\n")
    assert lines[0] == "PUT"
    assert lines[1:12] == ["v%d" % i for i in range(11)]
    assert lines[12] == "x-ms-version:2023-11-03"
    assert lines[13] == "/a/c"


def test_if_match_signed_with_quotes():
    sts = sk.string_to_sign_shared_key("GET", "http://h/a/c/b", {"If-Match": '"0x8D1"', "x-ms-date": DOC_DATE}, "a")
    assert sts.split("\n")[8] == '"0x8D1"'


GOLDEN_ORDER = [
    "x-ms-meta-test",
    "x-ms-meta-test-",
    "x-ms-meta-test--",
    "x-ms-meta-test_-",
    "x-ms-meta-test-_",
    "x-ms-meta-test__",
    "x-ms-meta-test_a",
    "x-ms-meta-test_a-",
    "x-ms-meta-test-_a",
    "x-ms-meta-test_a_",
    "x-ms-meta-test_a-_",
    "x-ms-meta-test_z",
    "x-ms-meta-test-a",
]


@pytest.mark.parametrize("seed", range(5))
def test_header_sort_matches_service_golden_list(seed):
    shuffled = GOLDEN_ORDER[:]
    random.Random(seed).shuffle(shuffled)
    assert sorted(shuffled, key=sk.header_sort_key) == GOLDEN_ORDER
    canon = sk.canonicalized_headers([(n.upper(), "v") for n in shuffled])
    assert [line.split(":")[0] for line in canon.splitlines()] == GOLDEN_ORDER


def test_header_sort_is_not_code_point_order():
    # Python's sorted() would put '-' (0x2d) before digits and '_' (0x5f) after upper case letters.
    names = ["x-ms-meta-i_", "x-ms-meta-i0", "x-ms-meta-foo2_bar", "x-ms-meta-foo_bar"]
    ours = sorted(names, key=sk.header_sort_key)
    assert ours == ["x-ms-meta-foo_bar", "x-ms-meta-foo2_bar", "x-ms-meta-i_", "x-ms-meta-i0"]
    assert ours != sorted(names)


def test_header_sort_rejects_undefined_characters():
    with pytest.raises(ValueError, match="header ordering"):
        sk.header_sort_key("x-ms-meta-a b")


def test_canonicalized_headers_lowercases_trims_keeps_inner_runs_and_empty_values():
    """Values are trimmed but inner whitespace runs are kept, as the service, Azurite and azure-storage-blob do
    (tests/integration/test_signing_azurite.py proves it against Azurite)."""
    headers = {
        "X-MS-Meta-Name": "  a   b\t\tc  ",
        "x-ms-meta-quoted": 'x  "in   quotes"  y',
        "x-ms-meta-empty": "",
        "x-ms-meta-none": None,
        "Content-Type": "text/plain",
    }
    canon = sk.canonicalized_headers(headers)
    assert canon == ('x-ms-meta-empty:\nx-ms-meta-name:a   b\t\tc\nx-ms-meta-none:\nx-ms-meta-quoted:x  "in   quotes"  y\n')


def test_query_names_lowercased_values_kept_and_sorted():
    res = sk.canonicalized_resource("acct", "/c/B", "Restype=container&COMP=List&prefix=MiXed")
    assert res == "/acct/c/B\ncomp:List\nprefix:MiXed\nrestype:container"


def test_multi_value_query_joined_and_sorted():
    q = "restype=container&comp=list&include=snapshots&include=metadata&include=uncommittedblobs"
    res = sk.canonicalized_resource("myaccount", "/mycontainer", q)
    assert res == "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container"


def test_query_decoded_exactly_once():
    res = sk.canonicalized_resource("a", "/c", "prefix=int%25252&blockid=YWJj%2B%2F%3D")
    assert res == "/a/c\nblockid:YWJj+/=\nprefix:int%252"


def test_plus_in_query_is_a_space_like_the_service():
    # requests encodes params spaces as '+'; the service (and Azurite) decode '+' as a space
    assert sk.canonicalized_resource("a", "/c", "prefix=dir+one%2B") == "/a/c\nprefix:dir one+"


def test_path_encoded_exactly_as_sent():
    path = "/c/dir%20one/%C3%BC+%2525~(a),b=c.txt"
    assert sk.canonicalized_resource("a", path, "") == "/a" + path
    url = "http://127.0.0.1:10000/devstoreaccount1" + path
    sts = sk.string_to_sign_shared_key("GET", url, {"x-ms-date": DOC_DATE}, "devstoreaccount1")
    assert sts.endswith("\n/devstoreaccount1/devstoreaccount1" + path)


def test_empty_path_is_root():
    assert sk.canonicalized_resource("a", "", "comp=list") == "/a/\ncomp:list"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2015-02-21", ""), ("2023-11-03", ""), ("2015-02-20", "0"), ("2009-09-19", "0"), (None, "0")],
)
def test_content_length_zero_rule(version, expected):
    headers = {"Content-Length": "0", "x-ms-date": DOC_DATE}
    if version:
        headers["x-ms-version"] = version
    sts = sk.string_to_sign_shared_key("PUT", "http://h/a/c", headers, "a")
    assert sts.split("\n")[3] == expected


def test_nonzero_content_length_always_signed():
    sts = sk.string_to_sign_shared_key("PUT", "http://h/a/c", {"Content-Length": "11", "x-ms-version": "2023-11-03"}, "a")
    assert sts.split("\n")[3] == "11"


def test_date_line_empty_when_x_ms_date_present():
    with_both = {"Date": "Mon, 12 Oct 2009 00:00:00 GMT", "x-ms-date": DOC_DATE}
    assert sk.string_to_sign_shared_key("GET", "http://h/a", with_both, "a").split("\n")[6] == ""
    only_date = {"Date": DOC_DATE}
    assert sk.string_to_sign_shared_key("GET", "http://h/a", only_date, "a").split("\n")[6] == DOC_DATE


def test_shared_key_lite_layout():
    url = "https://myaccount.blob.core.windows.net/mycontainer/b%20x?restype=container&comp=metadata&timeout=20"
    headers = {"x-ms-date": DOC_DATE, "x-ms-version": "2009-09-19", "Content-Type": "text/plain", "Content-MD5": "abc=="}
    sts = sk.string_to_sign_shared_key_lite("put", url, headers, "myaccount")
    assert sts == (
        "PUT\nabc==\ntext/plain\n\n"
        "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n"
        "/myaccount/mycontainer/b%20x?comp=metadata"
    )


def test_shared_key_lite_uses_date_without_x_ms_date():
    sts = sk.string_to_sign_shared_key_lite("GET", "http://h/c?restype=container", {"Date": DOC_DATE}, "a")
    assert sts == "GET\n\n\n%s\n/a/c" % DOC_DATE


def test_table_shared_key_layout_date_never_empty():
    url = "https://myaccount.table.core.windows.net/mytable(PartitionKey='p',RowKey='r')?$select=a&comp=x"
    headers = {"x-ms-date": DOC_DATE, "Date": "ignored", "Content-Type": "application/json", "x-ms-version": "2019-02-02"}
    sts = sk.string_to_sign_table("get", url, headers, "myaccount")
    assert sts == "GET\n\napplication/json\n%s\n/myaccount/mytable(PartitionKey='p',RowKey='r')?comp=x" % DOC_DATE
    assert "x-ms-version" not in sts


def test_table_shared_key_lite_layout():
    url = "https://myaccount.table.core.windows.net/Tables"
    assert sk.string_to_sign_table_lite(url, {"x-ms-date": DOC_DATE}, "myaccount") == DOC_DATE + "\n/myaccount/Tables"
    assert sk.string_to_sign_table_lite(url, {"Date": DOC_DATE}, "myaccount") == DOC_DATE + "\n/myaccount/Tables"


def test_path_style_emulator_account_twice():
    url = "http://127.0.0.1:10000/devstoreaccount1/c?restype=container"
    sts = sk.string_to_sign_shared_key("PUT", url, {"x-ms-date": DOC_DATE}, "devstoreaccount1")
    assert sts.endswith("/devstoreaccount1/devstoreaccount1/c\nrestype:container")
    lite = sk.canonicalized_resource_lite("devstoreaccount1", "/devstoreaccount1/Tables", "")
    assert lite == "/devstoreaccount1/devstoreaccount1/Tables"


def test_sign_decodes_the_key_first():
    raw = b"secret-key-bytes"
    key = base64.b64encode(raw).decode()
    expected = base64.b64encode(hmac.new(raw, b"abc", hashlib.sha256).digest()).decode()
    assert sk.sign(key, "abc") == expected
    wrong = base64.b64encode(hmac.new(key.encode(), b"abc", hashlib.sha256).digest()).decode()
    assert sk.sign(key, "abc") != wrong


@pytest.mark.parametrize("bad", ["", "   ", "not base64!", "YWJ"])
def test_decode_account_key_rejects_invalid(bad):
    with pytest.raises(ValueError):
        sk.decode_account_key(bad)


def test_sign_is_utf8():
    expected = base64.b64encode(hmac.new(b"k" * 8, "ü".encode(), hashlib.sha256).digest()).decode()
    assert sk.sign(base64.b64encode(b"k" * 8).decode(), "ü") == expected


@pytest.mark.parametrize(
    ("url", "service"),
    [
        ("https://acct.blob.core.windows.net/c", "blob"),
        ("https://acct.table.core.chinacloudapi.cn/t", "table"),
        ("https://acct.queue.core.usgovcloudapi.net/q", "queue"),
        ("http://127.0.0.1:10002/devstoreaccount1/t", "table"),
        ("http://127.0.0.1:10001/devstoreaccount1/q", "queue"),
        ("http://127.0.0.1:55555/devstoreaccount1/c", "blob"),
    ],
)
def test_storage_service_of(url, service):
    assert sk.storage_service_of(url) == service
