# SPDX-License-Identifier: GPL-3.0-or-later
"""Storage connection settings: connection strings, emulator, clouds, SAS, env fallbacks and option-naming errors."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.signet.azure.plugins.module_utils._argspec import storage_spec
from ansible_collections.signet.azure.plugins.module_utils._auth.resolve import storage_scheme
from ansible_collections.signet.azure.plugins.module_utils._auth.storage import SasAuth, SharedKeyAuth, SharedKeyLiteAuth
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError
from ansible_collections.signet.azure.plugins.module_utils._settings.storage import (
    DEV_ACCOUNT,
    DEV_KEY,
    parse_connection_string,
    resolve,
)

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SAS = "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=abc%2Bdef%3D"


def params(**kw):
    """Validated module params for the storage family (defaults and env fallbacks applied by Ansible)."""
    result = ArgumentSpecValidator(storage_spec().argument_spec).validate(kw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "AZURE_STORAGE_ACCOUNT",
        "AZURE_STORAGE_KEY",
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_SAS_TOKEN",
        "AZURE_STORAGE_BLOB_ENDPOINT",
        "AZURE_CLOUD_ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_use_development_storage():
    s = resolve(params(connection_string="UseDevelopmentStorage=true"))
    assert (s.account, s.key, s.emulator) == (DEV_ACCOUNT, DEV_KEY, True)
    assert s.service_url("blob") == "http://127.0.0.1:10000/devstoreaccount1"
    assert s.service_url("table") == "http://127.0.0.1:10002/devstoreaccount1"
    with pytest.raises(ConfigError, match="endpoint"):
        s.service_url("dfs")


def test_use_development_storage_with_proxy():
    s = resolve(params(connection_string="UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://10.0.0.5"))
    assert s.service_url("queue") == "http://10.0.0.5:10001/devstoreaccount1"


def test_explicit_endpoints_in_connection_string():
    cs = "DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:41000/%s/;" % (
        DEV_ACCOUNT,
        KEY,
        DEV_ACCOUNT,
    )
    s = resolve(params(connection_string=cs))
    assert s.service_url("blob") == "http://127.0.0.1:41000/devstoreaccount1"
    assert s.key == KEY


def test_endpoints_without_account_name_take_it_from_the_path():
    cs = "BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;AccountKey=%s" % KEY
    s = resolve(params(connection_string=cs))
    assert s.account == DEV_ACCOUNT and s.emulator


def test_shared_access_signature_connection_string():
    cs = "BlobEndpoint=https://myacct.blob.core.windows.net/;SharedAccessSignature=%s" % SAS
    s = resolve(params(connection_string=cs))
    assert s.account == "myacct" and s.sas_token == SAS and s.key is None
    assert isinstance(storage_scheme(s), SasAuth)
    assert s.service_url() == "https://myacct.blob.core.windows.net"


@pytest.mark.parametrize(
    ("suffix", "cloud"),
    [("core.chinacloudapi.cn", "AzureChinaCloud"), ("core.usgovcloudapi.net", "AzureUSGovernment")],
)
def test_endpoint_suffix(suffix, cloud):
    cs = "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=%s;EndpointSuffix=%s" % (KEY, suffix)
    s = resolve(params(connection_string=cs))
    assert s.service_url("blob") == "https://acct1.blob.%s" % suffix
    assert s.service_url("queue") == "https://acct1.queue.%s" % suffix
    # the cloud option alone gives the same host
    s2 = resolve(params(account_name="acct1", account_key=KEY, cloud=cloud))
    assert s2.service_url("blob") == "https://acct1.blob.%s" % suffix


def test_public_cloud_default():
    s = resolve(params(account_name="acct1", account_key=KEY))
    assert s.service_url("table") == "https://acct1.table.core.windows.net"
    assert s.api_version == "2023-11-03"


def test_explicit_options_override_connection_string():
    cs = "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=%s;EndpointSuffix=core.windows.net" % KEY
    other = "QUJDRA=="
    s = resolve(params(connection_string=cs, account_key=other))
    assert s.key == other


def test_path_style_endpoint_option():
    s = resolve(params(endpoint="http://127.0.0.1:41000/devstoreaccount1", account_key=KEY))
    assert s.account == DEV_ACCOUNT and s.emulator
    with pytest.raises(ConfigError, match="^endpoint:.*account_name"):
        resolve(params(endpoint="http://127.0.0.1:41000/devstoreaccount1", account_name="other1", account_key=KEY))


def test_env_fallbacks_via_argspec(monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "envacct")
    monkeypatch.setenv("AZURE_STORAGE_KEY", KEY)
    monkeypatch.setenv("AZURE_CLOUD_ENVIRONMENT", "AzureChinaCloud")
    p = params()
    assert p["account_name"] == "envacct" and p["account_key"] == KEY
    s = resolve(p)
    assert s.service_url() == "https://envacct.blob.core.chinacloudapi.cn"


def test_env_connection_string_and_sas(monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    assert resolve(params()).account == DEV_ACCOUNT
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", "?" + SAS)
    monkeypatch.setenv("AZURE_STORAGE_BLOB_ENDPOINT", "http://127.0.0.1:41000/devstoreaccount1")
    s = resolve(params())
    assert s.sas_token == SAS and s.key is None


@pytest.mark.parametrize(
    ("kw", "option"),
    [
        ({"account_name": "acct1", "account_key": "not base64!!"}, "account_key"),
        ({"account_name": "acct1", "account_key": "QUJ"}, "account_key"),
        ({"account_name": "Bad_Name", "account_key": KEY}, "account_name"),
        ({"account_name": "ab", "account_key": KEY}, "account_name"),
        ({"account_name": "a" * 25, "account_key": KEY}, "account_name"),
        ({"account_key": KEY}, "account_name"),
        ({"account_name": "acct1"}, "account_key"),
        ({"connection_string": "AccountName=acct1;garbage"}, "connection_string"),
        ({"connection_string": "AccountName=acct1;EndpointSuffix=core.windows.net"}, "connection_string"),
        ({"endpoint": "ftp://x/y", "account_name": "acct1", "account_key": KEY}, "endpoint"),
    ],
)
def test_errors_name_the_option(kw, option):
    with pytest.raises(ConfigError) as err:
        resolve(params(**kw))
    assert option in err.value.msg
    assert KEY not in err.value.msg


def test_invalid_cloud_names_the_option():
    with pytest.raises(ConfigError, match="^cloud:"):
        resolve({"account_name": "acct1", "account_key": KEY, "cloud": "Mars"})


def test_parse_connection_string_keeps_equals_in_values():
    parsed = parse_connection_string("AccountName=a;SharedAccessSignature=sv=1&sig=x%3D;")
    assert parsed == {"accountname": "a", "sharedaccesssignature": "sv=1&sig=x%3D"}


def test_auth_schemes_validated():
    s = resolve(params(account_name="acct1", account_key=KEY, storage_api_version="2021-08-06"))
    assert isinstance(storage_scheme(s), SharedKeyAuth)
    lite = storage_scheme(s, "shared_key_lite", table=True)
    assert isinstance(lite, SharedKeyLiteAuth) and lite.table and lite.api_version == "2021-08-06"
    with pytest.raises(ConfigError, match="sas_token"):
        storage_scheme(s, "sas")
    with pytest.raises(ConfigError, match="not supported"):
        storage_scheme(s, "kerberos")


@pytest.mark.parametrize(
    ("token", "match"),
    [("sv=2022&sp=r", "sig="), ("sv=2022&sig=a b", "spaces")],
)
def test_sas_token_shape_checked(token, match):
    s = resolve(params(account_name="acct1", sas_token=token))
    with pytest.raises(ConfigError, match=match):
        storage_scheme(s)
