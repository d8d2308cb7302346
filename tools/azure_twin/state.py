# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared, seeded state of the Azure twin: keys, CAs, the credentials registry and per-plugin namespaces.

Everything here is generated fresh at start-up (nothing is cached across runs) and is *test data*: ids, secrets and
file paths are written to ``twin.json`` so tests and the demo can use them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
import secrets as _secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

TENANT_DOMAIN = "signettwin.onmicrosoft.com"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AppCertificate:
    """A certificate registered on an app (public part only is needed to verify assertions)."""

    der: bytes
    public_key: Any
    thumbprint_sha1: str  # upper-case hex, as the portal shows it
    thumbprint_sha256: str  # upper-case hex

    @property
    def x5t(self) -> str:
        """JOSE ``x5t`` value (base64url of the SHA-1 digest)."""
        return b64url(bytes.fromhex(self.thumbprint_sha1))

    @property
    def x5t_s256(self) -> str:
        """JOSE ``x5t#S256`` value (base64url of the SHA-256 digest)."""
        return b64url(bytes.fromhex(self.thumbprint_sha256))

    @classmethod
    def from_cert(cls, cert: x509.Certificate) -> AppCertificate:
        """Build from a ``cryptography`` certificate."""
        der = cert.public_bytes(serialization.Encoding.DER)
        return cls(
            der=der,
            public_key=cert.public_key(),
            thumbprint_sha1=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - it is the thumbprint
            thumbprint_sha256=hashlib.sha256(der).hexdigest().upper(),
        )


@dataclass
class FederatedCredential:
    """A federated identity credential on an app (workload identity)."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = (FEDERATED_AUDIENCE,)


@dataclass
class App:
    """A registered Entra application (client) with its service principal object id."""

    client_id: str
    display_name: str
    object_id: str
    secrets: list[str] = field(default_factory=list)
    certificates: list[AppCertificate] = field(default_factory=list)
    federated: list[FederatedCredential] = field(default_factory=list)
    enabled: bool = True


@dataclass
class ManagedIdentity:
    """A managed identity the twin's ``/_msi/token`` endpoint can issue tokens for."""

    client_id: str
    object_id: str
    resource_id: str
    system_assigned: bool = False


@dataclass
class SigningKey:
    """An RSA key with a key id, used to sign JWTs (access tokens, OIDC federated tokens)."""

    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self) -> dict:
        """The public JWK."""
        numbers = self.private_key.public_key().public_numbers()

        def _int(value: int) -> str:
            return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _int(numbers.n),
            "e": _int(numbers.e),
        }


class TwinState:
    """The state shared by the server and every plugin.

    * ``lock``: an ``RLock``; hold it while reading or changing shared data.
    * ``tenant_id``, ``tenant_domain``, ``subscription_id``.
    * ``apps`` (client_id -> :class:`App`), ``managed_identities`` (client_id -> :class:`ManagedIdentity`): the
      credentials registry. ``register_app`` adds one.
    * ``token_key`` (signs access tokens), ``oidc_key`` / ``oidc_issuer`` (the federated issuer).
    * ``tls_ca`` / ``client_ca``: ``trustme.CA`` objects (server certificates; client certificates for classic mTLS).
      ``extra_client_cas``: more PEMs trusted for client certificates (append during ``seed``).
    * ``ns(name)``: a per-plugin dict for service data.
    * ``info``: what goes into ``twin.json`` (plugins add ``info[<plugin name>] = {...}`` in ``seed``).
    * ``secret_values``: every secret the twin generated (tests can grep logs/output for leaks).
    """

    def __init__(self, state_dir: str):
        self.state_dir = os.path.abspath(state_dir)
        self.lock = threading.RLock()
        self.tenant_id = str(uuid.uuid4())
        self.tenant_domain = TENANT_DOMAIN
        self.subscription_id = str(uuid.uuid4())
        self.apps: dict[str, App] = {}
        self.managed_identities: dict[str, ManagedIdentity] = {}
        self.token_key = SigningKey(kid=b64url(_secrets.token_bytes(20)), private_key=new_rsa_key())
        self.oidc_key = SigningKey(kid=b64url(_secrets.token_bytes(20)), private_key=new_rsa_key())
        self.oidc_issuer = "https://oidc.twin.signet.test/" + self.tenant_id + "/"
        self.tls_ca = trustme.CA(organization_name="signet.azure twin TLS CA")
        self.client_ca = trustme.CA(organization_name="signet.azure twin client CA")
        self.extra_client_cas: list[bytes] = []
        self.identity_header = _secrets.token_urlsafe(24)
        self.secret_values: list[str] = [self.identity_header]
        self.info: dict[str, Any] = {}
        self._namespaces: dict[str, dict] = {}
        self.revoked_token_ids: set[str] = set()

    # ---------------------------------------------------------------- namespaces / registry
    def ns(self, name: str) -> dict:
        """The data dict of plugin ``name`` (created on first use)."""
        with self.lock:
            return self._namespaces.setdefault(name, {})

    def register_app(self, app: App) -> App:
        """Add (or replace) a registered application."""
        with self.lock:
            self.apps[app.client_id] = app
            self.secret_values.extend(app.secrets)
        return app

    def register_secret(self, value: str) -> str:
        """Remember a generated secret value (for leak tests); returns it."""
        with self.lock:
            self.secret_values.append(value)
        return value

    def path(self, name: str) -> str:
        """Absolute path of ``name`` inside the state dir."""
        return os.path.join(self.state_dir, name)

    def write_file(self, name: str, data: bytes | str, mode: int = 0o600) -> str:
        """Write a file into the state dir and return its absolute path."""
        path = self.path(name)
        if isinstance(data, str):
            data = data.encode("utf-8")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path


def _self_signed(common_name: str, key: rsa.RSAPrivateKey, days: int = 365) -> x509.Certificate:
    """A self-signed certificate, as ``New-SelfSignedCertificate`` or ``az ad sp create-for-rbac`` would make."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _dt.datetime.now(_dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def create_state(state_dir: str, *, hostnames: list[str]) -> TwinState:
    """Generate the state and write the core files (``ca.pem``, ``client-ca.pem``, app certificate, tokens).

    ``hostnames`` are the SANs of the TLS leaf certificate. Returns the state; ``state.tls_leaf`` is the
    ``trustme.LeafCert`` for the server.
    """
    from . import entra  # JWT helpers; entra only imports plugin at module level

    os.makedirs(state_dir, exist_ok=True)
    state = TwinState(state_dir)

    state.tls_leaf = state.tls_ca.issue_cert(*hostnames)
    ca_file = state.write_file("ca.pem", state.tls_ca.cert_pem.bytes(), 0o644)
    client_ca_file = state.write_file("client-ca.pem", state.client_ca.cert_pem.bytes(), 0o644)
    # A client certificate from the client CA that no subscription knows (classic: "unknown certificate" case).
    stray = state.client_ca.issue_cert("signet-twin-unregistered-client")
    client_test_cert_file = state.write_file("client-test-cert.pem", stray.private_key_and_cert_chain_pem.bytes())

    # App 1: client secret.
    secret = state.register_secret(_secrets.token_urlsafe(30) + "~Tw1n")
    secret_app = state.register_app(
        App(client_id=str(uuid.uuid4()), display_name="signet-twin-secret-app", object_id=str(uuid.uuid4()), secrets=[secret])
    )

    # App 2: certificate (self-signed, PEM with key, PFX with password).
    cert_key = new_rsa_key()
    cert = _self_signed("signet-twin-cert-app", cert_key)
    app_cert = AppCertificate.from_cert(cert)
    cert_app = state.register_app(
        App(
            client_id=str(uuid.uuid4()), display_name="signet-twin-cert-app", object_id=str(uuid.uuid4()), certificates=[app_cert]
        )
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = cert_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pfx_password = state.register_secret(_secrets.token_urlsafe(12))
    pfx = pkcs12.serialize_key_and_certificates(
        b"signet-twin-cert-app", cert_key, cert, None, serialization.BestAvailableEncryption(pfx_password.encode())
    )
    state.register_secret(key_pem.decode("ascii"))

    # App 3: workload identity (federated credential only, no secret, no certificate).
    subject = "system:serviceaccount:signet:twin-workload"
    workload_app = state.register_app(
        App(
            client_id=str(uuid.uuid4()),
            display_name="signet-twin-workload-app",
            object_id=str(uuid.uuid4()),
            federated=[FederatedCredential(issuer=state.oidc_issuer, subject=subject)],
        )
    )
    federated_token = entra.sign_jwt(
        state.oidc_key, {"iss": state.oidc_issuer, "sub": subject, "aud": [FEDERATED_AUDIENCE], **entra.lifetime_claims(3600)}
    )
    state.register_secret(federated_token)

    # Managed identities: one system-assigned (default), one user-assigned.
    rg = f"/subscriptions/{state.subscription_id}/resourceGroups/signet-twin-rg"
    system_mi = ManagedIdentity(
        client_id=str(uuid.uuid4()),
        object_id=str(uuid.uuid4()),
        resource_id=f"{rg}/providers/Microsoft.Web/sites/signet-twin-app",
        system_assigned=True,
    )
    user_mi = ManagedIdentity(
        client_id=str(uuid.uuid4()),
        object_id=str(uuid.uuid4()),
        resource_id=f"{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/signet-uami",
    )
    state.managed_identities = {system_mi.client_id: system_mi, user_mi.client_id: user_mi}

    state.info.update(
        {
            "state_dir": state.state_dir,
            "ca_file": ca_file,
            "client_ca_file": client_ca_file,
            "client_test_cert_file": client_test_cert_file,
            "tenant_id": state.tenant_id,
            "tenant_domain": state.tenant_domain,
            "subscription_id": state.subscription_id,
            "entra": {
                "secret_app": {
                    "client_id": secret_app.client_id,
                    "client_secret": secret,
                    "object_id": secret_app.object_id,
                    "display_name": secret_app.display_name,
                },
                "cert_app": {
                    "client_id": cert_app.client_id,
                    "object_id": cert_app.object_id,
                    "display_name": cert_app.display_name,
                    "cert_pem_file": state.write_file("app-cert.pem", cert_pem + key_pem),
                    "cert_file": state.write_file("app-cert.crt", cert_pem, 0o644),
                    "key_file": state.write_file("app-cert.key", key_pem),
                    "pfx_file": state.write_file("app-cert.pfx", pfx),
                    "pfx_password": pfx_password,
                    "thumbprint": app_cert.thumbprint_sha1,
                    "thumbprint_sha256": app_cert.thumbprint_sha256,
                },
                "workload_app": {
                    "client_id": workload_app.client_id,
                    "object_id": workload_app.object_id,
                    "display_name": workload_app.display_name,
                    "issuer": state.oidc_issuer,
                    "subject": subject,
                    "audience": FEDERATED_AUDIENCE,
                    "token_file": state.write_file("federated-token.jwt", federated_token),
                },
                "managed_identity": {
                    "client_id": system_mi.client_id,
                    "object_id": system_mi.object_id,
                    "resource_id": system_mi.resource_id,
                    "user_assigned": {
                        "client_id": user_mi.client_id,
                        "object_id": user_mi.object_id,
                        "resource_id": user_mi.resource_id,
                    },
                    "identity_header": state.identity_header,
                    # "endpoint" is added by the server once the port is known.
                },
            },
        }
    )
    return state
