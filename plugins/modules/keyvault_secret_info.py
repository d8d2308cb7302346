#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_secret_info
short_description: Read Azure Key Vault secret metadata, and the value on request
version_added: 1.0.0
description:
  - Reads one secret (the current version or a given version), its versions, or lists the vault's secrets.
  - By default, metadata only (id, version, content type, attributes, tags).
  - The value is returned only with O(return_value=true). The task must then set C(no_log) to V(true); without it
    the module fails before reading anything. Ansible hides the whole task output, and the registered variable holds
    the real value. The value is not registered as a no_log value, because Ansible would replace it with
    C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) in the result. It is still masked in every message and warning of the
    module.
options:
  vault_name:
    description: Name of the Key Vault. Mutually exclusive with O(vault_url).
    type: str
  vault_url:
    description: URL of the Key Vault, for example C(https://myvault.vault.azure.net). It must belong to O(cloud).
    type: str
  name:
    description: Name of the secret. When omitted, every secret of the vault is listed (metadata only).
    type: str
  version:
    description: A version of O(name). Defaults to the current version.
    type: str
  include_versions:
    description: Also list every version of O(name) in RV(versions) (metadata only).
    type: bool
    default: false
  return_value:
    description:
      - Return the secret value in the C(value) key of each RV(secrets) entry. Needs O(name) and C(no_log) set to V(true) on the task.
    type: bool
    default: false
extends_documentation_fragment:
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.info_module
  - signet.azure.attributes.action_group_entra
notes:
  - A disabled secret version cannot be read; Key Vault answers 403.
seealso:
  - module: signet.azure.keyvault_secret
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Read the metadata of a secret
  signet.azure.keyvault_secret_info:
    vault_name: myvault
    name: db-password
  register: meta

- name: Read the value (the task must be no_log)
  signet.azure.keyvault_secret_info:
    vault_name: myvault
    name: db-password
    return_value: true
  no_log: true
  register: secret

- name: List secrets with Entra defaults
  module_defaults:
    group/signet.azure.entra:
      managed_identity: system
  block:
    - name: List the vault's secrets
      signet.azure.keyvault_secret_info:
        vault_name: myvault
"""

RETURN = r"""
exists:
  description: Whether the secret O(name) (and O(version)) exists. Always true when listing.
  returned: always
  type: bool
  sample: true
secrets:
  description: The secret read, or every secret of the vault (unversioned C(id) when listing).
  returned: always
  type: list
  elements: dict
  sample:
    - id: https://myvault.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79
      version: 4387e9f3d6e14c459867679a90fd0f79
      content_type: text/plain
      enabled: true
      tags: {"owner": "team-a"}
      managed: false
      created: "2026-12-02T03:30:00+00:00"
      updated: "2026-12-02T03:30:00+00:00"
versions:
  description: Every version of O(name) (metadata only).
  returned: when O(include_versions=true) and the secret exists
  type: list
  elements: dict
  sample: [{"version": "4387e9f3d6e14c459867679a90fd0f79", "enabled": true}]
"""

from ..module_utils._argspec import ArgSpec, entra_spec
from ..module_utils._errors import AzureRestError, ConfigError
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
                return_value=dict(type="bool", default=False),
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
        from ..module_utils._plans.keyvault import secret_result

        if p["return_value"] and not p["name"]:
            raise ConfigError("return_value: give name; values are returned for one secret only")
        if p["return_value"] and not module.no_log:
            raise ConfigError(
                "return_value: true returns the secret value; set no_log: true on the task, or Ansible would print it"
            )
        client = module.keyvault_client()
        if p["name"]:
            bundle = client.get_secret(p["name"], p["version"], with_value=p["return_value"])
            result["exists"] = bundle is not None
            result["secrets"] = []
            if bundle:
                item = secret_result(bundle)
                if p["return_value"]:
                    module.redactor.add(bundle.get("value"))
                    item["value"] = bundle.get("value")
                result["secrets"].append(item)
            if bundle and p["include_versions"]:
                result["versions"] = [secret_result(v) for v in client.list_secret_versions(p["name"])]
        else:
            result["exists"] = True
            result["secrets"] = [secret_result(item) for item in client.list_secrets()]
    except AzureRestError as e:
        module.fail_from_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
