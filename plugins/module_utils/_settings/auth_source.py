# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""``auth_source``: where the Entra ID credential comes from (the azure.azcollection habit).

* ``auto`` (default): the ``profile`` of ``~/.azure/credentials`` when ``profile`` (``AZURE_PROFILE``) is set; else
  the Entra options as the task gives them (with module_defaults and the environment fallbacks of
  ``_argspec.entra_spec``); when none of them selects a credential, the ``[default]`` profile of that file if it has
  one. Unlike azure.azcollection, ``auto`` never runs the Azure CLI: choose ``cli`` for that.
* ``env``: only the environment (AWX's ``AZURE_CLIENT_ID``/``AZURE_SECRET``/``AZURE_TENANT``, then the azure-identity
  names); credential options given to the task are ignored.
* ``credential_file``: the ``profile`` (default ``default``) of ``~/.azure/credentials``, an INI file with
  ``client_id``, ``secret``, ``tenant``, ``subscription_id``, ``cloud_environment`` (azure.azcollection's keys; the
  option names of this collection work too).
* ``cli``: the signed-in Azure CLI (``az account get-access-token``; ``_auth/cli.py``).
* ``msi``: a managed identity: ``managed_identity``, else ``client_id`` (user-assigned), else the system-assigned one.

No HTTP here; the CLI runs only when a token is needed.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field

from .._argspec import entra_spec
from .._errors import ConfigError
from .entra import has_entra_credential

CREDENTIALS_FILE = "~/.azure/credentials"
#: Options that together make up the credential: ``env``, ``credential_file``, ``msi`` and ``cli`` replace all of them.
CREDENTIAL_PARTS = (
    "tenant_id",
    "client_id",
    "client_secret",
    "client_certificate_path",
    "client_certificate_content",
    "client_certificate_password",
    "federated_token_file",
    "managed_identity",
    "access_token",
)
#: Settings that ``env`` and ``credential_file`` fill only when the task does not give them.
CONTEXT_PARTS = ("subscription_id", "cloud", "authority_host")
#: Keys of a credentials-file profile -> option names (azure.azcollection's keys and this collection's own).
PROFILE_KEYS = {
    "client_id": "client_id",
    "secret": "client_secret",
    "client_secret": "client_secret",
    "tenant": "tenant_id",
    "tenant_id": "tenant_id",
    "x509_certificate_path": "client_certificate_path",
    "client_certificate_path": "client_certificate_path",
    "client_certificate_password": "client_certificate_password",
    "federated_token_file": "federated_token_file",
    "subscription_id": "subscription_id",
    "cloud_environment": "cloud",
    "cloud": "cloud",
    "authority_host": "authority_host",
}
PATH_OPTIONS = ("client_certificate_path", "federated_token_file")
SECRET_OPTIONS = ("client_secret", "client_certificate_password")


@dataclass
class EntraSource:
    """The effective Entra options (``params``), where they came from (``source``: ``options``, ``env``,
    ``credential_file``, ``cli`` or ``msi``), secrets read from a file (register them) and whether the Azure CLI
    signs (``use_cli``)."""

    params: dict
    source: str
    secrets: list = field(default_factory=list)
    use_cli: bool = False

    @property
    def has_credential(self) -> bool:
        return self.use_cli or has_entra_credential(self.params)


def _without_credential(params: dict) -> dict:
    out = dict(params)
    for name in CREDENTIAL_PARTS:
        out[name] = None
    return out


def _merge(params: dict, found: dict) -> dict:
    out = _without_credential(params)
    for name, value in found.items():
        if name in CONTEXT_PARTS and params.get(name):
            continue
        out[name] = os.path.expanduser(value) if name in PATH_OPTIONS else value
    return out


def from_environment(environ=None) -> dict:
    """The Entra options found in the environment, by the env fallbacks of ``_argspec.entra_spec`` (the first
    non-empty variable of each option wins)."""
    environ = os.environ if environ is None else environ
    found = {}
    for name, spec in entra_spec().argument_spec.items():
        if name not in CREDENTIAL_PARTS + CONTEXT_PARTS or not spec.get("fallback"):
            continue
        for var in spec["fallback"][1]:
            value = environ.get(var)
            if value and value.strip():
                found[name] = value.strip()
                break
    return found


def read_profile(profile: str, path: str = CREDENTIALS_FILE, required: bool = True) -> dict | None:
    """The options of ``[profile]`` in the credentials file ``path``; None when it is absent and not ``required``.
    Raises ConfigError naming the file, the profile and the fix."""
    full = os.path.expanduser(path)
    if not os.path.isfile(full):
        if not required:
            return None
        raise ConfigError(
            "auth_source=credential_file: %s does not exist; create it with a [%s] section (client_id, secret, tenant, "
            "subscription_id), or use auth_source env, cli or msi" % (full, profile)
        )
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(full, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        raise ConfigError("profile: cannot read %s: %s" % (full, type(exc).__name__)) from None
    if not parser.has_section(profile):
        if not required:
            return None
        raise ConfigError(
            "profile: %s has no [%s] profile (profiles: %s); set profile (env AZURE_PROFILE) to one of them"
            % (full, profile, ", ".join(parser.sections()) or "none")
        )
    return {PROFILE_KEYS[k]: v.strip() for k, v in parser.items(profile) if k in PROFILE_KEYS and v.strip()}


def _from_file(params: dict, required: bool, path: str) -> EntraSource | None:
    profile = params.get("profile") or "default"
    found = read_profile(profile, path, required=required)
    if found is None:
        return None
    merged = _merge(params, found)
    if not has_entra_credential(merged):
        if not required:
            return None
        raise ConfigError(
            "profile: the [%s] profile of %s has no credential: give client_id, secret and tenant (or "
            "x509_certificate_path)" % (profile, os.path.expanduser(path))
        )
    return EntraSource(merged, "credential_file", secrets=[merged[n] for n in SECRET_OPTIONS if merged.get(n)])


def resolve_source(params: dict, environ=None, path: str = CREDENTIALS_FILE) -> EntraSource:
    """The effective Entra options for ``params['auth_source']`` (see the module docstring). Raises ConfigError."""
    source = params.get("auth_source") or "auto"
    if source == "auto":
        if params.get("profile"):
            return _from_file(params, required=True, path=path)
        if has_entra_credential(params):
            return EntraSource(dict(params), "options")
        return _from_file(params, required=False, path=path) or EntraSource(dict(params), "options")
    if source == "credential_file":
        return _from_file(params, required=True, path=path)
    if source == "env":
        merged = _merge(params, from_environment(environ))
        if not has_entra_credential(merged):
            raise ConfigError(
                "auth_source=env: the environment has no Entra ID credential: set AZURE_CLIENT_ID, AZURE_SECRET (or "
                "AZURE_CLIENT_SECRET) and AZURE_TENANT (or AZURE_TENANT_ID), as AWX's Azure credential does, or "
                "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE instead of the secret"
            )
        return EntraSource(merged, "env")
    if source == "msi":
        merged = _without_credential(params)
        merged["managed_identity"] = params.get("managed_identity") or params.get("client_id") or "system"
        return EntraSource(merged, "msi")
    if source == "cli":
        merged = _without_credential(params)
        merged["tenant_id"] = params.get("tenant_id")
        return EntraSource(merged, "cli", use_cli=True)
    raise ConfigError("auth_source: %r is not one of auto, env, credential_file, cli, msi" % source)
