# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Mutual TLS plumbing for the client-certificate scheme.

:class:`ClientCertificateAdapter` is a ``requests`` HTTPAdapter whose pool managers (direct and through an HTTPS proxy,
i.e. CONNECT) use one ``ssl.SSLContext`` holding the certificate. ``ssl`` can only load a key from a file, so the key
is written to a private temp dir (``/dev/shm`` when it exists, mode 0700) as a PKCS#8 PEM encrypted with a one-time
password (file mode 0600, ``O_CREAT|O_EXCL``), loaded, and removed at once in a ``finally``: the files exist only while
``load_cert_chain`` runs, never during network I/O, so no success, failure, exception or timeout path can leave them
behind. ``cleanup`` (e.g. ``module.add_cleanup_file``) is a backstop for a killed process.
"""

from __future__ import annotations

import os
import secrets
import shutil
import ssl
import tempfile
from collections.abc import Callable

from .._certs import CertBundle
from .._errors import CertificateError, ConfigError

try:
    from requests.adapters import HTTPAdapter

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover
    HAS_REQUESTS = False
    HTTPAdapter = object


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
