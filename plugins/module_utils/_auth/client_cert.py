# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Client-certificate (mutual TLS) auth for the classic Service Management API.

* :func:`resolve` turns the ``classic_auth`` options into :class:`ClassicSettings`: subscription, endpoint (per
  cloud, or ``management_endpoint``), ``x-ms-version`` and the loaded, checked certificate bundle. Every local check
  runs before any connection: the key is present and matches, RSA >= 2048 bits, valid now, the endpoint is not ARM.
* :class:`ClientCertificateAdapter` is a ``requests`` HTTPAdapter whose pool managers (direct and through an HTTPS
  proxy, i.e. CONNECT) use one ``ssl.SSLContext`` holding the certificate. ``ssl`` can only load a key from a file,
  so the key is written to a private temp dir (``/dev/shm`` when it exists, mode 0700) as a PKCS#8 PEM encrypted with
  a one-time password (file mode 0600, ``O_CREAT|O_EXCL``), loaded, and removed at once in a ``finally``: the files
  exist only while ``load_cert_chain`` runs, never during network I/O, so no success, failure, exception or timeout
  path can leave them behind. ``cleanup`` (e.g. ``module.add_cleanup_file``) is a backstop for a killed process.
* :class:`ClientCertificateAuth` adds ``x-ms-version`` to every attempt and, for a 403, tells the explainer which
  certificate was offered.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._certs import CertBundle, check_bundle, load_bundle
from .._clouds import CLOUDS, cloud
from .._errors import CertificateError, ConfigError
from .base import AuthScheme

try:
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover
    HAS_REQUESTS = False
    HTTPAdapter = object

DEFAULT_X_MS_VERSION = "2014-06-01"
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ARM_HOSTS = frozenset(urlsplit(c["resource_manager"]).hostname for c in CLOUDS.values())


def check_not_arm(url: str, option: str = "management_endpoint") -> None:
    """ConfigError when ``url`` points at Azure Resource Manager, which never accepts management certificates."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ARM_HOSTS:
        raise ConfigError(
            "%s: %s is Azure Resource Manager (ARM). ARM does not accept management certificates; use Entra ID "
            "(auth: entra with the tenant_id/client_id options), or the classic endpoint %s for the classic API"
            % (
                option,
                host,
                next(c["classic_management"] for c in CLOUDS.values() if urlsplit(c["resource_manager"]).hostname == host),
            )
        )


def describe_offer(bundle: CertBundle) -> str:
    """One line about the certificate we offer (non-secret)."""
    d = bundle.describe()
    return "%s (thumbprint %s, subject %s, RSA %s bits, private key %s, valid until %s)" % (
        bundle.source,
        d["thumbprint"],
        d["subject"],
        d["key_bits"],
        "present and matching" if d["has_private_key"] else "MISSING",
        d["not_after"],
    )


def check_management_certificate(bundle: CertBundle) -> list[str]:
    """:func:`check_bundle` plus the classic rule that management certificates are RSA. Returns expiry warnings."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    warnings = check_bundle(bundle, purpose="classic Service Management API")
    pub = bundle.certificate.public_key()
    if not isinstance(pub, rsa.RSAPublicKey):
        raise CertificateError(
            "the certificate in %s has a %s key; classic management certificates must be RSA (at least 2048 bits): "
            "create one with openssl req -newkey rsa:2048" % (bundle.source, type(pub).__name__.lstrip("_"))
        )
    return warnings


# ----------------------------------------------------------------------------------------------------------------------
# Temp key files
# ----------------------------------------------------------------------------------------------------------------------


def _temp_parent() -> str | None:
    """``/dev/shm`` (memory-backed) when it exists and is writable, else the default temp dir."""
    shm = "/dev/shm"  # noqa: S108 - private 0700 dir below, files 0600 and encrypted
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class TempKeyFiles:
    """The certificate chain and the encrypted key in a private temp dir; a context manager that removes them.

    ``password`` is the one-time password the key is encrypted with (bytes). ``cert_file``/``key_file``/``directory``
    are the paths while alive. ``cleanup(path)`` is called for each file right after creation (a backstop, e.g.
    ``AnsibleModule.add_cleanup_file``). ``remove()`` is idempotent and never raises.
    """

    def __init__(self, bundle: CertBundle, cleanup: Callable[[str], None] | None = None):
        from cryptography.hazmat.primitives import serialization

        self.password = secrets.token_urlsafe(32).encode("ascii")
        self.directory = tempfile.mkdtemp(prefix="signet-azure-mtls-", dir=_temp_parent())
        self.cert_file = os.path.join(self.directory, "cert.pem")
        self.key_file = os.path.join(self.directory, "key.pem")
        try:
            chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in bundle.chain)
            _write_private(self.cert_file, bundle.cert_pem() + chain)
            if cleanup:
                cleanup(self.cert_file)
            key_pem = bundle.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(self.password),
            )
            _write_private(self.key_file, key_pem)
            if cleanup:
                cleanup(self.key_file)
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        """Delete the files and the directory (idempotent)."""
        for path in (self.key_file, self.cert_file):
            try:
                os.unlink(path)
            except OSError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> TempKeyFiles:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def build_ssl_context(
    bundle: CertBundle,
    validate_certs: bool = True,
    ca_bundle: str | None = None,
    cleanup: Callable[[str], None] | None = None,
    on_files: Callable[[TempKeyFiles], None] | None = None,
) -> ssl.SSLContext:
    """A client ``SSLContext`` holding ``bundle``'s certificate and key. Raises CertificateError / ConfigError.

    ``on_files(files)`` is called while the temp files exist (a test seam: they are gone when this returns).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if validate_certs:
        ctx.load_default_certs()
        if ca_bundle:
            if not os.path.exists(ca_bundle):
                raise ConfigError("ca_bundle: the file %s does not exist" % ca_bundle)
            try:
                if os.path.isdir(ca_bundle):
                    ctx.load_verify_locations(capath=ca_bundle)
                else:
                    ctx.load_verify_locations(cafile=ca_bundle)
            except ssl.SSLError as exc:
                raise ConfigError("ca_bundle: %s holds no usable CA certificate: %s" % (ca_bundle, exc)) from None
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with TempKeyFiles(bundle, cleanup) as files:
        if on_files is not None:
            on_files(files)
        try:
            ctx.load_cert_chain(files.cert_file, files.key_file, password=files.password)
        except ssl.SSLError as exc:
            raise CertificateError("the certificate in %s cannot be used for TLS: %s" % (bundle.source, exc)) from None
    return ctx


class ClientCertificateAdapter(HTTPAdapter):
    """HTTPAdapter that presents ``bundle`` as TLS client certificate, directly and through HTTP(S) proxies.

    The ``SSLContext`` is built once, in ``__init__`` (so every certificate problem surfaces before any call), and
    shared by the direct pool manager and every proxy manager (``ssl_context`` is what urllib3 uses for the TLS
    session inside a CONNECT tunnel; ``proxy_ssl_context`` stays the default, for an ``https://`` proxy itself).
    """

    def __init__(
        self,
        bundle: CertBundle,
        *,
        validate_certs: bool = True,
        ca_bundle: str | None = None,
        cleanup: Callable[[str], None] | None = None,
        on_files: Callable[[TempKeyFiles], None] | None = None,
        **kwargs,
    ):
        self.bundle = bundle
        self.ssl_context = build_ssl_context(bundle, validate_certs, ca_bundle, cleanup, on_files)
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["ssl_context"] = self.ssl_context
        return super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        if proxy not in self.proxy_manager:
            proxy_kwargs["ssl_context"] = self.ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def __getstate__(self):  # pragma: no cover - SSLContext cannot be pickled
        raise TypeError("ClientCertificateAdapter cannot be pickled")


# ----------------------------------------------------------------------------------------------------------------------
# Auth scheme and settings
# ----------------------------------------------------------------------------------------------------------------------


class ClientCertificateAuth(AuthScheme):
    """Adds ``x-ms-version`` to every attempt; the certificate itself travels in TLS (the adapter)."""

    scheme = "ClientCertificate"
    name = "client_certificate"

    def __init__(
        self,
        bundle: CertBundle,
        x_ms_version: str = DEFAULT_X_MS_VERSION,
        cloud: str | None = None,
        subscription_id: str | None = None,
    ):
        self.bundle = bundle
        self.x_ms_version = x_ms_version
        self.cloud = cloud
        self.subscription_id = subscription_id

    def validate(self) -> None:
        if not self.x_ms_version or not _VERSION_RE.match(self.x_ms_version) or self.x_ms_version < "2009-10-01":
            raise ConfigError(
                "x_ms_version: %r is not a Service Management version (YYYY-MM-DD, 2009-10-01 or later), e.g. 2014-06-01"
                % self.x_ms_version
            )

    def sign(self, r) -> None:
        check_not_arm(r.url, "url")
        if not r.headers.get("x-ms-version"):
            r.headers["x-ms-version"] = self.x_ms_version
        self.last_string_to_sign = None

    def explain_hint(self, resp, parsed: dict) -> str:
        """The local diagnosis of a 403: which certificate was offered, and what to do."""
        if resp.status_code != 403:
            return ""
        sub = self.subscription_id or "?"
        return (
            "Client certificate offered: %s. The local checks passed (the private key is present and matches, RSA >= 2048, "
            "not expired), so it was offered in the TLS handshake; the server did not accept it for subscription %s. Upload its public part "
            "(.cer, thumbprint %s) to that subscription's management certificates, or check subscription_id and "
            "cloud/management_endpoint." % (describe_offer(self.bundle), sub, self.bundle.thumbprint)
        )


@dataclass
class ClassicSettings:
    """Resolved classic options. ``base_url`` is ``<endpoint>/<subscription_id>``."""

    subscription_id: str
    endpoint: str
    x_ms_version: str
    bundle: CertBundle
    cloud: str
    warnings: list

    @property
    def base_url(self) -> str:
        return "%s/%s" % (self.endpoint.rstrip("/"), self.subscription_id)

    def certificate_facts(self) -> dict:
        """Non-secret facts about the management certificate, for results (audit)."""
        return self.bundle.describe()


def resolve(params: dict) -> ClassicSettings:
    """Validate and load the classic options (no network). Raises ConfigError / CertificateError."""
    sub = (params.get("subscription_id") or "").strip()
    if not sub:
        raise ConfigError(
            "subscription_id is required for the classic API: set subscription_id (or SIGNET_AZURE_SUBSCRIPTION_ID / AZURE_SUBSCRIPTION_ID)"
        )
    if not _GUID_RE.match(sub):
        raise ConfigError("subscription_id: %r is not a subscription GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" % sub)
    c = cloud(params.get("cloud"))
    endpoint = (params.get("management_endpoint") or c["classic_management"]).rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError("management_endpoint: %r is not an https:// URL (e.g. %s)" % (endpoint, c["classic_management"]))
    check_not_arm(endpoint)
    version = params.get("x_ms_version") or DEFAULT_X_MS_VERSION
    ClientCertificateAuth(None, version).validate()
    path = params.get("management_certificate_path")
    content = params.get("management_certificate_content")
    if not path and not content:
        raise ConfigError(
            "the classic API needs a management certificate: set management_certificate_path (PFX, or PEM with the key) "
            "or management_certificate_content (or SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH)"
        )
    bundle = load_bundle(
        path=path,
        content=content,
        password=params.get("management_certificate_password"),
        key_path=params.get("management_key_path"),
        option="management_certificate_path" if path else "management_certificate_content",
    )
    warnings = check_management_certificate(bundle)
    return ClassicSettings(
        subscription_id=sub, endpoint=endpoint, x_ms_version=version, bundle=bundle, cloud=c["name"], warnings=warnings
    )


def transport_parts(settings: ClassicSettings, params: dict, cleanup: Callable[[str], None] | None = None):
    """``(auth, adapter)`` for ``settings``; ``params`` supplies ``validate_certs``/``ca_bundle``."""
    auth = ClientCertificateAuth(settings.bundle, settings.x_ms_version, settings.cloud, settings.subscription_id)
    adapter = ClientCertificateAdapter(
        settings.bundle,
        validate_certs=params.get("validate_certs", True) is not False,
        ca_bundle=params.get("ca_bundle"),
        cleanup=cleanup,
    )
    return auth, adapter


def from_module(module, auth: str, service: str):
    """Selector entry (see select.py): ``(ClientCertificateAuth, <endpoint>/<subscription_id>, {"adapter": ...})``."""
    settings = resolve(module.params)
    for warning in settings.warnings:
        module.warn(warning)
    scheme, adapter = transport_parts(settings, module.params, getattr(module, "add_cleanup_file", None))
    return scheme, settings.base_url, {"adapter": adapter}


def classic_client(module):
    """A ClassicClient (``_clients/classic.py``) for an AzureRestModule with the ``classic_auth`` options."""
    from .._clients.classic import ClassicClient

    settings = resolve(module.params)
    for warning in settings.warnings:
        module.warn(warning)
    scheme, adapter = transport_parts(settings, module.params, module.add_cleanup_file)
    return ClassicClient(module.transport(scheme, adapter=adapter), settings)
