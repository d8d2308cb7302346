# SPDX-License-Identifier: GPL-3.0-or-later
"""EntraAuth offline: credential precedence, validation messages naming every missing option, endpoints, the
AADSTS mapping, and that msal is not imported until a token is needed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.signet.azure.plugins.module_utils._auth import entra
from ansible_collections.signet.azure.plugins.module_utils._auth.entra import EntraAuth
from ansible_collections.signet.azure.plugins.module_utils._settings.entra import cloud_endpoints, credential_kind
from ansible_collections.signet.azure.plugins.module_utils._errors import CertificateError, ConfigError

SCOPE = "https://vault.azure.net/.default"


def _pem(tmp_path, bits=2048, days=365, with_key=True, name="c.pem"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    now = dt.datetime.now(dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    data = cert.public_bytes(serialization.Encoding.PEM)
    if with_key:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _jwt(claims: dict) -> str:
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return "%s.%s.sig" % (enc({"alg": "RS256"}), enc(claims))


@pytest.mark.parametrize(
    ("params", "kind"),
    [
        ({"access_token": "t", "client_secret": "s", "managed_identity": "system"}, "access_token"),
        ({"client_secret": "s", "client_certificate_path": "/x", "federated_token_file": "/f"}, "client_secret"),
        ({"client_certificate_content": "x", "federated_token_file": "/f", "managed_identity": "system"}, "client_certificate"),
        ({"federated_token_file": "/f", "managed_identity": "system"}, "federated_token_file"),
        ({"managed_identity": "system"}, "managed_identity"),
        ({"tenant_id": "t", "client_id": "c"}, None),
    ],
)
def test_precedence(params, kind):
    assert credential_kind(params) == kind


def test_no_credential_names_every_kind():
    with pytest.raises(ConfigError) as exc:
        EntraAuth(SCOPE, tenant_id="t", client_id="c").validate()
    for name in ("access_token", "client_secret", "client_certificate_path", "federated_token_file", "managed_identity"):
        assert name in exc.value.msg


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [
        ({"client_secret": "s"}, "client secret"),
        ({"federated_token_file": __file__}, "federated token"),
    ],
)
def test_missing_tenant_and_client_in_one_message(kwargs, label):
    with pytest.raises(ConfigError) as exc:
        EntraAuth(SCOPE, **kwargs).validate()
    msg = exc.value.msg
    assert label in msg
    assert "tenant_id and client_id" in msg
    assert "AZURE_TENANT or AZURE_TENANT_ID" in msg and "AZURE_CLIENT_ID" in msg


def test_missing_client_only():
    with pytest.raises(ConfigError) as exc:
        EntraAuth(SCOPE, tenant_id="t", client_secret="s").validate()
    assert "needs client_id" in exc.value.msg and "tenant_id" not in exc.value.msg.split(":", 1)[0]


def test_certificate_missing_ids_reported_before_loading(tmp_path):
    with pytest.raises(ConfigError) as exc:
        EntraAuth(SCOPE, client_certificate_path=str(tmp_path / "missing.pem")).validate()
    assert "client certificate auth needs tenant_id and client_id" in exc.value.msg


def test_certificate_checks(tmp_path):
    ok = EntraAuth(SCOPE, tenant_id="t", client_id="c", client_certificate_path=_pem(tmp_path))
    ok.validate()
    assert ok.kind == "client_certificate" and len(ok.certificate.thumbprint) == 40
    with pytest.raises(CertificateError, match="no private key"):
        EntraAuth(SCOPE, tenant_id="t", client_id="c", client_certificate_path=_pem(tmp_path, with_key=False)).validate()
    with pytest.raises(CertificateError, match="RSA 1024 bits"):
        EntraAuth(SCOPE, tenant_id="t", client_id="c", client_certificate_path=_pem(tmp_path, bits=1024)).validate()
    with pytest.raises(ConfigError, match="does not exist"):
        EntraAuth(SCOPE, tenant_id="t", client_id="c", client_certificate_path=str(tmp_path / "nope.pfx")).validate()


def test_certificate_expiry_warning(tmp_path):
    warnings = []
    EntraAuth(
        SCOPE, tenant_id="t", client_id="c", client_certificate_path=_pem(tmp_path, days=5), on_warning=warnings.append
    ).validate()
    assert warnings and "expires" in warnings[0]


def test_federated_file_checks(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        EntraAuth(SCOPE, tenant_id="t", client_id="c", federated_token_file=str(tmp_path / "none")).validate()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        EntraAuth(SCOPE, tenant_id="t", client_id="c", federated_token_file=str(empty)).validate()


def test_access_token_checks():
    with pytest.raises(ConfigError, match="without the 'Bearer ' prefix"):
        EntraAuth(SCOPE, access_token="Bearer abc").validate()
    with pytest.raises(ConfigError, match="expired"):
        EntraAuth(SCOPE, access_token=_jwt({"exp": 1000})).validate()
    seen = []
    good = _jwt({"exp": 4102444800, "aud": "https://vault.azure.net"})
    auth = EntraAuth(SCOPE, access_token=good, on_token=seen.append)
    assert auth.token() == good and seen == [good]
    assert auth.last_token_claims["aud"] == "https://vault.azure.net"


def test_sign_sets_bearer_header():
    import requests

    token = _jwt({"exp": 4102444800})
    prepared = requests.Request("GET", "https://v.vault.azure.net/secrets/x").prepare()
    EntraAuth(SCOPE, access_token=token)(prepared)
    assert prepared.headers["Authorization"] == "Bearer " + token


def test_cloud_endpoints_and_overrides():
    eps = cloud_endpoints({"cloud": "AzureChinaCloud"})
    assert eps["authority_host"] == "https://login.chinacloudapi.cn"
    assert eps["keyvault_resource"] == "https://vault.azure.cn"
    custom = cloud_endpoints({"cloud_endpoints": {"keyvault_suffix": "vault.example"}, "authority_host": "login.example/"})
    assert custom["keyvault_suffix"] == "vault.example" and custom["authority_host"] == "https://login.example"
    with pytest.raises(ConfigError, match="unknown key"):
        cloud_endpoints({"cloud_endpoints": {"vault": "x"}})


def test_authority_per_cloud():
    auth = EntraAuth(SCOPE, tenant_id="t1", client_id="c", client_secret="s", cloud="AzureUSGovernment")
    assert auth.authority == "https://login.microsoftonline.us/t1"
    assert auth.cloud == "AzureUSGovernment"
    assert EntraAuth("https://batch.core.windows.net//.default").resource == "https://batch.core.windows.net/"


@pytest.mark.parametrize(
    ("code", "needle"),
    [(7000215, "client_secret is wrong or expired"), (700016, "client_id"), (90002, "tenant_id"), (700213, "subject")],
)
def test_aadsts_mapping(code, needle):
    auth = EntraAuth(SCOPE, tenant_id="t", client_id="c", client_secret="s")
    err = auth._token_error(
        {
            "error": "invalid_client",
            "error_description": "AADSTS%d: Something. Trace ID: 1 Correlation ID: 2" % code,
            "error_codes": [code],
        }
    )
    assert "AADSTS%d" % code in err.msg and needle in err.msg
    assert "Trace ID" not in err.msg
    assert err.error_code == "AADSTS%d" % code


def test_explain_hint_names_expected_resource():
    class Resp:
        status_code = 401
        headers = {
            "WWW-Authenticate": 'Bearer authorization="https://login.microsoftonline.com/other", resource="https://vault.azure.net"'
        }

    auth = EntraAuth(
        "https://management.azure.com/.default",
        tenant_id="mine",
        access_token=_jwt({"aud": "https://management.azure.com/", "tid": "mine"}),
    )
    auth.token()
    hint = auth.explain_hint(Resp(), {})
    assert "https://vault.azure.net/.default" in hint and "tenant other" in hint


def test_msal_is_imported_lazily():
    code = (
        "import sys; sys.path.insert(0, 'build/collections');"
        "from ansible_collections.signet.azure.plugins.module_utils._auth import entra, resolve;"
        "from ansible_collections.signet.azure.plugins.module_utils._clients import keyvault;"
        "print('msal' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=entra.__file__.rsplit("/plugins/", 1)[0]
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_token_requests_never_follow_redirects(monkeypatch, status):
    """A token endpoint that answers with a redirect gets no second request: the credential (here the managed
    identity header) must not travel to wherever the redirect points."""
    from tests.helpers.http_stub import serve

    from ansible_collections.signet.azure.plugins.module_utils._errors import AzureRestError

    entra.clear_token_cache()
    with serve() as (base, script):
        script.steps = [(status, {"Location": base + "/stolen"}, b"")] + [(200, {}, b"{}")] * 3
        monkeypatch.setenv("IDENTITY_ENDPOINT", base + "/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", "sentinel-identity-header")
        for name in ("MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        auth = EntraAuth.from_params({"managed_identity": "system", "retries": 0}, "https://management.azure.com/.default")
        with pytest.raises(AzureRestError, match="never follow redirects"):
            auth.token()
        paths = [seen["path"] for seen in script.seen]
    assert paths and all(p.startswith("/msi/token") for p in paths), paths
    assert not any(p.startswith("/stolen") for p in paths)
