# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Every storage option of the modules. The account options come first: ACCOUNT (below the class) is cut from
    # here, so their text exists once and every fragment in the class body stays a plain string, which the
    # yamllint sanity test of ansible-core 2.16 and 2.19 requires.
    DOCUMENTATION = r"""
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
      - V(AzureCloud) (or V(AzurePublicCloud), V(public)), V(AzureChinaCloud) (or V(china)), V(AzureUSGovernment)
        (or V(AzureUSGovernmentCloud), V(usgov)), in any case, as azure.azcollection and AWX's Azure credential
        name them.
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT); an empty variable counts as unset. Defaults to V(AzureCloud).
    type: str
    aliases: [cloud_environment]
  sas_token:
    description:
      - A shared access signature (the query string of a SAS URL, with or without the leading C(?)).
      - Falls back to E(AZURE_STORAGE_SAS_TOKEN).
    type: str
  storage_auth:
    description:
      - Which storage scheme signs the requests. V(auto) uses Shared Key when a key is known, else the SAS token,
        else Entra ID when an Entra ID credential is given (the options of the C(signet.azure.entra_auth) fragment,
        AWX's Azure credential through the environment, or O(auth_source)).
      - V(entra) sends a bearer token for C(https://storage.azure.com/.default), over HTTPS only. The identity
        needs a data-plane role such as C(Storage Blob Data Reader) or C(Storage Blob Data Contributor) on the
        container or the account; a 403 C(AuthorizationPermissionMismatch) names the missing one.
      - V(shared_key_lite) is the older SharedKeyLite scheme (not supported by Azurite for Blob).
    type: str
    default: auto
    choices: [auto, shared_key, shared_key_lite, sas, entra]
  storage_api_version:
    description: The storage service version sent as C(x-ms-version).
    type: str
    default: "2023-11-03"
"""

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


# The account options alone (account_name to cloud), for plugins that sign locally with the account key (the
# storage_sas lookup): the head of DOCUMENTATION, up to its first credential option.
ModuleDocFragment.ACCOUNT = ModuleDocFragment.DOCUMENTATION.split("\n  sas_token:\n", maxsplit=1)[0] + "\n"
