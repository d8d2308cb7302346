# SPDX-License-Identifier: GPL-3.0-or-later
"""Storage with Entra ID, offline: the bearer scheme stamps x-ms-date/x-ms-version, the 403
AuthorizationPermissionMismatch explanation names the missing role and its scope, token problems are explained; and
the Azure CLI credential (auth_source=cli) with a fake ``az``: its command line, its cache, its failures."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from types import SimpleNamespace

import pytest
import requests

from ansible_collections.signet.azure.plugins.module_utils._auth.cli import AzureCliAuth
from ansible_collections.signet.azure.plugins.module_utils._auth.entra import EntraAuth, clear_token_cache
from ansible_collections.signet.azure.plugins.module_utils._auth.storage import StorageBearerAuth, storage_rbac_hint
from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError, ConfigError
from ansible_collections.signet.azure.plugins.module_utils._explain import explain
from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

OID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
APP = "11111111-2222-3333-4444-555555555555"


def _jwt(claims: dict) -> str:
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return "%s.%s.sig" % (enc({"alg": "RS256"}), enc(claims))


TOKEN = _jwt({"aud": "https://storage.azure.com/", "oid": OID, "appid": APP, "tid": "t1", "exp": time.time() + 3600})


@pytest.fixture(autouse=True)
def no_cache():
    clear_token_cache()
    yield
    clear_token_cache()


def _response(status: int, method: str, url: str, code: str, headers: dict | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.url = url
    resp.headers.update({"x-ms-error-code": code, "Content-Type": "application/xml", **(headers or {})})
    resp._content = (
        b'<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>This request is not authorized to '
        b"perform this operation using this permission.\nRequestId:1</Message></Error>" % code.encode()
    )
    resp.request = requests.Request(method, url).prepare()
    return resp


def _bearer(token: str = TOKEN) -> StorageBearerAuth:
    auth = StorageBearerAuth(EntraAuth("https://storage.azure.com/.default", access_token=token), "acct1", "2023-11-03")
    auth.validate()
    return auth


def test_sign_stamps_date_version_and_bearer():
    auth = _bearer()
    prepared = requests.Request("GET", "https://acct1.blob.core.windows.net/c?restype=container").prepare()
    auth(prepared)
    assert prepared.headers["Authorization"] == "Bearer " + TOKEN
    assert prepared.headers["x-ms-version"] == "2023-11-03" and prepared.headers["x-ms-date"].endswith("GMT")
    assert auth.last_string_to_sign is None and auth.last_token_claims["oid"] == OID


@pytest.mark.parametrize(
    ("method", "url", "role", "scope_tail"),
    [
        ("GET", "https://acct1.blob.core.windows.net/logs/a.txt", "Storage Blob Data Reader", "/containers/logs"),
        ("HEAD", "https://127.0.0.1:10000/acct1/logs?restype=container", "Storage Blob Data Reader", "/containers/logs"),
        ("PUT", "https://acct1.blob.core.windows.net/logs/a.txt", "Storage Blob Data Contributor", "/containers/logs"),
        ("DELETE", "https://acct1.blob.core.windows.net/logs", "Storage Blob Data Contributor", "/containers/logs"),
        ("GET", "https://acct1.blob.core.windows.net/?comp=list", "Storage Blob Data Reader", "/storageAccounts/acct1"),
        (
            "POST",
            "https://acct1.blob.core.windows.net/?restype=service&comp=userdelegationkey",
            "Storage Blob Delegator",
            "/storageAccounts/acct1",
        ),
    ],
)
def test_rbac_mismatch_names_role_identity_and_scope(method, url, role, scope_tail):
    auth = _bearer()
    auth.token_auth.token()
    message, fields = explain(
        _response(403, method, url, "AuthorizationPermissionMismatch"), auth, {"code": "AuthorizationPermissionMismatch"}
    )
    assert role in message and OID in message and APP in message
    scope = message.split("--scope ", 1)[1].split("`", 1)[0]
    assert scope.startswith("/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage")
    assert scope.endswith(scope_tail)
    assert "Owner or Contributor do not grant data access" in message


def test_rbac_explanation_through_the_transport():
    """The whole path: a 403 answer becomes one AuthenticationError whose message names the role; no token in it."""
    auth = _bearer()
    transport = Transport(auth, retries=0, explain=explain)
    resp = _response(403, "PUT", "https://acct1.blob.core.windows.net/backups/x", "AuthorizationPermissionMismatch")
    auth(resp.request)
    error = transport.error_from_response(resp, "upload backups/x")
    assert error.status == 403 and error.error_code == "AuthorizationPermissionMismatch"
    assert "'Storage Blob Data Contributor'" in error.msg and "container 'backups' of storage account 'acct1'" in error.msg
    assert TOKEN not in error.msg


def test_rbac_hint_without_claims_uses_placeholders():
    text = storage_rbac_hint("GET", "https://acct1.blob.core.windows.net/c/b", "acct1", {})
    assert "<object id>" in text and "Storage Blob Data Reader" in text


def test_token_problems_are_explained():
    vault = _bearer(_jwt({"aud": "https://vault.azure.net", "tid": "t1", "exp": time.time() + 3600}))
    vault.token_auth.token()
    challenge = {
        "WWW-Authenticate": "Bearer authorization_uri=https://login.microsoftonline.com/t2/oauth2/authorize resource_id=https://storage.azure.com"
    }
    message, _details = explain(
        _response(401, "GET", "https://acct1.blob.core.windows.net/c", "InvalidAuthenticationInfo", challenge),
        vault,
        {"detail": "Audience validation failed."},
    )
    assert "audience https://vault.azure.net, not for storage: use the scope https://storage.azure.com/.default" in message
    assert "tenant t2 but the token is from tenant t1" in message
    ok = _bearer()
    ok.token_auth.token()
    message, _details = explain(
        _response(403, "GET", "https://acct1.blob.core.windows.net/c", "AuthenticationFailed"),
        ok,
        {"detail": "Lifetime validation failed. The token is expired."},
    )
    assert "The token has expired" in message and "audience" not in message
    account_audience = _bearer(_jwt({"aud": "https://acct1.blob.core.windows.net", "exp": time.time() + 3600}))
    account_audience.token_auth.token()
    assert account_audience.explain_hint(
        _response(403, "GET", "https://acct1.blob.core.windows.net/c", "AuthorizationFailure"), {}
    ).startswith("AuthorizationFailure with a valid token")


# -- the Azure CLI ---------------------------------------------------------------------------------------------------------
class FakeRun:
    """Stands for subprocess.run: records the command, answers like ``az``."""

    def __init__(self, stdout: str = "", stderr: str = "", code: int = 0, exc=None):
        self.calls: list = []
        self.answer = SimpleNamespace(stdout=stdout, stderr=stderr, returncode=code)
        self.exc = exc

    def __call__(self, cmd, **kwargs):
        self.calls.append((cmd, kwargs))
        if self.exc:
            raise self.exc
        return self.answer


def test_cli_command_cache_and_claims():
    run = FakeRun(json.dumps({"accessToken": TOKEN, "expiresOn": "2099-01-01 00:00:00.000000", "tokenType": "Bearer"}))
    seen = []
    auth = AzureCliAuth("https://storage.azure.com/.default", tenant_id="t1", az="/opt/az/bin/az", run=run, on_token=seen.append)
    assert auth.token() == TOKEN and auth.token() == TOKEN
    assert len(run.calls) == 1 and seen == [TOKEN, TOKEN]
    cmd, kwargs = run.calls[0]
    assert cmd == [
        "/opt/az/bin/az",
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
        "https://storage.azure.com",
        "--tenant",
        "t1",
    ]
    assert kwargs["capture_output"] and kwargs["timeout"] == 60 and kwargs["check"] is False
    assert auth.last_token_claims["oid"] == OID
    assert auth.invalidate() is True
    auth.token()
    assert len(run.calls) == 2


def test_cli_custom_scope_uses_scope_flag():
    run = FakeRun(json.dumps({"accessToken": TOKEN, "expires_on": int(time.time()) + 3600}))
    AzureCliAuth("https://acct1.blob.core.windows.net/user_impersonation", az="az", run=run).token()
    assert run.calls[0][0][-2:] == ["--scope", "https://acct1.blob.core.windows.net/user_impersonation"]


def test_cli_not_installed(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(
        ConfigError, match="^auth_source=cli: the Azure CLI \\(az\\) is not installed on this host or not on its PATH"
    ):
        AzureCliAuth("https://storage.azure.com/.default").token()


@pytest.mark.parametrize(
    ("run", "error", "match"),
    [
        (
            FakeRun(stderr="ERROR: Please run 'az login' to setup account.\n", code=1),
            AuthenticationError,
            "Please run 'az login'.*Sign in again with `az login`",
        ),
        (FakeRun(stdout="not json"), AuthenticationError, "printed no accessToken"),
        (FakeRun(exc=subprocess.TimeoutExpired("az", 60)), Exception, "did not answer within 60 s"),
        (FakeRun(exc=PermissionError(13, "Permission denied")), ConfigError, "cannot run /x/az: Permission denied"),
    ],
)
def test_cli_failures_are_clean(run, error, match):
    with pytest.raises(error, match=match):
        AzureCliAuth("https://storage.azure.com/.default", az="/x/az", run=run).token()
