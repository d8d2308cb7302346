# SPDX-License-Identifier: GPL-3.0-or-later
"""The twin's proxy, TLS, HTTP parsing, routing, control API, faults and request log."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from pathlib import Path

import pytest
import requests
import trustme

from azure_twin import plugin
from azure_twin.harness import TwinError

ARM = "https://management.azure.com"


def _session(twin) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # explicit proxies/verify only, independent of the environment
    session.proxies = twin.proxies
    session.verify = twin.ca_file
    return session


def _discovery_url(twin, host="login.microsoftonline.com"):
    return f"https://{host}/{twin.info['tenant_id']}/v2.0/.well-known/openid-configuration"


def _connect(twin, target: str) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", twin.port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return sock, data


# ------------------------------------------------------------------------------------------------ pure helpers
def test_host_matches_one_label_only():
    assert plugin.host_matches("*.vault.azure.net", "myvault.vault.azure.net")
    assert plugin.host_matches("*.eastus.batch.azure.com", "acct.EASTUS.batch.azure.com")
    assert not plugin.host_matches("*.batch.azure.com", "acct.eastus.batch.azure.com")
    assert not plugin.host_matches("*.vault.azure.net", "vault.azure.net")
    assert plugin.host_matches("management.azure.com", "management.azure.com.")


def test_request_and_response_helpers():
    headers = plugin.Headers([("X-Ms-Date", "a"), ("x-ms-date", "b")])
    assert headers.get("X-MS-DATE") == "a" and headers.get_all("x-ms-date") == ["a", "b"]
    req = plugin.Request(
        method="get",
        raw_path="/a%2Fb/c?x=1&x=2&empty=&comp=list",
        headers=headers,
        body=b'{"k": 1}',
        host="Acct.EastUS.batch.azure.com",
        port=443,
        cloud=plugin.CLOUDS["AzureCloud"],
        state=None,
    )
    assert req.method == "GET" and req.path == "/a/b/c" and req.raw_path.startswith("/a%2Fb/c")
    assert req.query == {"x": ["1", "2"], "empty": [""], "comp": ["list"]}
    assert req.json() == {"k": 1} and req.host == "acct.eastus.batch.azure.com"
    assert req.cloud_name == "AzureCloud"
    with pytest.raises(plugin.MissingToken):
        req.bearer_token()
    assert plugin.Response(200, {"a": 1}).headers["Content-Type"].startswith("application/json")
    assert plugin.Response(200, "x").body == b"x"
    assert plugin.CLOUDS["AzureChinaCloud"].resource("keyvault") == "https://vault.azure.cn"


# ------------------------------------------------------------------------------------------------ proxy behaviour
def test_unknown_host_connect_gets_502(clean_twin):
    sock, data = _connect(clean_twin, "example.com:443")
    sock.close()
    assert data.startswith(b"HTTP/1.1 502 ")
    assert b"never forwards" in data
    with pytest.raises(requests.exceptions.ProxyError):
        _session(clean_twin).get("https://www.example.org/")
    log = clean_twin.requests_log()
    assert [e["status"] for e in log if e["method"] == "CONNECT"] == [502, 502]


def test_known_host_on_other_port_is_refused(clean_twin):
    sock, data = _connect(clean_twin, "management.azure.com:8443")
    sock.close()
    assert data.startswith(b"HTTP/1.1 502 ")


def test_plain_forward_proxy_request_refused(twin):
    conn = http.client.HTTPConnection("127.0.0.1", twin.port, timeout=10)
    conn.request("GET", "http://example.com/")
    resp = conn.getresponse()
    assert resp.status == 502 and b"not a forwarding proxy" in resp.read()
    conn.close()


def test_tls_certificate_covers_azure_hosts(twin):
    session = _session(twin)
    for host in ("login.microsoftonline.com", "login.chinacloudapi.cn", "login.microsoftonline.us"):
        assert session.get(_discovery_url(twin, host)).status_code == 200
    for url in (
        "https://myvault.vault.azure.net/secrets?api-version=7.4",
        "https://myvault.vault.azure.cn/secrets?api-version=7.4",
        "https://myvault.vault.usgovcloudapi.net/secrets?api-version=7.4",
        "https://acct.westeurope.batch.azure.com/jobs",
        "https://acct.chinanorth2.batch.chinacloudapi.cn/jobs",
        "https://acct.usgovvirginia.batch.usgovcloudapi.net/jobs",
        f"{ARM}/subscriptions",
        "https://management.chinacloudapi.cn/subscriptions",
        "https://management.usgovcloudapi.net/subscriptions",
    ):
        # TLS verification succeeds (no SSLError); the status belongs to the plugin
        assert session.get(url).status_code < 600, url


def test_keep_alive_two_requests_one_connection(clean_twin):
    session = _session(clean_twin)
    first = session.get(_discovery_url(clean_twin))
    second = session.get(_discovery_url(clean_twin))
    assert first.status_code == second.status_code == 200
    assert first.headers["Connection"] == "keep-alive"
    log = [e for e in clean_twin.requests_log() if e["method"] == "GET"]
    assert len(log) == 2 and log[0]["conn"] == log[1]["conn"] is not None


def test_host_header_must_match_tunnel(twin):
    sock, data = _connect(twin, "login.microsoftonline.com:443")
    assert data.startswith(b"HTTP/1.1 200 ")
    ctx = ssl.create_default_context(cafile=twin.ca_file)
    tls = ctx.wrap_socket(sock, server_hostname="login.microsoftonline.com")
    conn = http.client.HTTPConnection("login.microsoftonline.com")
    conn.sock = tls
    conn.request("GET", "/common/discovery/keys", headers={"Host": "management.azure.com"})
    assert conn.getresponse().status == 421
    tls.close()


def test_chunked_request_body_is_decoded(twin):
    app = twin.info["entra"]["secret_app"]
    form = (
        f"grant_type=client_credentials&client_id={app['client_id']}&client_secret="
        f"{requests.utils.quote(app['client_secret'], safe='')}&scope=https%3A%2F%2Fvault.azure.net%2F.default"
    )

    def chunks():
        yield form[:10].encode()
        yield form[10:].encode()

    resp = _session(twin).post(
        f"https://login.microsoftonline.com/{twin.info['tenant_id']}/oauth2/v2.0/token",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_type"] == "Bearer"


def test_classic_host_requests_client_certificate(twin, tmp_path):
    session = _session(twin)
    url = "https://management.core.windows.net/" + twin.info["subscription_id"] + "/services/hostedservices"
    resp = session.get(url, headers={"x-ms-version": "2014-06-01"})
    assert resp.status_code == 403
    assert "<Code>ForbiddenError</Code>" in resp.text
    # A certificate from a CA the twin does not trust fails the handshake.
    foreign = trustme.CA().issue_cert("intruder")
    foreign_pem = tmp_path / "foreign.pem"
    foreign.private_key_and_cert_chain_pem.write_to_path(str(foreign_pem))
    with pytest.raises(requests.exceptions.ConnectionError):  # SSLError, or a reset under TLS 1.3
        session.get(url, cert=str(foreign_pem), headers={"x-ms-version": "2014-06-01"})
    # A certificate issued by the twin's client CA passes the TLS layer; the classic plugin then answers in its
    # own XML error shape (this one is not registered to any subscription).
    resp = session.get(url, cert=twin.info["client_test_cert_file"], headers={"x-ms-version": "2014-06-01"})
    assert "http://schemas.microsoft.com/windowsazure" in resp.text
    assert Path(twin.info["client_ca_file"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE")


# ------------------------------------------------------------------------------------------------ control API
def test_control_api(twin):
    info = twin.control("/_twin/info")
    assert info["port"] == twin.port and info["tenant_id"] == twin.info["tenant_id"]
    assert set(info["plugins"]) == {"entra", "keyvault", "arm", "batch", "classic", "blob"}
    assert "*.eastus.batch.azure.com" in info["hosts"]["AzureCloud"]
    with pytest.raises(TwinError):
        twin.control("/_twin/nope")
    with pytest.raises(TwinError):
        twin.control("/_twin/faults", {"status": 429, "bogus": 1})
    with pytest.raises(TwinError):
        twin.control("/_twin/faults", {"action": "respond"})
    conn = http.client.HTTPConnection("127.0.0.1", twin.port, timeout=10)
    conn.request("GET", "/something-else")
    assert conn.getresponse().status == 404
    conn.close()


# ------------------------------------------------------------------------------------------------ faults
def test_faults_consumed_in_order_and_logged(clean_twin):
    twin = clean_twin
    twin.control(
        "/_twin/faults",
        [
            {
                "host": r"login\.microsoftonline\.com",
                "path": "openid-configuration",
                "status": 429,
                "headers": {"Retry-After": "1"},
            },
            {"host": "login", "method": "GET", "status": 503, "count": 2},
        ],
    )
    assert len(twin.control("/_twin/faults")["faults"]) == 2
    session = _session(twin)
    url = _discovery_url(twin)
    first = session.get(url)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert [session.get(url).status_code for _ in range(3)] == [503, 503, 200]
    assert twin.control("/_twin/faults")["faults"] == []
    log = twin.requests_log(host="login")
    assert [e["status"] for e in log] == [429, 503, 503, 200]
    assert [e["fault"]["status"] if e["fault"] else None for e in log] == [429, 503, 503, None]
    assert log[0]["seq"] < log[-1]["seq"] and log[0]["time"] <= log[-1]["time"]
    assert twin.requests_log(since=log[-2]["seq"])[0]["seq"] == log[-1]["seq"]


def test_fault_does_not_match_other_hosts(clean_twin):
    clean_twin.add_fault(host=r"vault\.azure\.net", status=500)
    assert _session(clean_twin).get(_discovery_url(clean_twin)).status_code == 200
    assert len(clean_twin.control("/_twin/faults")["faults"]) == 1


def test_reset_fault_raises_connection_error(clean_twin):
    clean_twin.add_fault(host="login", action="reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        _session(clean_twin).get(_discovery_url(clean_twin))
    entry = clean_twin.requests_log()[-1]
    assert entry["outcome"] == "reset" and entry["status"] is None
    assert _session(clean_twin).get(_discovery_url(clean_twin)).status_code == 200


def test_truncate_fault_raises_chunked_encoding_error(clean_twin):
    clean_twin.add_fault(host="login", action="truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _session(clean_twin).get(_discovery_url(clean_twin))
    assert clean_twin.requests_log()[-1]["outcome"] == "truncated"


def test_delay_fault_is_logged_and_then_answered(clean_twin):
    clean_twin.add_fault(host="login", delay=0.2)
    assert _session(clean_twin).get(_discovery_url(clean_twin)).status_code == 200
    entry = clean_twin.requests_log()[-1]
    assert entry["fault"]["action"] == "delay" and entry["fault"]["delay"] == 0.2 and entry["status"] == 200


def test_log_redacts_authorization_and_identity_header(clean_twin):
    session = _session(clean_twin)
    session.get(
        _discovery_url(clean_twin), headers={"Authorization": "Bearer secret-token-value", "x-ms-client-request-id": "abc"}
    )
    entry = clean_twin.requests_log()[-1]
    assert entry["headers"]["authorization"] == "Bearer REDACTED"
    assert entry["headers"]["x-ms-client-request-id"] == "abc"
    assert "secret-token-value" not in json.dumps(clean_twin.requests_log())


# ------------------------------------------------------------------------------------------------ token verification
def test_bearer_verification_via_control(twin):
    good = twin.control("/_twin/entra/mint", {"resource": "https://vault.azure.net"})["access_token"]
    assert (
        twin.control("/_twin/entra/verify", {"token": good, "resource": "https://vault.azure.net/"})["claims"]["aud"]
        == "https://vault.azure.net"
    )
    wrong_aud = twin.control("/_twin/entra/verify", {"token": good, "resource": "https://management.azure.com/"})
    assert wrong_aud["error"] == "audience" and wrong_aud["arm_code"] == "InvalidAuthenticationTokenAudience"
    expired = twin.control("/_twin/entra/mint", {"resource": "https://management.azure.com/", "expired": True})
    result = twin.control("/_twin/entra/verify", {"token": expired["access_token"], "resource": "https://management.azure.com/"})
    assert result["arm_code"] == "ExpiredAuthenticationToken" and "is earlier than current UTC time" in result["message"]
    forged = twin.control("/_twin/entra/mint", {"resource": "https://vault.azure.net", "bad_signature": True})
    assert (
        twin.control("/_twin/entra/verify", {"token": forged["access_token"], "resource": "https://vault.azure.net"})["error"]
        == "invalid"
    )
    other_tenant = twin.control(
        "/_twin/entra/mint", {"resource": "https://vault.azure.net", "tenant_id": "00000000-0000-0000-0000-000000000001"}
    )
    assert (
        twin.control("/_twin/entra/verify", {"token": other_tenant["access_token"], "resource": "https://vault.azure.net"})[
            "error"
        ]
        == "invalid"
    )
    twin.control("/_twin/entra/revoke", {"token": good})
    assert twin.control("/_twin/entra/verify", {"token": good, "resource": "https://vault.azure.net"})["error"] == "invalid"


def test_bearer_claims_and_401_shapes_in_process(tmp_path):
    from azure_twin import entra
    from azure_twin.state import create_state

    state = create_state(str(tmp_path), hostnames=["management.azure.com", "*.vault.azure.net"])
    public = plugin.CLOUDS["AzureCloud"]
    app = next(iter(state.apps.values()))

    def request(token=None, host="myvault.vault.azure.net"):
        headers = plugin.Headers({"Authorization": f"Bearer {token}"} if token else {})
        return plugin.Request(
            method="GET",
            raw_path="/secrets?api-version=7.4",
            headers=headers,
            body=b"",
            host=host,
            port=443,
            cloud=public,
            state=state,
        )

    good, _ = entra.issue_access_token(
        state, resource="https://vault.azure.net", cloud=public, client_id=app.client_id, object_id=app.object_id, appidacr="1"
    )
    assert request(good).bearer_claims(public.audiences("keyvault"))["appid"] == app.client_id
    with pytest.raises(plugin.WrongAudience):
        request(good).bearer_claims(public.audiences("arm"))
    with pytest.raises(plugin.InvalidToken):
        request(good[:-4] + "AAAA").bearer_claims("https://vault.azure.net")
    expired, _ = entra.issue_access_token(
        state,
        resource="https://management.azure.com/",
        cloud=public,
        client_id=app.client_id,
        object_id=app.object_id,
        appidacr="1",
        expired=True,
    )
    with pytest.raises(plugin.ExpiredToken) as info:
        request(expired, "management.azure.com").bearer_claims(public.audiences("arm"))
    arm_401 = entra.arm_unauthorized(info.value)
    assert arm_401.status == 401 and arm_401.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in arm_401.json()["error"]["message"]
    with pytest.raises(plugin.MissingToken) as missing:
        request().bearer_claims("https://vault.azure.net")
    kv_401 = entra.keyvault_unauthorized(missing.value, request())
    assert kv_401.json() == {"error": {"code": "Unauthorized", "message": "Request is missing a Bearer or PoP token."}}
    assert kv_401.headers["WWW-Authenticate"] == (
        f'Bearer authorization="https://login.microsoftonline.com/{state.tenant_id}", resource="https://vault.azure.net"'
    )
    assert entra.arm_unauthorized(missing.value).json()["error"]["code"] == "AuthenticationFailed"
