# SPDX-License-Identifier: GPL-3.0-or-later
"""signet.azure.batch_job_info / batch_task_info list exactly what Microsoft's azure-batch client lists from the same
Azure twin (the SDK is a test-only oracle with its own signer; the module signs itself)."""

from __future__ import annotations

import datetime as dt
import email.utils
import textwrap

import pytest

from tests.helpers.playbook import failures, run_playbook

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/signet.azure.batch:
      batch_endpoint: "{{ twin.batch.endpoint }}"
      batch_access_key: "{{ twin.batch.primary_key }}"
  tasks:
    - name: all
      signet.azure.batch_job_info:
    - name: filtered
      signet.azure.batch_job_info:
        filter: "(state eq 'completed' or state eq 'disabled') and priority ge 0"
        select: [id, state, priority, eTag]
        max_results: 300
    - name: tasks
      signet.azure.batch_task_info:
        job_id: "{{ twin.batch.big_job }}"
"""


@pytest.fixture
def sdk(twin, monkeypatch):
    """azure-batch's BatchServiceClient configured only with the endpoint and the key; the env points at the twin."""
    from azure.batch import BatchServiceClient
    from azure.batch.batch_auth import SharedKeyCredentials

    for name, value in twin.env.items():
        monkeypatch.setenv(name, value)
    b = twin.info["batch"]
    return BatchServiceClient(SharedKeyCredentials(b["account"], b["primary_key"]), batch_url=b["endpoint"])


def _iso(value: str) -> dt.datetime:
    head, _sep, frac = value.rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(head + "." + (frac + "000000")[:6]).replace(tzinfo=dt.timezone.utc)


def _enum(value):
    return getattr(value, "value", value)


def test_module_listing_equals_azure_batch_listing(twin, sdk, tmp_path):
    from azure.batch import models as bm

    (tmp_path / "pb.yml").write_text(textwrap.dedent(PLAYBOOK))
    rc, results, stdout, stderr = run_playbook(tmp_path / "pb.yml", extra_vars={"twin": twin.info}, env=twin.env, tmp=tmp_path)
    assert rc == 0, (failures(results), stderr[-2000:])
    by_task = {r["task"]: r["result"] for r in results}

    ours = by_task["all"]["jobs"]
    theirs = list(sdk.job.list())
    assert by_task["all"]["count"] == len(theirs) == twin.info["batch"]["jobs"]
    assert [j["id"] for j in ours] == [j.id for j in theirs]
    for mine, ref in zip(ours, theirs):
        assert mine["eTag"] == ref.e_tag
        assert mine["url"] == ref.url
        assert mine["state"] == _enum(ref.state)
        assert mine["priority"] == ref.priority
        assert mine["poolInfo"]["poolId"] == ref.pool_info.pool_id
        assert mine["executionInfo"]["poolId"] == ref.execution_info.pool_id
        assert mine["onAllTasksComplete"] == _enum(ref.on_all_tasks_complete)
        assert _iso(mine["creationTime"]) == ref.creation_time
        assert _iso(mine["lastModified"]) == ref.last_modified
        assert ("endTime" in mine["executionInfo"]) == (ref.execution_info.end_time is not None)

    opts = bm.JobListOptions(
        filter="(state eq 'completed' or state eq 'disabled') and priority ge 0", select="id,state,priority,eTag", max_results=300
    )
    ref_filtered = list(sdk.job.list(opts))
    mine_filtered = by_task["filtered"]["jobs"]
    assert [(j["id"], j["state"], j["priority"], j["eTag"]) for j in mine_filtered] == [
        (j.id, _enum(j.state), j.priority, j.e_tag) for j in ref_filtered
    ]
    assert mine_filtered and all(set(j) == {"id", "state", "priority", "eTag"} for j in mine_filtered)

    ref_tasks = list(sdk.task.list(twin.info["batch"]["big_job"]))
    mine_tasks = by_task["tasks"]["tasks"]
    assert [(t["id"], t["eTag"], t["state"]) for t in mine_tasks] == [(t.id, t.e_tag, _enum(t.state)) for t in ref_tasks]


def test_explainer_shows_the_issue_5_mistakes_from_a_real_batch_403(twin):
    """The issue's hand-made signature (no Content-Type, a space before the resource, an unsent timeout) sent to the
    twin: the 403's values[] string-to-sign is parsed and diffed against what was signed, first difference named."""
    from ansible_collections.signet.azure.plugins.module_utils._auth.batch import BatchSharedKeyAuth
    from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError
    from ansible_collections.signet.azure.plugins.module_utils._explain import explain
    from ansible_collections.signet.azure.plugins.module_utils._signing import batch as bk
    from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

    class HandSigned(BatchSharedKeyAuth):
        def sign(self, r):
            r.headers["ocp-date"] = email.utils.formatdate(usegmt=True)
            sts = (
                "GET"
                + "\n" * 12
                + "ocp-date:%s\n /%s/jobs\napi-version:2025-06-01.21.0\ntimeout:20" % (r.headers["ocp-date"], self.account)
            )
            self.last_string_to_sign = sts
            r.headers["Authorization"] = "SharedKey %s:%s" % (self.account, bk.sign(self._key, sts))

    b = twin.info["batch"]
    transport = Transport(
        HandSigned(b["account"], b["primary_key"], b["endpoint"]),
        retries=0,
        explain=explain,
        ca_bundle=twin.ca_file,
        session=_proxied_session(twin),
    )
    with pytest.raises(AuthenticationError) as exc:
        transport.request("GET", b["endpoint"] + "/jobs?api-version=2025-06-01.21.0", action="list Batch jobs")
    err = exc.value
    assert err.status == 403 and err.error_code == "AuthenticationFailed"
    assert err.details["first_difference"].startswith(
        "line 6 (Content-Type): server 'application/json; odata=minimalmetadata; charset=utf-8' vs ours ''"
    )
    assert err.details["server_string_to_sign"].split("\n")[-2:] == ["/signetbatch/jobs", "api-version:2025-06-01.21.0"]
    marked = [row for row in err.details["string_to_sign_diff"] if row.startswith(">")]
    assert len(marked) == 3 and "' /signetbatch/jobs'" in marked[1] and "'timeout:20'" in marked[2]
    assert "Signature mismatch" in err.msg and "first difference at line 6 (Content-Type)" in err.msg


def _proxied_session(twin):
    import requests

    session = requests.Session()
    session.trust_env = False
    session.proxies = twin.proxies
    session.verify = twin.ca_file
    return session


def test_an_old_ocp_date_is_explained_as_clock_skew(twin):
    from ansible_collections.signet.azure.plugins.module_utils._auth.batch import BatchSharedKeyAuth
    from ansible_collections.signet.azure.plugins.module_utils._errors import AuthenticationError
    from ansible_collections.signet.azure.plugins.module_utils._explain import explain
    from ansible_collections.signet.azure.plugins.module_utils._signing import batch as bk
    from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

    class SlowClock(BatchSharedKeyAuth):
        """Signs correctly, but with a clock 20 minutes behind."""

        def sign(self, r):
            r.headers["ocp-date"] = email.utils.formatdate(dt.datetime.now(dt.timezone.utc).timestamp() - 1200, usegmt=True)
            r.headers["Content-Type"] = bk.BATCH_CONTENT_TYPE
            self.last_string_to_sign = bk.string_to_sign(r.method, r.url, r.headers.items(), self.account)
            r.headers["Authorization"] = bk.authorization(self.account, self._key, self.last_string_to_sign)

    b = twin.info["batch"]
    auth = SlowClock(b["account"], b["primary_key"], b["endpoint"])
    transport = Transport(auth, retries=0, explain=explain, ca_bundle=twin.ca_file, session=_proxied_session(twin))
    with pytest.raises(AuthenticationError) as exc:
        transport.request("GET", b["endpoint"] + "/jobs?api-version=2025-06-01.21.0&maxresults=1", action="list Batch jobs")
    assert exc.value.details["authentication_error_detail"].startswith("Request date header too old")
    assert "Azure rejects requests more than 15 minutes old" in exc.value.msg


@pytest.mark.parametrize("link", ["https://evil.example.com/jobs?api-version=x", "SAME", "HTTP", "PORT"])
def test_next_link_to_another_host_or_a_loop_is_refused(twin, link):
    """A nextLink to a foreign host, scheme or port is never followed (our signature would go there); a repeated one
    stops."""
    from ansible_collections.signet.azure.plugins.module_utils._auth.batch import BatchSharedKeyAuth
    from ansible_collections.signet.azure.plugins.module_utils._clients.batch import BatchClient
    from ansible_collections.signet.azure.plugins.module_utils._errors import IntegrityError
    from ansible_collections.signet.azure.plugins.module_utils._transport import Transport

    b = twin.info["batch"]
    first = b["endpoint"] + "/jobs?api-version=2025-06-01.21.0&maxresults=2"
    twin.reset()
    twin.add_fault(
        host="batch",
        path=r"^/jobs\?",
        count=2,
        status=200,
        body={
            "value": [{"id": "x"}],
            "odata.nextLink": {
                "SAME": first,
                "HTTP": first.replace("https://", "http://"),
                "PORT": first.replace(".com/", ".com:8443/"),
            }.get(link, link),
        },
    )
    client = BatchClient(
        Transport(
            BatchSharedKeyAuth(b["account"], b["primary_key"], b["endpoint"]),
            retries=0,
            ca_bundle=twin.ca_file,
            session=_proxied_session(twin),
        ),
        b["endpoint"],
        "2025-06-01.21.0",
    )
    with pytest.raises(IntegrityError) as exc:
        list(client.iter_jobs(max_results=2))
    expected = "same next-page link or marker twice" if link == "SAME" else "not at https://"
    assert expected in exc.value.msg
    hosts = {r["host"] for r in twin.requests_log()}
    assert "evil.example.com" not in hosts
    twin.reset()


REQUEST_PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  module_defaults:
    signet.azure.request:
      auth: batch_shared_key
      batch_endpoint: "{{ twin.batch.endpoint }}"
      batch_access_key: "{{ twin.batch.primary_key }}"
  tasks:
    - name: add
      signet.azure.request:
        method: POST
        path: /jobs
        headers:
          Content-Type: application/json
        body_format: json
        body: {id: request-added, priority: 42, poolInfo: {poolId: pool-gpu}, metadata: [{name: owner, value: ansible}]}
        status_code: [201]
    - name: read_sdk_job
      signet.azure.request:
        path: /jobs/sdk-added
        headers:
          Content-Type: application/json
"""


def test_request_with_a_callers_content_type_agrees_with_azure_batch(twin, sdk, tmp_path):
    """signet.azure.request sends a Batch job add and a read with the caller's Content-Type (application/json), kept
    and signed as sent, and api-version added from batch_api_version; azure-batch, with the same Content-Type as a
    custom header, reads the job we added and adds the one we read. The twin checks every signature."""
    from azure.batch import models as bm

    try:
        sdk.job.add(
            bm.JobAddParameter(id="sdk-added", pool_info=bm.PoolInformation(pool_id="pool-linux"), priority=-5),
            custom_headers={"Content-Type": "application/json"},
        )
        (tmp_path / "pb.yml").write_text(REQUEST_PLAYBOOK)
        rc, results, stdout, stderr = run_playbook(
            tmp_path / "pb.yml", extra_vars={"twin": twin.info}, env=twin.env, tmp=tmp_path
        )
        assert rc == 0, (failures(results), stderr[-2000:])
        by_task = {r["task"]: r["result"] for r in results}
        added = by_task["add"]
        assert added["status"] == 201 and added["changed"] is True
        assert added["url"] == twin.info["batch"]["endpoint"] + "/jobs?api-version=2025-06-01.21.0"
        assert "warnings" not in added  # application/json is JSON: no warning
        ours = sdk.job.get("request-added", custom_headers={"Content-Type": "application/json"})
        assert (ours.priority, ours.pool_info.pool_id, ours.state) == (42, "pool-gpu", bm.JobState.active)
        assert [(m.name, m.value) for m in ours.metadata] == [("owner", "ansible")]
        assert ours.e_tag == added["headers"]["etag"]
        theirs = sdk.job.get("sdk-added")
        read = by_task["read_sdk_job"]["content"]
        assert (read["id"], read["priority"], read["eTag"], read["poolInfo"]["poolId"]) == (
            theirs.id,
            theirs.priority,
            theirs.e_tag,
            theirs.pool_info.pool_id,
        )
    finally:
        twin.control("/_twin/batch/seed", {"jobs": 2500})
