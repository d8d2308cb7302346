# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate fixtures for the classic (management certificate) tests: good and deliberately bad ones.

Each ``write_*`` function writes files into a directory and returns their paths. Keys are RSA; ``bits=1024`` makes
the too-small key, ``expired=True`` a certificate whose validity ended yesterday.
"""

from __future__ import annotations

import datetime as dt
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def make_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_cert(key, cn: str = "signet-test-management", *, expired: bool = False, issuer=None):
    """A self-signed (or ``issuer=(key, cert)``-signed) certificate for ``key``."""
    now = dt.datetime.now(dt.timezone.utc)
    if expired:
        start, end = now - dt.timedelta(days=30), now - dt.timedelta(days=1)
    else:
        start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=90)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    signer_key, issuer_name = (issuer[0], issuer[1].subject) if issuer else (key, name)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signer_key, hashes.SHA256())
    )


def pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write(directory, name: str, data: bytes) -> str:
    path = os.path.join(str(directory), name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def write_cer_without_key(directory, name: str = "nokey.cer") -> str:
    """A DER ``.cer`` (what the portal exports): the certificate only, no private key."""
    cert = make_cert(make_key())
    return _write(directory, name, cert.public_bytes(serialization.Encoding.DER))


def write_pem(directory, name: str, *, bits: int = 2048, expired: bool = False, issuer=None) -> str:
    """A combined PEM (certificate + key)."""
    key = make_key(bits)
    return _write(directory, name, pem_cert(make_cert(key, expired=expired, issuer=issuer)) + pem_key(key))


def write_pfx(directory, name: str, password: str, *, bits: int = 2048) -> str:
    key = make_key(bits)
    data = pkcs12.serialize_key_and_certificates(
        b"t", key, make_cert(key), None, serialization.BestAvailableEncryption(password.encode())
    )
    return _write(directory, name, data)


def write_ec_pem(directory, name: str = "ec.pem") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return _write(directory, name, pem_cert(make_cert(key)) + pem_key(key))


def write_bad_fixtures(directory, pfx_password: str = "right-password") -> dict:
    """The four local refusals: ``no_key`` (.cer), ``small_key`` (RSA 1024), ``pfx`` (+ its real password), ``expired``."""
    return {
        "no_key": write_cer_without_key(directory),
        "small_key": write_pem(directory, "rsa1024.pem", bits=1024),
        "pfx": write_pfx(directory, "good.pfx", pfx_password),
        "pfx_password": pfx_password,
        "expired": write_pem(directory, "expired.pem", expired=True),
    }
