#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloud_service_certificate
short_description: Rotate the certificates of a Cloud Service (extended support)
version_added: 1.0.0
description:
  - Replaces certificate thumbprints in the service configuration (C(.cscfg)) of an Azure Cloud Service (extended
    support) and the matching Key Vault URLs in C(properties.osProfile.secrets), in one ARM update - the documented
    REST procedure for services whose intermediate and root certificates live as Key Vault secrets, which the portal
    refuses to update.
  - The C(.cscfg) is edited textually (only the C(thumbprint) attribute values change; thumbprints match
    case-insensitively). New certificate URLs are added to the group of O(source_vault_id); the URLs of replaced
    certificates are dropped once no role references them any more.
  - "Pre-flight, before any update: the service must be in C(provisioningState) V(Succeeded) (else it fails with
    \"another operation in progress\"); every O(certificates[].thumbprint) must be the thumbprint of the certificate
    stored at its O(certificates[].certificate_url) (the secret is read from Key Vault and never returned); every
    C(.cscfg) thumbprint must have a certificate in C(osProfile.secrets)."
  - The update is a PUT with C(If-Match) when ARM gave an ETag, followed to its end (long-running operation,
    C(Azure-AsyncOperation) else C(Location), C(Retry-After) honoured) and verified by reading the service back. The
    PUT is never sent twice once ARM accepted it.
options:
  resource_group:
    description: Resource group of the cloud service.
    type: str
    required: true
  name:
    description: Name of the cloud service.
    type: str
    required: true
  certificates:
    description: The certificates to put in place.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The C(name) of the C(<Certificate>) element in the C(.cscfg). Mutually exclusive with O(certificates[].old_thumbprint).
          - An unknown name fails, listing the names that exist.
        type: str
      old_thumbprint:
        description: Select the C(<Certificate>) elements by their current thumbprint instead of by name.
        type: str
      thumbprint:
        description: SHA-1 thumbprint of the new certificate (40 hex characters; spaces, colons and case are ignored).
        type: str
        required: true
      certificate_url:
        description:
          - Versioned Key Vault B(secret) identifier of the new certificate,
            C(https://<vault>.vault.azure.net/secrets/<name>/<version>) (not the C(/certificates/) URL).
        type: str
        required: true
      roles:
        description: Roles whose C(.cscfg) to change. Default all roles.
        type: list
        elements: str
  source_vault_id:
    description:
      - ARM id of the Key Vault holding the new certificates. New URLs go to its C(osProfile.secrets) group (created
        when missing). Default the existing group of the vault named in the URLs.
    type: str
  body:
    description:
      - V(trimmed) sends what the documented REST procedure describes (C(location), C(tags),
        C(properties.configuration), C(properties.osProfile)); V(full) sends the whole resource as read, minus
        read-only fields.
    type: str
    choices: [trimmed, full]
    default: trimmed
  verify_thumbprints:
    description:
      - Read each new certificate from Key Vault and refuse the update when its thumbprint differs from
        O(certificates[].thumbprint). Turn off only when the identity cannot read secrets.
    type: bool
    default: true
  wait:
    description: Wait for the update to finish and verify it. With V(false) the task ends once ARM accepted it.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the update. On timeout the task fails; the update goes on in Azure.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between status polls when ARM sends no C(Retry-After).
    type: int
    default: 15
  arm_api_version:
    description: ARM API version of C(Microsoft.Compute/cloudServices).
    type: str
    default: "2024-11-04"
notes:
  - Upload the certificates first (M(signet.azure.keyvault_certificate) for a leaf, M(signet.azure.keyvault_secret)
    with the cloud-service JSON format for intermediate and root), or use the role
    C(signet.azure.cloud_service_certificate_rotation), which does all steps.
  - Keep the old Key Vault versions enabled until the update succeeded. RV(backup) holds the previous C(.cscfg) and
    URLs (no secrets) to roll back.
seealso:
  - module: signet.azure.cloud_service_info
  - name: Update or change the certificate used in Azure Cloud Services (extended support)
    description: Microsoft's procedure this module automates.
    link: https://learn.microsoft.com/troubleshoot/azure/cloud-services/update-or-change-certificate-cloud-services
extends_documentation_fragment:
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.ACTION_GROUP_ENTRA
attributes:
  check_mode:
    support: full
    details: Reads the service and Key Vault, runs every pre-flight check and reports the change; sends no update.
  diff_mode:
    support: full
    details: The diff shows the C(.cscfg) and the C(osProfile.secrets) URLs before and after.
  idempotent:
    support: full
    details: When the thumbprints and URLs are already in place nothing is sent.
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Rotate leaf, intermediate and root of a cloud service
  signet.azure.cloud_service_certificate:
    subscription_id: "{{ subscription }}"
    resource_group: web-rg
    name: contoso-cs
    source_vault_id: /subscriptions/{{ subscription }}/resourceGroups/web-rg/providers/Microsoft.KeyVault/vaults/contosokv
    certificates:
      - name: server
        thumbprint: "{{ leaf.thumbprint }}"
        certificate_url: "{{ leaf.secret_id }}"
      - name: intermediate
        thumbprint: "{{ intermediate.thumbprint }}"
        certificate_url: "{{ intermediate.secret_id }}"
      - old_thumbprint: 0C5D7A1BB1E6C4E58F12D0E8A2B7E3C4D5F60718
        thumbprint: "{{ root.thumbprint }}"
        certificate_url: "{{ root.secret_id }}"
        roles: [WebRole1]
  register: rotated

- name: Same in Azure China with group defaults; send the full body and do not wait
  module_defaults:
    group/signet.azure.entra:
      cloud: AzureChinaCloud
      tenant_id: "{{ tenant }}"
      client_id: "{{ app_id }}"
      client_secret: "{{ app_secret }}"
      subscription_id: "{{ subscription }}"
  block:
    - name: Start the update
      signet.azure.cloud_service_certificate:
        resource_group: web-rg
        name: contoso-cs
        body: full
        wait: false
        certificates:
          - name: server
            thumbprint: "{{ leaf.thumbprint }}"
            certificate_url: https://contosokv.vault.azure.cn/secrets/server/0123456789abcdef0123456789abcdef
"""

RETURN = r"""
changes:
  description: One entry per C(.cscfg) certificate that changes (old -> new).
  returned: always
  type: list
  elements: dict
  sample:
    - {"role": "WebRole1", "name": "server", "old_thumbprint": "0C5D7A1BB1E6C4E58F12D0E8A2B7E3C4D5F60718",
       "thumbprint": "9B1D7C3F7A1E4A1D2E3F405162738495A6B7C8D9",
       "certificate_url": "https://contosokv.vault.azure.net/secrets/server/0123456789abcdef0123456789abcdef"}
added_urls:
  description: Certificate URLs added to C(osProfile.secrets).
  returned: always
  type: list
  elements: str
  sample: ["https://contosokv.vault.azure.net/secrets/server/0123456789abcdef0123456789abcdef"]
removed_urls:
  description: Certificate URLs removed from C(osProfile.secrets) (their certificates are no longer referenced).
  returned: always
  type: list
  elements: str
  sample: ["https://contosokv.vault.azure.net/secrets/server/fedcba9876543210fedcba9876543210"]
backup:
  description:
    - The C(.cscfg) and C(osProfile.secrets) before the change (no secrets), to roll back.
    - Not returned when the task failed before anything was changed.
  returned: success, or when the update failed after it was sent
  type: dict
  sample: {"configuration": "<ServiceConfiguration ...>", "secrets": [{"source_vault_id": "/subscriptions/...", "certificates": []}]}
cloud_service:
  description:
    - The cloud service after the update (as read back), or as read when nothing changed or in check mode.
    - When the task fails, only its C(id), C(name) and C(properties.provisioningState).
  returned: always
  type: dict
  sample: {"name": "contoso-cs", "properties": {"provisioningState": "Succeeded"}}
operation:
  description: How the update was accepted (C(status) of the PUT and the C(poll_url)); empty when nothing was sent.
  returned: always
  type: dict
  sample: {"status": 200, "poll_url": "https://management.azure.com/subscriptions/.../operations/3f2c...?api-version=2024-11-04"}
"""

from ..module_utils._defaults import ARM_CLOUD_SERVICES_API_VERSION
from ..module_utils._argspec import ArgSpec, entra_spec
from ..module_utils._plans import cloud_service as plans
from ..module_utils._errors import AzureRestError, OperationFailedError
from ..module_utils._module import AzureRestModule

CERT_OPTIONS = dict(
    name=dict(type="str"),
    old_thumbprint=dict(type="str", no_log=False),
    thumbprint=dict(type="str", required=True, no_log=False),
    certificate_url=dict(type="str", required=True),
    roles=dict(type="list", elements="str"),
)


def failure_result(result: dict, changed: bool) -> dict:
    """What helps after a failure: the planned changes, the operation, the service's name and state, and the backup
    only when the service may have been changed (never the whole service body beside its backup: the .cscfg twice)."""
    service = result.get("cloud_service") or {}
    out = dict(result, changed=changed)
    out["cloud_service"] = {
        "id": service.get("id"),
        "name": service.get("name"),
        "properties": {"provisioningState": (service.get("properties") or {}).get("provisioningState")},
    }
    if not changed:
        out.pop("backup", None)
    return out


def main():
    spec = entra_spec().merge(
        ArgSpec(
            argument_spec=dict(
                resource_group=dict(type="str", required=True),
                name=dict(type="str", required=True),
                certificates=dict(type="list", elements="dict", required=True, options=CERT_OPTIONS),
                source_vault_id=dict(type="str"),
                body=dict(type="str", choices=["trimmed", "full"], default="trimmed"),
                verify_thumbprints=dict(type="bool", default=True),
                wait=dict(type="bool", default=True),
                wait_timeout=dict(type="int", default=3600),
                poll_interval=dict(type="int", default=15),
                arm_api_version=dict(type="str", default=ARM_CLOUD_SERVICES_API_VERSION),
            )
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False, changes=[], added_urls=[], removed_urls=[], backup={}, cloud_service={}, operation={})
    try:
        client, resource_id = module.cloud_service_client(poll_interval=p["poll_interval"])
        plan = plans.plan(client, resource_id, p["certificates"], p["source_vault_id"])
        result.update(
            changed=plan["changed"],
            changes=plan["changes"],
            added_urls=plan["added_urls"],
            removed_urls=plan["removed_urls"],
            backup=plan["before"],
            cloud_service=plan["resource"],
        )
        if plan["changed"]:
            result["diff"] = plans.diff_text(plan)
            if p["verify_thumbprints"]:
                plans.preflight(client, plan, p["certificates"])
            if not module.check_mode:
                applied = plans.apply(client, resource_id, plan, p["body"], p["wait"], p["wait_timeout"])
                result.update(cloud_service=applied["cloud_service"], operation=applied["operation"])
    except OperationFailedError as e:
        # the service may hold the update, or be half way: keep the backup to roll back, summarise the service
        module.fail_from_error(e, **failure_result(result, changed=True))
    except AzureRestError as e:
        # nothing was changed: no backup needed, and the service body would only repeat the .cscfg
        module.fail_from_error(e, **failure_result(result, changed=False))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
