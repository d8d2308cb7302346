# SPDX-License-Identifier: GPL-3.0-or-later
"""Deliberately good and bad certificate files for the bad-input table (research facts section 6.2)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def _cert(key, cn: str, start: dt.datetime, end: dt.datetime, issuer=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    signer, issuer_name = (issuer[0], issuer[1].subject) if issuer else (key, name)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _pem_key(key, password: bytes | None = None, pkcs1: bool = False) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc)


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def build(directory: Path, twin_classic: dict | None = None) -> dict:
    """Write the fixtures into ``directory``; returns ``{name: path or value}``. ``twin_classic`` (twin.json's
    ``classic`` block) adds variants of the twin's registered management certificate (CRLF, BOM, chain PFX)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    valid = (now - dt.timedelta(minutes=5), now + dt.timedelta(days=90))
    out: dict = {}

    def write(name: str, data: bytes) -> str:
        p = d / name
        p.write_bytes(data)
        p.chmod(0o600)
        out[name] = str(p)
        return str(p)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert(key, "signet-rel-good", *valid)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    out["pfx_password"] = "rel-" + secrets.token_urlsafe(12)
    out["pem_password"] = "rel-" + secrets.token_urlsafe(12)
    write("good.pem", _pem_cert(cert) + _pem_key(key))
    write("good.crt", _pem_cert(cert))
    write("good.key", _pem_key(key))
    write("other.key", _pem_key(other_key))
    write(
        "good.pfx",
        pkcs12.serialize_key_and_certificates(
            b"rel", key, cert, None, serialization.BestAvailableEncryption(out["pfx_password"].encode())
        ),
    )
    write(
        "nokey.pfx",
        pkcs12.serialize_key_and_certificates(
            b"rel", None, cert, None, serialization.BestAvailableEncryption(out["pfx_password"].encode())
        ),
    )
    write("nokey.der", cert.public_bytes(serialization.Encoding.DER))
    write("mismatch.pem", _pem_cert(cert) + _pem_key(other_key))
    write("encrypted.pem", _pem_cert(cert) + _pem_key(key, out["pem_password"].encode()))
    write("pkcs1.pem", _pem_cert(cert) + _pem_key(key, pkcs1=True))
    expired = _cert(key, "signet-rel-expired", now - dt.timedelta(days=30), now - dt.timedelta(days=1))
    write("expired.pem", _pem_cert(expired) + _pem_key(key))
    future = _cert(key, "signet-rel-future", now + dt.timedelta(days=2), now + dt.timedelta(days=90))
    write("future.pem", _pem_cert(future) + _pem_key(key))
    small_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    write("rsa1024.pem", _pem_cert(_cert(small_key, "signet-rel-1024", *valid)) + _pem_key(small_key))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    write("ec.pem", _pem_cert(_cert(ec_key, "signet-rel-ec", *valid)) + _pem_key(ec_key))
    write("garbage.pem", b"this is not a certificate\n")
    write("empty.pem", b"")
    if twin_classic:
        pem = Path(twin_classic["pem_file"]).read_bytes()
        write("twin-crlf.pem", pem.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        write("twin-bom.pem", b"\xef\xbb\xbf" + pem)
        twin_certs = x509.load_pem_x509_certificates(pem)
        twin_key = serialization.load_pem_private_key(pem, password=None)
        ca = x509.load_pem_x509_certificates(Path(twin_classic["client_ca_file"]).read_bytes())
        write(
            "twin-chain.pfx",
            pkcs12.serialize_key_and_certificates(
                b"rel", twin_key, twin_certs[0], ca, serialization.BestAvailableEncryption(out["pfx_password"].encode())
            ),
        )
        out["twin_pem_text"] = pem.decode("ascii")
    return out
