# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof of honesty: Microsoft's own libraries, unchanged, get tokens from the twin's Entra ID.

The only configuration is what a user would export for a corporate proxy: ``HTTPS_PROXY`` pointing at the twin and
``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` trusting its CA (fixture ``twin_env``). No SDK hook is needed: msal
skips instance discovery for the well-known login hosts and fetches the tenant's openid-configuration through the
proxy, and azure-identity uses msal for the confidential-client flows. Tokens are then checked with PyJWT (an
independent verifier) against the JWKS the twin publishes at ``/{tenant}/discovery/v2.0/keys``.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

import jwt
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    ClientAssertionCredential,
    ClientSecretCredential,
    CertificateCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

VAULT = "https://vault.azure.net"
ARM = "https://management.azure.com/"
BATCH = "https://batch.core.windows.net/"


# ------------------------------------------------------------------------------------------------ helpers
def _jwks(twin, host="login.microsoftonline.com") -> dict:
    resp = requests.get(
        f"https://{host}/{twin.info['tenant_id']}/discovery/v2.0/keys", proxies=twin.proxies, verify=twin.ca_file, timeout=30
    )
    resp.raise_for_status()
    return resp.json()


def _verify(twin, token: str, audience: str, host="login.microsoftonline.com") -> dict:
    """Verify an access token with PyJWT against the twin's published JWKS."""
    header = jwt.get_unverified_header(token)
    keys = {k["kid"]: k for k in _jwks(twin, host)["keys"]}
    assert header["kid"] in keys
    key = jwt.PyJWK(keys[header["kid"]]).key
    claims = jwt.decode(token, key=key, algorithms=["RS256"], audience=audience)
    assert claims["tid"] == twin.info["tenant_id"]
    assert claims["exp"] > time.time() + 3000
    return claims


def _authority(twin, host="login.microsoftonline.com", tenant=None) -> str:
    return f"https://{host}/{tenant or twin.info['tenant_id']}"


def _cert_app(twin) -> dict:
    return twin.info["entra"]["cert_app"]


def _assertion(twin, *, exp_offset=600, nbf_offset=0, key_pem=None, thumbprint=None, aud=None) -> str:
    """A client assertion built by hand with PyJWT (the format msal produces)."""
    app = _cert_app(twin)
    key_pem = key_pem or Path(app["key_file"]).read_bytes()
    thumb = bytes.fromhex(thumbprint or app["thumbprint"])
    now = int(time.time())
    return jwt.encode(
        {
            "aud": aud or f"https://login.microsoftonline.com/{twin.info['tenant_id']}/oauth2/v2.0/token",
            "iss": app["client_id"],
            "sub": app["client_id"],
            "jti": str(uuid.uuid4()),
            "nbf": now + nbf_offset,
            "iat": now + nbf_offset,
            "exp": now + exp_offset,
        },
        key_pem,
        algorithm="RS256",
        headers={"x5t": jwt.utils.base64url_encode(thumb).decode()},
    )


def _static(assertion: str) -> dict:
    """msal client_credential for a fixed assertion (a callable, as msal recommends)."""
    return {"client_assertion": lambda: assertion}


def _codes(result: dict) -> list[int]:
    assert "access_token" not in result, result
    return result.get("error_codes", [])


# ------------------------------------------------------------------------------------------------ msal
def test_msal_client_secret(twin_env):
    twin = twin_env
    app_info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        app_info["client_id"], authority=_authority(twin), client_credential=app_info["client_secret"]
    )
    result = app.acquire_token_for_client([f"{VAULT}/.default"])
    assert result.get("token_type") == "Bearer", result
    assert result["expires_in"] > 3000
    claims = _verify(twin, result["access_token"], VAULT)
    assert claims["appid"] == claims["azp"] == app_info["client_id"]
    assert claims["oid"] == app_info["object_id"] and claims["appidacr"] == "1"


def test_msal_certificate_thumbprint(twin_env):
    twin = twin_env
    info = _cert_app(twin)
    app = msal.ConfidentialClientApplication(
        info["client_id"],
        authority=_authority(twin),
        client_credential={"private_key": Path(info["key_file"]).read_text(), "thumbprint": info["thumbprint"]},
    )
    result = app.acquire_token_for_client([f"{ARM}.default"])
    assert "access_token" in result, result
    claims = _verify(twin, result["access_token"], ARM)
    assert claims["appid"] == info["client_id"] and claims["appidacr"] == "2"


def test_msal_certificate_pfx(twin_env):
    twin = twin_env
    info = _cert_app(twin)
    # msal >= 1.29 supports private_key_pfx_path; it then signs PS256 with x5t#S256.
    app = msal.ConfidentialClientApplication(
        info["client_id"],
        authority=_authority(twin),
        client_credential={"private_key_pfx_path": info["pfx_file"], "passphrase": info["pfx_password"]},
    )
    result = app.acquire_token_for_client([f"{BATCH}/.default"])
    assert "access_token" in result, result
    _verify(twin, result["access_token"], BATCH)


def test_msal_china_cloud(twin_env):
    twin = twin_env
    app_info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        app_info["client_id"], authority=_authority(twin, "login.chinacloudapi.cn"), client_credential=app_info["client_secret"]
    )
    result = app.acquire_token_for_client(["https://vault.azure.cn/.default"])
    assert "access_token" in result, result
    claims = _verify(twin, result["access_token"], "https://vault.azure.cn", host="login.chinacloudapi.cn")
    assert claims["iss"] == f"https://sts.chinacloudapi.cn/{twin.info['tenant_id']}/"
    # A public-cloud resource is unknown to the China cloud's Entra.
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [500011]


def test_msal_us_government_cloud(twin_env):
    twin = twin_env
    app_info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        app_info["client_id"], authority=_authority(twin, "login.microsoftonline.us"), client_credential=app_info["client_secret"]
    )
    result = app.acquire_token_for_client(["https://management.usgovcloudapi.net/.default"])
    assert "access_token" in result, result
    _verify(twin, result["access_token"], "https://management.usgovcloudapi.net/", host="login.microsoftonline.us")


def test_msal_wrong_secret(twin_env):
    twin = twin_env
    app = msal.ConfidentialClientApplication(
        twin.info["entra"]["secret_app"]["client_id"], authority=_authority(twin), client_credential="not-the-secret"
    )
    result = app.acquire_token_for_client([f"{VAULT}/.default"])
    assert _codes(result) == [7000215] and result["error"] == "invalid_client"


def test_msal_unknown_client(twin_env):
    twin = twin_env
    app = msal.ConfidentialClientApplication(str(uuid.uuid4()), authority=_authority(twin), client_credential="whatever")
    result = app.acquire_token_for_client([f"{VAULT}/.default"])
    assert _codes(result) == [700016] and result["error"] == "unauthorized_client"


def test_msal_bad_scope(twin_env):
    twin = twin_env
    info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin), client_credential=info["client_secret"]
    )
    result = app.acquire_token_for_client([f"{VAULT}/.default", f"{ARM}.default"])
    assert _codes(result) == [70011] and result["error"] == "invalid_scope"


def test_msal_expired_assertion(twin_env):
    twin = twin_env
    info = _cert_app(twin)
    app = msal.ConfidentialClientApplication(
        info["client_id"],
        authority=_authority(twin),
        client_credential=_static(_assertion(twin, exp_offset=-3600, nbf_offset=-7200)),
    )
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [700024]


def test_msal_assertion_signed_by_wrong_key(twin_env):
    twin = twin_env
    info = _cert_app(twin)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin), client_credential=_static(_assertion(twin, key_pem=other))
    )
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [700027]
    # Right key, but a thumbprint that is not registered.
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin), client_credential=_static(_assertion(twin, thumbprint="00" * 20))
    )
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [700027]
    # Right key and thumbprint, wrong audience.
    app = msal.ConfidentialClientApplication(
        info["client_id"],
        authority=_authority(twin),
        client_credential=_static(_assertion(twin, aud="https://login.microsoftonline.com/x/token")),
    )
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [50012]
    # The hand-built assertion itself is fine.
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin), client_credential=_static(_assertion(twin))
    )
    assert "access_token" in app.acquire_token_for_client([f"{VAULT}/.default"])


def test_wrong_tenant(twin_env):
    twin = twin_env
    bad_tenant = str(uuid.uuid4())
    info = twin.info["entra"]["secret_app"]
    # msal first reads the tenant's openid-configuration; Entra answers 400 AADSTS90002 and msal raises ValueError.
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        msal.ConfidentialClientApplication(
            info["client_id"], authority=_authority(twin, tenant=bad_tenant), client_credential=info["client_secret"]
        )
    discovery = [e for e in twin.requests_log(host="login") if bad_tenant in e["path"]]
    assert discovery and discovery[-1]["status"] == 400
    resp = requests.get(
        f"{_authority(twin, tenant=bad_tenant)}/v2.0/.well-known/openid-configuration",
        proxies=twin.proxies,
        verify=twin.ca_file,
        timeout=30,
    )
    assert resp.status_code == 400 and resp.json()["error_codes"] == [90002]
    resp = requests.post(
        f"{_authority(twin, tenant=bad_tenant)}/oauth2/v2.0/token",
        proxies=twin.proxies,
        verify=twin.ca_file,
        timeout=30,
        data={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": f"{VAULT}/.default",
        },
    )
    assert resp.status_code == 400 and resp.json()["error_codes"] == [90002]
    assert resp.json()["error"] == "invalid_request" and "AADSTS90002" in resp.json()["error_description"]
    with pytest.raises(ClientAuthenticationError, match="Unable to get authority configuration"):
        ClientSecretCredential(bad_tenant, info["client_id"], info["client_secret"]).get_token(f"{VAULT}/.default")


def test_tenant_domain_name_is_accepted(twin_env):
    twin = twin_env
    info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin, tenant=twin.info["tenant_domain"]), client_credential=info["client_secret"]
    )
    assert "access_token" in app.acquire_token_for_client([f"{VAULT}/.default"])


# ------------------------------------------------------------------------------------------------ azure-identity
def test_identity_client_secret_credential(twin_env):
    twin = twin_env
    info = twin.info["entra"]["secret_app"]
    token = ClientSecretCredential(twin.info["tenant_id"], info["client_id"], info["client_secret"]).get_token(f"{ARM}.default")
    assert token.expires_on > time.time() + 3000
    _verify(twin, token.token, ARM)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        ClientSecretCredential(twin.info["tenant_id"], info["client_id"], "wrong").get_token(f"{ARM}.default")


def test_identity_certificate_credential_pem_and_pfx(twin_env):
    twin = twin_env
    info = _cert_app(twin)
    pem = CertificateCredential(twin.info["tenant_id"], info["client_id"], certificate_path=info["cert_pem_file"])
    _verify(twin, pem.get_token(f"{VAULT}/.default").token, VAULT)
    pfx = CertificateCredential(
        twin.info["tenant_id"], info["client_id"], certificate_path=info["pfx_file"], password=info["pfx_password"]
    )
    _verify(twin, pfx.get_token(f"{VAULT}/.default").token, VAULT)


def test_identity_certificate_not_registered(twin_env, tmp_path):
    twin = twin_env
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "stranger")])
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
    path = tmp_path / "stranger.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cred = CertificateCredential(twin.info["tenant_id"], _cert_app(twin)["client_id"], certificate_path=str(path))
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        cred.get_token(f"{VAULT}/.default")


def test_identity_workload_identity_credential(twin_env):
    twin = twin_env
    info = twin.info["entra"]["workload_app"]
    cred = WorkloadIdentityCredential(
        tenant_id=twin.info["tenant_id"], client_id=info["client_id"], token_file_path=info["token_file"]
    )
    claims = _verify(twin, cred.get_token(f"{VAULT}/.default").token, VAULT)
    assert claims["appid"] == info["client_id"]


def test_identity_client_assertion_credential_federated_negative(twin_env):
    twin = twin_env
    info = twin.info["entra"]["workload_app"]
    federated = Path(info["token_file"]).read_text()
    ok = ClientAssertionCredential(twin.info["tenant_id"], info["client_id"], lambda: federated)
    _verify(twin, ok.get_token(f"{ARM}.default").token, ARM)
    # The same federated token presented for an app whose federated credential has another subject/issuer.
    other = ClientAssertionCredential(twin.info["tenant_id"], twin.info["entra"]["secret_app"]["client_id"], lambda: federated)
    with pytest.raises(ClientAuthenticationError, match="AADSTS70021"):
        other.get_token(f"{ARM}.default")
    # A token from a forged issuer key.
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(federated, options={"verify_signature": False})
    forged = jwt.encode(claims, forged_key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(federated)["kid"]})
    bad = ClientAssertionCredential(twin.info["tenant_id"], info["client_id"], lambda: forged)
    with pytest.raises(ClientAuthenticationError, match="AADSTS50013"):
        bad.get_token(f"{ARM}.default")


def test_identity_managed_identity_credential(twin_env, monkeypatch):
    twin = twin_env
    # App Service style: IDENTITY_ENDPOINT + IDENTITY_HEADER (plain http on 127.0.0.1, excluded by NO_PROXY).
    for name, value in twin.msi_env.items():
        monkeypatch.setenv(name, value)
    mi = twin.info["entra"]["managed_identity"]
    claims = _verify(twin, ManagedIdentityCredential().get_token(f"{VAULT}/.default").token, VAULT)
    assert claims["appid"] == mi["client_id"] and claims["xms_mirid"] == mi["resource_id"]
    user = mi["user_assigned"]
    claims = _verify(twin, ManagedIdentityCredential(client_id=user["client_id"]).get_token(f"{ARM}.default").token, ARM)
    assert claims["oid"] == user["object_id"]
    with pytest.raises(ClientAuthenticationError):
        ManagedIdentityCredential(client_id=str(uuid.uuid4())).get_token(f"{ARM}.default")


def test_msal_managed_identity_client(twin_env, monkeypatch):
    twin = twin_env
    for name, value in twin.msi_env.items():
        monkeypatch.setenv(name, value)
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=requests.Session())
    result = client.acquire_token_for_client(resource=VAULT)
    assert "access_token" in result, result
    _verify(twin, result["access_token"], VAULT)


def test_managed_identity_endpoint_is_strict(twin):
    url = twin.msi_env["IDENTITY_ENDPOINT"]
    params = {"api-version": "2019-08-01", "resource": VAULT}
    session = requests.Session()
    session.trust_env = False
    assert session.get(url, params=params).status_code == 400  # no X-IDENTITY-HEADER
    assert session.get(url, params=params, headers={"X-IDENTITY-HEADER": "guess"}).status_code == 401
    ok = session.get(url, params=params, headers={"X-IDENTITY-HEADER": twin.msi_env["IDENTITY_HEADER"]})
    assert ok.status_code == 200 and isinstance(ok.json()["expires_on"], str)
    imds = twin.info["entra"]["managed_identity"]["imds_endpoint"]
    imds_params = {"api-version": "2018-02-01", "resource": ARM}
    missing = session.get(imds, params=imds_params)
    assert missing.status_code == 400 and missing.json()["error_description"] == "Required metadata header not specified"
    good = session.get(imds, params=imds_params, headers={"Metadata": "true"})
    assert good.status_code == 200 and good.json()["resource"] == ARM
    assert (
        session.get(imds, params={**imds_params, "resource": "https://nope.example"}, headers={"Metadata": "true"}).json()[
            "error"
        ]
        == "invalid_resource"
    )


def test_expired_token_minted_by_control_api_fails_pyjwt(twin):
    token = twin.control("/_twin/entra/mint", {"resource": VAULT, "expired": True})["access_token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        _verify(twin, token, VAULT)


@pytest.mark.filterwarnings("ignore:Using /common or /organizations authority:DeprecationWarning")
def test_common_endpoint_rejected_for_single_tenant_app(twin_env):
    twin = twin_env
    info = twin.info["entra"]["secret_app"]
    app = msal.ConfidentialClientApplication(
        info["client_id"], authority=_authority(twin, tenant="organizations"), client_credential=info["client_secret"]
    )
    assert _codes(app.acquire_token_for_client([f"{VAULT}/.default"])) == [50194]
