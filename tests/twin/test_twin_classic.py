# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof tests of the twin's classic Service Management plugin (tools/azure_twin/classic.py), with independent clients.

Clients: plain ``requests`` with ``cert=(crt, key)``, Python's ``ssl`` + ``http.client`` over a hand-made CONNECT
tunnel, and Microsoft's ``azure-servicemanagement-legacy`` (``ServiceManagementService``, unmaintained but the only
Microsoft Python SDK for this API). The SDK installs and works through the proxy twice: with its own
``HTTPS_PROXY`` (on Linux the SDK always uses a ``requests.Session`` with ``cert_file`` = PEM with cert + key) and with
a ``requests`` session we give it. Its ``set_proxy(host, port)`` cannot be used: it writes
``proxies["https"] = "https://host:port"``, i.e. TLS to the proxy itself, which the twin (like most corporate
proxies) does not speak. ``REQUESTS_CA_BUNDLE`` must point at the twin CA because it overrides ``Session.verify``.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import time
import xml.etree.ElementTree as ET

import pytest
import requests

NS = "{http://schemas.microsoft.com/windowsazure}"
VERSION = {"x-ms-version": "2014-06-01"}


def _url(twin, path="/services/storageservices", sub=None, host="management.core.windows.net"):
    return "https://%s/%s%s" % (host, sub or twin.info["classic"]["subscription_id"], path)


def _get(twin, cert=None, headers=VERSION, **kw):
    return requests.get(_url(twin, **kw), cert=cert, verify=twin.ca_file, proxies=twin.proxies, headers=headers, timeout=30)


def _code(resp):
    return ET.fromstring(resp.content).find(NS + "Code").text


def test_list_with_cert_and_key(clean_twin):
    c = clean_twin.info["classic"]
    resp = _get(clean_twin, cert=(c["cert_file"], c["key_file"]))
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-ms-request-id"]
    root = ET.fromstring(resp.content)
    assert root.tag == NS + "StorageServices"
    names = [s.find(NS + "ServiceName").text for s in root.findall(NS + "StorageService")]
    assert set(c["storage_services"]) <= set(names)
    first = root.find(NS + "StorageService")
    props = first.find(NS + "StorageServiceProperties")
    assert first.find(NS + "Url").text == _url(clean_twin) + "/" + names[0]
    assert base64.b64decode(props.find(NS + "Label").text).decode() == "Signet classic one"
    assert props.find(NS + "Status").text == "Created"
    endpoints = [e.text for e in props.find(NS + "Endpoints")]
    assert "https://%s.blob.core.windows.net/" % names[0] in endpoints
    log = clean_twin.requests_log(host="management.core.windows.net")
    assert log[-1]["status"] == 200 and log[-1]["plugin"] == "classic"


def test_pem_and_pfx_files_are_consistent(twin):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12

    c = twin.info["classic"]
    with open(c["pfx_file"], "rb") as fh:
        key, cert, _ = pkcs12.load_key_and_certificates(fh.read(), c["pfx_password"].encode())
    assert key.key_size == 2048
    assert cert.fingerprint(hashes.SHA1()).hex().upper() == c["thumbprint"]
    with open(c["cert_file"], "rb") as fh:
        assert x509.load_pem_x509_certificate(fh.read()) == cert
    with open(twin.info["client_ca_file"], "rb") as fh:
        assert cert.issuer == x509.load_pem_x509_certificate(fh.read()).subject


def test_other_clouds(twin):
    c = twin.info["classic"]
    for host, suffix in (
        ("management.core.chinacloudapi.cn", "core.chinacloudapi.cn"),
        ("management.core.usgovcloudapi.net", "core.usgovcloudapi.net"),
    ):
        resp = _get(twin, cert=c["pem_file"], host=host)
        assert resp.status_code == 200, resp.text
        assert ("https://%s/" % host) in resp.text and (".blob.%s/" % suffix) in resp.text


def test_without_client_certificate_403(twin):
    resp = _get(twin)
    assert resp.status_code == 403
    assert _code(resp) == "ForbiddenError"
    assert "associated with this subscription" in resp.text


def test_unregistered_certificate_403(twin):
    resp = _get(twin, cert=twin.info["classic"]["unregistered_pem_file"])
    assert resp.status_code == 403
    assert _code(resp) == "ForbiddenError"


def test_certificate_not_associated_with_other_subscription(twin):
    c = twin.info["classic"]
    resp = _get(twin, cert=c["pem_file"], sub=c["other_subscription_id"])
    assert resp.status_code == 403 and _code(resp) == "ForbiddenError"


def test_unknown_subscription_404(twin):
    resp = _get(twin, cert=twin.info["classic"]["pem_file"], sub="00000000-0000-0000-0000-000000000000")
    assert resp.status_code == 404 and _code(resp) == "ResourceNotFound"
    assert "does not exist" in resp.text


@pytest.mark.parametrize(
    "headers", [{}, {"x-ms-version": "2014"}, {"x-ms-version": "2008-01-01"}], ids=["missing", "malformed", "too-old"]
)
def test_version_header_required(twin, headers):
    resp = _get(twin, cert=twin.info["classic"]["pem_file"], headers=headers)
    assert resp.status_code == 400
    assert _code(resp) == "MissingOrIncorrectVersionHeader"
    assert "versioning header is not specified" in resp.text


def test_create_and_poll_operation(twin, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", twin.ca_file)  # the environment's bundle would override Session.verify
    c = twin.info["classic"]
    s = requests.Session()
    s.cert, s.verify, s.proxies = c["pem_file"], twin.ca_file, twin.proxies
    s.headers.update(VERSION)
    name = "twinpoll%d" % (int(time.time() * 1000) % 10**8)
    body = (
        '<CreateStorageServiceInput xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>%s</ServiceName>'
        "<Label>%s</Label><Location>West Europe</Location></CreateStorageServiceInput>"
        % (name, base64.b64encode(b"poll me").decode())
    )
    try:
        resp = s.post(_url(twin), data=body, headers={"Content-Type": "application/xml"})
        assert resp.status_code == 202, resp.text
        op_id = resp.headers["x-ms-request-id"]
        statuses = []
        for _ in range(5):
            op = s.get(_url(twin, "/operations/" + op_id))
            assert op.status_code == 200
            statuses.append(ET.fromstring(op.content).find(NS + "Status").text)
            if statuses[-1] == "Succeeded":
                break
        assert statuses == ["InProgress"] * (c["polls_until_done"] - 1) + ["Succeeded"]
        one = s.get(_url(twin, "/services/storageservices/" + name))
        assert one.status_code == 200 and "<Status>Created</Status>" in one.text
        again = s.post(_url(twin), data=body)
        assert again.status_code == 409 and _code(again) == "ConflictError"
        bad = s.post(_url(twin), data=body.replace(name, "Bad_Name"))
        assert bad.status_code == 400
    finally:
        assert s.delete(_url(twin, "/services/storageservices/" + name)).status_code in (200, 404)
    assert s.get(_url(twin, "/services/storageservices/" + name)).status_code == 404
    assert s.get(_url(twin, "/operations/nope")).status_code == 404


def _tunnel(twin, host):
    conn = http.client.HTTPSConnection(
        "127.0.0.1", twin.port, context=_ctx(twin), timeout=30
    )  # the proxy; set_tunnel makes the TLS session go to host:443 through CONNECT
    conn.set_tunnel(host, 443)
    return conn


def _ctx(twin, certfile=None, keyfile=None):
    ctx = ssl.create_default_context(cafile=twin.ca_file)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


def test_python_ssl_directly(twin):
    c = twin.info["classic"]
    host = "management.core.windows.net"
    path = "/%s/services/storageservices" % c["subscription_id"]
    conn = http.client.HTTPSConnection("127.0.0.1", twin.port, context=_ctx(twin, c["cert_file"], c["key_file"]), timeout=30)
    conn.set_tunnel(host, 443)
    conn.request("GET", path, headers=VERSION)
    resp = conn.getresponse()
    assert resp.status == 200
    assert b"<ServiceName>signetclassic01</ServiceName>" in resp.read()
    peer = conn.sock.getpeercert()
    assert any(v == host for k, v in peer["subjectAltName"])
    conn.close()
    conn = _tunnel(twin, host)
    conn.request("GET", path, headers=VERSION)
    resp = conn.getresponse()
    assert resp.status == 403 and b"ForbiddenError" in resp.read()
    conn.close()


def test_microsoft_sdk_oracle(twin, monkeypatch):
    sm = pytest.importorskip("azure.servicemanagement")
    c = twin.info["classic"]
    monkeypatch.setenv("SSL_CERT_FILE", twin.ca_file)  # http.client's default context verifies the twin's TLS cert
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", twin.ca_file)  # overrides Session.verify in requests
    monkeypatch.setenv("HTTPS_PROXY", twin.proxy_url)  # the SDK's own requests.Session honours it
    monkeypatch.setenv("NO_PROXY", "")
    sms = sm.ServiceManagementService(c["subscription_id"], c["pem_file"], host="management.core.windows.net")
    names = [s.service_name for s in sms.list_storage_accounts()]
    assert "signetclassic01" in names and "signetclassic02" in names
    one = next(s for s in sms.list_storage_accounts() if s.service_name == "signetclassic01")
    assert one.storage_service_properties.location == "West Europe"
    assert one.storage_service_properties.label == "Signet classic one"  # the SDK decodes base64 labels
    session = requests.Session()
    session.cert, session.verify, session.proxies = c["pem_file"], twin.ca_file, twin.proxies
    via_requests = sm.ServiceManagementService(c["subscription_id"], host="management.core.windows.net", request_session=session)
    assert sorted(s.service_name for s in via_requests.list_storage_accounts()) == sorted(names)
    bad = requests.Session()
    bad.cert, bad.verify, bad.proxies = c["unregistered_pem_file"], twin.ca_file, twin.proxies
    with pytest.raises(Exception) as exc:
        sm.ServiceManagementService(
            c["subscription_id"], host="management.core.windows.net", request_session=bad
        ).list_storage_accounts()
    assert "403" in str(exc.value) or "Forbidden" in str(exc.value)


def test_self_signed_management_certificate(twin):
    """Real management certificates are mostly self-signed; the seeded one passes TLS and is registered."""
    c = twin.info["classic"]
    resp = _get(twin, cert=c["selfsigned_pem_file"])
    assert resp.status_code == 200, resp.text


def test_failed_operation_and_certificate_registry(twin, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", twin.ca_file)
    c = twin.info["classic"]
    s = requests.Session()
    s.cert, s.proxies = c["pem_file"], twin.proxies
    s.headers.update(VERSION)
    twin.control("/_twin/classic/fail-next-operation", {"code": "StorageAccountLimitReached", "message": "limit of 100 reached"})
    body = (
        '<CreateStorageServiceInput xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>twinfails</ServiceName>'
        "<Label>%s</Label><Location>West Europe</Location></CreateStorageServiceInput>" % base64.b64encode(b"x").decode()
    )
    op_id = s.post(_url(twin), data=body).headers["x-ms-request-id"]
    for _ in range(c["polls_until_done"]):
        op = ET.fromstring(s.get(_url(twin, "/operations/" + op_id)).content)
    assert op.find(NS + "Status").text == "Failed"
    assert op.find(NS + "Error").find(NS + "Code").text == "StorageAccountLimitReached"
    assert s.get(_url(twin, "/services/storageservices/twinfails")).status_code == 404
    # registry: the unregistered certificate becomes usable, then not again
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    with open(c["unregistered_cert_file"], "rb") as fh:
        thumb = x509.load_pem_x509_certificate(fh.read()).fingerprint(hashes.SHA1()).hex()  # lower case on purpose
    assert thumb.upper() == c["unregistered_thumbprint"]
    try:
        twin.control("/_twin/classic/register-certificate", {"thumbprint": thumb})
        assert _get(twin, cert=c["unregistered_pem_file"]).status_code == 200
    finally:
        twin.control("/_twin/classic/unregister-certificate", {"thumbprint": thumb})
    assert _get(twin, cert=c["unregistered_pem_file"]).status_code == 403
    state = twin.control("/_twin/classic/state")
    assert c["thumbprint"] in state[c["subscription_id"]]["certificates"]
