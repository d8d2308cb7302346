# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of _auth/client_cert.py: temp key files (0600, encrypted, always removed), the mTLS adapter, the
classic settings and their local refusals, and the auth scheme (x-ms-version, ARM refusal, 403 hint)."""

from __future__ import annotations

import glob
import os
import socket
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.signet.azure.plugins.module_utils._auth import client_cert as cc
from ansible_collections.signet.azure.plugins.module_utils._auth import tls
from ansible_collections.signet.azure.plugins.module_utils._settings import classic
from ansible_collections.signet.azure.plugins.module_utils._certs import load_bundle
from ansible_collections.signet.azure.plugins.module_utils._errors import CertificateError, ConfigError, TransportError
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport
from tests.helpers import classic_certs as certs

SUB = "4e224c9d-34b6-4006-ac33-9c06a60db572"


_PARENT = {"dir": None}
_REAL_TEMP_PARENT = tls._temp_parent


def _leftovers():
    parent = _PARENT["dir"] or tls._temp_parent() or __import__("tempfile").gettempdir()
    return glob.glob(os.path.join(parent, "signet-azure-mtls-*"))


@pytest.fixture
def good_pem(tmp_path):
    return certs.write_pem(tmp_path, "good.pem")


@pytest.fixture
def bundle(good_pem):
    return load_bundle(path=good_pem)


@pytest.fixture(autouse=True)
def no_leftovers(tmp_path, monkeypatch):
    # A private parent per test: other xdist workers create (and remove) their own signet-azure-mtls-* dirs under
    # /dev/shm at the same time, which must not count as ours.
    parent = tmp_path / "shm"
    parent.mkdir()
    monkeypatch.setattr(tls, "_temp_parent", lambda: str(parent))
    _PARENT["dir"] = str(parent)
    before = set(_leftovers())
    yield
    assert set(_leftovers()) == before, "a temp key dir was left behind"
    _PARENT["dir"] = None


# -- temp key files ------------------------------------------------------------------------------------------------
def test_temp_files_private_encrypted_and_removed(bundle):
    with tls.TempKeyFiles(bundle) as files:
        assert os.path.dirname(files.directory) == _PARENT["dir"]
        assert stat.S_IMODE(os.stat(files.directory).st_mode) == 0o700
        for path in (files.cert_file, files.key_file):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        data = Path(files.key_file).read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        plain = bundle.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        assert plain not in data and b"BEGIN PRIVATE KEY" not in data
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(data, password=None)
        loaded = serialization.load_pem_private_key(data, password=files.password)
        assert loaded.private_numbers() == bundle.key.private_numbers()
        assert Path(files.cert_file).read_bytes() == bundle.cert_pem()
        kept = (files.directory, files.cert_file, files.key_file)
    assert not any(os.path.exists(p) for p in kept)


def test_temp_parent_is_memory_backed_when_available():
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        assert _REAL_TEMP_PARENT() == "/dev/shm"
    else:
        assert _REAL_TEMP_PARENT() is None


def test_one_time_password_differs_each_time(bundle):
    with tls.TempKeyFiles(bundle) as a, tls.TempKeyFiles(bundle) as b:
        assert a.password != b.password and len(a.password) >= 32
        assert a.directory != b.directory


def test_temp_files_removed_after_exception(bundle):
    seen = {}
    with pytest.raises(RuntimeError), tls.TempKeyFiles(bundle) as files:
        seen["paths"] = (files.directory, files.key_file)
        raise RuntimeError("boom")
    assert not any(os.path.exists(p) for p in seen["paths"])


def test_cleanup_backstop_gets_both_files_and_failure_in_it_removes_everything(bundle):
    registered = []
    with tls.TempKeyFiles(bundle, cleanup=registered.append) as files:
        assert registered == [files.cert_file, files.key_file]

    def explode(path):
        registered.append(path)
        raise OSError("cannot register")

    registered.clear()
    with pytest.raises(OSError):
        tls.TempKeyFiles(bundle, cleanup=explode)
    assert registered and not os.path.exists(os.path.dirname(registered[0]))


def test_exclusive_create_refuses_existing_file(tmp_path):
    target = tmp_path / "key.pem"
    target.write_bytes(b"x")
    with pytest.raises(FileExistsError):
        tls._write_private(str(target), b"y")


# -- adapter / SSL context -----------------------------------------------------------------------------------------
def test_adapter_files_are_0600_while_alive_and_gone_after(bundle):
    seen = {}

    def inspect(files):
        seen["modes"] = {p: stat.S_IMODE(os.stat(p).st_mode) for p in (files.cert_file, files.key_file)}
        seen["dir_mode"] = stat.S_IMODE(os.stat(files.directory).st_mode)
        seen["paths"] = (files.directory, files.cert_file, files.key_file)
        seen["encrypted"] = Path(files.key_file).read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    adapter = tls.ClientCertificateAdapter(bundle, on_files=inspect)
    assert set(seen["modes"].values()) == {0o600} and seen["dir_mode"] == 0o700 and seen["encrypted"]
    assert not any(os.path.exists(p) for p in seen["paths"])
    adapter.close()


def test_adapter_context_reaches_direct_and_proxy_pools(bundle):
    adapter = tls.ClientCertificateAdapter(bundle)
    assert adapter.poolmanager.connection_pool_kw["ssl_context"] is adapter.ssl_context
    proxy = adapter.proxy_manager_for("http://127.0.0.1:3128")
    assert proxy.connection_pool_kw["ssl_context"] is adapter.ssl_context
    assert adapter.proxy_manager_for("http://127.0.0.1:3128") is proxy
    assert adapter.ssl_context.verify_mode.name == "CERT_REQUIRED" and adapter.ssl_context.check_hostname
    insecure = tls.ClientCertificateAdapter(bundle, validate_certs=False)
    assert insecure.ssl_context.verify_mode.name == "CERT_NONE" and not insecure.ssl_context.check_hostname


def test_ssl_load_failure_is_a_certificate_error_and_removes_files(bundle, tmp_path):
    other = load_bundle(path=certs.write_pem(tmp_path, "other.pem"))
    broken = load_bundle(path=certs.write_pem(tmp_path, "b.pem"))
    broken.key = other.key  # mismatched on purpose, bypassing check_bundle
    seen = {}
    with pytest.raises(CertificateError, match="cannot be used for TLS"):
        tls.build_ssl_context(broken, on_files=lambda f: seen.setdefault("dir", f.directory))
    assert not os.path.exists(seen["dir"])


def test_missing_ca_bundle_named(bundle, tmp_path):
    with pytest.raises(ConfigError, match="ca_bundle: the file"):
        tls.build_ssl_context(bundle, ca_bundle=str(tmp_path / "nope.pem"))


def test_no_key_files_during_a_timed_out_call(bundle):
    """A server that accepts and never answers: the call times out, and no key file exists meanwhile or after."""
    before = set(_leftovers())
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    seen = {}

    def accept():
        conn, _peer = server.accept()
        seen["while_connected"] = set(_leftovers())  # the client is now waiting for the TLS handshake
        seen["conn"] = conn

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    adapter = tls.ClientCertificateAdapter(bundle)
    assert set(_leftovers()) == before
    transport = Transport(cc.ClientCertificateAuth(bundle), adapter=adapter, retries=0, timeout=0.3, connect_timeout=2)
    transport.session.trust_env = False
    with pytest.raises(TransportError, match="timed out|TLS error|connection"):
        transport.request("GET", "https://127.0.0.1:%d/%s/services/storageservices" % (server.getsockname()[1], SUB))
    t.join(5)
    assert seen["while_connected"] == before
    assert set(_leftovers()) == before
    seen["conn"].close()
    server.close()


# -- auth scheme ---------------------------------------------------------------------------------------------------
class _Prepared:
    def __init__(self, url, headers=None):
        self.url, self.headers = url, dict(headers or {})


def test_sign_adds_version_and_keeps_callers(bundle):
    auth = cc.ClientCertificateAuth(bundle, "2014-06-01")
    r = _Prepared("https://management.core.windows.net/%s/services/storageservices" % SUB)
    auth(r)
    assert r.headers["x-ms-version"] == "2014-06-01"
    r = _Prepared(r.url, {"x-ms-version": "2012-03-01"})
    auth(r)
    assert r.headers["x-ms-version"] == "2012-03-01"


def test_sign_refuses_arm(bundle):
    with pytest.raises(ConfigError, match="ARM does not accept management certificates; use Entra ID"):
        cc.ClientCertificateAuth(bundle)(_Prepared("https://management.azure.com/subscriptions/%s" % SUB))


@pytest.mark.parametrize("version", ["2014", "2008-01-01", "", "latest"])
def test_bad_version_refused(bundle, version):
    with pytest.raises(ConfigError, match="x_ms_version"):
        cc.ClientCertificateAuth(bundle, version).validate()


def test_explain_hint_describes_offer(bundle):
    auth = cc.ClientCertificateAuth(bundle, subscription_id=SUB)

    class R:
        status_code = 403

    hint = auth.explain_hint(R(), {"code": "ForbiddenError"})
    assert bundle.thumbprint in hint and "private key present and matching" in hint and SUB in hint
    assert bundle.source in hint
    R.status_code = 400
    assert auth.explain_hint(R(), {}) == ""


# -- settings and local refusals -----------------------------------------------------------------------------------
def _params(**kw):
    p = dict(subscription_id=SUB, x_ms_version="2014-06-01")
    p.update(kw)
    return p


def test_resolve_defaults_per_cloud(good_pem):
    assert classic.resolve(_params(management_certificate_path=good_pem)).base_url == "https://management.core.windows.net/" + SUB
    china = classic.resolve(_params(management_certificate_path=good_pem, cloud="AzureChinaCloud"))
    assert china.base_url == "https://management.core.chinacloudapi.cn/" + SUB
    gov = classic.resolve(_params(management_certificate_path=good_pem, cloud="AzureUSGovernment"))
    assert gov.endpoint == "https://management.core.usgovcloudapi.net"
    custom = classic.resolve(_params(management_certificate_path=good_pem, management_endpoint="https://mgmt.example.test/"))
    assert custom.base_url == "https://mgmt.example.test/" + SUB


@pytest.mark.parametrize(
    "endpoint", ["https://management.azure.com", "https://management.chinacloudapi.cn/", "https://management.usgovcloudapi.net"]
)
def test_arm_endpoint_refused(good_pem, endpoint):
    with pytest.raises(ConfigError, match="ARM does not accept management certificates; use Entra ID") as exc:
        classic.resolve(_params(management_certificate_path=good_pem, management_endpoint=endpoint))
    assert "management_endpoint" in exc.value.msg


@pytest.mark.parametrize(
    "params, fragment",
    [
        (dict(subscription_id=None), "subscription_id is required"),
        (dict(subscription_id="my-sub"), "is not a subscription GUID"),
        (dict(management_endpoint="http://management.core.windows.net"), "is not an https:// URL"),
        (dict(management_certificate_path=None), "needs a management certificate"),
    ],
)
def test_config_errors_name_the_option(good_pem, params, fragment):
    p = _params(management_certificate_path=good_pem)
    p.update(params)
    with pytest.raises(ConfigError, match=fragment):
        classic.resolve(p)


def test_pem_pfx_and_separate_files_load(tmp_path, bundle):
    pfx = certs.write_pfx(tmp_path, "a.pfx", "pw")
    assert classic.resolve(_params(management_certificate_path=pfx, management_certificate_password="pw")).bundle.format == "pfx"
    key = bundle.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "c.crt").write_bytes(bundle.cert_pem())
    (tmp_path / "c.key").write_bytes(key)
    s = classic.resolve(_params(management_certificate_path=str(tmp_path / "c.crt"), management_key_path=str(tmp_path / "c.key")))
    assert s.bundle.thumbprint == bundle.thumbprint and s.bundle.key is not None
    inline = classic.resolve(_params(management_certificate_content=(bundle.cert_pem() + key).decode()))
    assert inline.bundle.thumbprint == bundle.thumbprint


def test_local_refusals_each_have_their_message(tmp_path):
    bad = certs.write_bad_fixtures(tmp_path)
    cases = [
        (dict(management_certificate_path=bad["no_key"]), "has no private key: export it as PFX with its private key"),
        (dict(management_certificate_path=bad["small_key"]), "is RSA 1024 bits; Azure requires at least 2048"),
        (
            dict(management_certificate_path=bad["pfx"], management_certificate_password="wrong"),
            "cannot open the PFX .* the password is wrong",
        ),
        (dict(management_certificate_path=bad["expired"]), "expired on .*: renew it"),
        (dict(management_certificate_path=certs.write_ec_pem(tmp_path)), "classic management certificates must be RSA"),
    ]
    messages = set()
    for params, pattern in cases:
        with pytest.raises(CertificateError, match=pattern) as exc:
            classic.resolve(_params(**params))
        assert params["management_certificate_path"] in exc.value.msg
        messages.add(exc.value.msg)
    assert len(messages) == len(cases)
