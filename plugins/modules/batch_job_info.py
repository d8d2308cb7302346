#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: batch_job_info
short_description: List or get Azure Batch jobs
version_added: 1.0.0
description:
  - Reads the jobs of an Azure Batch account through the Batch data plane REST API, without any Azure SDK.
  - Gets one job with O(job_id), or lists the jobs with an OData O(filter), O(select) and O(expand), following
    C(odata.nextLink) across all pages. Only one page is held in memory at a time; O(limit) stops early.
  - Signs with Batch Shared Key (O(batch_access_key)) or sends an Entra ID token for the Batch resource
    (C(https://batch.core.windows.net/.default), C(https://batch.chinacloudapi.cn/.default) in Azure China).
  - Every request sends and signs the Batch Content-Type C(application/json; odata=minimalmetadata; charset=utf-8)
    and an C(ocp-date). On a signature mismatch the failure shows the server's string-to-sign beside ours.
options:
  job_id:
    description:
      - ID of one job to get. When the job does not exist, RV(jobs) is empty.
      - Mutually exclusive with O(filter), O(max_results) and O(limit).
    type: str
  filter:
    description:
      - OData C($filter) clause, for example V(state eq 'active' and startswith(id,'render')).
      - See U(https://learn.microsoft.com/rest/api/batchservice/odata-filters-in-batch#list-jobs).
    type: str
  select:
    description: Top-level job properties to return (OData C($select)), for example V([id, state, priority]).
    type: list
    elements: str
  expand:
    description: Related data to include (OData C($expand)); V(stats) adds the job's resource usage statistics.
    type: list
    elements: str
    choices: [stats]
  max_results:
    description: Page size, 1 to 1000 (C(maxresults)). The service default is 1000.
    type: int
  limit:
    description: Stop after this many jobs; no further page is requested. All jobs when omitted.
    type: int
extends_documentation_fragment:
  - signet.azure.batch_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_batch
  - signet.azure.attributes.info_module
notes:
  - The jobs are returned exactly as the Batch service returns them (camelCase keys).
  - With O(batch_auth=entra) the identity needs a Batch data plane role (for example C(Azure Batch Data Reader)
    or Contributor) on the account.
seealso:
  - module: signet.azure.batch_task_info
  - name: Job - List (Batch REST API)
    link: https://learn.microsoft.com/rest/api/batchservice/job/list
    description: The REST operation this module calls.
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List the active render jobs with Shared Key
  signet.azure.batch_job_info:
    batch_endpoint: https://mybatch.westeurope.batch.azure.com
    batch_access_key: "{{ batch_key }}"
    filter: "state eq 'active' and startswith(id,'render')"
    select: [id, state, priority, creationTime]
  register: active

- name: Get one job with its statistics, using an Entra ID service principal
  signet.azure.batch_job_info:
    batch_endpoint: https://mybatch.westeurope.batch.azure.com
    batch_auth: entra
    tenant_id: "{{ tenant }}"
    client_id: "{{ app_id }}"
    client_secret: "{{ app_secret }}"
    job_id: nightly-etl
    expand: [stats]

- name: Batch defaults for several calls
  module_defaults:
    group/signet.azure.batch:
      batch_endpoint: https://mybatch.westeurope.batch.azure.com
      batch_access_key: "{{ batch_key }}"
  block:
    - name: The first 50 jobs of the account
      signet.azure.batch_job_info:
        limit: 50
"""

RETURN = r"""
jobs:
  description: The jobs, as the Batch service returns them (only the O(select) properties when given).
  returned: always
  type: list
  elements: dict
  sample:
    - id: render-00000
      url: https://mybatch.westeurope.batch.azure.com/jobs/render-00000
      eTag: "0x8D4100FC46D5BF4"
      state: active
      priority: 100
      poolInfo: {"poolId": "pool-linux"}
      executionInfo: {"startTime": "2026-01-05T08:00:01.1234560Z", "poolId": "pool-linux"}
count:
  description: Number of jobs in RV(jobs).
  returned: always
  type: int
  sample: 2500
"""

from ..module_utils._argspec import FAMILIES, ArgSpec
from ..module_utils._clients.batch import take
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = FAMILIES["batch"]().merge(
        ArgSpec(
            argument_spec=dict(
                job_id=dict(type="str"),
                filter=dict(type="str"),
                select=dict(type="list", elements="str"),
                expand=dict(type="list", elements="str", choices=["stats"]),
                max_results=dict(type="int"),
                limit=dict(type="int"),
            ),
            mutually_exclusive=[["job_id", "filter"], ["job_id", "max_results"], ["job_id", "limit"]],
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        client = module.batch_client()
        if p["job_id"]:
            job = client.get_job(p["job_id"], p["select"], p["expand"])
            jobs = [job] if job is not None else []
        else:
            jobs = take(client.iter_jobs(p["filter"], p["select"], p["expand"], p["max_results"]), p["limit"])
        result.update(jobs=jobs, count=len(jobs))
    except AzureRestError as e:
        module.fail_from_error(e, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
