#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: classic_storage_account_info
short_description: List classic storage accounts with a management certificate
version_added: 1.0.0
description:
  - Lists the storage services of a subscription through the classic Service Management API
    (C(GET /<subscription-id>/services/storageservices)), authenticated by a management certificate over mutual TLS.
  - Returns each account with snake_case keys and the base64 label decoded.
  - The certificate is checked locally before any call (private key present and matching, RSA of at least 2048 bits,
    not expired, right PFX password); each problem has its own message.
options:
  name:
    description: Return only the storage account with this service name (an empty list when it does not exist).
    type: str
extends_documentation_fragment:
  - signet.azure.classic_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_classic
  - signet.azure.attributes.info_module
notes:
  - Classic storage accounts are retired in favour of Azure Resource Manager accounts; this module serves the
    remaining classic subscriptions and audits.
seealso:
  - module: signet.azure.classic_request
  - name: List Storage Accounts (classic)
    description: The Service Management operation this module calls.
    link: https://learn.microsoft.com/previous-versions/azure/reference/ee460787(v=azure.100)
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List the classic storage accounts
  signet.azure.classic_storage_account_info:
    subscription_id: "{{ subscription_id }}"
    management_certificate_path: /etc/azure/management.pfx
    management_certificate_password: "{{ pfx_password }}"
  register: classic_accounts

- name: One account, with defaults for the classic group
  module_defaults:
    group/signet.azure.classic:
      subscription_id: "{{ subscription_id }}"
      management_certificate_path: /etc/azure/management.crt
      management_key_path: /etc/azure/management.key
  block:
    - name: Get one storage account
      signet.azure.classic_storage_account_info:
        name: mystorage
      register: one
"""

RETURN = r"""
storage_accounts:
  description: The storage services, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    service_name:
      description: The account name.
      type: str
      sample: mystorage
    url:
      description: The Service Management URL of the account.
      type: str
      sample: https://management.core.windows.net/00000000-0000-0000-0000-000000000000/services/storageservices/mystorage
    location:
      description: The region, when the account is not in an affinity group.
      type: str
      sample: West Europe
    label:
      description: The label, decoded from base64.
      type: str
      sample: my storage
    label_base64:
      description: The label as the API returns it (base64).
      type: str
      sample: bXkgc3RvcmFnZQ==
    description:
      description: The description, or null.
      type: str
      sample: backups
    status:
      description: C(Creating), C(Created), C(Deleting) or C(Deleted).
      type: str
      sample: Created
    endpoints:
      description: The service endpoints.
      type: list
      elements: str
      sample: ["https://mystorage.blob.core.windows.net/", "https://mystorage.queue.core.windows.net/"]
    geo_replication_enabled:
      description: Whether geo-replication is enabled.
      type: bool
      sample: true
    account_type:
      description: The replication type (C(x-ms-version) 2014-06-01 and later).
      type: str
      sample: Standard_GRS
    extended_properties:
      description: Name/value pairs of the account's extended properties.
      type: dict
      sample: {}
  sample:
    - service_name: mystorage
      location: West Europe
      label: my storage
      status: Created
thumbprint:
  description: SHA-1 thumbprint of the management certificate that was offered (for audit).
  returned: always
  type: str
  sample: 3C1B2A0F9E8D7C6B5A4938271605F4E3D2C1B0A9
certificate:
  description: Non-secret facts about the management certificate (subject, issuer, validity, key size).
  returned: always
  type: dict
  sample: {"thumbprint": "3C1B...", "subject": "CN=management", "not_after": "2027-01-01T00:00:00+00:00", "key_bits": 2048}
"""

from ..module_utils._argspec import ArgSpec, classic_spec
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = classic_spec().merge(ArgSpec(argument_spec=dict(name=dict(type="str"))))
    module = AzureRestModule(spec, supports_check_mode=True)
    result = dict(changed=False)
    try:
        client = module.classic_client()
        result.update(thumbprint=client.settings.bundle.thumbprint, certificate=client.settings.certificate_facts())
        accounts = client.list_storage_services()
        if module.params["name"]:
            accounts = [a for a in accounts if a["service_name"] == module.params["name"]]
        result["storage_accounts"] = accounts
    except AzureRestError as e:
        module.fail_from_error(e, **result)
    module.exit_json(**module.redactor.redact(result))


if __name__ == "__main__":
    main()
