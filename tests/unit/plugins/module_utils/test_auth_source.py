# SPDX-License-Identifier: GPL-3.0-or-later
"""The azure.azcollection habits, offline: auth_source (auto, env, credential_file, cli, msi), the
~/.azure/credentials profile file, the tenant/secret/cloud_environment aliases, every cloud spelling, and empty
environment variables counting as unset (AWX renders empty inputs as empty variables)."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.signet.azure.plugins.module_utils._argspec import FAMILIES, connection_spec, entra_spec
from ansible_collections.signet.azure.plugins.module_utils._auth import resolve
from ansible_collections.signet.azure.plugins.module_utils._auth.cli import AzureCliAuth
from ansible_collections.signet.azure.plugins.module_utils._auth.entra import EntraAuth
from ansible_collections.signet.azure.plugins.module_utils._auth.storage import SharedKeyAuth, StorageBearerAuth
from ansible_collections.signet.azure.plugins.module_utils._clouds import CLOUD_SPELLINGS, cloud_name
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._settings.auth_source import read_profile, resolve_source

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURE_VARS = (
    "AZURE_TENANT",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_SECRET",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLOUD_ENVIRONMENT",
    "AZURE_PROFILE",
    "ANSIBLE_AZURE_AUTH_SOURCE",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_BLOB_ENDPOINT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in AZURE_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def validated(**params) -> dict:
    spec = FAMILIES["storage"]().merge(connection_spec())
    result = ArgumentSpecValidator(spec.argument_spec, mutually_exclusive=spec.mutually_exclusive).validate(params)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


class Host:
    def __init__(self, **params):
        self.params = validated(**params)
        self.secrets: list = []

    def register_secret(self, value):
        self.secrets.append(value)

    def warn(self, text):  # pragma: no cover - not expected here
        raise AssertionError(text)


def write_credentials(tmp_path, text: str):
    (tmp_path / ".azure").mkdir(exist_ok=True)
    (tmp_path / ".azure" / "credentials").write_text(text)


# -- aliases, clouds, empty variables ----------------------------------------------------------------------------------
def test_azcollection_aliases():
    p = validated(tenant="t1", client_id="c1", secret="s1", cloud_environment="AzureChinaCloud", x509_certificate_path="/p")
    assert (p["tenant_id"], p["client_secret"], p["cloud"], p["client_certificate_path"]) == ("t1", "s1", "AzureChinaCloud", "/p")


@pytest.mark.parametrize("spelling", [*CLOUD_SPELLINGS, "azurecloud", "AZURE_CHINA_CLOUD", "AzureUSGovernmentCloud", " public "])
def test_every_documented_cloud_spelling_is_accepted(spelling):
    assert cloud_name(spelling) in ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")
    assert "choices" not in entra_spec().argument_spec["cloud"]


def test_cloud_aliases_map_to_their_cloud():
    assert cloud_name("AzurePublicCloud") == "AzureCloud"
    assert cloud_name("AzureUSGovernment") == cloud_name("usgov") == "AzureUSGovernment"
    assert cloud_name("") == cloud_name(None) == "AzureCloud"
    with pytest.raises(ConfigError, match="^cloud: unknown cloud 'AzureGermanCloud'.*AzurePublicCloud"):
        cloud_name("AzureGermanCloud")


def test_empty_environment_variables_count_as_unset(monkeypatch):
    """AWX renders an input left empty as an empty variable: before, AZURE_CLOUD_ENVIRONMENT= failed every module."""
    for name in ("AZURE_CLOUD_ENVIRONMENT", "AZURE_TENANT", "AZURE_SECRET", "AZURE_STORAGE_KEY", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("AZURE_TENANT_ID", "from-second-name")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "  ")
    p = validated(account_name="acct1")
    assert p["cloud"] is None and p["account_key"] is None and p["client_secret"] is None
    assert p["client_certificate_path"] is None
    assert p["tenant_id"] == "from-second-name"
    for family in ("batch", "classic", "entra"):
        result = ArgumentSpecValidator(FAMILIES[family]().argument_spec).validate({})
        assert not result.error_messages, (family, result.error_messages)


# -- auth_source ---------------------------------------------------------------------------------------------------------
def test_auto_uses_the_options_and_env_fallbacks(monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_ID", "app")
    monkeypatch.setenv("AZURE_SECRET", "awx-secret")
    monkeypatch.setenv("AZURE_TENANT", "tenant")
    source = resolve_source(validated())
    assert source.source == "options" and source.params["client_secret"] == "awx-secret" and source.has_credential


def test_auto_falls_back_to_the_default_profile(tmp_path):
    write_credentials(tmp_path, "[default]\nclient_id = app\nsecret = file-secret\ntenant = t\nsubscription_id = sub\n")
    source = resolve_source(validated())
    assert source.source == "credential_file"
    assert (source.params["client_id"], source.params["client_secret"], source.params["tenant_id"]) == ("app", "file-secret", "t")
    assert source.params["subscription_id"] == "sub" and source.secrets == ["file-secret"]
    # options win over the default profile in auto
    assert resolve_source(validated(client_id="x", client_secret="y", tenant_id="z")).params["client_secret"] == "y"


def test_credential_file_profile_and_its_errors(tmp_path, monkeypatch):
    write_credentials(
        tmp_path,
        "[default]\nclient_id = a\nsecret = s\ntenant = t\n\n[prod]\nclient_id = p\nsecret = ps\ntenant = pt\n"
        "cloud_environment = AzureChinaCloud\n\n[empty]\nsubscription_id = only\n",
    )
    source = resolve_source(validated(auth_source="credential_file", profile="prod", client_secret="task-secret"))
    assert source.params["client_secret"] == "ps" and source.params["cloud"] == "AzureChinaCloud"
    monkeypatch.setenv("AZURE_PROFILE", "prod")
    assert resolve_source(validated()).params["client_id"] == "p"  # auto with a profile reads it
    with pytest.raises(ConfigError, match=r"^profile: .* has no \[nope\] profile \(profiles: default, prod, empty\)"):
        resolve_source(validated(auth_source="credential_file", profile="nope"))
    with pytest.raises(ConfigError, match=r"^profile: the \[empty\] profile .* has no credential"):
        resolve_source(validated(auth_source="credential_file", profile="empty"))
    (tmp_path / ".azure" / "credentials").unlink()
    with pytest.raises(ConfigError, match=r"^auth_source=credential_file: .*credentials does not exist"):
        resolve_source(validated(auth_source="credential_file"))
    assert read_profile("default", str(tmp_path / "missing"), required=False) is None


def test_env_ignores_task_credentials(monkeypatch):
    monkeypatch.setenv("AZURE_CLIENT_ID", "env-app")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("AZURE_TENANT_ID", "env-tenant")
    monkeypatch.setenv("AZURE_CLOUD_ENVIRONMENT", "")
    source = resolve_source(dict(validated(), auth_source="env", client_id="task-app", managed_identity="system"))
    assert source.params["client_id"] == "env-app" and source.params["managed_identity"] is None
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match="^auth_source=env: the environment has no Entra ID credential: set AZURE_CLIENT_ID"):
        resolve_source(validated(auth_source="env"))


def test_msi_and_cli():
    assert resolve_source(validated(auth_source="msi")).params["managed_identity"] == "system"
    user = resolve_source(validated(auth_source="msi", client_id="uami-client", client_secret="ignored"))
    assert user.params["managed_identity"] == "uami-client" and user.params["client_secret"] is None
    cli = resolve_source(validated(auth_source="cli", tenant_id="t", client_secret="ignored"))
    assert cli.use_cli and cli.has_credential and cli.params["tenant_id"] == "t" and cli.params["client_secret"] is None


def test_resolver_builds_the_cli_scheme_for_every_family(monkeypatch):
    host = Host(auth_source="cli", account_name="acct1")
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/az")
    scheme = resolve.entra(host, "keyvault_resource")
    assert isinstance(scheme, AzureCliAuth) and scheme.scope == "https://vault.azure.net/.default"
    storage_scheme, _settings = resolve.storage(host)
    assert isinstance(storage_scheme, StorageBearerAuth) and isinstance(storage_scheme.token_auth, AzureCliAuth)
    assert storage_scheme.token_auth.scope == "https://storage.azure.com/.default"


# -- storage_auth=auto and entra -----------------------------------------------------------------------------------------
def test_storage_auto_prefers_the_key_then_entra():
    keyed, _settings = resolve.storage(
        Host(account_name="acct1", account_key=KEY, client_id="a", client_secret="s", tenant_id="t")
    )
    assert isinstance(keyed, SharedKeyAuth)
    entra, settings = resolve.storage(Host(account_name="acct1", client_id="a", client_secret="s", tenant_id="t"))
    assert isinstance(entra, StorageBearerAuth) and isinstance(entra.token_auth, EntraAuth)
    assert entra.token_auth.scope == "https://storage.azure.com/.default" and entra.api_version == "2023-11-03"
    assert settings.service_url() == "https://acct1.blob.core.windows.net"
    china, _settings = resolve.storage(Host(account_name="acct1", access_token="t", cloud_environment="china"))
    assert china.token_auth.scope == "https://storage.azure.com/.default" and china.cloud == "AzureChinaCloud"
    with pytest.raises(ConfigError, match=r"^no storage credential given: set account_key .*\(storage_auth=entra\)"):
        resolve.storage(Host(account_name="acct1"))


def test_storage_entra_refuses_http_and_old_versions():
    with pytest.raises(ConfigError, match="^storage_auth=entra: http://127.0.0.1:10000/devstoreaccount1 is not https"):
        resolve.storage(Host(endpoint="http://127.0.0.1:10000/devstoreaccount1", storage_auth="entra", access_token="t"))
    with pytest.raises(ConfigError, match="^storage_api_version: 2017-07-29 is too old for Entra ID"):
        resolve.storage(Host(account_name="acct1", storage_auth="entra", access_token="t", storage_api_version="2017-07-29"))
    with pytest.raises(ConfigError, match="^Entra ID auth needs a credential"):
        resolve.storage(Host(account_name="acct1", storage_auth="entra"))


def test_request_honours_storage_auth_entra():
    host = Host(account_name="acct1", storage_auth="entra", access_token="t")
    host.params.update(scope=None)
    scheme, base_url, _overrides = resolve.for_request(host, "shared_key", "blob")
    assert isinstance(scheme, StorageBearerAuth) and base_url == "https://acct1.blob.core.windows.net"
    host = Host(account_name="acct1", account_key=KEY)
    host.params.update(scope=None)
    assert isinstance(resolve.for_request(host, "storage", "blob")[0], SharedKeyAuth)
