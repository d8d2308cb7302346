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
  - Binary bodies come from a local file (O(src), streamed) or from base64 (O(body_base64)), optionally with a
    C(Content-MD5) the service checks (O(content_md5)).
  - Batch and ARM requests get their C(api-version) query parameter added when the URL has none (O(api_version),
    O(batch_api_version)); ARM long-running operations can be followed to the end (O(wait)).
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
      - The request body. A string is sent as is (UTF-8); with O(body_format=json) a dict or list is serialised.
      - Text only. For binary data (a page of a page blob, a PFX, an archive) use O(src) or O(body_base64), because
        C(lookup('file')) cannot carry bytes that are not UTF-8 text.
      - Mutually exclusive with O(body_base64) and O(src).
    type: raw
  body_base64:
    description:
      - The request body as base64; the decoded bytes are sent. Whitespace and line breaks are ignored, so the
        C(content) of M(ansible.builtin.slurp) can be passed as is.
      - Not logged (C(no_log)), because binary bodies are often key material (PFX, keys) and a base64 dump says
        nothing in a log. A returned value that happens to equal it is masked by Ansible.
      - Mutually exclusive with O(body) and O(src).
    type: str
  src:
    description:
      - Path of a local file (on the machine that runs the module) whose bytes are the request body. The file is
        streamed, not read into memory at once, and its size is sent as C(Content-Length).
      - On a retry the file is sent again from its start; do not change it while the task runs.
      - Mutually exclusive with O(body) and O(body_base64).
    type: path
  body_format:
    description:
      - How O(body) is sent. V(json) sets C(Content-Type application/json) unless O(headers) sets it (for Batch
        C(application/json; odata=minimalmetadata; charset=utf-8)); V(xml) sets C(application/xml).
      - With O(src) or O(body_base64) it only chooses that default C(Content-Type); the bytes are sent as they are.
    type: str
    default: raw
    choices: [raw, json, xml]
  content_md5:
    description:
      - Send a C(Content-MD5) header with the base64 MD5 of exactly the bytes sent (O(body), O(body_base64) or O(src),
        hashed before sending). Storage and Batch check it and refuse a body that arrived different (C(Md5Mismatch)).
      - Needs a body, and O(headers) must not set C(Content-MD5) as well.
    type: bool
    default: false
  api_version:
    description:
      - The C(api-version) query parameter added when the URL (O(url), O(path) or O(query)) has none, for
        O(auth=entra), O(auth=batch_shared_key) and O(auth=none). Storage and the classic API are versioned by header
        (O(storage_api_version), O(x_ms_version)) and are left alone.
      - Without it, Batch requests (O(auth=batch_shared_key), or O(auth=entra) to a Batch account host) get
        O(batch_api_version). Resource Manager requests (O(auth=entra) to the cloud's resource manager) have no
        default, because each resource provider versions its own API, so the task fails before sending anything unless
        the URL or this option gives one.
      - When the service still answers C(MissingRequiredQueryParameter), the failure names the missing parameter.
    type: str
  wait:
    description:
      - Follow an Azure Resource Manager long-running operation to its end, as M(signet.azure.cloud_service_certificate)
        does. The status is polled at C(Azure-AsyncOperation), else C(Location), else (PUT, PATCH) at the resource
        itself until its C(provisioningState) is terminal, every C(Retry-After) seconds (else O(poll_interval)). The
        token is never sent to a polling URL outside the resource manager's host.
      - The result then describes the end of the operation (RV(status), RV(headers), RV(content)), for PUT and PATCH a
        fresh GET of the resource, for POST the operation's result, for DELETE the final status. RV(operation) tells
        how it went. An operation that ends C(Failed) or C(Canceled) fails the task with Azure's error code and
        message, with C(changed=true) since Azure may have applied part of it.
      - With O(wait=true), C(201) and C(202) are accepted as the first answer besides O(status_code).
      - Only for O(auth=entra) and a URL on the cloud's resource manager (for example V(https://management.azure.com));
        any other request with O(wait=true) fails before it is sent. GET, HEAD and OPTIONS are never followed.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to follow the operation with O(wait=true). When they run out the task fails; the operation goes on in
        Azure, and the failure gives the URL to poll.
    type: int
    default: 3600
  poll_interval:
    description: Seconds between status polls with O(wait=true) when ARM sends no C(Retry-After).
    type: int
    default: 15
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
      - V(storage) lets O(storage_auth) decide, as the storage modules do (V(auto) is Shared Key with a key, else the
        SAS, else Entra ID). With O(storage_auth=entra) the default V(shared_key) also signs with Entra ID. Storage
        with Entra ID sends a token for C(https://storage.azure.com/.default) (or O(scope)) and C(x-ms-version).
    type: str
    default: shared_key
    choices: [shared_key, shared_key_lite, sas, storage, none, batch_shared_key, entra, client_certificate]
  scope:
    description:
      - Token scope for O(auth=entra), for example V(https://vault.azure.net/.default). Defaults to the resource
        manager of O(cloud).
      - For storage with Entra ID, defaults to V(https://storage.azure.com/.default); an account-specific audience
        such as V(https://mystorage.blob.core.windows.net/.default) also works.
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
    details:
      - GET, HEAD and OPTIONS are sent in check mode; other methods are not sent and report C(changed).
      - The body is still prepared in check mode, so a missing O(src) or bad O(body_base64) fails, and RV(content_md5)
        is returned.
  diff_mode:
    support: full
    details: With C(--diff) (or C(-vv)) the result holds the string-to-sign, never the key or the signature.
  idempotent:
    support: none
    details:
      - Depends on the request; GET, HEAD and OPTIONS never report a change, every other method reports C(changed).
      - ARM PUT is idempotent on Azure's side (the same body twice leaves the resource as it is) but is still reported
        as a change; compare with a GET first (C(when:)) to skip it. A Put Page with the same bytes rewrites them.
      - Conditional headers (C(If-Match), C(If-None-Match)) in O(headers) make a write happen at most once.
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

- name: Write one 512-byte page of a page blob from a local file, checked with Content-MD5
  signet.azure.request:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    method: PUT
    path: /disks/data.vhd?comp=page
    headers:
      x-ms-page-write: update
      x-ms-range: bytes=0-511
    src: /tmp/page0.bin
    content_md5: true
    status_code: [201]

- name: Read a binary file on a managed host
  ansible.builtin.slurp:
    src: /etc/pki/server.pfx
  register: pfx

- name: Upload it as a block blob from base64
  signet.azure.request:
    account_name: mystorage
    account_key: "{{ storage_key }}"
    method: PUT
    path: /certs/server.pfx
    headers:
      x-ms-blob-type: BlockBlob
      Content-Type: application/x-pkcs12
    body_base64: "{{ pfx.content }}"
    content_md5: true
    status_code: [201]

- name: Add a Batch job with Shared Key (api-version added from batch_api_version)
  signet.azure.request:
    auth: batch_shared_key
    batch_endpoint: https://mybatch.westeurope.batch.azure.com
    batch_access_key: "{{ batch_key }}"
    method: POST
    path: /jobs
    body_format: json
    body:
      id: nightly-2026-01-05
      poolInfo:
        poolId: pool-linux
    status_code: [201]

- name: Create a cloud service and wait for the long-running operation to end
  signet.azure.request:
    auth: entra
    tenant_id: "{{ tenant_id }}"
    client_id: "{{ client_id }}"
    client_secret: "{{ client_secret }}"
    method: PUT
    url: https://management.azure.com/subscriptions/{{ subscription_id }}/resourceGroups/rg/providers/Microsoft.Compute/cloudServices/web
    api_version: "2024-11-04"
    body_format: json
    body: "{{ cloud_service_model }}"
    wait: true
    wait_timeout: 1800
  register: created

- name: Delete it, waiting until it is gone
  signet.azure.request:
    auth: entra
    method: DELETE
    url: https://management.azure.com/subscriptions/{{ subscription_id }}/resourceGroups/rg/providers/Microsoft.Compute/cloudServices/web?api-version=2024-11-04
    status_code: [200, 204]
    wait: true

- name: Blob service properties with Entra ID (AWX's Azure credential in the environment), no account key
  signet.azure.request:
    account_name: mystorage
    storage_auth: entra
    path: /?restype=service&comp=properties

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
  description: HTTP status code of the response (with O(wait=true), of the answer that ends the operation).
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
content_md5:
  description: The base64 MD5 sent as C(Content-MD5), over exactly the bytes of the body.
  returned: when O(content_md5=true)
  type: str
  sample: "1B2M2Y8AsgTpgAmY7PhCfg=="
operation:
  description:
    - How the long-running operation went with O(wait=true). RV(status), RV(headers) and RV(content) then describe
      its end.
  returned: when O(wait=true) and a write was sent
  type: dict
  contains:
    initial_status:
      description: HTTP status of the first answer (C(201) or C(202) for an operation that ran on, C(200) when done at once).
      type: int
      sample: 202
    poll_url:
      description: The URL polled, without its query; null when there was nothing to follow.
      type: str
      sample: https://management.azure.com/subscriptions/0000/providers/Microsoft.Compute/locations/eastus/operations/1f2e
    polls:
      description: How many status polls were made.
      type: int
      sample: 2
  sample:
    initial_status: 201
    poll_url: "https://management.azure.com/subscriptions/0000/providers/Microsoft.Compute/locations/eastus/operations/1f2e"
    polls: 2
string_to_sign:
  description: The string we signed (Shared Key schemes). Never the key or the signature.
  returned: with C(--diff) or C(-vv)
  type: str
  sample: "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:...\n/devstoreaccount1/devstoreaccount1/backups\nrestype:container"
"""

from ..module_utils._argspec import ArgSpec, FAMILIES
from ..module_utils._errors import AzureRestError, ConfigError
from ..module_utils._module import AzureRestModule
from ..module_utils._clients.generic import (
    LRO_STARTED,
    batch_content_type_warning,
    build_url,
    check_wait,
    follow_operation,
    is_batch_target,
    name_missing_parameter,
    parse_content,
    request_body,
    with_api_version,
)
from ..module_utils._signing.batch import BATCH_CONTENT_TYPE


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
            body_base64=dict(type="str", no_log=True),
            src=dict(type="path"),
            body_format=dict(type="str", default="raw", choices=["raw", "json", "xml"]),
            content_md5=dict(type="bool", default=False),
            api_version=dict(type="str"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="int", default=15),
            status_code=dict(type="list", elements="int", default=[200]),
            return_content=dict(type="bool", default=True),
            auth=dict(
                type="str",
                default="shared_key",
                choices=[
                    "shared_key",
                    "shared_key_lite",
                    "sas",
                    "storage",
                    "none",
                    "batch_shared_key",
                    "entra",
                    "client_certificate",
                ],
            ),
            scope=dict(type="str"),
        ),
        mutually_exclusive=[["url", "path"], ["body", "body_base64", "src"]],
        required_one_of=[["url", "path"]],
    ).merge(*families)
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        transport, base_url = module.request_transport(p["auth"], p["service"])
        auth = transport.auth
        url = with_api_version(build_url(p["url"], p["path"], base_url, p["query"]), p["auth"], p)
        result["url"] = module.redactor.redact(url)
        headers = {str(k): str(v) for k, v in (p["headers"] or {}).items()}
        batch = is_batch_target(url, p["auth"], p)
        if batch and batch_content_type_warning(headers):
            module.warn(batch_content_type_warning(headers))
        writes = p["method"] not in ("GET", "HEAD", "OPTIONS")
        wait = p["wait"] and writes
        if wait:
            check_wait(url, p["auth"], p)
        with request_body(p, headers, BATCH_CONTENT_TYPE if batch else "application/json") as (data, md5):
            if md5:
                result["content_md5"] = md5
            if module.check_mode and writes:
                result.update(changed=True, msg="check mode: %s not sent" % p["method"])
                module.exit_json(**result)
            action = "%s %s" % (p["method"], result["url"].split("?")[0])
            expected = list(p["status_code"]) + (list(LRO_STARTED) if wait else [])
            resp = transport.request(p["method"], url, headers=headers, data=data, expected_status=expected, action=action)
        result["changed"] = writes
        if wait:
            followed = follow_operation(transport, resp, p["method"], url, p)
            resp, result["operation"] = followed["response"], followed["operation"]
        result.update(status=resp.status_code, headers={k.lower(): v for k, v in resp.headers.items()})
        if p["return_content"] and resp.content:
            result["content"] = parse_content(resp)
        if module.debug_output and getattr(auth, "last_string_to_sign", None):
            result["string_to_sign"] = auth.last_string_to_sign
            result["diff"] = dict(before="", after=auth.last_string_to_sign + "\n")
    except ConfigError as e:
        module.fail_from_error(e)
    except AzureRestError as e:
        name_missing_parameter(e)
        module.fail_from_error(e, **result)
    module.exit_json(**module.redactor.redact(result))


if __name__ == "__main__":
    main()
