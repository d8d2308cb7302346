# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only: write the certificates the Key Vault targets need into a directory and print their facts as JSON.

Usage: make_certs.py <output dir> <password>

Files: leaf.pfx (3DES/SHA1, like Windows), leaf-aes.pfx (AES-256, what OpenSSL 3 writes), leaf.pem (cert + PKCS#8 key),
leaf-pkcs1.pem (cert + PKCS#1 key), nokey.pem (certificate only), weak.pfx (RSA 1024), expired.pfx, leaf2.pfx (another
certificate, same subject), root.pem and intermediate.pem (CA certificates without keys), intermediate.pfx (no key).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, pub, signer, *, ca=False, days=365, start=None):
    start = start or dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signer, hashes.SHA256())


def _legacy(password: bytes):
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(password)
    )


def _thumb(cert) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - a thumbprint


def main() -> None:
    out, password = sys.argv[1], sys.argv[2].encode()
    os.makedirs(out, exist_ok=True)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _cert("signet test root", "signet test root", root_key.public_key(), root_key, ca=True, days=3650)
    inter_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    inter = _cert("signet test intermediate", "signet test root", inter_key.public_key(), root_key, ca=True, days=1825)
    facts = {}

    def leaf(name, bits=2048, **kw):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        cert = _cert("signet-kv-test.example", "signet test intermediate", key.public_key(), inter_key, **kw)
        facts[name] = {"thumbprint": _thumb(cert), "subject": cert.subject.rfc4514_string()}
        return key, cert

    def write(name, data):
        path = os.path.join(out, name)
        with open(path, "wb") as fh:
            fh.write(data)
        os.chmod(path, 0o600)
        facts.setdefault(name.split(".")[0], {})["path_" + name.split(".")[-1]] = path

    key, cert = leaf("leaf")
    write("leaf.pfx", pkcs12.serialize_key_and_certificates(b"leaf", key, cert, [inter], _legacy(password)))
    write(
        "leaf-aes.pfx",
        pkcs12.serialize_key_and_certificates(b"leaf", key, cert, [inter], serialization.BestAvailableEncryption(password)),
    )
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    write(
        "leaf.pem",
        pem_cert + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    write(
        "leaf-pkcs1.pem",
        pem_cert
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
    )
    write("nokey.pem", pem_cert)
    key2, cert2 = leaf("leaf2")
    write("leaf2.pfx", pkcs12.serialize_key_and_certificates(b"leaf2", key2, cert2, [inter], _legacy(password)))
    wkey, wcert = leaf("weak", bits=1024)
    write("weak.pfx", pkcs12.serialize_key_and_certificates(b"weak", wkey, wcert, None, _legacy(password)))
    ekey, ecert = leaf("expired", days=30, start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60))
    write("expired.pfx", pkcs12.serialize_key_and_certificates(b"expired", ekey, ecert, None, _legacy(password)))
    facts["root"] = {"thumbprint": _thumb(root)}
    write("root.pem", root.public_bytes(serialization.Encoding.PEM))
    facts["intermediate"] = {"thumbprint": _thumb(inter)}
    write("intermediate.pem", inter.public_bytes(serialization.Encoding.PEM))
    write("intermediate.pfx", pkcs12.serialize_key_and_certificates(None, None, inter, None, _legacy(password)))
    facts["dir"] = out
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
