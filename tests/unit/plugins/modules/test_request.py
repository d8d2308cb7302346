# SPDX-License-Identifier: GPL-3.0-or-later
"""signet.azure.request: URL building, body encoding, response parsing, and main() in-process (exit/fail raised)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
import requests
from ansible.module_utils import basic

from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._clients.generic import (
    build_url,
    encode_body,
    parse_content,
    request_body,
)
from ansible_collections.signet.azure.plugins.module_utils._defaults import BATCH_API_VERSION
from ansible_collections.signet.azure.plugins.module_utils._signing import batch as bk
from ansible_collections.signet.azure.plugins.module_utils._signing import storage as sk
from ansible_collections.signet.azure.plugins.modules import request as request_module
from tests.helpers.http_stub import serve

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


# ---- build_url / encode_body / parse_content ---------------------------------------------------------------------


def test_build_url_from_base_and_path():
    assert build_url(None, "/c/dir one/b+c.txt", "http://h:1/acct/") == "http://h:1/acct/c/dir%20one/b+c.txt"
    assert build_url(None, "c?restype=container", "http://h/acct") == "http://h/acct/c?restype=container"


def test_build_url_keeps_user_encoding():
    assert build_url(None, "/c/a%25b%2Bc", "http://h/acct") == "http://h/acct/c/a%25b%2Bc"
    assert build_url(None, "/c/ü", "http://h/acct") == "http://h/acct/c/%C3%BC"


def test_build_url_query_encoded_once():
    url = build_url(None, "/c?restype=container", "http://h/a", {"comp": "list", "prefix": "a b/+="})
    assert url == "http://h/a/c?restype=container&comp=list&prefix=a%20b%2F%2B%3D"
    assert build_url("https://x.blob.core.windows.net/c", None, None, {"n": 1}) == "https://x.blob.core.windows.net/c?n=1"


@pytest.mark.parametrize(
    ("url", "path", "base", "match"),
    [("ftp://h/x", None, None, "^url:"), ("/relative", None, None, "^url:"), (None, "/c", None, "^path:")],
)
def test_build_url_errors(url, path, base, match):
    with pytest.raises(ConfigError, match=match):
        build_url(url, path, base)


def test_encode_body():
    headers = {}
    assert encode_body({"a": 1}, "json", headers) == b'{"a": 1}'
    assert headers == {"Content-Type": "application/json"}
    headers = {"content-type": "application/merge-patch+json"}
    assert encode_body('{"x": 2}', "json", headers) == b'{"x": 2}'
    assert headers == {"content-type": "application/merge-patch+json"}
    headers = {}
    assert encode_body("<a/>", "xml", headers) == b"<a/>"
    assert headers["Content-Type"] == "application/xml"
    assert encode_body("héllo", "raw", {}) == "héllo".encode()
    assert encode_body(b"\x00\x01", "raw", {}) == b"\x00\x01"
    assert encode_body(None, "json", {}) is None
    with pytest.raises(ConfigError, match="^body:"):
        encode_body({"a": 1}, "raw", {})


def _response(body: bytes, ctype: str = "") -> requests.Response:
    resp = requests.Response()
    resp._content = body
    resp.status_code = 200
    if ctype:
        resp.headers["Content-Type"] = ctype
    return resp


def test_parse_content():
    assert parse_content(_response(b'{"a": [1]}', "application/json")) == {"a": [1]}
    assert parse_content(_response(b"\xef\xbb\xbf<R><N>x</N><N>y</N></R>", "application/xml")) == {"R": {"N": ["x", "y"]}}
    assert parse_content(_response(b"hello", "text/plain")) == "hello"
    assert parse_content(_response(b"{not json", "application/json")) == "{not json"
    assert parse_content(_response(b"<broken", "")) == "<broken"


# ---- main() in-process -------------------------------------------------------------------------------------------


@pytest.fixture
def run(run):  # the conftest's run, bound to signet.azure.request
    """Run signet.azure.request's main() with args; returns (kind, result) where kind is 'exit' or 'fail'."""
    return lambda args: run(request_module, args)


def storage_args(endpoint: str, **kw):
    args = dict(account_name=ACCOUNT, account_key=KEY, endpoint=endpoint, retries=0, timeout=10)
    args.update(kw)
    return args


def test_check_mode_put_not_sent(run):
    with serve() as (base, script):
        kind, result = run(
            storage_args(base + "/" + ACCOUNT, method="PUT", path="/c1?restype=container", _ansible_check_mode=True)
        )
        assert script.seen == []
    assert kind == "exit"
    assert result["changed"] is True
    assert result["msg"] == "check mode: PUT not sent"
    assert result["url"].endswith("/devstoreaccount1/c1?restype=container")


def test_check_mode_get_is_sent_and_parsed(run):
    xml = b'<?xml version="1.0"?><EnumerationResults><Containers><Container><Name>a</Name></Container></Containers></EnumerationResults>'
    with serve() as (base, script):
        script.steps = [(200, {"Content-Type": "application/xml", "x-ms-request-id": "r1"}, xml)]
        kind, result = run(storage_args(base + "/" + ACCOUNT, path="/?comp=list", _ansible_check_mode=True))
        sent = script.seen[0]
    assert kind == "exit" and result["changed"] is False and result["status"] == 200
    assert result["headers"]["x-ms-request-id"] == "r1"
    assert result["content"] == {"EnumerationResults": {"Containers": {"Container": {"Name": "a"}}}}
    sts = sk.string_to_sign_shared_key("GET", base + sent["path"], sent["headers"], ACCOUNT)
    assert sent["headers"]["Authorization"] == "SharedKey %s:%s" % (ACCOUNT, sk.sign(KEY, sts))
    assert "string_to_sign" not in result


def test_diff_mode_returns_string_to_sign_never_the_key(run):
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, result = run(
            storage_args(base + "/" + ACCOUNT, method="PUT", path="/c2?restype=container", status_code=[201], _ansible_diff=True)
        )
    assert kind == "exit" and result["changed"] is True and result["status"] == 201
    assert result["string_to_sign"].startswith("PUT\n")
    assert result["string_to_sign"].endswith("/devstoreaccount1/devstoreaccount1/c2\nrestype:container")
    assert result["diff"]["after"] == result["string_to_sign"] + "\n"
    assert KEY not in json.dumps(result)


def test_unexpected_status_fails_with_fields(run):
    body = b"<Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.</Message></Error>"
    with serve() as (base, script):
        script.steps = [(404, {"Content-Type": "application/xml", "x-ms-request-id": "r9"}, body)]
        kind, result = run(storage_args(base + "/" + ACCOUNT, path="/nope?restype=container"))
    assert kind == "fail"
    assert result["status"] == 404 and result["error_code"] == "ContainerNotFound" and result["request_id"] == "r9"
    assert "The specified container does not exist." in result["msg"]
    assert result["url"].endswith("/nope?restype=container")


def test_sas_auth_masks_signature(run):
    sas = "sv=2022-11-02&sp=r&sig=SuperSecretSig%3D"
    with serve() as (base, script):
        kind, result = run(
            dict(endpoint=base + "/" + ACCOUNT, account_name=ACCOUNT, sas_token=sas, auth="sas", path="/c/b.txt", retries=0)
        )
        assert "sig=SuperSecretSig%3D" in script.seen[0]["path"]
        assert "Authorization" not in script.seen[0]["headers"]
    assert kind == "exit"
    assert "SuperSecretSig" not in json.dumps(result)


def test_auth_none_sends_no_credential(run):
    with serve() as (base, script):
        kind, result = run(dict(url=base + "/public/x", auth="none", retries=0))
        assert "Authorization" not in script.seen[0]["headers"]
    assert kind == "exit" and result["content"] == "ok"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (dict(account_name=ACCOUNT, account_key="***not-base64***", path="/c"), "account_key"),
        (dict(account_name="Bad_Name", account_key=KEY, path="/c"), "account_name"),
        (dict(account_key=KEY, path="/c"), "account_name"),
        (dict(account_name=ACCOUNT, account_key=KEY, url="ftp://x/y"), "url"),
        (dict(account_name=ACCOUNT, account_key=KEY, path="/c", body={"a": 1}, method="PUT"), "body"),
        (dict(account_name=ACCOUNT, account_key=KEY), "url, path"),
        (dict(account_name=ACCOUNT, account_key=KEY, url="http://h/x", path="/x"), "url|path"),
    ],
)
def test_config_errors_name_the_option(run, args, option):
    kind, result = run(args)
    assert kind == "fail"
    assert any(o in result["msg"] for o in option.split("|")), result["msg"]
    assert KEY not in json.dumps(result)


# ---- binary bodies: src, body_base64, content_md5 ----------------------------------------------------------------


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _check_shared_key(base: str, sent: dict) -> None:
    sts = sk.string_to_sign_shared_key(sent["method"], base + sent["path"], sent["headers"], ACCOUNT)
    assert sent["headers"]["Authorization"] == "SharedKey %s:%s" % (ACCOUNT, sk.sign(KEY, sts))


PAGE = bytes(range(256)) * 2  # 512 bytes, most of them not UTF-8 text


def test_src_is_sent_byte_for_byte_with_content_md5(run, tmp_path):
    src = tmp_path / "page.bin"
    src.write_bytes(PAGE)
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, result = run(
            storage_args(
                base + "/" + ACCOUNT,
                method="PUT",
                path="/disks/d.vhd?comp=page",
                headers={"x-ms-page-write": "update", "x-ms-range": "bytes=0-511"},
                src=str(src),
                content_md5=True,
                status_code=[201],
            )
        )
        sent = script.seen[0]
    assert kind == "exit" and result["changed"] is True and result["status"] == 201
    assert sent["body"] == PAGE
    assert sent["headers"]["Content-Length"] == "512" and "Transfer-Encoding" not in sent["headers"]
    assert sent["headers"]["Content-MD5"] == result["content_md5"] == _md5(PAGE)
    _check_shared_key(base, sent)  # Content-Length and Content-MD5 signed as sent


def test_body_base64_sends_the_decoded_bytes(run):
    encoded = base64.b64encode(PAGE).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))  # line breaks, as in PEM or slurp
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, result = run(
            storage_args(
                base + "/" + ACCOUNT, method="PUT", path="/c/b.bin", headers={"x-ms-blob-type": "BlockBlob"}, body_base64=wrapped
            )
            | {"status_code": [201]}
        )
        sent = script.seen[0]
    assert kind == "exit" and result["status"] == 201
    assert sent["body"] == PAGE and "Content-MD5" not in sent["headers"] and "content_md5" not in result
    _check_shared_key(base, sent)


def test_zero_byte_src_is_sent_with_content_length_0(run, tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, result = run(storage_args(base + "/" + ACCOUNT, method="PUT", path="/c/e", src=str(empty), status_code=[201]))
        sent = script.seen[0]
    assert kind == "exit"
    assert sent["headers"].get("Content-Length") == "0" and "Transfer-Encoding" not in sent["headers"]


def test_src_is_streamed_from_an_open_file_and_closed_after(tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(PAGE * 8)
    headers = {}
    with request_body({"src": str(src), "content_md5": True}, headers) as (data, md5):
        assert hasattr(data, "read") and not isinstance(data, bytes)  # requests streams it; never read whole here
        assert data.tell() == 0  # hashing left the position where the send starts
        assert md5 == headers["Content-MD5"] == _md5(PAGE * 8)
    assert data.closed


def test_retry_sends_the_whole_file_again(run, tmp_path):
    src = tmp_path / "page.bin"
    src.write_bytes(PAGE)
    with serve() as (base, script):
        script.steps = [(503, {}, b""), (201, {}, b"")]
        kind, result = run(
            storage_args(base + "/" + ACCOUNT, method="PUT", path="/c/p", src=str(src), content_md5=True, status_code=[201])
            | {"retries": 1}
        )
        bodies = [s["body"] for s in script.seen]
    assert kind == "exit" and bodies == [PAGE, PAGE]


def test_check_mode_prepares_the_body_but_sends_nothing(run, tmp_path):
    src = tmp_path / "page.bin"
    src.write_bytes(PAGE)
    with serve() as (base, script):
        kind, result = run(
            storage_args(
                base + "/" + ACCOUNT, method="PUT", path="/c/p", src=str(src), content_md5=True, _ansible_check_mode=True
            )
        )
        assert script.seen == []
    assert kind == "exit" and result["changed"] is True and result["content_md5"] == _md5(PAGE)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (dict(body="x", src="/etc/hostname"), "mutually exclusive"),
        (dict(body_base64="AAAA", src="/etc/hostname"), "mutually exclusive"),
        (dict(body_base64="not base64!"), "^body_base64: not valid base64"),
        (dict(src="/no/such/file"), "^src: /no/such/file is not a file"),
        (dict(content_md5=True), "^content_md5: there is no body"),
        (dict(body="x", content_md5=True, headers={"content-md5": "abc"}), "^content_md5: headers already set"),
    ],
)
def test_body_option_errors_name_the_option(run, extra, match):
    with serve() as (base, script):
        kind, result = run(storage_args(base + "/" + ACCOUNT, method="PUT", path="/c/p", **extra))
        assert script.seen == []
    assert kind == "fail" and re.search(match, result["msg"]), result["msg"]


# ---- Batch: the caller's Content-Type, api-version, MissingRequiredQueryParameter --------------------------------

BATCH_KEY = base64.b64encode(b"k" * 64).decode()


def batch_args(url: str, **kw):
    args = dict(
        auth="batch_shared_key",
        batch_endpoint="https://acct.eastus.batch.azure.com",
        batch_access_key=BATCH_KEY,
        url=url,
        retries=0,
    )
    args.update(kw)
    return args


def _check_batch(base: str, sent: dict) -> str:
    sts = bk.string_to_sign(sent["method"], base + sent["path"], sent["headers"].items(), "acct")
    assert sent["headers"]["Authorization"] == "SharedKey acct:" + bk.sign(BATCH_KEY, sts)
    return sts


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: seen.append(text))
    return seen


def test_batch_keeps_and_signs_the_callers_content_type_and_adds_api_version(run, warnings):
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, result = run(
            batch_args(
                base + "/jobs",
                method="POST",
                headers={"Content-Type": "application/json"},
                body_format="json",
                body={"id": "j1", "poolInfo": {"poolId": "p"}},
                status_code=[201],
            )
        )
        sent = script.seen[0]
    assert kind == "exit" and result["status"] == 201
    assert sent["path"] == "/jobs?api-version=" + BATCH_API_VERSION
    assert sent["headers"]["Content-Type"] == "application/json"
    assert _check_batch(base, sent).split("\n")[5] == "application/json"
    assert json.loads(sent["body"]) == {"id": "j1", "poolInfo": {"poolId": "p"}}
    assert warnings == []


def test_batch_json_body_defaults_to_the_batch_content_type(run):
    with serve() as (base, script):
        script.steps = [(201, {}, b"")]
        kind, _result = run(
            batch_args(base + "/jobs?api-version=2024-07-01.20.0", method="POST", body_format="json", body={"id": "j"})
            | {"status_code": [201]}
        )
        sent = script.seen[0]
    assert kind == "exit"
    assert sent["path"] == "/jobs?api-version=2024-07-01.20.0"  # the caller's own version is kept, not doubled
    assert sent["headers"]["Content-Type"] == bk.BATCH_CONTENT_TYPE
    _check_batch(base, sent)


def test_batch_non_json_content_type_is_kept_with_a_warning(run, warnings):
    with serve() as (base, script):
        kind, _result = run(batch_args(base + "/jobs", headers={"Content-Type": "text/plain"}, api_version="2024-07-01.20.0"))
        sent = script.seen[0]
    assert kind == "exit" and sent["headers"]["Content-Type"] == "text/plain"
    assert sent["path"] == "/jobs?api-version=2024-07-01.20.0"  # api_version wins over batch_api_version
    _check_batch(base, sent)
    assert len(warnings) == 1 and "text/plain" in warnings[0] and "odata=minimalmetadata" in warnings[0]


def test_missing_query_parameter_is_named_batch_json(run):
    body = json.dumps(
        {
            "odata.metadata": "https://acct.eastus.batch.azure.com/$metadata#errors/@Element",
            "code": "MissingRequiredQueryParameter",
            "message": {"lang": "en-US", "value": "A query parameter that's mandatory for this request is not specified."},
            "values": [{"key": "QueryParameterName", "value": "api-version"}],
        }
    ).encode()
    with serve() as (base, script):
        script.steps = [(400, {"Content-Type": "application/json;odata=minimalmetadata"}, body)]
        kind, result = run(dict(auth="none", url=base + "/jobs", retries=0))
    assert kind == "fail" and result["status"] == 400 and result["error_code"] == "MissingRequiredQueryParameter"
    assert "The missing query parameter is 'api-version': set api_version" in result["msg"]
    assert result["missing_query_parameter"] == "api-version"


def test_missing_query_parameter_is_named_storage_xml(run):
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><Error><Code>MissingRequiredQueryParameter</Code>'
        b"<Message>A query parameter that's mandatory for this request is not specified.</Message>"
        b"<QueryParameterName>comp</QueryParameterName></Error>"
    )
    with serve() as (base, script):
        script.steps = [(400, {"Content-Type": "application/xml"}, body)]
        kind, result = run(storage_args(base + "/" + ACCOUNT, method="PUT", path="/c/p", body="x"))
    assert kind == "fail" and "The missing query parameter is 'comp': add it to url, path or query." in result["msg"]
    assert result["missing_query_parameter"] == "comp"


def test_storage_urls_get_no_api_version(run):
    with serve() as (base, script):
        kind, _result = run(storage_args(base + "/" + ACCOUNT, path="/?comp=list", api_version="2020-01-01"))
        assert "api-version" not in script.seen[0]["path"]
    assert kind == "exit"


# ---- ARM: api-version required, wait only for ARM ---------------------------------------------------------------


def test_arm_without_api_version_fails_before_sending(run):
    kind, result = run(
        dict(auth="entra", access_token="eyJ0.x.y", url="https://management.azure.com/subscriptions/s/resourcegroups", retries=0)
    )
    assert kind == "fail" and result["msg"].startswith("api_version: every Resource Manager request needs an api-version")


@pytest.mark.parametrize(
    "args",
    [
        dict(method="PUT", path="/c?restype=container"),
        dict(
            method="DELETE", auth="entra", access_token="eyJ0.x.y", url="https://myvault.vault.azure.net/keys/k?api-version=7.5"
        ),
    ],
)
def test_wait_is_refused_outside_arm(run, args):
    with serve() as (base, script):
        kind, result = run(storage_args(base + "/" + ACCOUNT, wait=True, **args))
        assert script.seen == []
    assert kind == "fail" and result["msg"].startswith("wait: only Azure Resource Manager long-running operations")
