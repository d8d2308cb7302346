# SPDX-License-Identifier: GPL-3.0-or-later
"""EntraAuth (msal) against the twin's Entra ID: every credential kind gets a token whose audience, tenant and app
are asserted, sovereign clouds use their own hosts (the twin's request log), AADSTS errors are readable, tokens are
cached per scope, the federated file is read per request, and ``verify`` is honoured despite REQUESTS_CA_BUNDLE."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.signet.azure.plugins.module_utils._auth.entra import EntraAuth, clear_token_cache
from ansible_collections.signet.azure.plugins.module_utils._clients.keyvault import KeyVaultClient
from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError, TransportError
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

VAULT = "https://vault.azure.net/.default"


@pytest.fixture
def env(twin, monkeypatch):
    """Process environment as a user behind the twin's proxy would have it; empty token cache."""
    for name in (
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
        "IDENTITY_SERVER_THUMBPRINT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in twin.env.items():
        monkeypatch.setenv(name, value)
    clear_token_cache()
    twin.reset()
    yield twin
    clear_token_cache()


def _auth(twin, scope=VAULT, **kwargs):
    kwargs.setdefault("tenant_id", twin.info["tenant_id"])
    return EntraAuth(scope, verify=twin.ca_file, **kwargs)


def _token_hosts(twin):
    return [r["host"] for r in twin.requests_log() if r["path"].endswith("/oauth2/v2.0/token")]


def test_client_secret(env):
    app = env.info["entra"]["secret_app"]
    seen = []
    auth = _auth(env, client_id=app["client_id"], client_secret=app["client_secret"], on_token=seen.append)
    token = auth.token()
    claims = auth.last_token_claims
    assert claims["aud"] == "https://vault.azure.net"
    assert claims["appid"] == app["client_id"] and claims["tid"] == env.info["tenant_id"]
    assert seen == [token]
    assert _token_hosts(env) == ["login.microsoftonline.com"]
    # cached per scope: a second call and a second object do not ask Entra again; another scope does
    assert auth.token() == token
    assert _auth(env, client_id=app["client_id"], client_secret=app["client_secret"]).token() == token
    assert len(_token_hosts(env)) == 1
    arm = _auth(
        env, scope="https://management.azure.com/.default", client_id=app["client_id"], client_secret=app["client_secret"]
    )
    arm.token()
    assert arm.last_token_claims["aud"].rstrip("/") == "https://management.azure.com"
    assert len(_token_hosts(env)) == 2


@pytest.mark.parametrize("form", ["pfx", "pem"])
def test_client_certificate(env, form):
    app = env.info["entra"]["cert_app"]
    if form == "pfx":
        auth = _auth(
            env,
            client_id=app["client_id"],
            client_certificate_path=app["pfx_file"],
            client_certificate_password=app["pfx_password"],
        )
    else:
        auth = _auth(env, client_id=app["client_id"], client_certificate_path=app["cert_pem_file"])
    auth.token()
    assert auth.certificate.thumbprint == app["thumbprint"]
    assert auth.last_token_claims["appid"] == app["client_id"]
    assert auth.last_token_claims["appidacr"] == "2"  # certificate credential
    assert auth.last_token_claims["aud"] == "https://vault.azure.net"


def test_client_certificate_content(env):
    app = env.info["entra"]["cert_app"]
    with open(app["cert_pem_file"], encoding="ascii") as fh:
        auth = _auth(env, client_id=app["client_id"], client_certificate_content=fh.read())
    auth.token()
    assert auth.last_token_claims["appid"] == app["client_id"]


def test_federated_token_file_is_read_per_request(env, tmp_path):
    app = env.info["entra"]["workload_app"]
    token_file = tmp_path / "token"
    shutil.copy(app["token_file"], token_file)
    auth = _auth(env, client_id=app["client_id"], federated_token_file=str(token_file))
    auth.token()
    assert auth.last_token_claims["appid"] == app["client_id"]
    clear_token_cache()
    token_file.write_text("not-a-jwt")
    with pytest.raises(AuthenticationError) as exc:
        _auth(env, client_id=app["client_id"], federated_token_file=str(token_file)).token()
    assert "AADSTS" in exc.value.msg


@pytest.mark.parametrize("which", ["system", "user"])
def test_managed_identity(env, monkeypatch, which):
    for name, value in env.msi_env.items():
        monkeypatch.setenv(name, value)
    mi = env.info["entra"]["managed_identity"]
    identity = "system" if which == "system" else mi["user_assigned"]["client_id"]
    expected = mi["client_id"] if which == "system" else mi["user_assigned"]["client_id"]
    auth = EntraAuth("https://management.azure.com/.default", managed_identity=identity, verify=env.ca_file)
    auth.token()
    assert auth.last_token_claims["appid"] == expected
    assert auth.last_token_claims["aud"].rstrip("/") == "https://management.azure.com"
    assert any(r["path"].startswith("/_msi/token") for r in env.requests_log())


def test_china_cloud_hosts(env):
    app = env.info["entra"]["secret_app"]
    auth = _auth(
        env,
        scope="https://vault.azure.cn/.default",
        cloud="AzureChinaCloud",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    client = KeyVaultClient("https://signetkv.vault.azure.cn", Transport(auth, ca_bundle=env.ca_file))
    created = client.set_secret("entra-china", "value-cn")
    assert created["id"].startswith("https://signetkv.vault.azure.cn/secrets/entra-china/")
    assert auth.last_token_claims["aud"] == "https://vault.azure.cn"
    hosts = {r["host"] for r in env.requests_log()}
    assert {"login.chinacloudapi.cn", "signetkv.vault.azure.cn"} <= hosts
    assert "login.microsoftonline.com" not in hosts and not any(h.endswith("vault.azure.net") for h in hosts)


def test_us_government_authority(env):
    app = env.info["entra"]["secret_app"]
    auth = _auth(
        env,
        scope="https://management.usgovcloudapi.net/.default",
        cloud="AzureUSGovernment",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    auth.token()
    assert _token_hosts(env) == ["login.microsoftonline.us"]


def test_wrong_secret_is_readable(env):
    app = env.info["entra"]["secret_app"]
    with pytest.raises(AuthenticationError) as exc:
        _auth(env, client_id=app["client_id"], client_secret="wrong").token()
    assert "AADSTS7000215: client_secret is wrong or expired" in exc.value.msg
    assert app["client_secret"] not in exc.value.msg


def test_unknown_tenant_is_readable(env):
    app = env.info["entra"]["secret_app"]
    with pytest.raises(AuthenticationError) as exc:
        _auth(
            env, tenant_id="00000000-0000-0000-0000-000000000000", client_id=app["client_id"], client_secret=app["client_secret"]
        ).token()
    assert "tenant" in exc.value.msg.lower()


def test_verify_is_honoured_despite_requests_ca_bundle(env, tmp_path):
    """REQUESTS_CA_BUNDLE points at the twin's CA, but our verify= (another CA) must win: TLS fails."""
    import trustme

    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    app = env.info["entra"]["secret_app"]
    auth = EntraAuth(
        VAULT, tenant_id=env.info["tenant_id"], client_id=app["client_id"], client_secret=app["client_secret"], verify=str(other)
    )
    with pytest.raises(TransportError):
        auth.token()


def test_keyvault_call_with_token_and_wrong_audience(env):
    app = env.info["entra"]["secret_app"]
    good = _auth(env, client_id=app["client_id"], client_secret=app["client_secret"])
    client = KeyVaultClient(env.info["keyvault"]["vault_url"], Transport(good, ca_bundle=env.ca_file))
    created = client.set_secret("entra-it", "v1", tags={"a": "b"})
    assert "value" not in created
    assert client.get_secret("entra-it", with_value=True)["value"] == "v1"
    arm = _auth(
        env, scope="https://management.azure.com/.default", client_id=app["client_id"], client_secret=app["client_secret"]
    )
    from ansible_collections.signet.azure.plugins.module_utils._explain import explain

    wrong = KeyVaultClient(env.info["keyvault"]["vault_url"], Transport(arm, ca_bundle=env.ca_file, explain=explain))
    with pytest.raises(AuthenticationError) as exc:
        wrong.get_secret("entra-it")
    assert exc.value.status == 401
    assert "https://vault.azure.net/.default" in exc.value.msg


def test_revoked_token_is_renewed_once(env):
    """Key Vault answers 401 for a revoked (or expired) cached token: the client drops it and retries once."""
    app = env.info["entra"]["secret_app"]
    auth = _auth(env, client_id=app["client_id"], client_secret=app["client_secret"])
    client = KeyVaultClient(env.info["keyvault"]["vault_url"], Transport(auth, ca_bundle=env.ca_file))
    client.set_secret("entra-renew", "v1")
    first = auth.token()
    env.control("/_twin/entra/revoke", {"token": first})
    assert client.get_secret("entra-renew") is not None
    assert auth.token() != first
    statuses = [r["status"] for r in env.requests_log(host="vault") if r["method"] == "GET"]
    assert statuses == [401, 200]
    # a given access_token cannot be renewed: the 401 surfaces
    fixed = KeyVaultClient(
        env.info["keyvault"]["vault_url"], Transport(EntraAuth(VAULT, access_token=first), ca_bundle=env.ca_file)
    )
    with pytest.raises(AuthenticationError) as exc:
        fixed.get_secret("entra-renew")
    assert exc.value.status == 401
