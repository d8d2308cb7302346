#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: classic_request
short_description: Call the classic Azure Service Management API with a management certificate
version_added: 1.0.0
description:
  - Sends one request to the classic Service Management API (C(https://management.core.windows.net/<subscription-id>/...))
    over mutual TLS with a management certificate, sets the required C(x-ms-version) header, and parses the XML
    response into a dict.
  - Before any connection the certificate is checked locally; each problem has its own message naming the file and
    the fix. The private key must be present and match the certificate (a C(.cer) without its key is refused; Azure
    would answer "forbidden with client authentication scheme 'Anonymous'"), the key must be RSA of at least 2048
    bits, the certificate must be valid now, and the PFX password must be right.
  - Asynchronous operations answer C(202) with C(x-ms-request-id); with O(wait=true) the module polls
    C(GET /<subscription-id>/operations/<request-id>) until the operation has C(Succeeded) or C(Failed).
  - The private key reaches Python's C(ssl) through a temporary file (in C(/dev/shm) when it exists, mode 0600,
    encrypted with a one-time password) that is removed right after it was loaded.
options:
  method:
    description: HTTP method.
    type: str
    default: GET
    choices: [GET, POST, PUT, DELETE, HEAD]
  path:
    description:
      - Path under the subscription, for example V(/services/storageservices) or V(/services/hostedservices/mysvc).
      - A leading C(/<subscription-id>) is accepted and not repeated.
    type: str
    required: true
  body:
    description: XML request body (sent with C(Content-Type application/xml) unless O(headers) sets one).
    type: str
  headers:
    description: Extra request headers. C(x-ms-version) comes from O(x_ms_version) unless set here.
    type: dict
    default: {}
  status_code:
    description: Status codes that count as success.
    type: list
    elements: int
    default: [200, 201, 202]
  wait:
    description: When the answer is C(202) with C(x-ms-request-id), poll the operation until it has finished.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the operation with O(wait=true) before failing.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two operation status polls.
    type: int
    default: 5
extends_documentation_fragment:
  - signet.azure.classic_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_classic
attributes:
  check_mode:
    support: partial
    details: GET and HEAD are sent in check mode (after the local certificate checks); other methods are not sent and report C(changed).
  diff_mode:
    support: none
    details: The module does not know the state before an arbitrary call.
  idempotent:
    support: none
    details: Depends on the call; GET and HEAD never report a change.
notes:
  - The Azure Resource Manager (C(management.azure.com)) does not accept management certificates; pointing
    O(management_endpoint) at it fails before any call. Use Entra ID there.
  - For an AWX/AAP custom credential type, inject E(SIGNET_AZURE_SUBSCRIPTION_ID),
    E(SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH) (a file injector), E(SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PASSWORD)
    and optionally E(SIGNET_AZURE_MANAGEMENT_KEY_PATH) and E(SIGNET_AZURE_MANAGEMENT_ENDPOINT).
seealso:
  - module: signet.azure.classic_storage_account_info
  - module: signet.azure.request
  - name: Service Management REST API reference
    description: The classic operations (previous versions of the Azure documentation).
    link: https://learn.microsoft.com/previous-versions/azure/reference/ee460799(v=azure.100)
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List the storage services of a subscription
  signet.azure.classic_request:
    subscription_id: "{{ subscription_id }}"
    management_certificate_path: /etc/azure/management.pfx
    management_certificate_password: "{{ pfx_password }}"
    path: /services/storageservices
  register: listing

- name: Create a classic storage account and wait for the operation
  signet.azure.classic_request:
    subscription_id: "{{ subscription_id }}"
    management_certificate_path: /etc/azure/management.crt
    management_key_path: /etc/azure/management.key
    method: POST
    path: /services/storageservices
    body: |
      <CreateStorageServiceInput xmlns="http://schemas.microsoft.com/windowsazure">
        <ServiceName>mystorage</ServiceName>
        <Label>{{ 'my storage' | b64encode }}</Label>
        <Location>West Europe</Location>
      </CreateStorageServiceInput>
    status_code: [202]
    wait: true

- name: Several calls with the same certificate
  module_defaults:
    group/signet.azure.classic:
      subscription_id: "{{ subscription_id }}"
      management_certificate_path: /etc/azure/management.pem
  block:
    - name: Get the subscription
      signet.azure.classic_request:
        path: /
    - name: List the cloud services
      signet.azure.classic_request:
        path: /services/hostedservices
"""

RETURN = r"""
status:
  description: HTTP status code of the response.
  returned: when a request was sent
  type: int
  sample: 202
headers:
  description: Response headers (lower-case names).
  returned: when a request was sent
  type: dict
  sample: {"x-ms-request-id": "5f0b3c2c4b1e4e35a5e4b1c7c0f9a2d1", "content-type": "application/xml; charset=utf-8"}
request_id:
  description: The C(x-ms-request-id) of the response, the id of an asynchronous operation.
  returned: when a request was sent
  type: str
  sample: 5f0b3c2c4b1e4e35a5e4b1c7c0f9a2d1
content:
  description: The response body, XML parsed into a dict (namespaces dropped, attributes as C(@name)), else text.
  returned: when the response has a body
  type: raw
  sample: {"StorageServices": {"StorageService": [{"ServiceName": "mystorage", "Url": "https://..."}]}}
url:
  description: The URL requested.
  returned: always
  type: str
  sample: https://management.core.windows.net/00000000-0000-0000-0000-000000000000/services/storageservices
operation:
  description: The final operation status with O(wait=true).
  returned: when O(wait=true) and the answer was 202 with a request id
  type: dict
  sample: {"id": "5f0b3c2c4b1e4e35a5e4b1c7c0f9a2d1", "status": "Succeeded", "http_status_code": 200, "polls": 2}
thumbprint:
  description: SHA-1 thumbprint of the management certificate that was offered (for audit).
  returned: always
  type: str
  sample: 3C1B2A0F9E8D7C6B5A4938271605F4E3D2C1B0A9
certificate:
  description: Non-secret facts about the management certificate.
  returned: always
  type: dict
  sample: {"thumbprint": "3C1B...", "subject": "CN=management", "not_after": "2027-01-01T00:00:00+00:00", "key_bits": 2048, "has_private_key": true}
"""

from ..module_utils._argspec import ArgSpec, classic_spec
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = classic_spec().merge(
        ArgSpec(
            argument_spec=dict(
                method=dict(type="str", default="GET", choices=["GET", "POST", "PUT", "DELETE", "HEAD"]),
                path=dict(type="str", required=True),
                body=dict(type="str"),
                headers=dict(type="dict", default={}),
                status_code=dict(type="list", elements="int", default=[200, 201, 202]),
                wait=dict(type="bool", default=False),
                wait_timeout=dict(type="int", default=600),
                poll_interval=dict(type="int", default=5),
            )
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        client = module.classic_client()
        result.update(
            url=client.url(p["path"]),
            thumbprint=client.settings.bundle.thumbprint,
            certificate=client.settings.certificate_facts(),
        )
        writes = p["method"] not in ("GET", "HEAD")
        if module.check_mode and writes:
            result.update(changed=True, msg="check mode: %s not sent" % p["method"])
            module.exit_json(**result)
        headers = {str(k): str(v) for k, v in (p["headers"] or {}).items()}
        answer = client.call(p["method"], p["path"], body=p["body"], headers=headers, expected_status=p["status_code"])
        result.update(changed=writes, **answer)
        if result["content"] is None:
            result.pop("content")
        if p["wait"] and answer["status"] == 202 and answer["request_id"]:
            result["operation"] = client.wait(answer["request_id"], timeout=p["wait_timeout"], interval=p["poll_interval"])
    except AzureRestError as e:
        module.fail_from_error(e, **result)
    module.exit_json(**module.redactor.redact(result))


if __name__ == "__main__":
    main()
