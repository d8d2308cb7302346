# SPDX-License-Identifier: GPL-3.0-or-later
"""Thumbprints of Key Vault secret values and the read-after-write check (plugins/module_utils/_clients/cloud_service.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.signet.azure.plugins.module_utils._plans.cloud_service import verify
from ansible_collections.signet.azure.plugins.module_utils._clients.cloud_service import (
    thumbprint_of_secret_value,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import CertificateError, IntegrityError


@pytest.fixture(scope="module")
def cert_and_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    tp = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - thumbprint
    return cert, key, tp


def test_value_forms(cert_and_key):
    cert, key, tp = cert_and_key
    plain = base64.b64encode(pkcs12.serialize_key_and_certificates(b"x", key, cert, None, serialization.NoEncryption())).decode()
    assert thumbprint_of_secret_value(plain, "application/x-pkcs12") == tp
    enc = base64.b64encode(
        pkcs12.serialize_key_and_certificates(b"x", key, cert, None, serialization.BestAvailableEncryption(b"pw"))
    ).decode()
    seen = []
    doc = json.dumps({"data": enc, "dataType": "pfx", "password": "pw"})
    assert thumbprint_of_secret_value(doc, on_secret=seen.append) == tp
    assert thumbprint_of_secret_value(base64.b64encode(doc.encode()).decode()) == tp
    assert seen == ["pw"]
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    assert thumbprint_of_secret_value(pem, "application/x-pem-file") == tp
    with pytest.raises(CertificateError):
        thumbprint_of_secret_value('{"nodata": 1}')


def test_verify_detects_a_lost_update():
    plan = {
        "configuration": (
            '<ServiceConfiguration><Role name="R"><Certificates><Certificate name="c" thumbprint="%s"/>'
            "</Certificates></Role></ServiceConfiguration>"
        )
        % ("A" * 40),
        "os_profile": {
            "secrets": [
                {
                    "sourceVault": {"id": "v"},
                    "vaultCertificates": [{"certificateUrl": "https://kv.vault.azure.net/secrets/c/" + "1" * 32}],
                }
            ]
        },
    }
    good = {"properties": {"configuration": plan["configuration"], "osProfile": plan["os_profile"]}}
    verify(good, plan)
    stale = {"properties": {"configuration": plan["configuration"].replace("A" * 40, "B" * 40), "osProfile": {"secrets": []}}}
    with pytest.raises(IntegrityError, match="R/c"):
        verify(stale, plan)
