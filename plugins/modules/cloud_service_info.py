#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloud_service_info
short_description: Get a Cloud Service (extended support) with its certificates
version_added: 1.0.0
description:
  - Reads one Azure Cloud Service (extended support) through the ARM REST API (C(Microsoft.Compute/cloudServices)),
    without any Azure SDK, signed with an Entra ID token for the cloud's Resource Manager.
  - Besides the resource, returns the certificates its service configuration (C(.cscfg)) expects, per role, and the
    Key Vault certificate URLs of C(properties.osProfile.secrets).
  - With O(resolve_thumbprints=true) each URL's secret is read from Key Vault and the thumbprint of the certificate
    in it is computed locally. Secret values are never returned.
options:
  resource_group:
    description: Resource group of the cloud service.
    type: str
    required: true
  name:
    description: Name of the cloud service.
    type: str
    required: true
  resolve_thumbprints:
    description:
      - Read the secret behind each C(osProfile.secrets) certificate URL from Key Vault and return its thumbprint in
        RV(secrets). Needs C(get) permission on the vault's secrets.
      - URLs of another cloud's Key Vault are not read (their thumbprint stays V(null)).
    type: bool
    default: false
  arm_api_version:
    description: ARM API version of C(Microsoft.Compute/cloudServices).
    type: str
    default: "2024-11-04"
notes:
  - C(packageUrl) and C(configurationUrl) are write-only in ARM and never returned.
seealso:
  - module: signet.azure.cloud_service_certificate
  - name: Update or change the certificate used in Azure Cloud Services (extended support)
    description: Microsoft's procedure this module automates.
    link: https://learn.microsoft.com/troubleshoot/azure/cloud-services/update-or-change-certificate-cloud-services
extends_documentation_fragment:
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.INFO_MODULE
  - signet.azure.attributes.ACTION_GROUP_ENTRA
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Read a cloud service and the thumbprints behind its Key Vault URLs
  signet.azure.cloud_service_info:
    subscription_id: "{{ subscription }}"
    resource_group: web-rg
    name: contoso-cs
    resolve_thumbprints: true
  register: cs

- name: In Azure China, with defaults for the whole entra group
  module_defaults:
    group/signet.azure.entra:
      cloud: AzureChinaCloud
      tenant_id: "{{ tenant }}"
      client_id: "{{ app_id }}"
      client_secret: "{{ app_secret }}"
      subscription_id: "{{ subscription }}"
  block:
    - name: Certificates the .cscfg expects
      signet.azure.cloud_service_info:
        resource_group: web-rg
        name: contoso-cs
"""

RETURN = r"""
cloud_service:
  description: The CloudService resource as ARM returns it (C(packageUrl) is write-only and absent).
  returned: always
  type: dict
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web-rg/providers/Microsoft.Compute/cloudServices/contoso-cs
    name: contoso-cs
    location: eastus
    properties: {"configuration": "<ServiceConfiguration ...>", "provisioningState": "Succeeded"}
etag:
  description: The resource's ETag, when ARM returned one.
  returned: always
  type: str
  sample: '"5f6e1c52-3c2d-4a55-9d35-8f0c3c1ff0a1"'
certificates:
  description: The C(<Certificate>) elements of every C(<Role>) of the C(.cscfg), in document order.
  returned: always
  type: list
  elements: dict
  contains:
    role:
      description: Role name.
      type: str
      sample: WebRole1
    name:
      description: The certificate's name in the C(.cscfg).
      type: str
      sample: server
    thumbprint:
      description: Thumbprint, upper-case hex.
      type: str
      sample: 9B1D7C3F7A1E4A1D2E3F405162738495A6B7C8D9
    algorithm:
      description: The C(thumbprintAlgorithm) attribute.
      type: str
      sample: sha1
secrets:
  description: The groups of C(properties.osProfile.secrets).
  returned: always
  type: list
  elements: dict
  contains:
    source_vault_id:
      description: ARM id of the Key Vault.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web-rg/providers/Microsoft.KeyVault/vaults/contosokv
    certificates:
      description: C(certificate_url), C(thumbprint) (V(null) unless O(resolve_thumbprints)) and, when set, C(is_bootstrap_certificate).
      type: list
      elements: dict
      sample: [{"certificate_url": "https://contosokv.vault.azure.net/secrets/server/0123456789abcdef0123456789abcdef", "thumbprint": null}]
"""

from ..module_utils._defaults import ARM_CLOUD_SERVICES_API_VERSION
from ..module_utils._argspec import ArgSpec, entra_spec
from ..module_utils._plans.cloud_service import describe
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = entra_spec().merge(
        ArgSpec(
            argument_spec=dict(
                resource_group=dict(type="str", required=True),
                name=dict(type="str", required=True),
                resolve_thumbprints=dict(type="bool", default=False),
                arm_api_version=dict(type="str", default=ARM_CLOUD_SERVICES_API_VERSION),
            )
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    try:
        client, resource_id = module.cloud_service_client()
        result = describe(client, resource_id, module.params["resolve_thumbprints"])
    except AzureRestError as e:
        module.fail_from_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
