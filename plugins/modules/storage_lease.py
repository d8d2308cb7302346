#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_lease
short_description: Acquire, renew, change, release or break the lease of a blob or a container
version_added: 1.1.0
description:
  - Manages the write lock (lease) of a blob, or of a container when O(name) is omitted (Lease Blob, Lease
    Container). While a blob is leased, every write and delete needs the lease ID (see O(signet.azure.storage_blob#module:lease_id));
    a leased container cannot be deleted without it.
  - O(state=acquired) acquires a lease when there is none (an expired or broken one counts as none) and returns its
    ID in RV(lease_id); use O(lease_id) to choose the ID (a GUID), so that a rerun can prove the lease is yours. On an
    object that is already leased, O(lease_id) must be the ID of that lease, which is then renewed (no change) or replaced by
    O(new_lease_id) (change). Without O(lease_id) a leased object fails, naming the ways out.
  - O(state=released) releases the lease O(lease_id) (no change when there is no active lease).
    O(state=broken) breaks the active lease, whoever holds it, at once or after O(break_period).
  - The service does not say who holds a lease, so in check mode a renewal is not verified.
options:
  container:
    description: Name of the container.
    type: str
    required: true
  name:
    description: Name of the blob. Omit it for the container's lease.
    type: str
    aliases: [blob]
  state:
    description: The wanted lease state.
    type: str
    default: acquired
    choices: [acquired, released, broken]
  lease_id:
    description:
      - With O(state=acquired), the ID (a GUID) to acquire the lease under, or of the lease you hold (it is renewed).
      - With O(state=released), the ID of the lease to release (required when the object is leased).
    type: str
  new_lease_id:
    description: With O(state=acquired) and O(lease_id), change the held lease's ID to this one (Change Lease).
    type: str
  duration:
    description: Lease duration in seconds, 15 to 60, or V(-1) for a lease that lasts until released or broken.
    type: int
    default: 60
  break_period:
    description:
      - With O(state=broken), seconds (0 to 60) the lease still lasts before it ends. By default a fixed lease
        ends when its time is up and an infinite one at once.
    type: int
extends_documentation_fragment:
  - signet.azure.storage_auth
  - signet.azure.entra_auth
  - signet.azure.connection
  - signet.azure.attributes
  - signet.azure.attributes.action_group_storage
attributes:
  check_mode:
    support: full
    details: The lease state is read and the outcome predicted; a held lease's ID is not verified.
  diff_mode:
    support: full
    details: The lease state and duration before and after.
  idempotent:
    support: full
    details: Renewing a lease you hold reports no change.
notes:
  - Do not leave infinite leases behind; release a lease in an C(always) section of the play.
seealso:
  - module: signet.azure.storage_blob
  - module: signet.azure.storage_container
author:
  - signet.azure contributors (@signet-azure)
"""

EXAMPLES = r"""
- name: Lock a blob while a play rewrites it
  module_defaults:
    group/signet.azure.storage:
      account_name: mystorage
      account_key: "{{ storage_key }}"
  block:
    - name: Acquire a 60 s lease under a known ID
      signet.azure.storage_lease:
        container: config
        name: app.json
        lease_id: 5c0ae52f-7c07-4b0e-9d7a-4f8b1d1e2a3b
      register: lease

    - name: Write under the lease
      signet.azure.storage_blob:
        container: config
        name: app.json
        src: files/app.json
        lease_id: "{{ lease.lease_id }}"
  always:
    - name: Release it
      signet.azure.storage_lease:
        account_name: mystorage
        account_key: "{{ storage_key }}"
        container: config
        name: app.json
        state: released
        lease_id: 5c0ae52f-7c07-4b0e-9d7a-4f8b1d1e2a3b

- name: Keep a container from being deleted (infinite lease)
  signet.azure.storage_lease:
    connection_string: "{{ storage_connection_string }}"
    container: archive
    duration: -1
    lease_id: 0f8fad5b-d9cb-469f-a165-70867728950e

- name: Break a lease left behind by a crashed job
  signet.azure.storage_lease:
    connection_string: "{{ storage_connection_string }}"
    container: config
    name: app.json
    state: broken
    break_period: 0
"""

RETURN = r"""
lease_id:
  description: The ID of the lease held after the task (null after a release or a break).
  returned: success
  type: str
  sample: 5c0ae52f-7c07-4b0e-9d7a-4f8b1d1e2a3b
action:
  description: What was done, C(acquired), C(renewed), C(changed), C(released), C(broken) or C(none).
  returned: success
  type: str
  sample: acquired
lease:
  description: The lease properties after the task, C(lease_state), C(lease_status) and C(lease_duration).
  returned: success
  type: dict
  sample: {lease_state: leased, lease_status: locked, lease_duration: fixed}
lease_time:
  description: After a break, the seconds until the lease ends.
  returned: when a lease was broken
  type: int
  sample: 0
"""

from ..module_utils._argspec import ArgSpec, entra_spec, storage_spec
from ..module_utils._module import AzureRestModule
from ..module_utils._plans.blob_lease import ensure_lease


def main():
    spec = storage_spec().merge(
        entra_spec(),
        ArgSpec(
            argument_spec=dict(
                container=dict(type="str", required=True),
                name=dict(type="str", aliases=["blob"]),
                state=dict(type="str", default="acquired", choices=["acquired", "released", "broken"]),
                lease_id=dict(type="str", no_log=False),
                new_lease_id=dict(type="str", no_log=False),
                duration=dict(type="int", default=60),
                break_period=dict(type="int"),
            ),
            required_by={"new_lease_id": "lease_id"},
        ),
    )
    module = AzureRestModule(spec, supports_check_mode=True)
    module.run_blob(ensure_lease)


if __name__ == "__main__":
    main()
