# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Certificate loading and pre-flight checks shared by the classic API, Entra ID, Key Vault and Cloud Services.

Loads PFX (PKCS#12), PEM (certificate and key, combined or separate) or DER; checks that the private key is present
and matches, that RSA keys have at least 2048 bits, and the validity period; computes thumbprints. Every failure is
a CertificateError whose message names the file (or option), the problem and the fix.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

from ._deps import MissingLibraryError, missing_library_message
from ._errors import CertificateError, ConfigError

MIN_RSA_BITS = 2048
EXPIRY_WARN_DAYS = 30

# DER-encoded OIDs found inside PKCS#12 files, to tell how a PFX is encrypted.
_PFX_OIDS = {
    "PBES2": bytes.fromhex("06092a864886f70d01050d"),
    "AES-256-CBC": bytes.fromhex("060960864801650304012a"),
    "pbeWithSHAAnd3-KeyTripleDES-CBC": bytes.fromhex("060a2a864886f70d010c0103"),
    "pbeWithSHAAnd40BitRC2-CBC": bytes.fromhex("060a2a864886f70d010c0106"),
}


@dataclass
class CertBundle:
    """A certificate with (optionally) its private key and chain. ``source`` names where it came from."""

    certificate: object
    key: object = None
    chain: list = field(default_factory=list)
    source: str = "certificate"
    format: str = "pem"
    pfx_algorithms: set = field(default_factory=set)

    @property
    def thumbprint(self) -> str:
        """SHA-1 of the DER certificate, 40 upper-case hex characters (what .cscfg and Azure show)."""
        return thumbprint_hex(self.certificate)

    @property
    def key_bits(self) -> int | None:
        pub = self.certificate.public_key()
        return getattr(pub, "key_size", None)

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def describe(self) -> dict:
        """Non-secret facts for results and error messages."""
        c = self.certificate
        return {
            "thumbprint": self.thumbprint,
            "subject": c.subject.rfc4514_string(),
            "issuer": c.issuer.rfc4514_string(),
            "not_before": _not_before(c).isoformat(),
            "not_after": _not_after(c).isoformat(),
            "key_bits": self.key_bits,
            "has_private_key": self.key is not None,
            "chain_length": len(self.chain),
        }


def _require_crypto():
    if not HAS_CRYPTOGRAPHY:
        raise MissingLibraryError(missing_library_message("cryptography", "cryptography", "to load certificates and keys"))


def _not_after(cert):
    return getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=_dt.timezone.utc)


def _not_before(cert):
    return getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=_dt.timezone.utc)


def thumbprint_hex(cert) -> str:
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # noqa: S324 - thumbprint, not security


def x5t(cert) -> str:
    """base64url (no padding) of the SHA-1 thumbprint, as Key Vault and JWT headers give it."""
    digest = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()  # noqa: S324
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pfx_algorithms(data: bytes) -> set:
    """Names of the encryption schemes referenced in a PFX (PBES2/AES-256 vs 3DES/RC2)."""
    return {name for name, oid in _PFX_OIDS.items() if oid in data}


def _decode_content(content: str | bytes) -> tuple[bytes, str]:
    """Inline content: PEM text, or base64 of a PFX/DER."""
    raw = content if isinstance(content, bytes) else content.encode("utf-8")
    if b"-----BEGIN" in raw:
        return raw, "pem"
    try:
        return base64.b64decode(b"".join(raw.split()), validate=True), "binary"
    except ValueError:
        raise CertificateError("certificate content is neither PEM text nor base64 of a PFX/DER file") from None


def _keys_match(cert, key) -> bool:
    pub_a = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pub_b = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pub_a == pub_b


def _load_pem(data: bytes, password: bytes | None, source: str, key_data: bytes | None = None, key_source: str | None = None):
    certs = []
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise CertificateError("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)" % source)
    key = None
    key_text = key_data if key_data is not None else data
    if b"PRIVATE KEY-----" in key_text:
        try:
            key = serialization.load_pem_private_key(key_text, password=password)
        except TypeError as exc:
            if "encrypted" in str(exc).lower() and not password:
                raise CertificateError("the private key in %s is encrypted: give its password" % (key_source or source)) from None
            raise CertificateError(
                "the private key in %s is not encrypted, but a password was given: remove the password" % (key_source or source)
            ) from None
        except ValueError:
            raise CertificateError(
                "the private key in %s cannot be read: wrong password, or not a PEM private key" % (key_source or source)
            ) from None
    leaf = certs[0]
    if key is not None:
        for candidate in certs:
            if _keys_match(candidate, key):
                leaf = candidate
                break
    chain = [c for c in certs if c is not leaf]
    return CertBundle(certificate=leaf, key=key, chain=chain, source=source, format="pem")


def _read_certificate(path: str | None, content: str | bytes | None, option: str) -> tuple[str, bytes, str]:
    """``(source, data, kind)`` of the certificate in ``path`` or inline ``content``; kind is "pem" or "binary"."""
    if path:
        if not os.path.exists(path):
            raise ConfigError("%s: the file %s does not exist" % (option, path))
        with open(path, "rb") as fh:
            data = fh.read()
        return path, data, "pem" if b"-----BEGIN" in data else "binary"
    if content:
        data, kind = _decode_content(content)
        return "%s (inline content)" % option, data, kind
    raise ConfigError("%s: no certificate given (a path or the content)" % option)


def _read_key_file(key_path: str | None, option: str) -> bytes | None:
    """The bytes of the separate key file, or None without one. ConfigError when it does not exist."""
    if not key_path:
        return None
    if not os.path.exists(key_path):
        raise ConfigError("%s: the key file %s does not exist" % (option, key_path))
    with open(key_path, "rb") as fh:
        return fh.read()


def _load_der(data: bytes, pw: bytes | None, source: str, key_data: bytes | None, key_path: str | None) -> CertBundle:
    """A DER certificate (with the key from ``key_data``), for binary data that is not a PFX this password opens.

    Raises CertificateError naming the PFX problem (wrong or missing password) when it is not DER either.
    """
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        cert = None
    if cert is None:
        if pw:
            raise CertificateError("cannot open the PFX %s: the password is wrong" % source) from None
        raise CertificateError("cannot open the PFX %s: it needs a password" % source) from None
    bundle = CertBundle(certificate=cert, source=source, format="der")
    if key_data is not None:
        bundle.key = _load_pem(bundle.cert_pem() + b"\n" + key_data, pw, source, key_data, key_path).key
    return bundle


def _load_binary(data: bytes, pw: bytes | None, source: str, key_data: bytes | None, key_path: str | None) -> CertBundle:
    """Binary data: a PFX first, then a DER certificate. Raises CertificateError."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, pw)
    except ValueError as exc:
        text = str(exc).lower()
        if "invalid password" in text or "mac" in text or "password" in text or "could not deserialize" in text:
            return _load_der(data, pw, source, key_data, key_path)
        raise CertificateError("cannot read %s as PFX: %s" % (source, exc)) from None
    if cert is None and key is None and extra:
        # a PFX of CA certificates only (no key): the first one is the certificate, the rest its chain
        cert, extra = extra[0], extra[1:]
    if cert is None:
        raise CertificateError("the PFX %s holds no certificate" % source)
    return CertBundle(
        certificate=cert, key=key, chain=list(extra or []), source=source, format="pfx", pfx_algorithms=pfx_algorithms(data)
    )


def load_bundle(
    path: str | None = None,
    content: str | bytes | None = None,
    password: str | None = None,
    key_path: str | None = None,
    option: str = "certificate",
) -> CertBundle:
    """Load a certificate (and key) from a file or inline content. Raises CertificateError / ConfigError."""
    _require_crypto()
    source, data, kind = _read_certificate(path, content, option)
    pw = password.encode("utf-8") if password else None
    key_data = _read_key_file(key_path, option)
    if not data.strip():
        raise CertificateError("%s: %s is empty; give a PFX, PEM or DER certificate file" % (option, source))
    if kind == "pem":
        return _load_pem(data, pw, source, key_data, key_path)
    if not data.startswith(b"\x30"):
        # PFX and DER are ASN.1 SEQUENCEs; anything else (text, a zip, a key alone) is not a certificate file
        raise CertificateError(
            "%s: %s is not a certificate file (neither PEM text nor a DER certificate nor a PFX)" % (option, source)
        )
    return _load_binary(data, pw, source, key_data, key_path)


def check_bundle(
    bundle: CertBundle,
    require_key: bool = True,
    min_rsa_bits: int = MIN_RSA_BITS,
    now: _dt.datetime | None = None,
    warn_days: int = EXPIRY_WARN_DAYS,
    purpose: str = "client authentication",
) -> list[str]:
    """Pre-flight checks. Raises CertificateError; returns warnings (expiry within ``warn_days``)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    src = bundle.source
    if require_key and bundle.key is None:
        hint = (
            "export it as PFX with its private key"
            if bundle.format in ("der", "pfx")
            else "add the PEM private key (or export a PFX with its private key)"
        )
        raise CertificateError(
            "the certificate in %s has no private key: %s. Without the key no client certificate is sent and Azure answers "
            "\"forbidden with client authentication scheme 'Anonymous'\" (%s)" % (src, hint, purpose)
        )
    if bundle.key is not None and not _keys_match(bundle.certificate, bundle.key):
        raise CertificateError("the private key in %s does not match its certificate (thumbprint %s)" % (src, bundle.thumbprint))
    pub = bundle.certificate.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        if pub.key_size < min_rsa_bits:
            raise CertificateError(
                "the key of the certificate in %s is RSA %d bits; Azure requires at least %d: create a new certificate "
                "(e.g. openssl req -newkey rsa:2048)" % (src, pub.key_size, min_rsa_bits)
            )
    elif not isinstance(pub, ec.EllipticCurvePublicKey):
        raise CertificateError("the certificate in %s has an unsupported key type %s" % (src, type(pub).__name__))
    not_after = _not_after(bundle.certificate)
    not_before = _not_before(bundle.certificate)
    if not_after < now:
        raise CertificateError(
            "the certificate in %s expired on %s (thumbprint %s): renew it" % (src, not_after.isoformat(), bundle.thumbprint)
        )
    if not_before > now:
        raise CertificateError(
            "the certificate in %s is not valid before %s: check the local clock" % (src, not_before.isoformat())
        )
    warnings = []
    if not_after - now < _dt.timedelta(days=warn_days):
        warnings.append("the certificate in %s expires on %s, in less than %d days" % (src, not_after.isoformat(), warn_days))
    return warnings


def is_ca(cert) -> bool:
    """True for a CA certificate (basicConstraints CA:TRUE), i.e. intermediate or root rather than a leaf."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def is_self_signed(cert) -> bool:
    return cert.subject == cert.issuer


def role_of(cert) -> str:
    """'root', 'intermediate' or 'leaf'."""
    if is_ca(cert):
        return "root" if is_self_signed(cert) else "intermediate"
    return "leaf"


def export_pfx(bundle: CertBundle, password: str, legacy: bool = True) -> bytes:
    """Serialise as PFX. ``legacy`` uses 3DES + SHA-1 MAC, which Windows and Cloud Services accept (not AES-256)."""
    _require_crypto()
    if legacy:
        enc = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password.encode("utf-8"))
        )
    else:
        enc = serialization.BestAvailableEncryption(password.encode("utf-8"))
    return pkcs12.serialize_key_and_certificates(None, bundle.key, bundle.certificate, bundle.chain or None, enc)


# -- additions for Entra ID and Key Vault (issue 6) -------------------------------------------------------------------
CLOUD_SERVICES_AES_MESSAGE = (
    'the PFX %s is encrypted with AES-256 (PBES2), which Azure Cloud Services rejects ("does not accept AES256-SHA256 '
    'encrypted certificate"): re-export it with 3DES/SHA1 (openssl pkcs12 -export -legacy, or -keypbe '
    "PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1)"
)


def private_key_pem(bundle: CertBundle) -> bytes:
    """The private key as unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``). Raises CertificateError."""
    _require_crypto()
    if bundle.key is None:
        raise CertificateError("the certificate in %s has no private key" % bundle.source)
    return bundle.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def certificates_pem(bundle: CertBundle) -> str:
    """Leaf and chain as PEM text, without any key (for CA certificates stored as secrets)."""
    return b"".join([bundle.cert_pem()] + [c.public_bytes(serialization.Encoding.PEM) for c in bundle.chain]).decode("ascii")


def pem_for_import(bundle: CertBundle) -> str:
    """Leaf certificate, chain and the key as PKCS#8 PEM, the form Key Vault imports (it rejects PKCS#1 keys)."""
    parts = [bundle.cert_pem()] + [c.public_bytes(serialization.Encoding.PEM) for c in bundle.chain]
    return (b"".join(parts) + private_key_pem(bundle)).decode("ascii")


def is_aes_pfx(bundle: CertBundle) -> bool:
    """True when the bundle came from a PFX encrypted with PBES2/AES-256 (OpenSSL 3 and cryptography's default)."""
    return bundle.format == "pfx" and bool({"PBES2", "AES-256-CBC"} & set(bundle.pfx_algorithms))


def cloud_services_pfx_problem(bundle: CertBundle) -> str | None:
    """The message for a PFX that Cloud Services would reject (AES-256 encryption), else None."""
    if is_aes_pfx(bundle):
        return CLOUD_SERVICES_AES_MESSAGE % bundle.source
    return None


def chain_summary(bundle: CertBundle) -> list[dict]:
    """Leaf first, then the chain: ``{thumbprint, subject, issuer, role}`` each (role: leaf/intermediate/root)."""
    out = []
    for cert in [bundle.certificate] + list(bundle.chain):
        out.append(
            {
                "thumbprint": thumbprint_hex(cert),
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "role": role_of(cert),
            }
        )
    return out


def certificate_facts(cert) -> dict:
    """Non-secret facts of one x509 certificate: thumbprint (hex), x5t, subject, issuer, not_before, not_after."""
    return {
        "thumbprint": thumbprint_hex(cert),
        "x5t": x5t(cert),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": _not_before(cert).isoformat(),
        "not_after": _not_after(cert).isoformat(),
    }


def load_der_certificate(der: bytes):
    """A certificate object from DER bytes (Key Vault's ``cer``)."""
    _require_crypto()
    return x509.load_der_x509_certificate(der)


def pfx_bytes(path: str | None = None, content: str | bytes | None = None, option: str = "certificate") -> bytes | None:
    """The raw bytes of a PFX file or base64 content, or None when the input is PEM text."""
    if path:
        with open(path, "rb") as fh:
            data = fh.read()
        return None if b"-----BEGIN" in data else data
    if content:
        data, kind = _decode_content(content)
        return data if kind == "binary" else None
    raise ConfigError("%s: no certificate given (a path or the content)" % option)
