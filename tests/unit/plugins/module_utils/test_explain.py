# SPDX-License-Identifier: GPL-3.0-or-later
"""The 403 explainer, end to end through Transport against a local server answering like Azure Storage."""

from __future__ import annotations

import email.utils
import time

import pytest

from ansible_collections.signet.azure.plugins.module_utils import _explain as ex
from ansible_collections.signet.azure.plugins.module_utils._auth.storage import SharedKeyAuth
from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport
from tests.helpers.http_stub import serve

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azure_403(server_sts: str, date: str | None = None, code: str = "AuthenticationFailed"):
    escaped = server_sts.replace("\n", "\\n")
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>Server failed to authenticate the '
        "request. Make sure the value of Authorization header is formed correctly including the signature.\n"
        "RequestId:1\nTime:2</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request "
        "'xyz=' is not the same as any computed signature. Server used following string to sign: '%s'."
        "</AuthenticationErrorDetail></Error>" % (code, escaped)
    )
    headers = {"Content-Type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": "req-1"}
    headers["Date"] = date or email.utils.formatdate(usegmt=True)
    return (403, headers, body.encode())


def call(step, auth=None, method="GET", path="/devstoreaccount1/c/b%20x?comp=metadata"):
    with serve() as (url, script):
        script.steps = [step]
        t = Transport(auth or SharedKeyAuth(ACCOUNT, KEY, "2023-11-03"), explain=ex.explain, sleep=lambda s: None)
        with pytest.raises(AuthenticationError) as err:
            t.request(method, url + path)
        return err.value, t.auth


def test_first_differing_line_named():
    auth = SharedKeyAuth(ACCOUNT, KEY, "2023-11-03")
    # the server saw Content-Type text/plain that we did not sign (e.g. a proxy added it)
    with serve() as (url, script):
        t = Transport(auth, explain=ex.explain, sleep=lambda s: None)
        script.steps = [(200, {}, b"")]
        t.request("GET", url + "/devstoreaccount1/c/b%20x?comp=metadata")
        lines = auth.last_string_to_sign.split("\n")
        lines[5] = "text/plain"
        server_sts = "\n".join(lines)
        script.steps = [azure_403(server_sts)]
        with pytest.raises(AuthenticationError) as err:
            t.request("GET", url + "/devstoreaccount1/c/b%20x?comp=metadata")
    e = err.value
    assert e.status == 403 and e.error_code == "AuthenticationFailed" and e.request_id == "req-1"
    assert "Signature mismatch" in e.msg
    assert "line 6 (Content-Type): server 'text/plain' vs ours ''" in e.msg
    assert e.details["first_difference"].startswith("line 6 (Content-Type)")
    assert e.details["server_string_to_sign"] == server_sts
    assert e.details["client_string_to_sign"].split("\n")[5] == ""
    assert any(row.startswith(">  6") for row in e.details["string_to_sign_diff"])
    assert KEY not in e.msg


def test_resource_line_difference_named():
    d = ex.diff_strings_to_sign("GET\n\nx-ms-date:d\n/a/a/c/b%7Ex", "GET\n\nx-ms-date:d\n/a/a/c/b~x", "SharedKeyLite")
    assert d["first_difference"] == "line 4 (canonicalized resource): server '/a/a/c/b%7Ex' vs ours '/a/a/c/b~x'"


def test_header_line_difference_named_and_missing_lines():
    d = ex.diff_strings_to_sign("GET\nx-ms-meta-a:1\n/r", "GET\nx-ms-meta-b:1\n/r", "SharedKeyLite")
    assert "header x-ms-meta-a" in d["first_difference"] or "header x-ms-meta-b" in d["first_difference"]
    d2 = ex.diff_strings_to_sign("GET\n/r\nextra", "GET\n/r", "SharedKeyLite")
    assert d2["first_difference"] == "line 3 (line 3): server 'extra' vs ours '<missing>'"


def test_identical_strings_mean_wrong_key(monkeypatch):
    from ansible_collections.signet.azure.plugins.module_utils._auth import storage as storage_key

    monkeypatch.setattr(storage_key, "http_date", lambda: "Sun, 11 Oct 2009 21:49:13 GMT")
    ours = storage_key.SharedKeyAuth(ACCOUNT, KEY, "2023-11-03")
    with serve() as (url, script):
        t = Transport(ours, explain=ex.explain, sleep=lambda s: None)
        script.steps = [(200, {}, b"")]
        fixed = {"x-ms-client-request-id": "fixed-id"}
        t.request("GET", url + "/devstoreaccount1/c", headers=fixed)
        script.steps = [azure_403(ours.last_string_to_sign)]
        with pytest.raises(AuthenticationError) as err:
            t.request("GET", url + "/devstoreaccount1/c", headers=fixed)
    assert "so the key is wrong" in err.value.msg
    assert "'devstoreaccount1'" in err.value.msg
    assert "first_difference" not in err.value.details


def test_clock_skew_from_date_header_20_minutes_off():
    twenty_ago = email.utils.formatdate(time.time() - 20 * 60, usegmt=True)
    body = (
        "<Error><Code>AuthenticationFailed</Code><Message>Server failed</Message><AuthenticationErrorDetail>Request "
        "date header too old: 'Mon, 01 Jan 2024 00:00:00 GMT'</AuthenticationErrorDetail></Error>"
    )
    err = call((403, {"Date": twenty_ago, "Content-Type": "application/xml"}, body.encode()))[0]
    assert 19 * 60 < err.details["clock_skew_seconds"] < 21 * 60
    assert "minutes ahead of the server's" in err.msg
    assert "NTP" in err.msg


def test_clock_behind_reported():
    ahead = email.utils.formatdate(time.time() + 20 * 60, usegmt=True)
    err = call(azure_403("GET\n/x", date=ahead))[0]
    assert err.details["clock_skew_seconds"] < -19 * 60
    assert "minutes behind the server's" in err.msg


def test_small_skew_is_not_reported():
    err = call(azure_403("GET\n/x"))[0]
    assert abs(err.details["clock_skew_seconds"]) < 60
    assert "NTP" not in err.msg


def test_clock_skew_parses_date():
    class R:
        headers = {"Date": "Sun, 11 Oct 2009 21:49:13 GMT"}

    when = email.utils.parsedate_to_datetime(R.headers["Date"]).timestamp()
    assert ex.clock_skew(R, now=when + 90) == 90
    R.headers = {"Date": "garbage"}
    assert ex.clock_skew(R) is None
    R.headers = {}
    assert ex.clock_skew(R) is None


def test_key_based_auth_disabled_and_sas_hints():
    body = b"<Error><Code>KeyBasedAuthenticationNotPermitted</Code><Message>Key based authentication is not permitted</Message></Error>"
    err = call((403, {"Content-Type": "application/xml"}, body))[0]
    assert "allowSharedKeyAccess=false" in err.msg
    assert "storage_auth: entra" in err.msg and "sas_type: user_delegation" in err.msg
    body = (
        b"<Error><Code>AuthenticationFailed</Code><Message>x</Message><AuthenticationErrorDetail>Signature not valid in "
        b"the specified time frame: Start [x] - Expiry [y] - Current [z]</AuthenticationErrorDetail></Error>"
    )
    err = call((403, {"Content-Type": "application/xml"}, body))[0]
    assert "backdate st by 15 minutes" in err.msg


def test_azurite_style_403_without_detail_shows_our_string():
    body = b"<Error><Code>AuthorizationFailure</Code><Message>Server failed to authenticate the request.</Message></Error>"
    err, auth = call((403, {"Content-Type": "application/xml"}, body), method="PUT", path="/devstoreaccount1/c?restype=container")
    assert "Signature mismatch (the MAC signature" in err.msg
    assert err.details["client_string_to_sign"] == auth.last_string_to_sign
    assert "/devstoreaccount1/devstoreaccount1/c\nrestype:container" in err.details["client_string_to_sign"]


def test_head_has_no_body_hint():
    err = call((403, {}, b""), method="HEAD")[0]
    assert "HEAD responses carry no error body" in err.msg


def test_explain_hint_of_auth_object_is_used():
    class HintAuth(SharedKeyAuth):
        def explain_hint(self, resp, parsed):
            return "custom hint for %s" % parsed.get("code")

    body = b"<Error><Code>Nope</Code><Message>m</Message></Error>"
    err = call((403, {"Content-Type": "application/xml"}, body), auth=HintAuth(ACCOUNT, KEY, "2023-11-03"))[0]
    assert "custom hint for Nope" in err.msg


def test_wrong_cloud_named():
    class Resp:
        headers = {}
        url = "https://acct.blob.core.chinacloudapi.cn/c"
        request = None

    auth = SharedKeyAuth("acct", KEY, "2023-11-03", cloud="AzureCloud")
    msg, fields = ex.explain(Resp, auth, {})
    assert fields["endpoint_cloud"] == "AzureChinaCloud"
    assert "belongs to AzureChinaCloud but the credential is for AzureCloud" in msg


@pytest.mark.parametrize(
    "detail",
    [
        "The MAC signature found in the HTTP request 'a=' is not the same as any computed signature. Server used following string to sign: 'GET\\n\\n/a/b'.",
        "Server failed. String to sign used was GET\\n\\n/a/b",
    ],
)
def test_server_string_to_sign_extracted(detail):
    assert ex.server_string_to_sign(detail) == "GET\n\n/a/b"


def test_server_string_to_sign_absent():
    assert ex.server_string_to_sign(None) is None
    assert ex.server_string_to_sign("no string here") is None
