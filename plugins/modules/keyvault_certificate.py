#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_certificate
short_description: Import a PFX or PEM certificate into Azure Key Vault
version_added: 1.0.0
description:
  - Imports a certificate with its private key (PFX/PKCS#12 or PEM) into a Key Vault as a new version of a Key Vault
    certificate, through the Key Vault REST API (2025-06-01) with an Entra ID token.
  - Idempotent by thumbprint. When the current version already holds a certificate with the same SHA-1 thumbprint,
    nothing is imported and C(changed=false).
  - Returns what Cloud Services (extended support) needs. RV(thumbprint) is the 40-character upper-case hex SHA-1 for
    the C(.cscfg). RV(secret_id) is the versioned secret identifier for C(osProfile.secrets[].vaultCertificates[].certificateUrl).
  - Pre-flight checks run before any call. The private key must be present and match, RSA keys need at least 2048
    bits, and the certificate must not be expired. A warning is given within 30 days of expiry.
  - With O(state=absent), deletes the certificate. Soft delete keeps it recoverable; O(purge=true) also purges it.
options:
  vault_name:
    description:
      - Name of the Key Vault. The URL is C(https://<vault_name>.<Key Vault suffix of cloud>).
      - Mutually exclusive with O(vault_url).
    type: str
  vault_url:
    description:
      - URL of the Key Vault, for example C(https://myvault.vault.azure.net). It must belong to O(cloud).
    type: str
  name:
    description: Name of the certificate in the vault (1-127 letters, digits and hyphens).
    type: str
    required: true
  state:
    description: V(present) imports the certificate when needed; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  certificate_path:
    description:
      - Path of a PFX (PKCS#12) or PEM file with the certificate, its private key and optionally the chain.
      - A PEM key in PKCS#1 form (C(BEGIN RSA PRIVATE KEY)) or encrypted is converted to PKCS#8 locally, the form Key
        Vault accepts. Required with O(state=present), unless O(certificate_content) is given.
    type: path
  certificate_content:
    description:
      - The PEM text, or the base64 of a PFX, instead of O(certificate_path).
    type: str
  certificate_password:
    description: Password of the PFX, or of the encrypted PEM key.
    type: str
  tags:
    description:
      - Tags of the certificate. When omitted, the tags of the current version are kept on a new version.
    type: dict
  recover:
    description:
      - When the name is in deleted-but-recoverable state (soft delete), recover it and wait until it is readable,
        then import a new version only if the thumbprint differs.
      - When V(false), such a name fails with a message saying so.
    type: bool
    default: false
  recover_timeout:
    description: Seconds to wait for a recovery to finish.
    type: int
    default: 60
  purge:
    description:
      - With O(state=absent), also purge the deleted certificate, so that the name is free at once. Purge protection
        on the vault makes this fail.
    type: bool
    default: false
extends_documentation_fragment:
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_entra
attributes:
  check_mode:
    support: full
    details: Reads the vault and reports what would change; nothing is imported, recovered or deleted.
  diff_mode:
    support: full
    details: The diff shows thumbprint, version and tags before and after.
  idempotent:
    support: full
    details: Re-importing a certificate with the same thumbprint reports no change.
notes:
  - The identity needs the Key Vault permissions (or RBAC roles) to get, import and delete certificates, plus
    get/list on deleted certificates for the soft-delete handling and recover/purge when those are used.
  - The password and the certificate content are never returned or logged.
seealso:
  - module: signet.azure.keyvault_certificate_info
  - module: signet.azure.keyvault_secret
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Import a PFX for a Cloud Service
  signet.azure.keyvault_certificate:
    vault_name: myvault
    name: web-tls
    certificate_path: files/web.pfx
    certificate_password: "{{ pfx_password }}"
    tenant_id: "{{ tenant }}"
    client_id: "{{ app_id }}"
    client_secret: "{{ app_secret }}"
  register: cert

- name: Show what the .cscfg and osProfile.secrets need
  ansible.builtin.debug:
    msg: "{{ cert.thumbprint }} {{ cert.secret_id }}"

- name: Import a PEM into a vault in Azure China, recovering a soft-deleted name
  signet.azure.keyvault_certificate:
    vault_name: myvault
    cloud: AzureChinaCloud
    name: api-tls
    certificate_path: files/api.pem
    recover: true
    managed_identity: system

- name: Key Vault defaults for several tasks
  module_defaults:
    group/signet.azure.entra:
      tenant_id: "{{ tenant }}"
      client_id: "{{ app_id }}"
      client_certificate_path: files/automation.pfx
      client_certificate_password: "{{ automation_pfx_password }}"
  block:
    - name: Delete and purge an old certificate
      signet.azure.keyvault_certificate:
        vault_url: https://myvault.vault.azure.net
        name: old-tls
        state: absent
        purge: true
"""

RETURN = r"""
id:
  description: Versioned certificate identifier.
  returned: when O(state=present)
  type: str
  sample: https://myvault.vault.azure.net/certificates/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
version:
  description: Version of the current certificate (32 hex characters). In check mode, null when a new one would be imported.
  returned: when O(state=present)
  type: str
  sample: f00e72f0ddee4dddadc27c0f605d84d7
thumbprint:
  description: SHA-1 thumbprint, 40 upper-case hex characters, as the C(.cscfg) needs it.
  returned: when O(state=present)
  type: str
  sample: 7CB8B7539D87BA7215357B9B9049DFF2D3FA59BA
x5t:
  description: The thumbprint as Key Vault gives it (base64url of the SHA-1).
  returned: when O(state=present)
  type: str
  sample: fLi3U52HunIVNXubkEnf8tP6Wbo
secret_id:
  description: Versioned identifier of the backing secret; the C(certificateUrl) of a Cloud Service.
  returned: when O(state=present)
  type: str
  sample: https://myvault.vault.azure.net/secrets/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
key_id:
  description: Versioned identifier of the backing key.
  returned: when O(state=present)
  type: str
  sample: https://myvault.vault.azure.net/keys/web-tls/f00e72f0ddee4dddadc27c0f605d84d7
not_before:
  description: Start of validity (ISO 8601, UTC).
  returned: when O(state=present)
  type: str
  sample: "2026-01-01T00:00:00+00:00"
not_after:
  description: End of validity (ISO 8601, UTC).
  returned: when O(state=present)
  type: str
  sample: "2027-01-01T00:00:00+00:00"
subject:
  description: Subject of the certificate (RFC 4514).
  returned: when O(state=present)
  type: str
  sample: CN=www.example.com
issuer:
  description: Issuer of the certificate (RFC 4514).
  returned: when O(state=present)
  type: str
  sample: CN=Example CA
tags:
  description: Tags of the current version.
  returned: when O(state=present)
  type: dict
  sample: {"env": "prod"}
chain:
  description: The certificates in the local file, leaf first, with their role (leaf, intermediate or root).
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{"thumbprint": "7CB8...", "subject": "CN=www.example.com", "issuer": "CN=Example CA", "role": "leaf"}]
enabled:
  description: Whether the current version is enabled.
  returned: when O(state=present)
  type: bool
  sample: true
content_type:
  description: How Key Vault stores the backing secret (C(application/x-pkcs12) or C(application/x-pem-file)).
  returned: when O(state=present)
  type: str
  sample: application/x-pkcs12
created:
  description: When the current version was created (ISO 8601, UTC).
  returned: when O(state=present)
  type: str
  sample: "2026-12-02T03:30:00+00:00"
updated:
  description: When the current version was last updated (ISO 8601, UTC).
  returned: when O(state=present)
  type: str
  sample: "2026-12-02T03:30:00+00:00"
recovery_level:
  description: The vault's deletion recovery level.
  returned: when O(state=present)
  type: str
  sample: Recoverable+Purgeable
recovered:
  description: Whether a soft-deleted certificate was recovered.
  returned: when O(state=present)
  type: bool
  sample: false
deleted:
  description: The deleted certificate's recovery information.
  returned: when O(state=absent) and a certificate was deleted
  type: dict
  sample: {"recovery_id": "https://myvault.vault.azure.net/deletedcertificates/old-tls", "scheduled_purge_date": "2027-03-01T00:00:00+00:00"}
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
                name=dict(type="str", required=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                certificate_path=dict(type="path"),
                certificate_content=dict(type="str", no_log=True),
                certificate_password=dict(type="str", no_log=True),
                tags=dict(type="dict"),
                recover=dict(type="bool", default=False),
                recover_timeout=dict(type="int", default=60),
                purge=dict(type="bool", default=False),
            ),
            mutually_exclusive=[["vault_name", "vault_url"], ["certificate_path", "certificate_content"]],
            required_one_of=[["vault_name", "vault_url"]],
            required_if=[["state", "present", ["certificate_path", "certificate_content"], True]],
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    try:
        from ..module_utils._certs import chain_summary, check_bundle, load_bundle, pfx_bytes
        from ..module_utils._plans.keyvault import plan_absent, plan_certificate

        if p["state"] == "present":
            option = "certificate_path" if p["certificate_path"] else "certificate_content"
            bundle = load_bundle(p["certificate_path"], p["certificate_content"], p["certificate_password"], option=option)
            for warning in check_bundle(bundle, require_key=True, purpose="Key Vault certificate import"):
                module.warn(warning)
            raw = pfx_bytes(p["certificate_path"], p["certificate_content"], option=option) if bundle.format == "pfx" else None
            client = module.keyvault_client()
            plan = plan_certificate(
                client,
                p["name"],
                bundle,
                raw,
                p["certificate_password"],
                tags=p["tags"],
                recover=p["recover"],
                check_mode=module.check_mode,
                recover_timeout=p["recover_timeout"],
            )
            result = dict(plan["certificate"], changed=plan["changed"], recovered=plan["recovered"], chain=chain_summary(bundle))
        else:
            plan = plan_absent(
                module.keyvault_client(),
                "certificate",
                p["name"],
                purge=p["purge"],
                check_mode=module.check_mode,
                timeout=p["recover_timeout"],
            )
            result = dict(changed=plan["changed"], deleted=plan["deleted"])
        if module._diff:
            result["diff"] = plan["diff"]
    except AzureRestError as e:
        module.fail_from_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
