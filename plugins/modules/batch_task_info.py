#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: batch_task_info
short_description: List the tasks of an Azure Batch job
version_added: 1.0.0
description:
  - Lists the tasks of one Azure Batch job through the Batch data plane REST API, without any Azure SDK.
  - Supports an OData O(filter), O(select) and O(expand), and follows C(odata.nextLink) across all pages. Only one
    page is held in memory at a time; O(limit) stops early.
  - Signs with Batch Shared Key (O(batch_access_key)) or sends an Entra ID token for the Batch resource.
    Every request sends and signs the Batch Content-Type and an C(ocp-date); a signature mismatch shows the
    server's string-to-sign beside ours.
options:
  job_id:
    description: ID of the job whose tasks are listed. The task fails with C(JobNotFound) when it does not exist.
    type: str
    required: true
  filter:
    description:
      - OData C($filter) clause, for example V(state eq 'completed' and executionInfo/exitCode ne 0).
      - See U(https://learn.microsoft.com/rest/api/batchservice/odata-filters-in-batch#list-tasks).
    type: str
  select:
    description: Top-level task properties to return (OData C($select)), for example V([id, state]).
    type: list
    elements: str
  expand:
    description: Related data to include (OData C($expand)).
    type: list
    elements: str
    choices: [stats]
  max_results:
    description: Page size, 1 to 1000 (C(maxresults)). The service default is 1000.
    type: int
  limit:
    description: Stop after this many tasks; no further page is requested. All tasks when omitted.
    type: int
extends_documentation_fragment:
  - signet.azure.batch_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_batch
  - signet.azure.attributes.info_module
notes:
  - The tasks are returned exactly as the Batch service returns them (camelCase keys).
seealso:
  - module: signet.azure.batch_job_info
  - name: Task - List (Batch REST API)
    link: https://learn.microsoft.com/rest/api/batchservice/task/list
    description: The REST operation this module calls.
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: List the failed tasks of a job
  signet.azure.batch_task_info:
    batch_endpoint: https://mybatch.westeurope.batch.azure.com
    batch_access_key: "{{ batch_key }}"
    job_id: nightly-etl
    filter: "state eq 'completed' and executionInfo/result eq 'failure'"
    select: [id, state, executionInfo]
  register: failed

- name: Count the tasks of a job with an Entra ID managed identity
  signet.azure.batch_task_info:
    batch_endpoint: https://mybatch.westeurope.batch.azure.com
    batch_auth: entra
    managed_identity: system
    job_id: nightly-etl
    select: [id]

- name: Batch defaults for several calls
  module_defaults:
    group/signet.azure.batch:
      batch_endpoint: https://mybatch.westeurope.batch.azure.com
      batch_access_key: "{{ batch_key }}"
  block:
    - name: The first 10 tasks
      signet.azure.batch_task_info:
        job_id: nightly-etl
        limit: 10
"""

RETURN = r"""
tasks:
  description: The tasks, as the Batch service returns them (only the O(select) properties when given).
  returned: always
  type: list
  elements: dict
  sample:
    - id: task-0001
      url: https://mybatch.westeurope.batch.azure.com/jobs/nightly-etl/tasks/task-0001
      state: completed
      commandLine: /bin/sh -c 'python run.py --part 1'
      executionInfo: {"exitCode": 0, "result": "success", "retryCount": 0, "requeueCount": 0}
count:
  description: Number of tasks in RV(tasks).
  returned: always
  type: int
  sample: 1500
"""

from ..module_utils._argspec import FAMILIES, ArgSpec
from ..module_utils._clients.batch import take
from ..module_utils._errors import AzureRestError
from ..module_utils._module import AzureRestModule


def main():
    spec = FAMILIES["batch"]().merge(
        ArgSpec(
            argument_spec=dict(
                job_id=dict(type="str", required=True),
                filter=dict(type="str"),
                select=dict(type="list", elements="str"),
                expand=dict(type="list", elements="str", choices=["stats"]),
                max_results=dict(type="int"),
                limit=dict(type="int"),
            )
        )
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False)
    try:
        client = module.batch_client()
        tasks = take(client.iter_tasks(p["job_id"], p["filter"], p["select"], p["expand"], p["max_results"]), p["limit"])
        result.update(tasks=tasks, count=len(tasks))
    except AzureRestError as e:
        module.fail_from_error(e, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
