# SPDX-License-Identifier: GPL-3.0-or-later
"""Transport against a threaded HTTP server on 127.0.0.1: retries, Retry-After, re-signing, resets, timeouts, TLS."""

from __future__ import annotations

import email.utils
import itertools
import ssl
import time

import pytest
import requests

from ansible_collections.signet.azure.plugins.module_utils import _transport
from ansible_collections.signet.azure.plugins.module_utils._auth import storage as storage_key
from ansible_collections.signet.azure.plugins.module_utils._auth.storage import SharedKeyAuth
from ansible_collections.signet.azure.plugins.module_utils._errors import (
    AuthenticationError,
    AzureRestError,
    NotFoundError,
    TransportError,
)
from ansible_collections.signet.azure.plugins.module_utils._signing import storage as sk
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport, parse_retry_after
from tests.helpers.http_stub import serve

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture
def server():
    with serve() as (base, script):
        yield base, script


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def transport(**kwargs) -> tuple[Transport, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("retries", 3)
    return Transport(sleep=sleeps, **kwargs), sleeps


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_get_retried_on_transient_status(server, status):
    base, script = server
    script.steps = [(status, {}, b"busy"), (200, {}, b"done")]
    t, sleeps = transport()
    resp = t.request("GET", base + "/x")
    assert resp.status_code == 200 and resp.text == "done"
    assert len(script.seen) == 2
    assert len(sleeps) == 1
    assert t.retry_log[0]["reason"].startswith("HTTP %d" % status)


def test_retries_used_up_raise_typed_error(server):
    base, script = server
    script.steps = [(503, {"x-ms-error-code": "ServerBusy"}, b"")] * 4
    t, sleeps = transport(retries=2)
    with pytest.raises(AzureRestError) as err:
        t.request("GET", base + "/x")
    assert err.value.status == 503
    assert err.value.error_code == "ServerBusy"
    assert "after 3 attempts" in err.value.msg
    assert len(script.seen) == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ms-retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "600"}, 60.0),  # clamped to backoff_max
    ],
)
def test_retry_after_honoured(server, headers, expected):
    base, script = server
    script.steps = [(429, headers, b"")]
    t, sleeps = transport()
    t.request("GET", base + "/x")
    assert sleeps == [expected]


def test_retry_after_http_date(server):
    base, script = server
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    script.steps = [(503, {"Retry-After": when}, b"")]
    t, sleeps = transport()
    t.request("GET", base + "/x")
    assert len(sleeps) == 1 and 20 < sleeps[0] <= 30


def test_parse_retry_after_http_date_relative_to_now():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": email.utils.formatdate(now + 12, usegmt=True)}, now=now) == 12.0
    assert parse_retry_after({"Retry-After": "garbage"}) is None
    assert parse_retry_after({}) is None


def test_exponential_backoff_without_hint(server):
    base, script = server
    script.steps = [(500, {}, b"")] * 3
    t, sleeps = transport(backoff_factor=1.0)
    t.request("GET", base + "/x")
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):
        base_delay = 2 ** (attempt - 1)
        assert 0.8 * base_delay <= delay <= 1.2 * base_delay


@pytest.mark.parametrize(("status", "cls"), [(400, AzureRestError), (403, AuthenticationError), (404, NotFoundError)])
def test_client_errors_not_retried(server, status, cls):
    base, script = server
    script.steps = [(status, {}, b"")]
    t, sleeps = transport()
    with pytest.raises(cls) as err:
        t.request("GET", base + "/x")
    assert err.value.status == status
    assert len(script.seen) == 1 and sleeps == []


@pytest.mark.parametrize(("status", "retried"), [(500, True), (503, True), (504, True), (408, False), (429, False), (502, False)])
def test_post_retried_only_on_500_503_504(server, status, retried):
    base, script = server
    script.steps = [(status, {}, b"")]
    t, sleeps = transport()
    if retried:
        assert t.request("POST", base + "/x", data=b"payload").status_code == 200
        assert len(script.seen) == 2
        assert script.seen[1]["body"] == b"payload"
    else:
        with pytest.raises(AzureRestError):
            t.request("POST", base + "/x", data=b"payload")
        assert len(script.seen) == 1


def test_expected_status_none_returns_final_response(server):
    base, script = server
    script.steps = [(404, {}, b"nope")]
    t = transport()[0]
    assert t.request("GET", base + "/x", expected_status=None).status_code == 404


def test_resigned_per_attempt_with_fresh_date(server, monkeypatch):
    base, script = server
    dates = ("Mon, 01 Jan 2024 00:00:%02d GMT" % i for i in itertools.count())
    monkeypatch.setattr(storage_key, "http_date", lambda: next(dates))
    script.steps = [(503, {}, b""), (500, {}, b"")]
    auth = SharedKeyAuth(ACCOUNT, KEY, "2023-11-03")
    t = transport(auth=auth)[0]
    t.request("PUT", base + "/%s/c?restype=container" % ACCOUNT, expected_status=(200,))
    assert len(script.seen) == 3
    seen_dates = [s["headers"]["x-ms-date"] for s in script.seen]
    assert seen_dates == ["Mon, 01 Jan 2024 00:00:0%d GMT" % i for i in range(3)]
    authz = [s["headers"]["Authorization"] for s in script.seen]
    assert len(set(authz)) == 3
    for s in script.seen:
        sts = sk.string_to_sign_shared_key(s["method"], base + s["path"], s["headers"], ACCOUNT)
        assert s["headers"]["Authorization"] == "SharedKey %s:%s" % (ACCOUNT, sk.sign(KEY, sts))


def test_body_rewound_for_retry(server):
    import io

    base, script = server
    script.steps = [(503, {}, b"")]
    t = transport()[0]
    t.request("PUT", base + "/x", data=io.BytesIO(b"0123456789"))
    assert [s["body"] for s in script.seen] == [b"0123456789", b"0123456789"]


def test_connection_reset_retried_for_get(server):
    base, script = server
    script.steps = ["reset", (200, {}, b"back")]
    t, sleeps = transport()
    assert t.request("GET", base + "/x").text == "back"
    assert len(script.seen) == 2 and len(sleeps) == 1
    assert "connection error" in t.retry_log[0]["reason"]


def test_connection_reset_not_retried_for_post(server):
    base, script = server
    script.steps = ["reset"]
    t = transport()[0]
    with pytest.raises(TransportError, match="connection failed"):
        t.request("POST", base + "/x", data=b"once")
    assert len(script.seen) == 1


def test_connection_refused_raises_transport_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t, sleeps = transport(retries=1)
    with pytest.raises(TransportError, match="2 attempt"):
        t.request("GET", "http://127.0.0.1:%d/x?sig=SECRETSIG" % port)
    assert len(sleeps) == 1


def test_timeout_raises_transport_error_with_redacted_url(server):
    base, script = server
    script.steps = [("sleep", 5)]
    t = transport(retries=0, timeout=0.3)[0]
    with pytest.raises(TransportError) as err:
        t.request("GET", base + "/c/b?sv=2022-11-02&sig=VerySecretSignature%3D&sp=r")
    assert "timed out" in err.value.msg
    assert "VerySecretSignature" not in err.value.msg
    assert "VerySecretSignature" not in err.value.url
    assert "sig=********" in err.value.url


def test_netrc_does_not_replace_authorization(server, tmp_path, monkeypatch):
    base, script = server
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1\n  login netrcuser\n  password netrcpass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    # plain requests picks up the .netrc (so this test can fail)
    requests.get(base + "/plain", timeout=5)
    assert script.seen[-1]["headers"]["Authorization"].startswith("Basic ")
    t = transport(auth=SharedKeyAuth(ACCOUNT, KEY, "2023-11-03"))[0]
    t.request("GET", base + "/%s/c" % ACCOUNT)
    assert script.seen[-1]["headers"]["Authorization"].startswith("SharedKey %s:" % ACCOUNT)
    t2 = transport()[0]
    t2.request("GET", base + "/none")
    assert "Authorization" not in script.seen[-1]["headers"]


@pytest.fixture(scope="module")
def tls():
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    other = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ca, other, ctx


def test_ca_bundle_passed_per_request_wins_over_env(tls, tmp_path, monkeypatch):
    ca, other, ctx = tls
    good = tmp_path / "good.pem"
    bad = tmp_path / "bad.pem"
    ca.cert_pem.write_to_path(str(good))
    other.cert_pem.write_to_path(str(bad))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bad))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bad))
    with serve(ctx) as (base, script):
        t = transport(ca_bundle=str(good))[0]
        assert t.request("GET", base + "/x").status_code == 200
        t2 = transport(retries=0)[0]
        with pytest.raises(TransportError, match="TLS error"):
            t2.request("GET", base + "/x")
        t3 = transport(validate_certs=False)[0]
        assert t3.request("GET", base + "/x").status_code == 200


def test_default_headers_and_client_request_id(server):
    base, script = server
    t = transport(default_headers={"x-ms-version": "2023-11-03"})[0]
    t.request("GET", base + "/x", headers={"x-ms-meta-a": "b"})
    h = script.seen[0]["headers"]
    assert h["User-Agent"] == _transport.USER_AGENT
    assert h["x-ms-version"] == "2023-11-03" and h["x-ms-meta-a"] == "b"
    assert len(h["x-ms-client-request-id"]) == 36


def test_json_body(server):
    base, script = server
    t = transport()[0]
    t.request("POST", base + "/x", json_body={"a": [1, 2]})
    assert script.seen[0]["body"] == b'{"a": [1, 2]}'
    assert script.seen[0]["headers"]["Content-Type"] == "application/json"


def test_on_retry_messages_redacted(server):
    base, script = server
    script.steps = [(503, {}, b"")]
    messages = []
    t = transport(on_retry=messages.append)[0]
    t.request("GET", base + "/c/b?sig=TopSecret123&sp=r")
    assert len(messages) == 1
    assert "TopSecret123" not in messages[0] and "retry 1 of 3" in messages[0]


@pytest.mark.parametrize("stream", [False, True])
def test_huge_error_body_is_read_only_up_to_the_cap(server, stream):
    """A server that answers an error with a huge body cannot make us hold it: at most ERROR_BODY_CAP is read."""
    base, script = server
    huge = b"<Error><Code>Nope</Code><Message>" + b"x" * (8 * 1024 * 1024) + b"</Message></Error>"
    script.steps = [(400, {"Content-Type": "application/xml", "x-ms-error-code": "Nope"}, huge)]
    t, _sleeps = transport(retries=0)
    with pytest.raises(AzureRestError) as exc:
        t.request("GET", base + "/x", stream=stream)
    assert exc.value.status == 400 and exc.value.error_code == "Nope"
    assert len(exc.value.body or "") <= _transport.ERROR_BODY_CAP


def test_success_body_is_read_whole(server):
    base, script = server
    body = b"y" * (3 * _transport.ERROR_BODY_CAP)
    script.steps = [(200, {}, body)]
    t, _sleeps = transport(retries=0)
    assert t.request("GET", base + "/x").content == body


def test_deeply_nested_xml_is_refused_cleanly():
    from ansible_collections.signet.azure.plugins.module_utils._xml import MAX_DEPTH, xml_to_dict

    shallow = "<a>" * 10 + "v" + "</a>" * 10
    assert xml_to_dict(shallow)["a"]["a"]
    deep = "<a>" * (MAX_DEPTH + 50) + "</a>" * (MAX_DEPTH + 50)
    with pytest.raises(ValueError, match="nested deeper"):
        xml_to_dict(deep)
    very_deep = "<a>" * 5000 + "</a>" * 5000  # would overflow a naive recursion
    with pytest.raises(ValueError, match="nested deeper"):
        xml_to_dict(very_deep)


def test_unresolvable_host_fails_at_once_and_says_what_to_check(monkeypatch):
    """A wrong account name or cloud (DNS failure) is not retried and is explained; nothing leaves the machine: the
    resolver is replaced so that every lookup fails as it does for a name that does not exist."""
    import socket

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    t, sleeps = transport(retries=3)
    with pytest.raises(TransportError) as exc:
        t.request("GET", "https://nosuchaccount.blob.core.windows.net/c?restype=container", action="read container c")
    assert sleeps == [] and t.retry_log == []
    msg = exc.value.msg
    assert msg.startswith("read container c: the host nosuchaccount.blob.core.windows.net does not resolve")
    assert "account_name" in msg and "cloud" in msg
