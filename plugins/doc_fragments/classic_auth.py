# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  subscription_id:
    description:
      - Azure subscription ID, part of every classic Service Management URL.
      - Falls back to E(AZURE_SUBSCRIPTION_ID), then E(SIGNET_AZURE_SUBSCRIPTION_ID).
    type: str
  management_certificate_path:
    description:
      - Management certificate for mutual TLS, either a PFX (with O(management_certificate_password)), or a PEM with the
        certificate and its private key, or a PEM certificate with the key in O(management_key_path).
      - It must contain the private key, and the key must be RSA of at least 2048 bits; both are checked before
        any call.
      - Falls back to E(SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH).
    type: path
  management_certificate_content:
    description: The PEM text or the base64 of a PFX, instead of O(management_certificate_path).
    type: str
  management_certificate_password:
    description:
      - Password of the PFX or of the encrypted PEM key.
      - Falls back to E(SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PASSWORD).
    type: str
  management_key_path:
    description:
      - PEM private key, when O(management_certificate_path) holds only the certificate.
      - Falls back to E(SIGNET_AZURE_MANAGEMENT_KEY_PATH).
    type: path
  management_endpoint:
    description:
      - Service Management endpoint. Defaults by O(cloud) to C(https://management.core.windows.net),
        C(https://management.core.chinacloudapi.cn) or C(https://management.core.usgovcloudapi.net).
      - Falls back to E(SIGNET_AZURE_MANAGEMENT_ENDPOINT).
    type: str
  x_ms_version:
    description: The C(x-ms-version) header (2009-10-01 or later), required by the classic API.
    type: str
    default: "2014-06-01"
  cloud:
    description:
      - The Azure cloud, which selects the default management endpoint.
      - V(AzureCloud) (or V(AzurePublicCloud), V(public)), V(AzureChinaCloud) (or V(china)), V(AzureUSGovernment)
        (or V(AzureUSGovernmentCloud), V(usgov)), in any case.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT); an empty variable counts as unset. Defaults to V(AzureCloud).
    type: str
    aliases: [cloud_environment]
"""
