# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof of honesty for the twin's Key Vault: Microsoft's azure-keyvault-certificates and azure-keyvault-secrets,
unchanged and with azure-identity credentials, work against it through HTTPS_PROXY (fixture ``twin_env``).

No SDK hook is needed: the twin answers the SDKs' first, unauthenticated request with Key Vault's 401 challenge
(``WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"``);
the challenge resource is on the vault's own domain, so ``verify_challenge_resource`` stays at its default (True).
The raw checks use plain ``requests`` with a token from azure-identity.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.certificates import CertificateClient, CertificateContentType, CertificatePolicy
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

API = "2025-06-01"


def _cred(twin, authority=None):
    app = twin.info["entra"]["secret_app"]
    kwargs = {"authority": authority} if authority else {}
    return ClientSecretCredential(twin.info["tenant_id"], app["client_id"], app["client_secret"], **kwargs)


def _vault(twin, cloud="AzureCloud"):
    return twin.info["keyvault"]["vault_urls"][cloud]


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def _raw(twin, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.request(
        method, _vault(twin) + path, headers=headers, proxies=twin.proxies, verify=twin.ca_file, timeout=30, **kwargs
    )


def _token(twin):
    return _cred(twin).get_token("https://vault.azure.net/.default").token


def test_challenge_without_token(twin_env):
    resp = _raw(twin_env, "GET", "/secrets/anything?api-version=" + API)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == (
        'Bearer authorization="https://login.microsoftonline.com/%s", resource="https://vault.azure.net"'
        % twin_env.info["tenant_id"]
    )
    assert resp.json() == {"error": {"code": "Unauthorized", "message": "Request is missing a Bearer or PoP token."}}


def test_api_version_required_and_wrong_audience(twin_env):
    token = _token(twin_env)
    assert _raw(twin_env, "GET", "/secrets/x", token).status_code == 400
    arm = _cred(twin_env).get_token("https://management.azure.com/.default").token
    resp = _raw(twin_env, "GET", "/secrets/x?api-version=" + API, arm)
    assert resp.status_code == 401 and "AKV10022" in resp.json()["error"]["message"]


def test_import_pfx_and_read_back(twin_env):
    app = twin_env.info["entra"]["cert_app"]
    client = CertificateClient(_vault(twin_env), _cred(twin_env))
    name = _name("sdk")
    with open(app["pfx_file"], "rb") as fh:
        imported = client.import_certificate(name, fh.read(), password=app["pfx_password"], tags={"t": "1"})
    assert imported.properties.x509_thumbprint.hex().upper() == app["thumbprint"]
    assert len(imported.properties.version) == 32
    assert imported.secret_id == "%s/secrets/%s/%s" % (_vault(twin_env), name, imported.properties.version)
    assert imported.key_id == "%s/keys/%s/%s" % (_vault(twin_env), name, imported.properties.version)
    got = client.get_certificate(name)
    assert got.cer == imported.cer and hashlib.sha1(bytes(got.cer)).hexdigest().upper() == app["thumbprint"]  # noqa: S324
    assert got.properties.tags == {"t": "1"} and got.properties.enabled
    assert got.policy.content_type == CertificateContentType.pkcs12
    # the backing secret holds the PFX (base64, no password) of the same certificate
    secret = SecretClient(_vault(twin_env), _cred(twin_env)).get_secret(name)
    assert secret.properties.content_type == "application/x-pkcs12" and secret.properties.managed
    _key, cert, _chain = pkcs12.load_key_and_certificates(base64.b64decode(secret.value), None)
    assert cert.fingerprint(cert.signature_hash_algorithm.__class__()) is not None
    assert hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper() == app["thumbprint"]  # noqa: S324


def test_versions_paging_and_pem_import(twin_env):
    app = twin_env.info["entra"]["cert_app"]
    client = CertificateClient(_vault(twin_env), _cred(twin_env))
    name = _name("pem")
    with open(app["cert_pem_file"], "rb") as fh:
        pem = fh.read()
    policy = CertificatePolicy.get_default()
    policy._content_type = CertificateContentType.pem
    versions = {client.import_certificate(name, pem, policy=policy).properties.version for _round in range(3)}
    assert len(versions) == 3
    assert {p.version for p in client.list_properties_of_certificate_versions(name)} == versions
    page = _raw(twin_env, "GET", "/certificates/%s/versions?api-version=%s&maxresults=1" % (name, API), _token(twin_env)).json()
    assert len(page["value"]) == 1 and page["nextLink"].startswith(_vault(twin_env) + ":443/certificates/")


def test_import_refusals(twin_env):
    app = twin_env.info["entra"]["cert_app"]
    client = CertificateClient(_vault(twin_env), _cred(twin_env))
    with open(app["pfx_file"], "rb") as fh:
        pfx = fh.read()
    with pytest.raises(HttpResponseError) as exc:
        client.import_certificate(_name("bad"), pfx, password="wrong")
    assert "PKCS#12" in exc.value.message
    with open(app["cert_file"], "rb") as fh:
        cert_only = fh.read()
    policy = CertificatePolicy.get_default()
    policy._content_type = CertificateContentType.pem
    with pytest.raises(HttpResponseError) as exc:
        client.import_certificate(_name("bad"), cert_only, policy=policy)
    assert "No certificate with private key" in exc.value.message


def test_soft_delete_conflict_recover_purge(twin_env):
    app = twin_env.info["entra"]["cert_app"]
    client = CertificateClient(_vault(twin_env), _cred(twin_env))
    name = _name("del")
    with open(app["pfx_file"], "rb") as fh:
        pfx = fh.read()
    version = client.import_certificate(name, pfx, password=app["pfx_password"]).properties.version
    deleted = client.begin_delete_certificate(name, _polling_interval=0.2).result()
    assert deleted.recovery_id == "%s/deletedcertificates/%s" % (_vault(twin_env), name)
    with pytest.raises(ResourceNotFoundError):
        client.get_certificate(name)
    raw = _raw(
        twin_env,
        "POST",
        "/certificates/%s/import?api-version=%s" % (name, API),
        _token(twin_env),
        json={"value": base64.b64encode(pfx).decode(), "pwd": app["pfx_password"]},
    )
    assert raw.status_code == 409
    assert raw.json() == {
        "error": {
            "code": "Conflict",
            "message": "Certificate %s is currently in a deleted but recoverable state, and its name cannot be reused; in this "
            "state, the certificate can only be recovered or purged." % name,
            "innererror": {"code": "ObjectIsDeletedButRecoverable"},
        }
    }
    with pytest.raises(ResourceExistsError):
        client.import_certificate(name, pfx, password=app["pfx_password"])
    # recovery is asynchronous: the SDK's poller GETs until the certificate is back (result() does not wait; wait() does)
    poller = client.begin_recover_deleted_certificate(name, _polling_interval=0.2)
    poller.wait()
    recovered = poller.result()
    assert recovered.properties.version == version
    assert client.get_certificate(name).properties.version == version
    client.begin_delete_certificate(name, _polling_interval=0.2).wait()
    client.purge_deleted_certificate(name)
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_certificate(name)
    assert client.import_certificate(name, pfx, password=app["pfx_password"]).properties.version != version


def test_secrets_set_get_delete_recover(twin_env):
    client = SecretClient(_vault(twin_env), _cred(twin_env))
    name = _name("sec")
    first = client.set_secret(name, "v1", content_type="text/plain", tags={"o": "x"})
    second = client.set_secret(name, "v2")
    assert first.id == "%s/secrets/%s/%s" % (_vault(twin_env), name, first.properties.version)
    assert client.get_secret(name).value == "v2"
    assert client.get_secret(name, first.properties.version).value == "v1"
    assert client.get_secret(name, first.properties.version).properties.tags == {"o": "x"}
    assert {p.version for p in client.list_properties_of_secret_versions(name)} == {
        first.properties.version,
        second.properties.version,
    }
    client.begin_delete_secret(name, _polling_interval=0.2).wait()
    with pytest.raises(ResourceExistsError):
        client.set_secret(name, "v3")
    client.begin_recover_deleted_secret(name, _polling_interval=0.2).wait()
    assert client.get_secret(name).value == "v2"


def test_lookup_secret_by_url(twin_env):
    """The helper the Cloud Service twin uses, through the control API (the value itself is not returned there)."""
    app = twin_env.info["entra"]["cert_app"]
    with open(app["pfx_file"], "rb") as fh:
        pfx = fh.read()
    doc = {"data": base64.b64encode(pfx).decode(), "dataType": "pfx", "password": app["pfx_password"]}
    secret = SecretClient(_vault(twin_env), _cred(twin_env)).set_secret(
        _name("cs"), base64.b64encode(json.dumps(doc).encode()).decode()
    )
    found = twin_env.control("/_twin/keyvault/lookup", {"url": secret.id})
    assert found["thumbprint"] == app["thumbprint"] and found["version"] == secret.properties.version and found["enabled"]
    unversioned = secret.id.rsplit("/", 1)[0]
    with pytest.raises(Exception, match="404"):
        twin_env.control("/_twin/keyvault/lookup", {"url": unversioned})


def test_china_vault(twin_env):
    cred = _cred(twin_env, authority="login.chinacloudapi.cn")
    client = SecretClient(_vault(twin_env, "AzureChinaCloud"), cred)
    name = _name("cn")
    created = client.set_secret(name, "cn-value")
    assert created.id.startswith("https://signetkv.vault.azure.cn/secrets/")
    assert client.get_secret(name).value == "cn-value"


def test_thumbprint_of_secret_value_forms():
    from azure_twin.keyvault import thumbprint_of_secret_value

    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    thumb = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # noqa: S324
    plain = base64.b64encode(pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())).decode()
    protected = pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.BestAvailableEncryption(b"pw"))
    doc = json.dumps({"data": base64.b64encode(protected).decode(), "dataType": "pfx", "password": "pw"})
    assert thumbprint_of_secret_value(plain, "application/x-pkcs12") == thumb
    assert thumbprint_of_secret_value(doc, "application/json") == thumb
    assert thumbprint_of_secret_value(base64.b64encode(doc.encode()).decode(), None) == thumb
    assert thumbprint_of_secret_value(cert.public_bytes(serialization.Encoding.PEM).decode(), "application/x-pem-file") == thumb
    assert thumbprint_of_secret_value("just a password", None) is None
    assert time.time() > 0
