# SPDX-License-Identifier: GPL-3.0-or-later
"""signet.azure.request: URL building, body encoding, response parsing, and main() in-process (exit/fail raised)."""

from __future__ import annotations

import json

import pytest
import requests
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._clients.generic import build_url, encode_body, parse_content
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


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def run(monkeypatch):
    """Run the module's main() with args; returns (kind, result) where kind is 'exit' or 'fail'."""

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    for name in ("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_BLOB_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    def _run(args: dict):
        with patch_module_args(args):
            try:
                request_module.main()
            except ExitJson as e:
                return "exit", e.args[0]
            except FailJson as e:
                return "fail", e.args[0]
        raise AssertionError("the module neither exited nor failed")

    return _run


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
