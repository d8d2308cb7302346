# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof of honesty for the twin's ARM Cloud Services: azure-mgmt-compute, unchanged, drives it.

``ComputeManagementClient`` (azure-mgmt-compute < 35, the last line that still ships ``cloud_services``, api-version
2024-11-04) authenticates with azure-identity's ``ClientSecretCredential`` against the twin's Entra ID, reads the
seeded cloud service, updates it through ``begin_create_or_update`` (a long-running operation the SDK's ARMPolling
follows through the ``Azure-AsyncOperation`` header), patches tags, and gets the service's own error for a .cscfg
thumbprint that has no certificate in ``osProfile.secrets``.
"""

from __future__ import annotations

import pytest

compute = pytest.importorskip("azure.mgmt.compute")
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError  # noqa: E402
from azure.identity import ClientSecretCredential  # noqa: E402
from azure.mgmt.compute import ComputeManagementClient  # noqa: E402

pytestmark = pytest.mark.xdist_group("twin-arm")


@pytest.fixture
def arm_twin(twin_env):
    """The session twin with the seeded cloud service restored before and after each test."""
    twin_env.control("/_twin/arm/reset", {})
    yield twin_env
    twin_env.control("/_twin/arm/reset", {})


def _client(twin) -> ComputeManagementClient:
    if not hasattr(ComputeManagementClient(credential=object(), subscription_id="x"), "cloud_services"):
        pytest.skip("this azure-mgmt-compute has no cloud_services (removed in 35.0.0)")
    app = twin.info["entra"]["secret_app"]
    cred = ClientSecretCredential(twin.info["tenant_id"], app["client_id"], app["client_secret"])
    return ComputeManagementClient(credential=cred, subscription_id=twin.info["subscription_id"], polling_interval=0.1)


def test_get_seeded_cloud_service(arm_twin):
    client = _client(arm_twin)
    arm = arm_twin.info["arm"]
    cs = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    assert cs.id == arm["cloud_service_id"]
    assert cs.location == "eastus"
    assert cs.properties.provisioning_state == "Succeeded"
    assert cs.properties.package_url is None  # write-only
    assert [r.name for r in cs.properties.role_profile.roles] == ["WebRole1", "WorkerRole1"]
    urls = [vc.certificate_url for s in cs.properties.os_profile.secrets for vc in s.vault_certificates]
    assert urls == [arm["current"][name]["certificate_url"] for name in ("server", "intermediate", "root")]
    for name in ("server", "intermediate", "root"):
        assert cs.properties.configuration.count('thumbprint="%s"' % arm["current"][name]["thumbprint"]) == 2
    assert cs.properties.extension_profile.extensions[0].properties.settings.startswith("<PublicConfig>")
    with pytest.raises(ResourceNotFoundError):
        client.cloud_services.get(arm["resource_group"], "no-such-cs")


def test_create_or_update_lro_and_patch_tags(arm_twin):
    client = _client(arm_twin)
    arm = arm_twin.info["arm"]
    cs = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    new_config = cs.properties.configuration.replace('<Instances count="1" />', '<Instances count="3" />')
    cs.properties.configuration = new_config
    since = arm_twin.requests_log()[-1]["seq"] if arm_twin.requests_log() else 0
    poller = client.cloud_services.begin_create_or_update(arm["resource_group"], arm["cloud_service"], cs)
    result = poller.result()
    assert poller.status() == "Succeeded"
    assert result.properties.provisioning_state == "Succeeded"
    assert result.properties.configuration == new_config
    log = arm_twin.requests_log(host="management", since=since)
    assert any(e["method"] == "GET" and "/operations/" in e["path"] for e in log), log
    again = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    assert again.properties.configuration == new_config

    patched = client.cloud_services.begin_update(arm["resource_group"], arm["cloud_service"], {"tags": {"owner": "sdk"}}).result()
    assert patched.tags == {"owner": "sdk"}
    assert client.cloud_services.get(arm["resource_group"], arm["cloud_service"]).tags == {"owner": "sdk"}


def test_mismatched_thumbprint_put_is_refused(arm_twin):
    client = _client(arm_twin)
    arm = arm_twin.info["arm"]
    cs = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    old, new = arm["current"]["root"]["thumbprint"], arm["next"]["root"]["thumbprint"]
    cs.properties.configuration = cs.properties.configuration.replace(old, new.lower())
    with pytest.raises(HttpResponseError) as err:
        client.cloud_services.begin_create_or_update(arm["resource_group"], arm["cloud_service"], cs).result()
    assert err.value.status_code == 400
    assert err.value.error.code == "CertificateThumbprintsNotFound"
    assert "Missing thumbprints: WebRole1|%s, WorkerRole1|%s" % (new, new) in err.value.message
    # nothing changed
    assert old in client.cloud_services.get(arm["resource_group"], arm["cloud_service"]).properties.configuration


def test_lro_failure_armed_through_control_api(arm_twin):
    client = _client(arm_twin)
    arm = arm_twin.info["arm"]
    arm_twin.control("/_twin/arm/fail-next", {"code": "RoleInstancesUpdateFailed", "message": "WebRole1_IN_0 did not start"})
    cs = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    cs.tags = {"try": "fail"}
    with pytest.raises(HttpResponseError) as err:
        client.cloud_services.begin_create_or_update(arm["resource_group"], arm["cloud_service"], cs).result()
    assert "WebRole1_IN_0 did not start" in str(err.value)
    after = client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    assert after.properties.provisioning_state == "Failed"
    assert after.tags == {"env": "twin"}  # previous model restored


def test_begin_delete_lro_removes_the_cloud_service(arm_twin):
    """DELETE is a long-running operation the SDK's ARMPolling follows (202, Azure-AsyncOperation) until the
    resource is gone; then GET is 404 and a second delete is a no-op 204."""
    client = _client(arm_twin)
    arm = arm_twin.info["arm"]
    since = arm_twin.requests_log()[-1]["seq"] if arm_twin.requests_log() else 0
    poller = client.cloud_services.begin_delete(arm["resource_group"], arm["cloud_service"])
    assert poller.result() is None and poller.status() == "Succeeded"
    log = arm_twin.requests_log(host="management", since=since)
    assert [e["status"] for e in log if e["method"] == "DELETE"] == [202]
    assert any(e["method"] == "GET" and "/operations/" in e["path"] for e in log), log
    with pytest.raises(ResourceNotFoundError):
        client.cloud_services.get(arm["resource_group"], arm["cloud_service"])
    client.cloud_services.begin_delete(arm["resource_group"], arm["cloud_service"]).result()
    assert [e["status"] for e in arm_twin.requests_log(host="management", since=since) if e["method"] == "DELETE"] == [202, 204]


def _raw(twin, method, path, token=True, **kwargs):
    import requests

    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = (
            "Bearer " + twin.control("/_twin/entra/mint", {"resource": "https://management.azure.com/"})["access_token"]
        )
    return requests.request(
        method,
        "https://management.azure.com" + path,
        headers=headers,
        proxies=twin.proxies,
        verify=twin.ca_file,
        timeout=30,
        **kwargs,
    )


def test_raw_error_shapes(arm_twin):
    rid = arm_twin.info["arm"]["cloud_service_id"]
    api = {"api-version": "2024-11-04"}
    resp = _raw(arm_twin, "GET", rid, token=False, params=api)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "AuthenticationFailed"
    resp = _raw(arm_twin, "GET", rid, params={"api-version": "2015-01-01"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert _raw(arm_twin, "GET", rid).json()["error"]["code"] == "MissingApiVersionParameter"
    got = _raw(arm_twin, "GET", rid, params=api)
    body = got.json()
    trimmed = {
        "location": body["location"],
        "properties": {"configuration": body["properties"]["configuration"], "osProfile": body["properties"]["osProfile"]},
    }
    resp = _raw(arm_twin, "PUT", rid, params=api, json=trimmed, headers={"If-Match": '"stale"'})
    assert resp.status_code == 412 and resp.json()["error"]["code"] == "PreconditionFailed"
    bad = json_copy(trimmed)
    url = bad["properties"]["osProfile"]["secrets"][0]["vaultCertificates"][0]["certificateUrl"]
    bad["properties"]["osProfile"]["secrets"][0]["vaultCertificates"][0]["certificateUrl"] = url.replace(
        "/secrets/", "/certificates/"
    )
    resp = _raw(arm_twin, "PUT", rid, params=api, json=bad)
    assert resp.status_code == 400 and "is not a valid versioned Key Vault Secret URL" in resp.json()["error"]["message"]
    bad["properties"]["osProfile"]["secrets"][0]["vaultCertificates"][0]["certificateUrl"] = url.rsplit("/", 1)[0]
    assert (
        "is not a valid versioned Key Vault Secret URL"
        in _raw(arm_twin, "PUT", rid, params=api, json=bad).json()["error"]["message"]
    )
    resp = _raw(arm_twin, "PATCH", rid, params=api, json={"properties": {}})
    assert resp.status_code == 400
    # a good PUT with the current etag is accepted as an LRO, and a second PUT meanwhile is refused
    resp = _raw(arm_twin, "PUT", rid, params=api, json=trimmed, headers={"If-Match": got.headers["ETag"]})
    assert resp.status_code == 200 and resp.headers["Retry-After"] == "1"
    assert resp.json()["properties"]["provisioningState"] == "Updating" and resp.headers["ETag"] != got.headers["ETag"]
    assert "packageUrl" not in resp.json()["properties"]
    assert _raw(arm_twin, "PUT", rid, params=api, json=trimmed).status_code == 409
    op = requests_get(arm_twin, resp.headers["Azure-AsyncOperation"])
    assert op["status"] == "InProgress"
    assert requests_get(arm_twin, resp.headers["Azure-AsyncOperation"])["status"] == "Succeeded"


def json_copy(data):
    import json

    return json.loads(json.dumps(data))


def requests_get(twin, url):
    import requests

    token = twin.control("/_twin/entra/mint", {"resource": "https://management.azure.com/"})["access_token"]
    return requests.get(
        url, headers={"Authorization": "Bearer " + token}, proxies=twin.proxies, verify=twin.ca_file, timeout=30
    ).json()
