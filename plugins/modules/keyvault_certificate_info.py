#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_certificate_info
short_description: Read Azure Key Vault certificate metadata
version_added: 1.0.0
description:
  - Reads one certificate (the current version or a given version), its versions, or lists the vault's certificates.
  - Returns metadata only, never the private key or the backing secret. That includes the hex SHA-1 thumbprint and the
    versioned secret identifier that Cloud Services need.
options:
  vault_name:
    description: Name of the Key Vault. Mutually exclusive with O(vault_url).
    type: str
  vault_url:
    description: URL of the Key Vault, for example C(https://myvault.vault.azure.net). It must belong to O(cloud).
    type: str
  name:
    description: Name of the certificate. When omitted, every certificate of the vault is listed (current versions).
    type: str
  version:
    description: A version of O(name). Defaults to the current version.
    type: str
  include_versions:
    description: Also list every version of O(name) in RV(versions).
    type: bool
    default: false
extends_documentation_fragment:
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.info_module
  - signet.azure.attributes.action_group_entra
seealso:
  - module: signet.azure.keyvault_certificate
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Read the current version of a certificate
  signet.azure.keyvault_certificate_info:
    vault_name: myvault
    name: web-tls
  register: info

- name: List the vault's certificates with Entra defaults
  module_defaults:
    group/signet.azure.entra:
      tenant_id: "{{ tenant }}"
      client_id: "{{ app_id }}"
      client_secret: "{{ app_secret }}"
  block:
    - name: List certificates
      signet.azure.keyvault_certificate_info:
        vault_name: myvault
"""

RETURN = r"""
exists:
  description: Whether the certificate O(name) (and O(version)) exists. Always true when listing.
  returned: always
  type: bool
  sample: true
certificates:
  description:
    - The certificate read, or every certificate of the vault. For a listing the entries carry the unversioned C(id),
      the thumbprint and attributes (Key Vault lists no C(cer) or secret id).
  returned: always
  type: list
  elements: dict
  sample:
    - id: https://myvault.vault.azure.net/certificates/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
      version: f00e72f0ddee4dddadc27c0f605d84d7
      thumbprint: 7CB8B7539D87BA7215357B9B9049DFF2D3FA59BA
      x5t: fLi3U52HunIVNXubkEnf8tP6Wbo
      secret_id: https://myvault.vault.azure.net/secrets/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
      key_id: https://myvault.vault.azure.net/keys/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
      subject: CN=www.example.com
      issuer: CN=Example CA
      not_before: "2026-01-01T00:00:00+00:00"
      not_after: "2027-01-01T00:00:00+00:00"
      enabled: true
      tags: {}
versions:
  description: Every version of O(name) (id, version, thumbprint, x5t, enabled, tags, created, updated).
  returned: when O(include_versions=true) and the certificate exists
  type: list
  elements: dict
  sample: [{"version": "f00e72f0ddee4dddadc27c0f605d84d7", "thumbprint": "7CB8B7539D87BA7215357B9B9049DFF2D3FA59BA"}]
"""

from ..module_utils._argspec import ArgSpec, entra_spec
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = entra_spec().merge(
        ArgSpec(
            argument_spec=dict(
                vault_name=dict(type="str"),
                vault_url=dict(type="str"),
                name=dict(type="str"),
                version=dict(type="str"),
                include_versions=dict(type="bool", default=False),
            ),
            mutually_exclusive=[["vault_name", "vault_url"]],
            required_one_of=[["vault_name", "vault_url"]],
            required_by={"version": "name"},
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        from ..module_utils._plans.keyvault import certificate_result

        client = module.keyvault_client()
        if p["name"]:
            bundle = client.get_certificate(p["name"], p["version"])
            result["exists"] = bundle is not None
            result["certificates"] = [certificate_result(bundle)] if bundle else []
            if bundle and p["include_versions"]:
                result["versions"] = [certificate_result(item) for item in client.list_certificate_versions(p["name"])]
        else:
            result["exists"] = True
            result["certificates"] = [certificate_result(item) for item in client.list_certificates()]
    except AzureRestError as e:
        module.fail_from_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
