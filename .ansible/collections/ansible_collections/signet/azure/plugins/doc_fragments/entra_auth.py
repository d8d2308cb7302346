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
  client_certificate_path:
    description:
      - Path of a PFX or PEM file with the certificate and private key of the service principal. The thumbprint is
        computed from the certificate.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH). Mutually exclusive with O(client_certificate_content).
    type: path
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
        identity.
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
        C(arm_resource), C(keyvault_suffix), C(keyvault_resource), C(batch_suffix), C(batch_resource).
    type: dict
  subscription_id:
    description:
      - Azure subscription ID.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), then E(SIGNET_AZURE_SUBSCRIPTION_ID).
    type: str
  cloud:
    description:
      - The Azure cloud, which selects the Entra ID authority and the service endpoints.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT). Defaults to V(AzureCloud).
    type: str
    choices: [AzureChinaCloud, AzureCloud, AzureUSGovernment]
"""
