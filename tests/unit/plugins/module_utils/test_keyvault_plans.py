# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the Key Vault plans (plugins/module_utils/_plans/keyvault.py) with a fake client: plan_certificate,
plan_secret and certificate_secret, without HTTP."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.signet.azure.plugins.module_utils._certs import CertBundle
from ansible_collections.signet.azure.plugins.module_utils._clients.keyvault import DELETED_BUT_RECOVERABLE
from ansible_collections.signet.azure.plugins.module_utils._errors import (
    AuthenticationError,
    CertificateError,
    ConfigError,
    ConflictError,
)
from ansible_collections.signet.azure.plugins.module_utils._plans import keyvault as kv
from tests.helpers import classic_certs as certs

VAULT = "https://kv1.vault.azure.net"
VERSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def keys():
    key = certs.make_key()
    other = certs.make_key()
    return {"key": key, "cert": certs.make_cert(key), "other": certs.make_cert(other)}


def cert_bundle(cert, tags=None, version=VERSION):
    return {
        "id": "%s/certificates/c/%s" % (VAULT, version),
        "cer": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
        "attributes": {"enabled": True},
        "tags": tags or {},
    }


def secret_bundle(value, tags=None, content_type=None):
    return {
        "id": "%s/secrets/s/%s" % (VAULT, VERSION),
        "value": value,
        "contentType": content_type,
        "attributes": {"enabled": True},
        "tags": tags or {},
    }


class FakeVault:
    """KeyVaultClient's methods over one current object, one deleted object and a list of calls."""

    vault_url = VAULT

    def __init__(self, current=None, deleted=None, conflict=None, new_cert=None, recovered=None):
        self.current, self.deleted, self.conflict, self.new_cert = current, deleted, conflict, new_cert
        self.recovered = recovered
        self.calls = []

    def get_certificate(self, name):
        self.calls.append("get_certificate")
        return self.current

    def get_secret(self, name, with_value=False):
        self.calls.append("get_secret value" if with_value else "get_secret")
        if self.current is None or with_value:
            return self.current
        return {k: v for k, v in self.current.items() if k != "value"}

    def _get_deleted(self, name):
        if isinstance(self.deleted, Exception):
            raise self.deleted
        return self.deleted

    def get_deleted_certificate(self, name):
        self.calls.append("get_deleted_certificate")
        return self._get_deleted(name)

    def get_deleted_secret(self, name):
        self.calls.append("get_deleted_secret")
        return self._get_deleted(name)

    def recover(self, kind, name, timeout):
        self.calls.append("recover %s" % kind)
        return self.recovered

    def update_certificate(self, name, version, tags):
        self.calls.append("update_certificate")
        return dict(self.current, tags=tags)

    def import_certificate(self, name, value, password, content_type, tags):
        self.calls.append("import_certificate %s" % content_type)
        if self.conflict:
            raise self.conflict
        return cert_bundle(self.new_cert, tags, version="f" * 32)

    def update_secret(self, name, version, tags, content_type):
        self.calls.append("update_secret")
        return dict(self.current, tags=tags, contentType=content_type)

    def set_secret(self, name, value, content_type, tags):
        self.calls.append("set_secret")
        if self.conflict:
            raise self.conflict
        return secret_bundle(value, tags, content_type)


DELETED_CONFLICT = ConflictError("conflict", details={"inner_error_code": DELETED_BUT_RECOVERABLE})


# -- plan_certificate ---------------------------------------------------------------------------------------------------
def test_certificate_with_the_same_thumbprint_is_unchanged(keys):
    client = FakeVault(current=cert_bundle(keys["cert"], {"a": "1"}))
    plan = kv.plan_certificate(client, "c", CertBundle(certificate=keys["cert"]), None, None)
    assert plan["changed"] is False and plan["recovered"] is False
    assert plan["diff"]["before"] == plan["diff"]["after"]
    assert client.calls == ["get_certificate"]


def test_certificate_tags_only_are_updated(keys):
    client = FakeVault(current=cert_bundle(keys["cert"], {"a": "1"}))
    plan = kv.plan_certificate(client, "c", CertBundle(certificate=keys["cert"]), None, None, tags={"b": "2"})
    assert plan["changed"] is True and plan["certificate"]["tags"] == {"b": "2"}
    assert plan["diff"]["after"]["tags"] == {"b": "2"} and plan["diff"]["before"]["tags"] == {"a": "1"}
    assert client.calls == ["get_certificate", "update_certificate"]


def test_certificate_check_mode_reports_a_new_version_and_imports_nothing(keys):
    client = FakeVault(current=cert_bundle(keys["other"]))
    plan = kv.plan_certificate(client, "c", CertBundle(certificate=keys["cert"]), None, None, check_mode=True)
    assert plan["changed"] is True and plan["diff"]["after"]["version"] == "(new)"
    assert plan["certificate"]["version"] is None
    assert client.calls == ["get_certificate"]


def test_certificate_import_pfx_as_given_else_pem(keys):
    bundle = CertBundle(certificate=keys["cert"], key=keys["key"])
    client = FakeVault(current=cert_bundle(keys["other"], {"a": "1"}), new_cert=keys["cert"])
    plan = kv.plan_certificate(client, "c", bundle, b"\x30pfx", "pw")
    assert plan["changed"] is True and plan["diff"]["after"]["version"] == "f" * 32
    assert plan["certificate"]["tags"] == {"a": "1"}  # kept when tags is not given
    client = FakeVault(new_cert=keys["cert"], deleted=None)
    kv.plan_certificate(client, "c", bundle, None, None)
    assert client.calls == ["get_certificate", "get_deleted_certificate", "import_certificate application/x-pem-file"]


def test_certificate_soft_deleted_needs_recover(keys):
    client = FakeVault(deleted={"deletedDate": 0, "scheduledPurgeDate": 86400})
    with pytest.raises(ConfigError, match="deleted but recoverable.*set recover: true") as err:
        kv.plan_certificate(client, "c", CertBundle(certificate=keys["cert"]), None, None)
    assert err.value.error_code == DELETED_BUT_RECOVERABLE


def test_certificate_recovered_with_the_same_thumbprint_is_not_imported_again(keys):
    deleted = cert_bundle(keys["cert"])
    client = FakeVault(deleted=deleted, recovered=cert_bundle(keys["cert"]))
    plan = kv.plan_certificate(client, "c", CertBundle(certificate=keys["cert"]), None, None, recover=True)
    assert plan["changed"] is True and plan["recovered"] is True
    assert client.calls == ["get_certificate", "get_deleted_certificate", "recover certificate"]


def test_certificate_import_conflict_on_a_deleted_name_is_a_config_error(keys):
    bundle = CertBundle(certificate=keys["cert"], key=keys["key"])
    client = FakeVault(deleted=AuthenticationError("no list permission"), conflict=DELETED_CONFLICT)
    with pytest.raises(ConfigError, match="Certificate c is deleted but recoverable"):
        kv.plan_certificate(client, "c", bundle, b"\x30pfx", "pw")
    other = ConflictError("something else")
    with pytest.raises(ConflictError, match="something else"):
        kv.plan_certificate(FakeVault(conflict=other), "c", bundle, b"\x30pfx", "pw")


# -- plan_secret --------------------------------------------------------------------------------------------------------
def test_secret_with_a_matching_digest_tag_is_unchanged_without_reading_the_value():
    digest = kv.value_digest(VAULT, "s", "msg")
    client = FakeVault(current=secret_bundle("v", {kv.DIGEST_TAG: digest}))
    plan = kv.plan_secret(client, "s", "v", "msg")
    assert plan["changed"] is False
    assert client.calls == ["get_secret"]


def test_secret_without_a_tag_is_read_and_registered_then_tagged():
    seen = []
    client = FakeVault(current=secret_bundle("v", {"a": "1"}))
    plan = kv.plan_secret(client, "s", "v", "msg", register=seen.append)
    assert seen == ["v"]
    assert plan["changed"] is True and plan["secret"]["tags"] == {"a": "1", kv.DIGEST_TAG: kv.value_digest(VAULT, "s", "msg")}
    assert client.calls == ["get_secret", "get_secret value", "update_secret"]


def test_secret_compare_value_keeps_the_existing_digest_tag():
    client = FakeVault(current=secret_bundle("v", {kv.DIGEST_TAG: "old"}))
    plan = kv.plan_secret(client, "s", "v", "msg", compare="value")
    assert plan["changed"] is False and plan["secret"]["tags"] == {kv.DIGEST_TAG: "old"}


def test_secret_new_value_is_set_or_reported_in_check_mode():
    client = FakeVault(current=secret_bundle("old", {}))
    plan = kv.plan_secret(client, "s", "new", "msg", check_mode=True)
    assert plan["changed"] is True and plan["diff"]["after"]["version"] == "(new)"
    assert "set_secret" not in client.calls
    plan = kv.plan_secret(client, "s", "new", "msg")
    assert plan["changed"] is True and client.calls[-1] == "set_secret"


def test_secret_set_conflict_on_a_deleted_name_is_a_config_error():
    client = FakeVault(deleted=None, conflict=DELETED_CONFLICT)
    with pytest.raises(ConfigError, match="Secret s is deleted but recoverable") as err:
        kv.plan_secret(client, "s", "v", "msg")
    assert err.value.error_code == DELETED_BUT_RECOVERABLE


# -- certificate_secret -------------------------------------------------------------------------------------------------
def test_certificate_secret_formats(tmp_path, keys):
    path = certs.write_pem(tmp_path, "c.pem")
    value, message, ctype, extra = kv.certificate_secret({"certificate_path": path, "format": "pem"})
    assert "PRIVATE KEY" in value and ctype == "application/x-pem-file" and extra["role"] == "leaf"
    assert json.loads(message)["format"] == "pem"
    with pytest.raises(CertificateError, match="give certificate_password"):
        kv.certificate_secret({"certificate_path": path, "format": "pfx_base64"})
    encrypted = keys["key"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    path = str(tmp_path / "encrypted.pem")
    with open(path, "wb") as fh:
        fh.write(certs.pem_cert(keys["cert"]) + encrypted)
    value, again, ctype, _extra = kv.certificate_secret(
        {"certificate_path": path, "format": "cloud_service_json", "certificate_password": "pw"}
    )
    assert ctype == "application/json" and json.loads(base64.b64decode(value))["dataType"] == "pfx"
    _value, message, _ctype, _extra = kv.certificate_secret(
        {"certificate_path": path, "format": "cloud_service_json", "certificate_password": "pw"}
    )
    assert message == again  # the digest message does not depend on the re-encrypted output


def test_certificate_secret_aes_pfx_needs_legacy_pfx(tmp_path, keys):
    data = pkcs12.serialize_key_and_certificates(
        b"t", keys["key"], keys["cert"], None, serialization.BestAvailableEncryption(b"pw")
    )
    content = base64.b64encode(data).decode()
    params = {"certificate_content": content, "certificate_password": "pw"}
    with pytest.raises(CertificateError, match="AES-256.*or set legacy_pfx: true"):
        kv.certificate_secret(params)
    value, _message, _ctype, extra = kv.certificate_secret(dict(params, legacy_pfx=True))
    doc = json.loads(base64.b64decode(value))
    assert extra["thumbprint"] == CertBundle(certificate=keys["cert"]).thumbprint
    assert pkcs12.load_key_and_certificates(base64.b64decode(doc["data"]), b"pw")[1] == keys["cert"]
    value, _message, ctype, _extra = kv.certificate_secret(dict(params, format="pfx_base64"))
    assert base64.b64decode(value) == data and ctype == "application/x-pkcs12"  # the PFX as given
