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
    log = [e for e in arm_twin.requests_log(host="management", since=since)]
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
