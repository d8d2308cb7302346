# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Entra ID tokens from the signed-in Azure CLI (``auth_source: cli``).

Runs ``az account get-access-token --output json --resource <resource>`` (``--tenant`` when ``tenant_id`` is set) as
a subprocess, the way azure-identity's AzureCliCredential does: the collection needs no azure-cli Python package (the
hidden dependency of azure.azcollection's ``auth_source: cli``), only ``az`` on the PATH of the managed node, signed
in with ``az login`` as the user that runs the module. Tokens are cached in process like the other Entra kinds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time

from .._defaults import TIMEOUT
from .._errors import AuthenticationError, ConfigError, TransportError
from .entra import _LOCK, _TOKEN_CACHE, REFRESH_MARGIN, EntraAuth

INSTALL_HINT = "https://learn.microsoft.com/cli/azure/install-azure-cli"


def _expires_at(data: dict) -> float:
    """Epoch seconds the token expires: ``expires_on`` (az 2.54 and later), else the local-time ``expiresOn``."""
    if str(data.get("expires_on") or "").isdigit():
        return float(data["expires_on"])
    try:
        local = dt.datetime.strptime(str(data.get("expiresOn"))[:19], "%Y-%m-%d %H:%M:%S")
        return time.mktime(local.timetuple())
    except ValueError:
        return time.time() + REFRESH_MARGIN + 60  # unknown: use it for this run, ask again soon


def _cli_failure(stderr: str, command: str, code: int) -> AuthenticationError:
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
    detail = (errors[0] if errors else "no error text")[:400]
    msg = "auth_source=cli: `%s` failed (exit %d): %s" % (command, code, detail)
    if "az login" in (stderr or "") or "AADSTS" in detail:
        msg += ". Sign in again with `az login` (as the user that runs the module)"
    return AuthenticationError(msg, error_code="AzureCliError")


class AzureCliAuth(EntraAuth):
    """An EntraAuth whose tokens come from the Azure CLI. ``az`` is the CLI's path (found on PATH when None);
    ``run`` is ``subprocess.run`` (tests pass a fake)."""

    def __init__(
        self,
        scope: str,
        *,
        tenant_id: str | None = None,
        cloud: str | None = None,
        timeout: float = TIMEOUT,
        on_token=None,
        on_warning=None,
        az: str | None = None,
        run=subprocess.run,
    ):
        super().__init__(scope, tenant_id=tenant_id, cloud=cloud, timeout=timeout, on_token=on_token, on_warning=on_warning)
        self.kind = "azure_cli"
        self.az = az
        self._run = run

    @classmethod
    def from_params(cls, params: dict, scope: str, **kwargs) -> AzureCliAuth:
        kwargs.setdefault("timeout", params.get("timeout") or TIMEOUT)
        return cls(scope, tenant_id=params.get("tenant_id"), cloud=params.get("cloud"), **kwargs)

    def validate(self) -> None:
        """``az`` must be on PATH; ConfigError with the install hint otherwise."""
        if self._validated:
            return
        if not self.scope:
            raise ConfigError("Entra ID auth needs a scope (for example https://storage.azure.com/.default)")
        self.az = self.az or shutil.which("az")
        if not self.az:
            raise ConfigError(
                "auth_source=cli: the Azure CLI (az) is not installed on this host or not on its PATH. Install it (%s) "
                "and sign in with `az login` as the user that runs the module, or use another auth_source (env, "
                "credential_file, msi) or the Entra ID options (client_id, client_secret, tenant_id...)" % INSTALL_HINT
            )
        self._validated = True

    def command(self) -> list[str]:
        """The az command line: ``--resource`` for a ``/.default`` scope, else ``--scope``."""
        cmd = [self.az or "az", "account", "get-access-token", "--output", "json"]
        cmd += ["--resource", self.resource] if self.scope.endswith("/.default") else ["--scope", self.scope]
        if self.tenant_id:
            cmd += ["--tenant", self.tenant_id]
        return cmd

    def _cache_key(self) -> tuple:
        return ("azure-cli", self.az, self.tenant_id, self.scope)

    def invalidate(self) -> bool:
        with _LOCK:
            _TOKEN_CACHE.pop(self._cache_key(), None)
        return True

    def token(self) -> str:
        """A token from ``az`` (cached until 5 minutes before it expires). Raises ConfigError, AuthenticationError
        (az failed: not signed in, expired sign-in) or TransportError (az did not answer in time)."""
        self.validate()
        key = self._cache_key()
        with _LOCK:
            cached = _TOKEN_CACHE.get(key)
        if cached and cached[1] - time.time() > REFRESH_MARGIN:
            self._publish(cached[0])
            return cached[0]
        cmd = self.command()
        shown = " ".join(cmd[1:3] + cmd[5:])
        try:
            # an auth scheme has no AnsibleModule (no run_command); the argv list runs without a shell
            proc = self._run(cmd, capture_output=True, text=True, timeout=self.timeout, check=False)  # pylint: disable=ansible-bad-function
        except subprocess.TimeoutExpired:
            raise TransportError("auth_source=cli: `az %s` did not answer within %s s" % (shown, self.timeout)) from None
        except OSError as exc:
            raise ConfigError("auth_source=cli: cannot run %s: %s" % (self.az, exc.strerror or exc)) from None
        if proc.returncode != 0:
            raise _cli_failure(proc.stderr, "az " + shown, proc.returncode)
        try:
            data = json.loads(proc.stdout)
            token = data["accessToken"]
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError("auth_source=cli: `az %s` printed no accessToken (is az too old?)" % shown) from None
        with _LOCK:
            _TOKEN_CACHE[key] = (token, _expires_at(data))
        self._publish(token)
        return token
