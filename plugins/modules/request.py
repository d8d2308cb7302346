#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: request
short_description: Send a signed request to any Azure REST API
version_added: 1.0.0
description:
  - The Azure counterpart of M(ansible.builtin.uri). Sends one HTTP request to an Azure REST endpoint and signs it
    itself with the chosen O(auth) scheme, without any Azure SDK.
  - Storage calls are signed with Shared Key, SharedKeyLite or a SAS token; Batch with Batch Shared Key; ARM, Key Vault
    and Batch with an Entra ID token; the classic Service Management API with a client certificate.
  - When Azure answers 403 with its own string-to-sign, the failure shows the server's string beside ours, the first
    differing line marked, and the clock skew read from the response C(Date) header.
options:
  method:
    description: HTTP method.
    type: str
    default: GET
    choices: [GET, HEAD, PUT, POST, DELETE, PATCH, OPTIONS, MERGE]
  url:
    description:
      - Full URL of the request. Mutually exclusive with O(path).
    type: str
  path:
    description:
      - Path relative to the service endpoint of the account (for example V(/mycontainer?restype=container)).
      - For storage the endpoint is derived from O(account_name), O(connection_string) or O(endpoint) and O(service);
        for Batch from O(batch_endpoint); for the classic API it is the management endpoint plus the subscription.
    type: str
  service:
    description: Storage service the O(path) is relative to.
    type: str
    default: blob
    choices: [blob, queue, table, file, dfs]
  query:
    description: Query parameters added to the URL (values are URL-encoded once).
    type: dict
  headers:
    description: Extra request headers. C(x-ms-date) and C(Authorization) are set by the module.
    type: dict
  body:
    description:
      - The request body. A string is sent as is; with O(body_format=json) a dict or list is serialised.
    type: raw
  body_format:
    description: How O(body) is sent. V(json) sets C(Content-Type application/json) unless O(headers) sets it.
    type: str
    default: raw
    choices: [raw, json, xml]
  status_code:
    description: Status codes that count as success.
    type: list
    elements: int
    default: [200]
  return_content:
    description: Return the (parsed) response body in RV(content).
    type: bool
    default: true
  auth:
    description:
      - How the request is authorised.
      - V(shared_key), V(shared_key_lite) and V(sas) use the storage options. V(batch_shared_key) uses the Batch
        options. V(entra) uses the Entra ID options and O(scope). V(client_certificate) uses the classic management
        certificate options. V(none) sends no credential.
    type: str
    default: shared_key
    choices: [shared_key, shared_key_lite, sas, none, batch_shared_key, entra, client_certificate]
  scope:
    description:
      - Token scope for O(auth=entra), for example V(https://vault.azure.net/.default). Defaults to the resource
        manager of O(cloud).
    type: str
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.batch_auth
  - signet.azure.entra_auth
  - signet.azure.classic_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_all
attributes:
  check_mode:
    support: partial
    details: GET, HEAD and OPTIONS are sent in check mode; other methods are not sent and report C(changed).
  diff_mode:
    support: full
    details: With C(--diff) (or C(-vv)) the result holds the string-to-sign, never the key or the signature.
  idempotent:
    support: none
    details: Depends on the request; GET, HEAD and OPTIONS never report a change.
seealso:
  - module: ansible.builtin.uri
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Create a container with Shared Key
  signet.azure.request:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    method: PUT
    path: /backups?restype=container
    status_code: [201, 409]

- name: List containers of the local Azurite emulator
  signet.azure.request:
    connection_string: UseDevelopmentStorage=true
    path: /?comp=list
  register: listing

- name: Read a blob with a SAS token
  signet.azure.request:
    account_name: mystorage
    sas_token: "{{ sas }}"
    auth: sas
    path: /backups/db.dump
    return_content: false

- name: Storage defaults for several calls
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      account_key: "{{ storage_key }}"
  block:
    - name: Get the blob service properties
      signet.azure.request:
        path: /?restype=service&comp=properties
"""

RETURN = r"""
status:
  description: HTTP status code of the response.
  returned: when a request was sent
  type: int
  sample: 201
headers:
  description: Response headers (lower-case names).
  returned: when a request was sent
  type: dict
  sample: {"etag": "\"0x8DC...\"", "x-ms-request-id": "6e1c..."}
content:
  description: Response body, parsed from XML or JSON into a dict when possible, else text.
  returned: when O(return_content=true) and the response has a body
  type: raw
  sample: {"EnumerationResults": {"Containers": {"Container": [{"Name": "backups"}]}}}
url:
  description: The URL requested, with any SAS signature masked.
  returned: always
  type: str
  sample: http://127.0.0.1:10000/devstoreaccount1/backups?restype=container
string_to_sign:
  description: The string we signed (Shared Key schemes). Never the key or the signature.
  returned: with C(--diff) or C(-vv)
  type: str
  sample: "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:...\n/devstoreaccount1/devstoreaccount1/backups\nrestype:container"
"""

from ..module_utils._argspec import ArgSpec, FAMILIES
from ..module_utils._errors import AzureRestError, ConfigError
from ..module_utils._module import AzureRestModule
from ..module_utils._clients.generic import build_url, encode_body, parse_content


def main():
    families = [factory() for factory in FAMILIES.values()]
    spec = ArgSpec(
        argument_spec=dict(
            method=dict(type="str", default="GET", choices=["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "MERGE"]),
            url=dict(type="str"),
            path=dict(type="str"),
            service=dict(type="str", default="blob", choices=["blob", "queue", "table", "file", "dfs"]),
            query=dict(type="dict"),
            headers=dict(type="dict"),
            body=dict(type="raw"),
            body_format=dict(type="str", default="raw", choices=["raw", "json", "xml"]),
            status_code=dict(type="list", elements="int", default=[200]),
            return_content=dict(type="bool", default=True),
            auth=dict(
                type="str",
                default="shared_key",
                choices=["shared_key", "shared_key_lite", "sas", "none", "batch_shared_key", "entra", "client_certificate"],
            ),
            scope=dict(type="str"),
        ),
        mutually_exclusive=[["url", "path"]],
        required_one_of=[["url", "path"]],
    ).merge(*families)
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        transport, base_url = module.request_transport(p["auth"], p["service"])
        auth = transport.auth
        url = build_url(p["url"], p["path"], base_url, p["query"])
        result["url"] = module.redactor.redact(url)
        headers = {str(k): str(v) for k, v in (p["headers"] or {}).items()}
        data = encode_body(p["body"], p["body_format"], headers)
        writes = p["method"] not in ("GET", "HEAD", "OPTIONS")
        if module.check_mode and writes:
            result.update(changed=True, msg="check mode: %s not sent" % p["method"])
            module.exit_json(**result)
        action = "%s %s" % (p["method"], result["url"].split("?")[0])
        resp = transport.request(p["method"], url, headers=headers, data=data, expected_status=p["status_code"], action=action)
        result.update(changed=writes, status=resp.status_code, headers={k.lower(): v for k, v in resp.headers.items()})
        if p["return_content"] and resp.content:
            result["content"] = parse_content(resp)
        if module.debug_output and getattr(auth, "last_string_to_sign", None):
            result["string_to_sign"] = auth.last_string_to_sign
            result["diff"] = dict(before="", after=auth.last_string_to_sign + "\n")
    except ConfigError as e:
        module.fail_from_error(e)
    except AzureRestError as e:
        module.fail_from_error(e, **result)
    module.exit_json(**module.redactor.redact(result))


if __name__ == "__main__":
    main()
