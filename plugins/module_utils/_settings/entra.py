# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Entra ID settings: the cloud's endpoints (with ``cloud_endpoints`` / ``authority_host`` overrides), which credential
kind the options choose, and the resource URLs of the services reached with a token (Key Vault, ARM)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .._clouds import CLOUDS, cloud
from .._errors import ConfigError

ENDPOINT_KEYS = (
    "authority_host",
    "resource_manager",
    "arm_resource",
    "keyvault_suffix",
    "keyvault_resource",
    "batch_suffix",
    "batch_resource",
    "storage_resource",
)
#: The options that each select an Entra credential (see ``credential_kind``).
CREDENTIAL_OPTIONS = (
    "access_token",
    "client_secret",
    "client_certificate_path",
    "client_certificate_content",
    "federated_token_file",
    "managed_identity",
)


def has_entra_credential(params: dict) -> bool:
    """True when any option that selects an Entra credential is set."""
    return any(params.get(o) for o in CREDENTIAL_OPTIONS)


def cloud_endpoints(params: dict) -> dict:
    """Endpoints of ``params['cloud']`` with ``params['cloud_endpoints']`` and ``params['authority_host']`` applied.

    Raises ConfigError for an unknown endpoint key.
    """
    endpoints = cloud(params.get("cloud"))
    overrides = params.get("cloud_endpoints") or {}
    unknown = sorted(set(overrides) - set(ENDPOINT_KEYS))
    if unknown:
        raise ConfigError("cloud_endpoints: unknown key(s) %s; use %s" % (", ".join(unknown), ", ".join(ENDPOINT_KEYS)))
    endpoints.update({k: str(v) for k, v in overrides.items() if v})
    if params.get("authority_host"):
        endpoints["authority_host"] = params["authority_host"]
    authority = endpoints["authority_host"].rstrip("/")
    if "://" not in authority:
        authority = "https://" + authority
    endpoints["authority_host"] = authority
    return endpoints


def credential_kind(params: dict) -> str | None:
    """The credential kind chosen by precedence (see the module docstring), or None when no credential is set."""
    if params.get("access_token"):
        return "access_token"
    if params.get("client_secret"):
        return "client_secret"
    if params.get("client_certificate_path") or params.get("client_certificate_content"):
        return "client_certificate"
    if params.get("federated_token_file"):
        return "federated_token_file"
    if params.get("managed_identity"):
        return "managed_identity"
    return None


def vault_url_for(params: dict, endpoints: dict) -> str:
    """``vault_url`` as given, or ``https://<vault_name>.<keyvault_suffix>`` of the cloud. ConfigError when the URL
    belongs to another cloud than ``cloud`` (a vault.azure.net URL with cloud=AzureChinaCloud cannot work)."""
    url = params.get("vault_url")
    if url:
        split = urlsplit(url)
        if split.scheme != "https" or not split.hostname:
            raise ConfigError(
                "vault_url: %r is not an https URL such as https://myvault.%s" % (url, endpoints["keyvault_suffix"])
            )
        host = split.hostname.lower()
        for name, eps in CLOUDS.items():
            if host.endswith("." + eps["keyvault_suffix"]) and not host.endswith("." + endpoints["keyvault_suffix"]):
                raise ConfigError(
                    "vault_url: %s is a %s vault but cloud is %s: set cloud: %s (or fix vault_url)"
                    % (host, name, endpoints["name"], name)
                )
        return "https://%s" % host + (":%d" % split.port if split.port and split.port != 443 else "")
    name = params.get("vault_name")
    if not name:
        raise ConfigError("give vault_name (or vault_url) of the Key Vault")
    if (
        not (3 <= len(name) <= 24)
        or not name.replace("-", "").isalnum()
        or not name[0].isalpha()
        or "--" in name
        or name.endswith("-")
    ):
        raise ConfigError(
            "vault_name: %r is not a Key Vault name (3-24 letters, digits and single hyphens, starting with a letter)" % name
        )
    return "https://%s.%s" % (name.lower(), endpoints["keyvault_suffix"])


def cloud_service_id(subscription_id: str, resource_group: str, name: str) -> str:
    """The ARM id of a cloud service."""
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/cloudServices/%s" % (
        subscription_id,
        resource_group,
        name,
    )
