# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof of honesty for the twin's Batch service: Microsoft's azure-batch client, unchanged, works against it.

The client is configured only with the account endpoint and its credential; the environment (fixture ``twin_env``)
points HTTPS at the twin's proxy and trusts its CA, as a user behind a corporate proxy would. azure-batch 14.2 signs
with its own ``SharedKeyAuth`` (no Content-Type on GET, api-version 2024-02-01.19.0), so the twin's independent
verifier is checked against a signer we did not write.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from azure.batch import BatchServiceClient
from azure.batch import models as bm
from azure.batch.batch_auth import SharedKeyCredentials
from msrest.authentication import BasicTokenAuthentication


def _client(twin, key=None, account=None):
    b = twin.info["batch"]
    return BatchServiceClient(SharedKeyCredentials(account or b["account"], key or b["primary_key"]), batch_url=b["endpoint"])


def _job_gets(twin, since=0):
    return [r for r in twin.requests_log(host="batch", since=since) if r["method"] == "GET" and r["path"].startswith("/jobs?")]


def test_sdk_lists_every_job_across_pages_with_shared_key(twin_env):
    twin = twin_env
    twin.reset()
    jobs = list(_client(twin).job.list())
    assert len(jobs) == twin.info["batch"]["jobs"] == 2500
    assert len({j.id for j in jobs}) == 2500
    gets = _job_gets(twin)
    assert len(gets) == 3  # 1000 + 1000 + 500, following odata.nextLink
    assert all(r["status"] == 200 for r in gets)
    assert "skiptoken" in gets[1]["path"]
    states = {j.state for j in jobs}
    assert {bm.JobState.active, bm.JobState.completed, bm.JobState.disabled} <= states
    sample = jobs[0]
    assert sample.url == "%s/jobs/%s" % (twin.info["batch"]["endpoint"], sample.id)
    assert sample.pool_info.pool_id and sample.execution_info.start_time and sample.e_tag.startswith("0x8D")


def test_sdk_filter_select_and_page_size_are_honoured(twin_env):
    twin = twin_env
    everything = list(_client(twin).job.list())
    want = [j.id for j in everything if j.state == bm.JobState.active and j.id.startswith("render") and j.priority > 100]
    twin.reset()
    opts = bm.JobListOptions(
        filter="state eq 'active' and startswith(id,'render') and priority gt 100", select="id,state,priority", max_results=50
    )
    got = list(_client(twin).job.list(opts))
    assert [j.id for j in got] == want and want
    assert all(j.pool_info is None and j.url is None for j in got)  # $select dropped the other properties
    assert len(_job_gets(twin)) == -(-len(want) // 50)
    either = list(
        _client(twin).job.list(
            bm.JobListOptions(filter="state eq 'disabled' or (state eq 'completed' and startswith(id,'etl'))", select="id")
        )
    )
    assert [j.id for j in either] == [
        j.id
        for j in everything
        if j.state == bm.JobState.disabled or (j.state == bm.JobState.completed and j.id.startswith("etl"))
    ]


def test_sdk_gets_one_job_and_its_stats(twin_env):
    client = _client(twin_env)
    listed = next(j for j in client.job.list(bm.JobListOptions(max_results=10)))
    job = client.job.get(listed.id, bm.JobGetOptions(expand="stats"))
    assert job.id == listed.id and job.e_tag == listed.e_tag and job.creation_time == listed.creation_time
    assert job.stats is not None and job.stats.read_iops >= 0
    with pytest.raises(bm.BatchErrorException) as exc:
        client.job.get("no-such-job")
    assert exc.value.response.status_code == 404 and exc.value.error.code == "JobNotFound"


def test_sdk_lists_tasks_across_pages(twin_env):
    b = twin_env.info["batch"]
    tasks = list(_client(twin_env).task.list(b["big_job"]))
    assert len(tasks) == b["big_job_tasks"] == 1500
    assert tasks[0].command_line and tasks[0].url.endswith("/jobs/%s/tasks/%s" % (b["big_job"], tasks[0].id))


def test_sdk_wrong_key_gets_403_with_the_server_string_to_sign(twin_env):
    wrong = "QUJD" * 22 + "QQ=="
    with pytest.raises(bm.BatchErrorException) as exc:
        list(_client(twin_env, key=wrong).job.list())
    err = exc.value
    assert err.response.status_code == 403 and err.error.code == "AuthenticationFailed"
    assert err.error.message.value.startswith("Server failed to authenticate the request.")
    detail = {v.key: v.value for v in err.error.values}["AuthenticationErrorDetail"]
    assert "is not the same as any computed signature. Server used following string to sign: 'GET\\n" in detail
    assert "\\n/signetbatch/jobs\\napi-version:2024-02-01.19.0'" in detail


def test_sdk_secondary_key_works_and_old_ocp_date_is_refused(twin_env):
    b = twin_env.info["batch"]
    assert list(
        _client(twin_env, key=b["secondary_key"]).job.list(bm.JobListOptions(max_results=1, filter="id eq 'bigjob-tasks'"))
    )
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    with pytest.raises(bm.BatchErrorException) as exc:
        list(_client(twin_env).job.list(bm.JobListOptions(ocp_date=old, max_results=1)))
    detail = {v.key: v.value for v in exc.value.error.values}["AuthenticationErrorDetail"]
    assert exc.value.response.status_code == 403 and detail.startswith("Request date header too old")


def test_sdk_with_an_entra_token_for_the_batch_resource(twin_env):
    """Token from the twin's Entra via azure-identity (client secret), sent by azure-batch as a bearer token."""
    from azure.identity import ClientSecretCredential

    info = twin_env.info
    app = info["entra"]["secret_app"]
    token = (
        ClientSecretCredential(info["tenant_id"], app["client_id"], app["client_secret"]).get_token(info["batch"]["scope"]).token
    )
    client = BatchServiceClient(BasicTokenAuthentication({"access_token": token}), batch_url=info["batch"]["endpoint"])
    assert len(list(client.job.list())) == info["batch"]["jobs"]
    vault_token = (
        ClientSecretCredential(info["tenant_id"], app["client_id"], app["client_secret"])
        .get_token("https://vault.azure.net/.default")
        .token
    )
    wrong = BatchServiceClient(BasicTokenAuthentication({"access_token": vault_token}), batch_url=info["batch"]["endpoint"])
    with pytest.raises(bm.BatchErrorException) as exc:
        list(wrong.job.list())
    assert exc.value.response.status_code == 401 and exc.value.error.code == "AuthenticationFailed"


def test_api_version_is_required_and_bad_filters_are_400(twin_env):
    b = twin_env.info["batch"]
    resp = requests.get(b["endpoint"] + "/jobs", proxies=twin_env.proxies, verify=twin_env.ca_file, timeout=30)
    body = resp.json()
    assert resp.status_code == 400 and body["code"] == "MissingRequiredQueryParameter"
    assert body["values"] == [{"key": "QueryParameterName", "value": "api-version"}]
    with pytest.raises(bm.BatchErrorException) as exc:
        list(_client(twin_env).job.list(bm.JobListOptions(filter="__import__('os') eq 1")))
    assert exc.value.response.status_code == 400 and exc.value.error.code == "InvalidQueryParameterValue"


def test_reseed_through_the_control_api(twin_env):
    """``POST /_twin/batch/seed {"jobs": N}`` replaces the jobs; the SDK then pages through N (restored after)."""
    try:
        assert twin_env.control("/_twin/batch/seed", {"jobs": 3001}) == {"jobs": 3001}
        jobs = list(_client(twin_env).job.list())
        assert len(jobs) == 3001 and len({j.id for j in jobs}) == 3001
        assert twin_env.control("/_twin/batch/info", {})["jobs"] == 3001
    finally:
        twin_env.control("/_twin/batch/seed", {"jobs": 2500})
    assert len(list(_client(twin_env).job.list(bm.JobListOptions(select="id")))) == 2500


def test_sdk_on_the_china_and_us_gov_hosts(twin_env):
    b = twin_env.info["batch"]
    opts = bm.JobListOptions(filter="startswith(id,'ml-train')", select="id,url")
    public = [j.id for j in _client(twin_env).job.list(opts)]
    assert public and all(i.startswith("ml-train") for i in public)
    for cloud in ("AzureChinaCloud", "AzureUSGovernment"):
        client = BatchServiceClient(SharedKeyCredentials(b["account"], b["primary_key"]), batch_url=b["endpoints"][cloud])
        jobs = list(client.job.list(opts))
        assert [j.id for j in jobs] == public and jobs[0].url.startswith(b["endpoints"][cloud] + "/jobs/")


def test_sdk_adds_jobs_with_its_content_type_and_with_a_callers_own(twin_env):
    """``POST /jobs`` (Jobs_CreateJob): azure-batch adds a job with its own Content-Type and one with
    ``application/json`` given as a custom header, which its signer signs as sent; the twin verifies both signatures
    over the Content-Type it received. A second add of the same id is ``409 JobExists``. Jobs restored after."""
    client = _client(twin_env)
    try:
        since = twin_env.requests_log(host="batch")[-1]["seq"] if twin_env.requests_log(host="batch") else 0
        client.job.add(bm.JobAddParameter(id="sdk-added-1", pool_info=bm.PoolInformation(pool_id="pool-linux"), priority=7))
        client.job.add(
            bm.JobAddParameter(id="sdk-added-2", pool_info=bm.PoolInformation(pool_id="pool-gpu")),
            custom_headers={"Content-Type": "application/json"},
        )
        posts = [r for r in twin_env.requests_log(host="batch", since=since) if r["method"] == "POST"]
        assert [r["status"] for r in posts] == [201, 201]
        first, second = client.job.get("sdk-added-1"), client.job.get("sdk-added-2")
        assert (first.priority, first.pool_info.pool_id, first.state) == (7, "pool-linux", bm.JobState.active)
        assert (second.priority, second.pool_info.pool_id) == (0, "pool-gpu")
        assert first.e_tag.startswith("0x8D") and first.url.endswith("/jobs/sdk-added-1")
        with pytest.raises(bm.BatchErrorException) as exc:
            client.job.add(bm.JobAddParameter(id="sdk-added-1", pool_info=bm.PoolInformation(pool_id="pool-linux")))
        assert exc.value.response.status_code == 409 and exc.value.error.code == "JobExists"
    finally:
        twin_env.control("/_twin/batch/seed", {"jobs": 2500})
