# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - Entra ID tenant (directory) ID.
      - Falls back to E(AZURE_TENANT) (AWX's Azure credential), then E(AZURE_TENANT_ID).
    type: str
    aliases: [tenant]
  client_id:
    description:
      - Application (client) ID of the service principal, or of a user-assigned managed identity.
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - Client secret of the service principal.
      - Falls back to E(AZURE_SECRET) (AWX), then E(AZURE_CLIENT_SECRET).
    type: str
    aliases: [secret]
  client_certificate_path:
    description:
      - Path of a PFX or PEM file with the certificate and private key of the service principal. The thumbprint is
        computed from the certificate.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH). Mutually exclusive with O(client_certificate_content).
      - The alias O(x509_certificate_path) is azure.azcollection's name (a PEM with the key); no thumbprint is needed.
    type: path
    aliases: [x509_certificate_path]
  client_certificate_content:
    description:
      - The PEM text (certificate and key) or the base64 of a PFX, instead of O(client_certificate_path).
    type: str
  client_certificate_password:
    description:
      - Password of the PFX or of the encrypted PEM key.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PASSWORD).
    type: str
  federated_token_file:
    description:
      - Path of a file holding a federated token (workload identity for AKS, GitHub Actions or Azure DevOps OIDC).
      - Falls back to E(AZURE_FEDERATED_TOKEN_FILE).
    type: path
  managed_identity:
    description:
      - Use a managed identity. V(system) for the system-assigned identity, or the client ID of a user-assigned
        identity (a value starting with C(/subscriptions/) is its resource ID). See also O(auth_source=msi).
    type: str
  access_token:
    description:
      - A bearer token obtained elsewhere, used as is for every request. It must be for the right resource.
    type: str
  authority_host:
    description:
      - Entra ID authority host for a custom cloud, for example C(https://login.microsoftonline.com).
      - Falls back to E(AZURE_AUTHORITY_HOST). Defaults to the authority of O(cloud).
    type: str
  cloud_endpoints:
    description:
      - Endpoints of a custom cloud, overriding the ones of O(cloud). Keys are C(resource_manager),
        C(arm_resource), C(keyvault_suffix), C(keyvault_resource), C(batch_suffix), C(batch_resource),
        C(storage_resource).
    type: dict
  auth_source:
    description:
      - Where the Entra ID credential comes from, as in azure.azcollection.
      - V(auto) uses the Entra ID options above (given to the task, by C(module_defaults), or through their
        environment variables, for example AWX's Azure credential). With O(profile) set, or when none of them
        selects a credential, it uses that profile (else C([default])) of C(~/.azure/credentials) when the file has
        it. It never runs the Azure CLI.
      - V(env) uses only the environment variables (E(AZURE_CLIENT_ID), E(AZURE_SECRET), E(AZURE_TENANT) and the
        others named above), ignoring credential options given to the task.
      - V(credential_file) uses the O(profile) of C(~/.azure/credentials), an INI file whose sections hold
        C(client_id), C(secret), C(tenant), C(subscription_id), C(cloud_environment) (or C(x509_certificate_path)).
      - V(cli) uses the account signed in to the Azure CLI with C(az login). The module runs
        C(az account get-access-token) on the managed node, which needs C(az) on its PATH (no Python package is
        needed); O(tenant_id) is passed as C(--tenant) when set.
      - V(msi) uses a managed identity, O(managed_identity), else O(client_id) (user-assigned), else the
        system-assigned one.
      - Falls back to E(ANSIBLE_AZURE_AUTH_SOURCE).
    type: str
    default: auto
    choices: [auto, env, credential_file, cli, msi]
  profile:
    description:
      - The section of C(~/.azure/credentials) to use with O(auth_source=credential_file) (default C(default)), or
        with O(auth_source=auto) instead of the options.
      - Falls back to E(AZURE_PROFILE).
    type: str
  subscription_id:
    description:
      - Azure subscription ID.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), then E(SIGNET_AZURE_SUBSCRIPTION_ID).
    type: str
  cloud:
    description:
      - The Azure cloud, which selects the Entra ID authority and the service endpoints.
      - V(AzureCloud) (or V(AzurePublicCloud), V(public)), V(AzureChinaCloud) (or V(china)), V(AzureUSGovernment)
        (or V(AzureUSGovernmentCloud), V(usgov)), in any case, as azure.azcollection and AWX's Azure credential
        name them.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT); an empty variable counts as unset. Defaults to V(AzureCloud).
    type: str
    aliases: [cloud_environment]
"""

    # Overlay for the lookup (the community.hashi_vault way): where each Entra ID option is read from when the task
    # does not give it. The lookup applies the modules' rule: the first non-empty variable wins, an empty one is unset.
    # auth_source has no variable here (ANSIBLE_AZURE_AUTH_SOURCE is for modules): its choices would refuse an empty one.
    PLUGINS = r"""
options:
  tenant_id:
    env:
      - name: AZURE_TENANT
      - name: AZURE_TENANT_ID
  client_id:
    env:
      - name: AZURE_CLIENT_ID
  client_secret:
    env:
      - name: AZURE_SECRET
      - name: AZURE_CLIENT_SECRET
  client_certificate_path:
    env:
      - name: AZURE_CLIENT_CERTIFICATE_PATH
  client_certificate_password:
    env:
      - name: AZURE_CLIENT_CERTIFICATE_PASSWORD
  federated_token_file:
    env:
      - name: AZURE_FEDERATED_TOKEN_FILE
  authority_host:
    env:
      - name: AZURE_AUTHORITY_HOST
  profile:
    env:
      - name: AZURE_PROFILE
  subscription_id:
    env:
      - name: AZURE_SUBSCRIPTION_ID
      - name: SIGNET_AZURE_SUBSCRIPTION_ID
  cloud:
    env:
      - name: AZURE_CLOUD_ENVIRONMENT
"""
