#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keyvault_secret
short_description: Set or delete an Azure Key Vault secret, including certificates in the Cloud Services form
version_added: 1.0.0
description:
  - Sets a Key Vault secret from O(value), or from a certificate file (O(certificate_path)). The REST API is
    2025-06-01, with an Entra ID token.
  - >-
    O(format=cloud_service_json) stores a certificate the way Cloud Services and virtual machines read it from
    C(osProfile.secrets). The value is the base64 of the JSON C({"data": <base64 PFX>, "dataType": "pfx", "password": ...}).
    This is how intermediate and root certificates go into the vault.
  - Idempotent without returning the value. An HMAC-SHA256 of the value is kept in the tag C(signet-hmac-sha256),
    and a new version is written only when it differs. With O(compare=value), the current value is read and compared
    in memory instead; this needs the C(get) permission and writes no digest tag.
  - The value is never returned.
options:
  vault_name:
    description:
      - Name of the Key Vault; the URL is C(https://<vault_name>.<Key Vault suffix of cloud>). Mutually exclusive with
        O(vault_url).
    type: str
  vault_url:
    description: URL of the Key Vault, for example C(https://myvault.vault.azure.net). It must belong to O(cloud).
    type: str
  name:
    description: Name of the secret (1-127 letters, digits and hyphens).
    type: str
    required: true
  state:
    description: V(present) sets the secret when needed; V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  value:
    description: The secret value. Mutually exclusive with O(certificate_path) and O(certificate_content).
    type: str
  certificate_path:
    description: Path of a PFX or PEM certificate file to store, in the form chosen by O(format).
    type: path
  certificate_content:
    description: The PEM text or the base64 of a PFX, instead of O(certificate_path).
    type: str
  certificate_password:
    description: Password of the PFX (or of the encrypted PEM key). It is part of the C(cloud_service_json) value.
    type: str
  format:
    description:
      - How a certificate is stored. V(cloud_service_json) is base64 of C({"data", "dataType", "password"}).
        V(pfx_base64) is the PFX file as base64, with content type C(application/x-pkcs12). V(pem) is the
        certificate, its chain and the key as PKCS#8 PEM, with content type C(application/x-pem-file).
      - A certificate without a private key (an intermediate or root CA) can be stored as V(pem), or as
        V(cloud_service_json) when it is a PFX.
    type: str
    default: cloud_service_json
    choices: [cloud_service_json, pfx_base64, pem]
  legacy_pfx:
    description:
      - Cloud Services rejects PFX files encrypted with AES-256 (what OpenSSL 3 writes by default). With
        O(format=cloud_service_json), such a file fails unless O(legacy_pfx=true). The module then re-encrypts it
        with 3DES and a SHA-1 MAC, the form Windows accepts, using the same password.
    type: bool
    default: false
  content_type:
    description: Content type of the secret. Defaults to the one of O(format) for certificates; none for O(value).
    type: str
  tags:
    description: Tags of the secret. When omitted, the current tags are kept. The digest tag is added by the module.
    type: dict
  compare:
    description:
      - How the module decides whether the value changed. V(digest) compares the HMAC tag and falls back to the value
        when the tag is missing. V(value) reads the current value.
    type: str
    default: digest
    choices: [digest, value]
  digest_key:
    description:
      - Key of the HMAC in the digest tag. Without it, the key is derived from the vault host and the secret name.
        That salts the digest but is public, so anyone who can list tags could test guesses of a low-entropy value
        (a human-chosen password). Set a secret O(digest_key) for such values, or use O(compare=value).
    type: str
  recover:
    description: Recover a secret in deleted-but-recoverable state (and wait for it) instead of failing.
    type: bool
    default: false
  recover_timeout:
    description: Seconds to wait for a recovery to finish.
    type: int
    default: 60
  purge:
    description: With O(state=absent), also purge the deleted secret.
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
    details: Reads the vault (metadata, and the value only with O(compare=value)) and reports what would change.
  diff_mode:
    support: full
    details: The diff shows version, content type and tags, never the value.
  idempotent:
    support: full
    details: By the HMAC digest tag (or the value with O(compare=value)).
notes:
  - The digest tag holds an HMAC-SHA256, not the value. See O(digest_key) for low-entropy values.
  - With O(legacy_pfx=true), the PFX is re-encrypted on every change. Idempotency uses the source file and the
    password, so re-running does not create new versions.
seealso:
  - module: signet.azure.keyvault_secret_info
  - module: signet.azure.keyvault_certificate
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Set a secret
  signet.azure.keyvault_secret:
    vault_name: myvault
    name: db-password
    value: "{{ db_password }}"
    digest_key: "{{ digest_key }}"
    tags:
      owner: team-a

- name: Store an intermediate CA certificate for a Cloud Service
  signet.azure.keyvault_secret:
    vault_name: myvault
    name: intermediate-ca
    certificate_path: files/intermediate.pfx
    certificate_password: "{{ pfx_password }}"
    format: cloud_service_json
  register: ca

- name: Delete a secret and purge it
  signet.azure.keyvault_secret:
    vault_name: myvault
    name: old-secret
    state: absent
    purge: true

- name: Entra defaults for several Key Vault tasks
  module_defaults:
    group/signet.azure.entra:
      tenant_id: "{{ tenant }}"
      client_id: "{{ app_id }}"
      client_secret: "{{ app_secret }}"
  block:
    - name: Set a secret with the group defaults
      signet.azure.keyvault_secret:
        vault_name: myvault
        name: api-key
        value: "{{ api_key }}"
"""

RETURN = r"""
id:
  description: Versioned identifier of the secret. In check mode, null when a new version would be written.
  returned: when O(state=present)
  type: str
  sample: https://myvault.vault.azure.net/secrets/intermediate-ca/03bcccc7c8cf4546a0e3e21e52560441
version:
  description: Version of the current secret.
  returned: when O(state=present)
  type: str
  sample: 03bcccc7c8cf4546a0e3e21e52560441
content_type:
  description: Content type of the secret.
  returned: when O(state=present)
  type: str
  sample: application/x-pkcs12
enabled:
  description: Whether the current version is enabled.
  returned: when O(state=present)
  type: bool
  sample: true
tags:
  description: Tags of the current version, including C(signet-hmac-sha256).
  returned: when O(state=present)
  type: dict
  sample: {"owner": "team-a", "signet-hmac-sha256": "5f2b..."}
thumbprint:
  description: SHA-1 thumbprint (40 upper-case hex) of the stored certificate.
  returned: when a certificate is stored
  type: str
  sample: 7CB8B7539D87BA7215357B9B9049DFF2D3FA59BA
role:
  description: Whether the stored certificate is a C(leaf), an C(intermediate) or a C(root).
  returned: when a certificate is stored
  type: str
  sample: intermediate
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
recovered:
  description: Whether a soft-deleted secret was recovered.
  returned: when O(state=present)
  type: bool
  sample: false
deleted:
  description: The deleted secret's recovery information.
  returned: when O(state=absent) and a secret was deleted
  type: dict
  sample: {"recovery_id": "https://myvault.vault.azure.net/deletedsecrets/old-secret"}
"""

from ..module_utils._argspec import ArgSpec, entra_spec
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule

KEEP = ("id", "version", "content_type", "enabled", "tags", "created", "updated")


def main():
    spec = entra_spec().merge(
        ArgSpec(
            argument_spec=dict(
                vault_name=dict(type="str"),
                vault_url=dict(type="str"),
                name=dict(type="str", required=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                value=dict(type="str", no_log=True),
                certificate_path=dict(type="path"),
                certificate_content=dict(type="str", no_log=True),
                certificate_password=dict(type="str", no_log=True),
                format=dict(type="str", default="cloud_service_json", choices=["cloud_service_json", "pfx_base64", "pem"]),
                legacy_pfx=dict(type="bool", default=False),
                content_type=dict(type="str"),
                tags=dict(type="dict"),
                compare=dict(type="str", default="digest", choices=["digest", "value"]),
                digest_key=dict(type="str", no_log=True),
                recover=dict(type="bool", default=False),
                recover_timeout=dict(type="int", default=60),
                purge=dict(type="bool", default=False),
            ),
            mutually_exclusive=[["vault_name", "vault_url"], ["value", "certificate_path", "certificate_content"]],
            required_one_of=[["vault_name", "vault_url"]],
            required_if=[["state", "present", ["value", "certificate_path", "certificate_content"], True]],
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    try:
        from ..module_utils._plans.keyvault import certificate_secret, plan_absent, plan_secret

        if p["state"] == "present":
            extra = {}
            if p["value"] is not None:
                value, message, content_type = p["value"], p["value"], p["content_type"]
            else:
                value, message, content_type, extra = certificate_secret(p, warn=module.warn)
                module.register_secret(value)
            plan = plan_secret(
                module.keyvault_client(),
                p["name"],
                value,
                message,
                content_type=content_type,
                tags=p["tags"],
                compare=p["compare"],
                digest_key=p["digest_key"],
                recover=p["recover"],
                check_mode=module.check_mode,
                recover_timeout=p["recover_timeout"],
                register=module.register_secret,
            )
            result = {k: plan["secret"].get(k) for k in KEEP}
            result.update(extra, changed=plan["changed"], recovered=plan["recovered"])
        else:
            plan = plan_absent(
                module.keyvault_client(),
                "secret",
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
