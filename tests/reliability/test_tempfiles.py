# SPDX-License-Identifier: GPL-3.0-or-later
"""Temporary key material for mutual TLS (research facts 5.4 and 6.8 #92).

``ssl`` loads a client key only from a file, so the classic modules write the key (encrypted with a one-time
password) to a private temp dir. These tests record every such file while it exists (mode 0600, in a 0700 dir, the
key encrypted) and assert it is gone after success, after a failure from the service, after a timeout, and after an
exception while loading it - in-process, and for a real playbook run (no ``signet-azure-mtls-*`` dir created during
the run survives it).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from tests.reliability import _support

PREFIX = "signet-azure-mtls-"


@pytest.fixture
def recorder(monkeypatch):
    """Wraps tls.TempKeyFiles: records path, modes and whether the key is encrypted, at creation time."""
    from ansible_collections.signet.azure.plugins.module_utils._auth import tls

    seen: list[dict] = []
    original = tls.TempKeyFiles

    class Recording(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(
                {
                    "dir": self.directory,
                    "files": [self.cert_file, self.key_file],
                    "dir_mode": stat.S_IMODE(os.stat(self.directory).st_mode),
                    "modes": [stat.S_IMODE(os.stat(f).st_mode) for f in (self.cert_file, self.key_file)],
                    "key_encrypted": b"ENCRYPTED PRIVATE KEY" in Path(self.key_file).read_bytes(),
                    "plain_key": b"-----BEGIN PRIVATE KEY-----" in Path(self.key_file).read_bytes()
                    or b"BEGIN RSA PRIVATE KEY" in Path(self.key_file).read_bytes(),
                }
            )

    monkeypatch.setattr(tls, "TempKeyFiles", Recording)
    return seen


def _classic_args(twin, **kw) -> dict:
    c = twin.info["classic"]
    args = {"subscription_id": c["subscription_id"], "management_certificate_path": c["pem_file"], "timeout": 1, "retries": 0}
    args.update(kw)
    return args


def _assert_clean(seen: list[dict], scenario: str) -> None:
    assert seen, "%s: no temp key file was written (the seam is not exercised)" % scenario
    for rec in seen:
        assert rec["dir_mode"] == 0o700, "%s: temp dir mode %o" % (scenario, rec["dir_mode"])
        assert rec["modes"] == [0o600, 0o600], "%s: temp file modes %s" % (scenario, [oct(m) for m in rec["modes"]])
        assert rec["key_encrypted"] and not rec["plain_key"], "%s: the temp key file is not encrypted" % scenario
        left = [p for p in rec["files"] + [rec["dir"]] if os.path.exists(p)]
        assert not left, "%s: temp key material left behind: %s" % (scenario, left)


def test_tempfiles_success(twin, recorder):
    _support.require_module("classic_storage_account_info")
    outcome, result, _output = _support.run_module("classic_storage_account_info", _classic_args(twin, timeout=10), env=twin.env)
    assert outcome == "exit", result.get("msg")
    _assert_clean(recorder, "success")


def test_tempfiles_service_failure(twin, recorder):
    _support.require_module("classic_storage_account_info")
    args = _classic_args(twin, management_certificate_path=twin.info["classic"]["unregistered_pem_file"], timeout=10)
    outcome, result, _output = _support.run_module("classic_storage_account_info", args, env=twin.env)
    assert outcome == "fail" and "403" in result.get("msg", ""), result.get("msg")
    _assert_clean(recorder, "403 failure")


def test_tempfiles_timeout(twin, recorder):
    _support.require_module("classic_storage_account_info")
    twin.add_fault(host=r"^management\.core\.windows\.net$", action="delay", delay=2.5, count=1)
    try:
        outcome, result, _output = _support.run_module(
            "classic_storage_account_info", _classic_args(twin, timeout=1), env=twin.env
        )
    finally:
        twin.control("/_twin/faults", method="DELETE")
    _support.count("faults")
    assert outcome == "fail" and "timed out" in result.get("msg", ""), result.get("msg")
    _assert_clean(recorder, "timeout")


def test_tempfiles_exception_while_loading(twin, recorder, monkeypatch):
    """An error inside load_cert_chain (after the files were written) still removes them."""
    _support.require_module("classic_storage_account_info")
    import ssl

    def boom(self, *a, **k):
        raise ssl.SSLError("injected failure while loading the key")

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", boom)
    outcome, result, _output = _support.run_module("classic_storage_account_info", _classic_args(twin), env=twin.env)
    assert outcome == "fail", result
    _assert_clean(recorder, "exception")


def _mtls_dirs() -> dict[str, float]:
    out = {}
    for parent in sorted({"/dev/shm", os.environ.get("TMPDIR") or "/tmp"}):
        if os.path.isdir(parent):
            for name in os.listdir(parent):
                if name.startswith(PREFIX):
                    try:
                        out[os.path.join(parent, name)] = os.stat(os.path.join(parent, name)).st_ctime
                    except OSError:
                        pass
    return out


def test_tempfiles_playbook(twin, tmp_path):
    """A real playbook (success, 403 failure and timeout): no temp key dir created during the run survives it."""
    _support.require_module("classic_storage_account_info")
    from tests.reliability._playbook import run_cases

    c = twin.info["classic"]
    twin.add_fault(
        host=r"^management\.core\.windows\.net$", action="delay", delay=2.5, count=1, path="signet-timeout-marker|storageservices"
    )
    start = time.time() - 1
    before = set(_mtls_dirs())
    try:
        results = run_cases(
            "tempfiles_classic",
            tmp_path,
            [
                {"id": "timeout", "module": "classic_storage_account_info", "args": _classic_args(twin)},
                {"id": "ok", "module": "classic_storage_account_info", "args": _classic_args(twin, timeout=10)},
                {
                    "id": "forbidden",
                    "module": "classic_storage_account_info",
                    "args": _classic_args(twin, management_certificate_path=c["unregistered_pem_file"], timeout=10),
                },
            ],
            env=twin.env,
        )
    finally:
        twin.control("/_twin/faults", method="DELETE")
    _support.count("faults")
    assert [results[i]["status"] for i in ("timeout", "ok", "forbidden")] == ["ignored", "ok", "ignored"], {
        k: v["result"].get("msg") for k, v in results.items()
    }
    time.sleep(0.5)
    left = [d for d, ctime in _mtls_dirs().items() if d not in before and ctime >= start]
    assert not left, "temp key dirs left by the playbook: %s" % left
