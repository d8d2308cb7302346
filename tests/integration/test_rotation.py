# SPDX-License-Identifier: GPL-3.0-or-later
"""Cloud Service (extended support) certificate rotation against the Azure twin (issue 7).

Runs playbooks/rotate_cloud_service_certificates.yml (the role) and the module against the twin's seeded cloud
service ``signet-rg/signet-cs``, whose .cscfg names ``server``, ``intermediate`` and ``root`` in two roles. The twin
wrote a fresh chain for the next rotation (``twin.json`` -> ``arm.next``). Outcomes are checked through the twin's
control API, its request log and Microsoft's azure-mgmt-compute (an independent reader), never with the modules under
test alone.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbook import failures, run_playbook

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "rotate_cloud_service_certificates.yml"
NAMES = ("server", "intermediate", "root")

pytestmark = pytest.mark.xdist_group("twin-arm-rotation")


@pytest.fixture
def arm(twin):
    """The session twin with the seeded cloud service restored (Key Vault keeps what earlier tests uploaded)."""
    twin.control("/_twin/arm/reset", {})
    twin.control("/_twin/faults", method="DELETE")
    yield twin
    twin.control("/_twin/arm/reset", {})


def role_vars(twin, cloud: str | None = None) -> dict:
    info = twin.info
    nxt = info["arm"]["next"]
    extra = {
        "cloud_service_certificate_rotation_cloud_service_id": info["arm"]["cloud_service_id"],
        "cloud_service_certificate_rotation_vault_name": info["arm"]["vault_name"],
        "cloud_service_certificate_rotation_poll_interval": 1,
        "cloud_service_certificate_rotation_auth": {
            "tenant_id": info["tenant_id"],
            "client_id": info["entra"]["secret_app"]["client_id"],
            "client_secret": info["entra"]["secret_app"]["client_secret"],
        },
        "cloud_service_certificate_rotation_certificates": {
            name: {"pfx_path": nxt[name]["pfx_file"], "password": nxt[name]["password"]} for name in NAMES
        },
    }
    if cloud:
        extra["cloud_service_certificate_rotation_cloud"] = cloud
    return extra


def run_role(twin, tmp_path, cloud=None, check=False, diff=False):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_playbook(
        PLAYBOOK, extra_vars=role_vars(twin, cloud), env=twin.env, check=check, diff=diff, verbosity=2, tmp=tmp_path
    )


def stored(twin) -> dict:
    return twin.control("/_twin/arm/state")["resources"][0]["body"]


def last_seq(twin) -> int:
    log = twin.requests_log()
    return log[-1]["seq"] if log else 0


def arm_requests(twin, since: int, method: str | None = None) -> list[dict]:
    return [e for e in twin.requests_log(since=since) if e.get("plugin") == "arm" or e["host"].startswith("management.")]


def task_result(results, suffix: str) -> dict:
    matches = [r for r in results if r["task"].endswith(suffix)]
    assert matches, [r["task"] for r in results]
    return matches[-1]["result"]


def urls(body: dict) -> list[str]:
    return [vc["certificateUrl"] for g in body["properties"]["osProfile"]["secrets"] for vc in g["vaultCertificates"]]


def sdk_configuration(twin) -> str:
    """The configuration as azure-mgmt-compute reads it (independent oracle)."""
    import os

    compute = pytest.importorskip("azure.mgmt.compute")
    from azure.identity import ClientSecretCredential

    saved = {k: os.environ.get(k) for k in twin.env}
    os.environ.update(twin.env)
    try:
        app = twin.info["entra"]["secret_app"]
        cred = ClientSecretCredential(twin.info["tenant_id"], app["client_id"], app["client_secret"])
        client = compute.ComputeManagementClient(credential=cred, subscription_id=twin.info["subscription_id"])
        if not hasattr(client, "cloud_services"):
            pytest.skip("azure-mgmt-compute without cloud_services")
        cs = client.cloud_services.get(twin.info["arm"]["resource_group"], twin.info["arm"]["cloud_service"])
        return cs.properties.configuration, [
            vc.certificate_url for s in cs.properties.os_profile.secrets for vc in s.vault_certificates
        ]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_rotation_leaf_intermediate_root_idempotent_and_check_mode(arm, tmp_path):
    info = arm.info["arm"]
    nxt, cur = info["next"], info["current"]
    before = stored(arm)
    rc, results, stdout, stderr = run_role(arm, tmp_path / "first")
    assert rc == 0, json.dumps(failures(results), indent=1)[:6000] + stderr[-2000:]
    rotated = task_result(results, "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)")
    assert rotated["changed"] is True
    assert len(rotated["changes"]) == 6  # 3 certificates x 2 roles
    after = stored(arm)
    assert after["properties"]["provisioningState"] == "Succeeded"
    for name in NAMES:
        assert after["properties"]["configuration"].count('thumbprint="%s"' % nxt[name]["thumbprint"]) == 2
        assert cur[name]["thumbprint"] not in after["properties"]["configuration"]
    # only the thumbprint values changed in the .cscfg
    expected = before["properties"]["configuration"]
    for name in NAMES:
        expected = expected.replace(cur[name]["thumbprint"], nxt[name]["thumbprint"])
    assert after["properties"]["configuration"] == expected
    assert len(urls(after)) == 3 and not set(urls(after)) & set(urls(before))
    # leaf imported as a Key Vault certificate, CAs as secrets; every URL resolves to its new thumbprint
    for url in urls(after):
        looked = arm.control("/_twin/keyvault/lookup", {"url": url})
        assert looked["thumbprint"] in {nxt[n]["thumbprint"] for n in NAMES}
    report = {
        c["name"]: c
        for c in task_result(results, "Report - old and new thumbprints")["ansible_facts"][
            "cloud_service_certificate_rotation_result"
        ]["certificates"]
    }
    assert (
        report["server"]["kind"] == "certificate"
        and report["root"]["kind"] == "secret"
        and report["intermediate"]["kind"] == "secret"
    )
    assert report["root"]["old"] == [cur["root"]["thumbprint"]] and report["root"]["new"] == nxt["root"]["thumbprint"]
    # no PFX password anywhere in the output
    for name in NAMES:
        assert nxt[name]["password"] not in stdout + stderr
    # Microsoft's SDK reads back the same configuration and URLs
    config, sdk_urls = sdk_configuration(arm)
    assert config == after["properties"]["configuration"]
    assert sdk_urls == urls(after)

    since = last_seq(arm)
    rc, results, stdout, stderr = run_role(arm, tmp_path / "second")
    assert rc == 0, json.dumps(failures(results), indent=1)[:6000]
    assert (
        task_result(results, "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)")["changed"] is False
    )
    assert not [e for e in arm_requests(arm, since) if e["method"] in ("PUT", "PATCH")]
    assert not [r for r in results if r["status"] == "ok" and r["result"].get("changed") and "Pre-flight" not in r["task"]]

    # check mode: Key Vault already holds the new versions; restore the service and preview the rotation
    arm.control("/_twin/arm/reset", {})
    before = stored(arm)
    since = last_seq(arm)
    rc, results, stdout, _stderr = run_role(arm, tmp_path / "check", check=True, diff=True)
    assert rc == 0, json.dumps(failures(results), indent=1)[:6000]
    rotated = task_result(results, "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)")
    assert rotated["changed"] is True
    assert (
        nxt["server"]["thumbprint"] in rotated["diff"]["after"] and nxt["server"]["thumbprint"] not in rotated["diff"]["before"]
    )
    assert "# osProfile.secrets" in rotated["diff"]["after"]
    assert '+      <Certificate name="root" thumbprint="%s"' % nxt["root"]["thumbprint"] in stdout
    assert stored(arm) == before
    assert not [e for e in arm_requests(arm, since) if e["method"] in ("PUT", "PATCH")]


MODULE_PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/signet.azure.entra:
      tenant_id: "{{ twin.tenant_id }}"
      client_id: "{{ twin.entra.secret_app.client_id }}"
      client_secret: "{{ twin.entra.secret_app.client_secret }}"
      subscription_id: "{{ twin.subscription_id }}"
  tasks:
    - name: cloud_service_certificate
      signet.azure.cloud_service_certificate:
        resource_group: "{{ twin.arm.resource_group }}"
        name: "{{ twin.arm.cloud_service }}"
        certificates: "{{ certificates }}"
        poll_interval: 1
"""


def run_module(twin, tmp_path, certificates):
    play = tmp_path / "module.yml"
    play.write_text(MODULE_PLAY)
    rc, results, stdout, stderr = run_playbook(
        play, extra_vars={"twin": twin.info, "certificates": certificates}, env=twin.env, tmp=tmp_path
    )
    return rc, task_result(results, "cloud_service_certificate")


def test_mismatched_thumbprint_and_unknown_name_are_refused_before_any_put(arm, tmp_path):
    info = arm.info["arm"]
    before = stored(arm)
    since = last_seq(arm)
    # the URL holds the current leaf, the thumbprint is another certificate's
    rc, result = run_module(
        arm,
        tmp_path,
        [
            {
                "name": "server",
                "thumbprint": info["next"]["stray"]["thumbprint"],
                "certificate_url": info["current"]["server"]["certificate_url"],
            }
        ],
    )
    assert rc != 0
    assert "does not match the certificate behind" in result["msg"] and info["current"]["server"]["thumbprint"] in result["msg"]
    assert result["changed"] is False
    rc, result = run_module(
        arm,
        tmp_path,
        [
            {
                "name": "tls",
                "thumbprint": info["next"]["server"]["thumbprint"],
                "certificate_url": info["current"]["server"]["certificate_url"],
            }
        ],
    )
    assert rc != 0 and "no Certificate element named 'tls'" in result["msg"] and "intermediate, root, server" in result["msg"]
    rc, result = run_module(
        arm,
        tmp_path,
        [
            {
                "name": "server",
                "thumbprint": info["next"]["server"]["thumbprint"],
                "certificate_url": info["current"]["server"]["certificate_url"].replace("/secrets/", "/certificates/"),
            }
        ],
    )
    assert rc != 0 and "not a valid versioned Key Vault Secret URL" in result["msg"]
    assert not [e for e in arm_requests(arm, since) if e["method"] in ("PUT", "PATCH")]
    assert stored(arm) == before


def test_lro_failed_fails_the_task_with_azure_reason(arm, tmp_path):
    arm.control(
        "/_twin/arm/fail-next",
        {"code": "RoleInstanceStartupFailed", "message": "WebRole1_IN_0 could not load certificate server"},
    )
    rc, results, _stdout, _stderr = run_role(arm, tmp_path)
    assert rc != 0
    failed = failures(results)
    assert failed and failed[0]["task"].endswith(
        "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)"
    ), failed
    assert (
        "RoleInstanceStartupFailed" in failed[0]["msg"] and "WebRole1_IN_0 could not load certificate server" in failed[0]["msg"]
    )
    assert failed[0]["result"]["changed"] is True
    assert failed[0]["result"]["operation_status"] == "Failed"
    assert stored(arm)["properties"]["provisioningState"] == "Failed"
    # the service's own state is untouched (the twin restores the previous model on failure)
    assert arm.info["arm"]["current"]["server"]["thumbprint"] in stored(arm)["properties"]["configuration"]
    puts = [e for e in arm.requests_log() if e["method"] == "PUT" and e["host"].startswith("management.")]
    assert len(puts) >= 1


def test_another_operation_in_progress_is_refused(arm, tmp_path):
    arm.control("/_twin/arm/set-state", {"provisioningState": "Updating"})
    since = last_seq(arm)
    info = arm.info["arm"]
    rc, result = run_module(
        arm,
        tmp_path,
        [
            {
                "name": "server",
                "thumbprint": info["current"]["server"]["thumbprint"],
                "certificate_url": info["current"]["server"]["certificate_url"],
            }
        ],
    )
    assert rc != 0 and "another operation in progress" in result["msg"]
    assert not [e for e in arm_requests(arm, since) if e["method"] == "PUT"]


def test_china_cloud_endpoints(arm, tmp_path):
    since = last_seq(arm)
    rc, results, _stdout, _stderr = run_role(arm, tmp_path, cloud="AzureChinaCloud")
    assert rc == 0, json.dumps(failures(results), indent=1)[:6000]
    log = arm.requests_log(since=since)
    hosts = {e["host"] for e in log}
    assert "management.chinacloudapi.cn" in hosts and "login.chinacloudapi.cn" in hosts and "signetkv.vault.azure.cn" in hosts
    assert not hosts & {"management.azure.com", "login.microsoftonline.com", "signetkv.vault.azure.net"}, hosts
    assert [e for e in log if e["method"] == "PUT" and e["host"] == "management.chinacloudapi.cn"]
    after = stored(arm)
    assert all(u.startswith("https://signetkv.vault.azure.cn/secrets/") for u in urls(after)), urls(after)
    assert after["properties"]["configuration"].count(arm.info["arm"]["next"]["root"]["thumbprint"]) == 2


def test_put_is_never_sent_twice_once_accepted(arm, tmp_path):
    """A response lost after ARM accepted the PUT (truncated) is followed, not re-sent; a PUT that never reached ARM
    (connection reset) is sent again after a re-read shows that nothing started."""
    nxt = arm.info["arm"]["next"]
    # Key Vault must hold the new versions: the role uploads them (idempotent), then the service is restored
    rc, results, _stdout, _stderr = run_role(arm, tmp_path / "upload")
    assert rc == 0, json.dumps(failures(results), indent=1)[:6000]
    wanted = task_result(results, "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)")["invocation"][
        "module_args"
    ]["certificates"]
    wanted = [{k: c[k] for k in ("name", "thumbprint", "certificate_url")} for c in wanted]

    for action, puts in (("truncate", 1), ("reset", 2)):
        arm.control("/_twin/arm/reset", {})
        arm.add_fault(host="^management\\.azure\\.com$", method="PUT", action=action, count=1)
        since = last_seq(arm)
        rc, result = run_module(arm, tmp_path, wanted)
        assert rc == 0, (action, result.get("msg"))
        assert result["changed"] is True
        sent = [e for e in arm.requests_log(since=since) if e["method"] == "PUT" and e["host"] == "management.azure.com"]
        assert len(sent) == puts, (action, sent)
        body = stored(arm)
        assert body["properties"]["provisioningState"] == "Succeeded"
        assert body["properties"]["configuration"].count(nxt["server"]["thumbprint"]) == 2


# ------------------------------------------------------------------------------------------- PFX content and AWX
PFX_TYPE = REPO / "extensions" / "awx" / "credential_types" / "pfx_certificate.yml"
UPLOADS = (
    "Upload - import the leaf certificates into Key Vault",
    "Upload - store the CA certificates as Key Vault secrets (Cloud Services JSON)",
    "Pre-flight - load each PFX and tell leaf from CA (nothing is written)",
)


def pfx_b64(path: str, wrap: int = 0) -> str:
    text = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return "\n".join(text[i : i + wrap] for i in range(0, len(text), wrap)) if wrap else text


def secrets_of(nxt: dict, contents: list[str]) -> list[str]:
    """What must never be printed: passwords, the PFX as base64, and pieces of it (a line of a wrapped dump)."""
    out = [nxt[name]["password"] for name in NAMES]
    for content in contents:
        flat = content.replace("\n", "")
        out += [flat, flat[100:164], flat[-64:]]
    return out


def test_rotation_with_pfx_content_from_an_awx_credential(arm, tmp_path):
    """The leaf comes from a "signet.azure PFX certificate" credential, rendered as AWX renders it (environment only);
    the CAs come as pfx_content (base64) in the job's variables. Run at -vvvv: no password and no PFX content shows
    up in the output or in any task result."""
    from tests.ecosystem.awx_inject import render_injectors

    nxt, cur = arm.info["arm"]["next"], arm.info["arm"]["current"]
    leaf = pfx_b64(nxt["server"]["pfx_file"], wrap=76)  # as pasted from `base64 file.pfx`
    injected = render_injectors(
        yaml.safe_load(PFX_TYPE.read_text()),
        {"certificate_name": "server", "pfx_content": leaf, "pfx_password": nxt["server"]["password"]},
        tmp_path / "pdd",
    )
    assert set(injected) == {"SIGNET_AZURE_PFX_CERTIFICATE_NAME", "SIGNET_AZURE_PFX_CONTENT", "SIGNET_AZURE_PFX_PASSWORD"}
    contents = [leaf] + [pfx_b64(nxt[name]["pfx_file"]) for name in ("intermediate", "root")]
    extra = role_vars(arm)
    extra["cloud_service_certificate_rotation_certificates"] = {
        # the survey / job template says where the leaf goes; the credential supplies the PFX and its password
        "server": {"store_as": "auto"},
        "intermediate": {"pfx_content": contents[1], "password": nxt["intermediate"]["password"]},
        "root": {"pfx_content": contents[2], "password": nxt["root"]["password"]},
    }
    env = dict(arm.env, **injected)
    secrets = secrets_of(nxt, contents)

    def run(name: str):
        (tmp_path / name).mkdir()
        rc, results, stdout, stderr = run_playbook(PLAYBOOK, extra_vars=extra, env=env, verbosity=4, tmp=tmp_path / name)
        assert rc == 0, json.dumps(failures(results), indent=1)[:6000] + stderr[-2000:]
        shown = stdout + stderr + json.dumps(results)
        for secret in secrets:
            assert secret not in shown, "a PFX secret (%s...) was printed" % secret[:6]
        return results

    results = run("first")
    rotated = task_result(results, "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)")
    assert rotated["changed"] is True and len(rotated["changes"]) == 6
    after = stored(arm)
    for name in NAMES:
        assert after["properties"]["configuration"].count('thumbprint="%s"' % nxt[name]["thumbprint"]) == 2
        assert cur[name]["thumbprint"] not in after["properties"]["configuration"]
    for url in urls(after):
        assert arm.control("/_twin/keyvault/lookup", {"url": url})["thumbprint"] in {nxt[n]["thumbprint"] for n in NAMES}
    # the PFX went in as content (no_log option), never as a path
    for task in UPLOADS:
        for item in [r for r in results if r["task"].endswith(task)][-1]["result"]["results"]:
            args = item["invocation"]["module_args"]
            assert args["certificate_path"] is None
            assert args["certificate_content"] == args["certificate_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    report = task_result(results, "Report - old and new thumbprints")["ansible_facts"][
        "cloud_service_certificate_rotation_result"
    ]
    kinds = {c["name"]: c["kind"] for c in report["certificates"]}
    assert kinds == {"server": "certificate", "intermediate": "secret", "root": "secret"}
    assert all(set(c) == {"name", "secret_name", "roles", "kind", "old", "new"} for c in report["certificates"])

    # idempotent with the same credential and content
    since = last_seq(arm)
    results = run("second")
    assert not [e for e in arm_requests(arm, since) if e["method"] in ("PUT", "PATCH")]
    assert not [r for r in results if r["status"] == "ok" and r["result"].get("changed") and "Pre-flight" not in r["task"]]


def test_role_input_errors_name_the_certificate_and_print_no_secret(arm, tmp_path):
    """pfx_path and pfx_content together (here: a file plus a credential for the same name), or neither, fail before
    anything is read or written, naming the certificates and printing neither password nor content."""
    nxt = arm.info["arm"]["next"]
    content = pfx_b64(nxt["server"]["pfx_file"])
    extra = role_vars(arm)
    extra["cloud_service_certificate_rotation_certificates"]["root"] = {"password": nxt["root"]["password"]}
    env = dict(
        arm.env,
        SIGNET_AZURE_PFX_CERTIFICATE_NAME="server",
        SIGNET_AZURE_PFX_CONTENT=content,
        SIGNET_AZURE_PFX_PASSWORD=nxt["server"]["password"],
    )
    since = last_seq(arm)
    rc, results, stdout, stderr = run_playbook(PLAYBOOK, extra_vars=extra, env=env, verbosity=4, tmp=tmp_path)
    assert rc != 0
    failed = failures(results)
    assert failed and failed[0]["task"].endswith("Pre-flight - the id names a cloud service"), failed
    assert "give exactly one of pfx_path and pfx_content for: server, root" in failed[0]["msg"]
    assert not arm.requests_log(since=since)
    for secret in secrets_of(nxt, [content]):
        assert secret not in stdout + stderr + json.dumps(results)
    # a credential without a certificate name
    env["SIGNET_AZURE_PFX_CERTIFICATE_NAME"] = ""
    extra = role_vars(arm)
    rc, results, stdout, stderr = run_playbook(PLAYBOOK, extra_vars=extra, env=env, verbosity=4, tmp=tmp_path)
    assert rc != 0
    failed = failures(results)
    assert failed and "SIGNET_AZURE_PFX_CERTIFICATE_NAME is empty" in failed[0]["msg"], failed
    assert "give exactly one of" not in failed[0]["msg"]
    for secret in secrets_of(nxt, [content]):
        assert secret not in stdout + stderr + json.dumps(results)


def test_role_leaves_a_busy_service_to_the_module(arm, tmp_path):
    """The role no longer repeats the module's busy check: Key Vault uploads (idempotent) run, then
    cloud_service_certificate refuses the update and nothing is PUT."""
    arm.control("/_twin/arm/set-state", {"provisioningState": "Updating"})
    since = last_seq(arm)
    rc, results, _stdout, _stderr = run_role(arm, tmp_path)
    assert rc != 0
    failed = failures(results)
    assert failed and failed[0]["task"].endswith(
        "Rotate - update the cloud service (.cscfg thumbprints and osProfile.secrets)"
    ), failed
    assert "another operation in progress" in failed[0]["msg"] and "Updating" in failed[0]["msg"]
    assert failed[0]["result"]["changed"] is False
    assert not [e for e in arm_requests(arm, since) if e["method"] in ("PUT", "PATCH")]
