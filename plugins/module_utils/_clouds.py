# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure clouds and their endpoints (public, China, US Government)."""

from __future__ import annotations

from ._errors import ConfigError

#: The Entra ID resource of Azure Storage data-plane tokens, the same in every cloud: "Authorize with Microsoft Entra
#: ID" (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory) names
#: https://storage.azure.com/ as the resource ID of any storage account, and azure-storage-blob sends the one
#: STORAGE_OAUTH_SCOPE "https://storage.azure.com/.default" whatever the cloud. An account-specific audience
#: (https://<account>.blob.<suffix>) also works: give it as the scope option of signet.azure.request.
STORAGE_RESOURCE = "https://storage.azure.com"

CLOUDS = {
    "AzureCloud": {
        "storage_suffix": "core.windows.net",
        "authority_host": "https://login.microsoftonline.com",
        "resource_manager": "https://management.azure.com",
        "arm_resource": "https://management.azure.com",
        "keyvault_suffix": "vault.azure.net",
        "keyvault_resource": "https://vault.azure.net",
        "batch_suffix": "batch.azure.com",
        "batch_resource": "https://batch.core.windows.net",
        "classic_management": "https://management.core.windows.net",
        "storage_resource": STORAGE_RESOURCE,
    },
    "AzureChinaCloud": {
        "storage_suffix": "core.chinacloudapi.cn",
        "authority_host": "https://login.chinacloudapi.cn",
        "resource_manager": "https://management.chinacloudapi.cn",
        "arm_resource": "https://management.chinacloudapi.cn",
        "keyvault_suffix": "vault.azure.cn",
        "keyvault_resource": "https://vault.azure.cn",
        "batch_suffix": "batch.chinacloudapi.cn",
        "batch_resource": "https://batch.chinacloudapi.cn",
        "classic_management": "https://management.core.chinacloudapi.cn",
        "storage_resource": STORAGE_RESOURCE,
    },
    "AzureUSGovernment": {
        "storage_suffix": "core.usgovcloudapi.net",
        "authority_host": "https://login.microsoftonline.us",
        "resource_manager": "https://management.usgovcloudapi.net",
        "arm_resource": "https://management.usgovcloudapi.net",
        "keyvault_suffix": "vault.usgovcloudapi.net",
        "keyvault_resource": "https://vault.usgovcloudapi.net",
        "batch_suffix": "batch.usgovcloudapi.net",
        "batch_resource": "https://batch.core.usgovcloudapi.net",
        "classic_management": "https://management.core.usgovcloudapi.net",
        "storage_resource": STORAGE_RESOURCE,
    },
}

ALIASES = {
    "azurecloud": "AzureCloud",
    "public": "AzureCloud",
    "azurepubliccloud": "AzureCloud",
    "azurechinacloud": "AzureChinaCloud",
    "china": "AzureChinaCloud",
    "azureusgovernment": "AzureUSGovernment",
    "azureusgovernmentcloud": "AzureUSGovernment",
    "usgov": "AzureUSGovernment",
    "usgovernment": "AzureUSGovernment",
}
#: Every accepted spelling, for documentation and error messages (matching ignores case, "-" and "_").
CLOUD_SPELLINGS = (
    "AzureCloud",
    "AzurePublicCloud",
    "AzureChinaCloud",
    "AzureUSGovernment",
    "AzureUSGovernmentCloud",
    "public",
    "china",
    "usgov",
)

CLOUD_CHOICES = sorted(CLOUDS)


def cloud_name(name: str | None) -> str:
    """Canonical cloud name for ``name`` (case-insensitive, common aliases; empty means AzureCloud); ConfigError for
    an unknown one."""
    if not name or not str(name).strip():
        return "AzureCloud"
    canonical = ALIASES.get(str(name).strip().replace("_", "").replace("-", "").lower())
    if canonical is None:
        raise ConfigError(
            "cloud: unknown cloud %r (option cloud or cloud_environment, env AZURE_CLOUD_ENVIRONMENT); use one of %s "
            "(case does not matter), or cloud_endpoints for a custom cloud" % (name, ", ".join(CLOUD_SPELLINGS))
        )
    return canonical


def cloud(name: str | None) -> dict:
    """Endpoints of a cloud by (any accepted) name."""
    return dict(CLOUDS[cloud_name(name)], name=cloud_name(name))


def cloud_of_host(host: str) -> str | None:
    """Which cloud a hostname belongs to, or None (used to explain wrong-cloud errors)."""
    host = (host or "").lower()
    for name, eps in CLOUDS.items():
        for key in ("storage_suffix", "keyvault_suffix", "batch_suffix"):
            if host.endswith("." + eps[key]):
                return name
        for key in ("authority_host", "resource_manager", "classic_management"):
            if host == eps[key].split("://", 1)[1]:
                return name
    return None
