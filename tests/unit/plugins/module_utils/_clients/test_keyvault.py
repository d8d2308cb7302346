# SPDX-License-Identifier: GPL-3.0-or-later
"""Key Vault client helpers that need no server: vault URLs per cloud, result shaping, the HMAC digest and the Cloud
Services secret form."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.signet.azure.plugins.module_utils._settings.entra import cloud_endpoints, vault_url_for
from ansible_collections.signet.azure.plugins.module_utils._plans import keyvault as kv
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError


def test_vault_url_from_name_per_cloud():
    assert vault_url_for({"vault_name": "MyVault"}, cloud_endpoints({})) == "https://myvault.vault.azure.net"
    assert vault_url_for({"vault_name": "kv1"}, cloud_endpoints({"cloud": "AzureChinaCloud"})) == "https://kv1.vault.azure.cn"
    assert (
        vault_url_for({"vault_name": "kv1"}, cloud_endpoints({"cloud": "AzureUSGovernment"}))
        == "https://kv1.vault.usgovcloudapi.net"
    )


@pytest.mark.parametrize("name", ["ab", "1vault", "a--b", "vault-", "x" * 25, "my_vault"])
def test_bad_vault_names(name):
    with pytest.raises(ConfigError, match="vault_name"):
        vault_url_for({"vault_name": name}, cloud_endpoints({}))


def test_vault_url_of_another_cloud_is_refused():
    with pytest.raises(ConfigError, match="set cloud: AzureCloud"):
        vault_url_for({"vault_url": "https://kv1.vault.azure.net/"}, cloud_endpoints({"cloud": "AzureChinaCloud"}))
    assert (
        vault_url_for({"vault_url": "https://KV1.vault.azure.cn/"}, cloud_endpoints({"cloud": "AzureChinaCloud"}))
        == "https://kv1.vault.azure.cn"
    )
    with pytest.raises(ConfigError, match="https URL"):
        vault_url_for({"vault_url": "http://kv1.vault.azure.net"}, cloud_endpoints({}))


def test_digest_is_salted_per_secret_and_keyable():
    a = kv.value_digest("https://v.vault.azure.net", "one", "pw")
    assert a == kv.value_digest("https://v.vault.azure.net", "ONE", "pw")
    assert a != kv.value_digest("https://v.vault.azure.net", "two", "pw")
    assert a != kv.value_digest("https://w.vault.azure.net", "one", "pw")
    assert a != kv.value_digest("https://v.vault.azure.net", "one", "pw", key="k")
    import hashlib

    assert a != hashlib.sha256(b"pw").hexdigest()


def test_cloud_service_secret_form():
    value = kv.cloud_service_secret(b"\x30\x82pfx", "pw")
    doc = json.loads(base64.b64decode(value))
    assert doc == {"data": base64.b64encode(b"\x30\x82pfx").decode(), "dataType": "pfx", "password": "pw"}


def test_results_never_hold_values():
    bundle = {
        "id": "https://v.vault.azure.net/secrets/s/0123456789abcdef0123456789abcdef",
        "value": "SECRET",
        "attributes": {"enabled": True, "created": 0},
    }
    result = kv.secret_result(bundle)
    assert "SECRET" not in json.dumps(result)
    assert result["version"] == "0123456789abcdef0123456789abcdef" and result["created"].startswith("1970-01-01")


def test_certificate_result_thumbprint_from_x5t_only():
    raw = bytes(range(20))
    x5t = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    result = kv.certificate_result({"id": "https://v.vault.azure.net/certificates/c", "x5t": x5t})
    assert result["thumbprint"] == raw.hex().upper() and result["version"] is None


def test_deleted_but_recoverable_detection():
    from ansible_collections.signet.azure.plugins.module_utils._errors import ConflictError

    assert kv.is_deleted_but_recoverable(
        ConflictError("x", status=409, details={"inner_error_code": "ObjectIsDeletedButRecoverable"})
    )
    assert not kv.is_deleted_but_recoverable(ConflictError("x", status=409))
