# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The account options alone: for plugins that sign locally with the account key (the storage_sas lookup).
    ACCOUNT = r"""
options:
  account_name:
    description:
      - Name of the storage account (3-24 lowercase letters and digits).
      - Falls back to E(AZURE_STORAGE_ACCOUNT). Not needed with O(connection_string).
    type: str
  account_key:
    description:
      - Storage account access key (base64, C(key1) or C(key2)). Requests are signed with Shared Key.
      - Falls back to E(AZURE_STORAGE_KEY).
    type: str
  connection_string:
    description:
      - A storage connection string, for example
        C(DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net),
        one with explicit C(BlobEndpoint=...), one with C(SharedAccessSignature=...), or
        C(UseDevelopmentStorage=true) for the local Azurite emulator.
      - Falls back to E(AZURE_STORAGE_CONNECTION_STRING). Explicit options override its parts.
    type: str
  endpoint:
    description:
      - Blob service endpoint, when it is not C(https://<account>.blob.<suffix>), for example a custom domain, a private
        endpoint, or an emulator in path style such as C(http://127.0.0.1:10000/devstoreaccount1).
      - Falls back to E(AZURE_STORAGE_BLOB_ENDPOINT).
    type: str
  cloud:
    description:
      - The Azure cloud, which selects the endpoint suffixes (C(core.windows.net), C(core.chinacloudapi.cn),
        C(core.usgovcloudapi.net)) and the Entra ID authority.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT). Defaults to V(AzureCloud).
    type: str
    choices: [AzureChinaCloud, AzureCloud, AzureUSGovernment]
"""

    # Every storage option of the modules: the account options plus the credential and protocol choices.
    DOCUMENTATION = (
        ACCOUNT
        + r"""
  sas_token:
    description:
      - A shared access signature (the query string of a SAS URL, with or without the leading C(?)).
      - Falls back to E(AZURE_STORAGE_SAS_TOKEN).
    type: str
  storage_auth:
    description:
      - Which storage scheme signs the requests. V(auto) uses Shared Key when a key is known, else the SAS token.
      - V(shared_key_lite) is the older SharedKeyLite scheme (not supported by Azurite for Blob).
    type: str
    default: auto
    choices: [auto, shared_key, shared_key_lite, sas]
  storage_api_version:
    description: The storage service version sent as C(x-ms-version).
    type: str
    default: "2023-11-03"
"""
    )

    # Overlay for lookup and other non-module plugins (the community.hashi_vault way): where each account option is
    # read from when the task does not give it. Use it after ACCOUNT or DOCUMENTATION.
    PLUGINS = r"""
options:
  account_name:
    env:
      - name: AZURE_STORAGE_ACCOUNT
  account_key:
    env:
      - name: AZURE_STORAGE_KEY
  connection_string:
    env:
      - name: AZURE_STORAGE_CONNECTION_STRING
  endpoint:
    env:
      - name: AZURE_STORAGE_BLOB_ENDPOINT
  cloud:
    env:
      - name: AZURE_CLOUD_ENVIRONMENT
"""
