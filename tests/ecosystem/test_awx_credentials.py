# SPDX-License-Identifier: GPL-3.0-or-later
"""AWX / AAP credential types (extensions/awx/credential_types/*.yml).

Static checks: every type has the AWX shape, injects only variables that are env fallbacks of our options
(plugins/module_utils/_argspec.py, exact names) or that a role reads (``lookup('ansible.builtin.env', NAME)`` in
roles/), secret fields feed no_log options (for a role: the live run at -vvvv shows no secret).
Live checks: the injectors are rendered the way AWX renders them (tests/ecosystem/awx_inject.py), then a playbook
runs through the real ansible-runner with ONLY that environment (no credential in module arguments), from the
collection installed out of the galaxy tarball, against Azurite or the Azure twin. The runner's artifacts
(job events, stdout) must not contain any secret.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from .awx_inject import env_allowed, render_builtin_azure_rm, render_injectors
from .conftest import BIN, REPO, module_names

TYPES_DIR = REPO / "extensions" / "awx" / "credential_types"
TYPE_FILES = sorted(TYPES_DIR.glob("*.yml"))

pytestmark = pytest.mark.xdist_group("awx-runner")


def load_type(name: str) -> dict:
    return yaml.safe_load((TYPES_DIR / name).read_text())


def option_fallbacks() -> dict[str, tuple[str, dict]]:
    """env var -> (option name, option spec), over every option family of _argspec."""
    from ansible_collections.signet.azure.plugins.module_utils import _argspec

    found: dict[str, tuple[str, dict]] = {}
    for factory in (
        _argspec.storage_spec,
        _argspec.batch_spec,
        _argspec.entra_spec,
        _argspec.classic_spec,
        _argspec.connection_spec,
    ):
        for option, spec in factory().argument_spec.items():
            fallback = spec.get("fallback")
            if fallback:
                for env_name in fallback[1]:
                    found[env_name] = (option, spec)
    return found


def role_env_reads() -> dict[str, list[Path]]:
    """env var -> the role files that read it with ``lookup('ansible.builtin.env', NAME)``."""
    found: dict[str, list[Path]] = {}
    for path in sorted((REPO / "roles").glob("*/*/*.yml")):
        for name in re.findall(r"lookup\(\s*'ansible\.builtin\.env'\s*,\s*'([A-Z0-9_]+)'\s*\)", path.read_text()):
            found.setdefault(name, []).append(path)
    return found


def test_credential_types_exist():
    names = {p.name for p in TYPE_FILES}
    assert {"storage.yml", "batch.yml", "classic_certificate.yml", "pfx_certificate.yml"} <= names


@pytest.mark.parametrize("path", TYPE_FILES, ids=[p.stem for p in TYPE_FILES])
def test_credential_type_shape(path):
    ctype = yaml.safe_load(path.read_text())
    assert set(ctype) <= {"name", "kind", "description", "inputs", "injectors"}, set(ctype)
    assert ctype["name"].startswith("signet.azure ")
    assert ctype["kind"] == "cloud"
    fields = ctype["inputs"]["fields"]
    ids = [f["id"] for f in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= {"id", "label", "type", "secret", "multiline", "help_text", "choices", "default", "format"}, field
        assert field["type"] in ("string", "boolean") and field["label"]
    assert set(ctype["inputs"].get("required", [])) <= set(ids)
    injectors = ctype["injectors"]
    assert set(injectors) <= {"env", "file", "extra_vars"}
    assert "extra_vars" not in injectors, "extra vars end up in the job's artifacts; inject environment variables"
    for label in injectors.get("file", {}):
        assert label == "template" or re.fullmatch(r"template\.[a-z_]+", label), label
    fallbacks = option_fallbacks()
    role_reads = role_env_reads()
    secret_ids = {f["id"] for f in fields if f.get("secret")}
    used = set()
    for env_name, template in injectors["env"].items():
        assert env_allowed(env_name), env_name
        used |= set(re.findall(r"\b([a-z_]+)\b", template)) & set(ids)
        if env_name in role_reads and env_name not in fallbacks:
            # read by a role: its secrets go to no_log module options only, which
            # tests/integration/test_rotation.py checks by running the role at -vvvv
            continue
        assert env_name in fallbacks, "%s is neither the env fallback of an option in _argspec.py nor read by a role" % env_name
        option, spec = fallbacks[env_name]
        # the value is what {{ ... }} prints ({% if %} only tests presence)
        printed = set(re.findall(r"\b([a-z_]+)\b", " ".join(re.findall(r"{{(.*?)}}", template)))) & set(ids)
        if printed & secret_ids:
            assert spec.get("no_log"), "%s carries a secret field but option %s is not no_log" % (env_name, option)
    for template in injectors.get("file", {}).values():
        used |= set(re.findall(r"\b([a-z_]+)\b", template)) & set(ids)
    assert used == set(ids), "fields never injected: %s" % sorted(set(ids) - used)


def test_builtin_azure_rm_credential_maps_onto_entra_options():
    mapping = yaml.safe_load((REPO / "extensions" / "awx" / "builtin_azure_rm.yml").read_text())
    fallbacks = option_fallbacks()
    from ansible_collections.signet.azure.plugins.module_utils import _argspec

    entra = _argspec.entra_spec().argument_spec
    for env_name, option in mapping["env_to_option"].items():
        assert option in entra, option
        assert env_name in entra[option]["fallback"][1], (env_name, option)
        assert fallbacks[env_name][0] == option
    # AWX's azure_rm injector (service principal branch) sets exactly these.
    assert set(mapping["env_to_option"]) == {
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT",
        "AZURE_SECRET",
        "AZURE_CLOUD_ENVIRONMENT",
    }


def test_renderer_fills_files_and_empties(tmp_path):
    """The renderer itself: file injectors land in 0600 files, missing inputs render empty, required is enforced."""
    ctype = load_type("classic_certificate.yml")
    env = render_injectors(ctype, {"subscription_id": "sub", "management_certificate": "PEM"}, tmp_path)
    path = Path(env["SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH"])
    assert path.read_text() == "PEM" and path.parent == tmp_path / "env"
    assert path.stat().st_mode & 0o777 == 0o600
    assert env["SIGNET_AZURE_MANAGEMENT_KEY_PATH"] == "" and env["SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PASSWORD"] == ""
    with pytest.raises(ValueError, match="required"):
        render_injectors(ctype, {"subscription_id": "sub"}, tmp_path)


# --------------------------------------------------------------------------------------------------- live runs
def run_with_runner(
    tmp_path: Path, installed_collections: Path, tasks: list, env: dict, extra_env: dict | None = None, verbosity: int = 3
):
    """Run ``tasks`` on localhost through ansible_runner.run with the injected ``env``; return (runner, artifact text)."""
    import ansible_runner

    pdd = tmp_path / "pdd"
    (pdd / "project").mkdir(parents=True, exist_ok=True)
    (pdd / "inventory").mkdir(exist_ok=True)
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
    )
    play = [{"name": "AWX credential check", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    (pdd / "project" / "main.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": str(installed_collections),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": "%s:%s" % (BIN, os.environ.get("PATH", "")),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    envvars.update(extra_env or {})
    envvars.update(env)
    runner = ansible_runner.run(
        private_data_dir=str(pdd),
        playbook="main.yml",
        envvars=envvars,
        quiet=True,
        verbosity=verbosity,
        # As AWX does: otherwise ansible-runner writes the whole environment to artifacts/<id>/command.
        suppress_env_files=True,
        timeout=300,
    )
    # What AWX keeps and shows is the job events and the stdout. ansible-runner also writes artifacts/<id>/command
    # with the whole process environment (injected credentials included, as in AWX): it is private (0600) and AWX
    # deletes it with the private data dir; docs/docsite/rst/awx-and-pipelines.rst tells pipeline users to do so.
    texts = []
    for path in sorted((pdd / "artifacts").rglob("*")):
        if not path.is_file():
            continue
        if path.name == "command":
            assert path.stat().st_mode & 0o077 == 0, "ansible-runner's command file must be private"
            continue
        texts.append(path.read_text(errors="replace"))
    assert any("job_events" in str(p) for p in (pdd / "artifacts").rglob("*.json")), "no job events were written"
    return runner, "\n".join(texts)


def assert_no_secret(artifacts: str, secrets: list[str]):
    assert artifacts, "the runner wrote no artifacts"
    for secret in secrets:
        if secret:
            assert secret not in artifacts, "a secret (%s...) leaked into the runner artifacts" % secret[:6]


def assert_successful(runner, artifacts: str):
    assert runner.status == "successful" and runner.rc == 0, "runner %s rc=%s:\n%s" % (
        runner.status,
        runner.rc,
        artifacts[-6000:],
    )


def pem_body_lines(pem: str) -> list[str]:
    """Base64 lines of the private key blocks of a PEM (what must never show up)."""
    out, inside = [], False
    for line in pem.splitlines():
        if "PRIVATE KEY-----" in line:
            inside = "BEGIN" in line
            continue
        if inside and len(line) > 40:
            out.append(line)
    return out


def storage_tasks(auth: str) -> list:
    tasks = [
        {
            "name": "List containers with only the injected credential",
            "signet.azure.request": {"path": "/?comp=list", "auth": auth},
            "register": "listing",
        },
        {
            "name": "Listing worked",
            "ansible.builtin.assert": {"that": ["listing.status == 200", "'EnumerationResults' in listing.content"]},
        },
    ]
    if "storage_container_info" in module_names():
        tasks.append(
            {
                "name": "storage_container_info with the injected credential",
                "signet.azure.storage_container_info": {},
                "register": "info",
            }
        )
        tasks.append({"name": "It answered", "ansible.builtin.assert": {"that": ["info is succeeded"]}})
    return tasks


@pytest.mark.parametrize("scenario", ["account_key", "connection_string", "sas_token"])
def test_storage_credential_through_ansible_runner(scenario, tmp_path, azurite, installed_collections):
    from tests.integration.test_targets import oracle_account_sas

    ctype = load_type("storage.yml")
    sas = oracle_account_sas(azurite.account, azurite.key)
    inputs = {
        "account_key": {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint},
        "connection_string": {"connection_string": azurite.connection_string},
        "sas_token": {"account_name": azurite.account, "sas_token": sas, "endpoint": azurite.blob_endpoint},
    }[scenario]
    env = render_injectors(ctype, inputs, tmp_path / "pdd")
    assert all(name.startswith("AZURE_STORAGE_") for name in env)
    auth = "sas" if scenario == "sas_token" else "shared_key"
    runner, artifacts = run_with_runner(tmp_path, installed_collections, storage_tasks(auth), env)
    assert_successful(runner, artifacts)
    sig = re.search(r"sig=([^&]+)", sas).group(1)
    assert_no_secret(artifacts, [azurite.key, sas, sig, azurite.connection_string])
    assert "signet.azure.request" in artifacts


def require_module(name: str):
    if name not in module_names():
        pytest.skip("plugins/modules/%s.py does not exist yet (being written)" % name)


def test_batch_credential_through_ansible_runner(tmp_path, twin, installed_collections):
    require_module("batch_job_info")
    info = twin.info.get("batch")
    if not info or "primary_key" not in info:
        pytest.skip("the twin's batch plugin publishes no account yet")
    key = info["primary_key"]
    env = render_injectors(
        load_type("batch.yml"),
        {"batch_account": info["account"], "batch_access_key": key, "batch_endpoint": info["endpoint"]},
        tmp_path / "pdd",
    )
    tasks = [
        {
            "name": "Batch jobs with the injected credential",
            "signet.azure.batch_job_info": {"max_results": 5},
            "register": "jobs",
        },
        {"name": "Outcome", "ansible.builtin.assert": {"that": ["jobs is succeeded"]}},
    ]
    runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env, twin.env)
    assert_successful(runner, artifacts)
    assert_no_secret(artifacts, [info["primary_key"], info.get("secondary_key")])


@pytest.mark.parametrize("scenario", ["pem_with_key", "separate_key"])
def test_classic_credential_through_ansible_runner(scenario, tmp_path, twin, installed_collections):
    require_module("classic_storage_account_info")
    info = twin.info.get("classic")
    if not info or "pem_file" not in info:
        pytest.skip("the twin's classic plugin publishes no management certificate yet")

    def read(key: str) -> str:
        return Path(info[key]).read_text()

    inputs = {
        "pem_with_key": {"subscription_id": info["subscription_id"], "management_certificate": read("pem_file")},
        "separate_key": {
            "subscription_id": info["subscription_id"],
            "management_certificate": read("cert_file"),
            "management_key": read("key_file"),
        },
    }[scenario]
    env = render_injectors(load_type("classic_certificate.yml"), inputs, tmp_path / "pdd")
    tasks = [
        {
            "name": "Classic storage accounts with the injected certificate",
            "signet.azure.classic_storage_account_info": {},
            "register": "accounts",
        },
        {"name": "Outcome", "ansible.builtin.assert": {"that": ["'%s' in (accounts | to_json)" % info["storage_services"][0]]}},
    ]
    runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env, twin.env)
    assert_successful(runner, artifacts)
    secrets = []
    for key in ("pem_file", "key_file"):
        secrets += pem_body_lines(read(key))
    assert_no_secret(artifacts, secrets)


@pytest.mark.parametrize("credential", ["builtin_azure_rm", "entra_certificate"])
def test_entra_credential_through_ansible_runner(credential, tmp_path, twin, installed_collections):
    require_module("keyvault_secret_info")
    entra, vault = twin.info.get("entra", {}), twin.info.get("keyvault")
    if not vault or "secret_app" not in entra:
        pytest.skip("the twin publishes no Key Vault or Entra app yet")
    if credential == "builtin_azure_rm":
        app = entra["secret_app"]
        env = render_builtin_azure_rm(
            {
                "subscription": twin.info["subscription_id"],
                "client": app["client_id"],
                "tenant": twin.info["tenant_id"],
                "secret": app["client_secret"],
            }
        )
        secrets = [app["client_secret"]]
    else:
        app = entra["cert_app"]
        pem = Path(app["cert_pem_file"]).read_text()
        inputs = {"tenant_id": twin.info["tenant_id"], "client_id": app["client_id"], "client_certificate": pem}
        env = render_injectors(load_type("entra_certificate.yml"), inputs, tmp_path / "pdd")
        secrets = pem_body_lines(pem)
    tasks = [
        {
            "name": "Key Vault secrets with the injected Entra credential",
            "signet.azure.keyvault_secret_info": {"vault_name": vault["vault_name"]},
            "register": "listing",
        },
        {"name": "Outcome", "ansible.builtin.assert": {"that": ["listing is succeeded"]}},
    ]
    runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env, twin.env)
    assert_successful(runner, artifacts)
    assert_no_secret(artifacts, secrets)


@pytest.mark.parametrize("cloud_environment", ["", "AzurePublicCloud"])
def test_builtin_azure_rm_credential_drives_storage_through_ansible_runner(
    cloud_environment, tmp_path, twin, azurite_oauth, installed_collections
):
    """AWX's built-in "Microsoft Azure Resource Manager" credential, unchanged, drives the storage modules with Entra ID
    (Azurite on HTTPS with --oauth basic; tokens from the twin's Entra ID endpoint): the tasks name only the account,
    the endpoint and the CA. An empty AZURE_CLOUD_ENVIRONMENT (a custom credential type leaves an input empty that
    way) counts as unset; azcollection's AzurePublicCloud is accepted."""
    require_module("storage_container_info")
    app = twin.info["entra"]["secret_app"]
    env = render_builtin_azure_rm(
        {
            "subscription": twin.info["subscription_id"],
            "client": app["client_id"],
            "tenant": twin.info["tenant_id"],
            "secret": app["client_secret"],
            "cloud_environment": cloud_environment,
        }
    )
    env["AZURE_CLOUD_ENVIRONMENT"] = cloud_environment
    extra = dict(twin.env, REQUESTS_CA_BUNDLE=str(azurite_oauth.ca_bundle), SSL_CERT_FILE=str(azurite_oauth.ca_bundle))
    container = "awx-runner-%s" % ("public" if cloud_environment else "empty")
    where = {
        "account_name": azurite_oauth.account,
        "endpoint": azurite_oauth.blob_endpoint,
        "ca_bundle": str(azurite_oauth.ca_bundle),
    }
    tasks = [
        {"name": "Create a container with Entra ID", "signet.azure.storage_container": dict(where, name=container)},
        {"name": "Read it back", "signet.azure.storage_container_info": dict(where, name=container), "register": "info"},
        {"name": "Outcome", "ansible.builtin.assert": {"that": ["info.exists", "info.container.name == %r" % container]}},
    ]
    runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env, extra)
    assert_successful(runner, artifacts)
    assert_no_secret(artifacts, [app["client_secret"]])
    assert "eyJ" not in artifacts, "a token (JWT) is in the runner artifacts"


def test_runner_artifacts_are_scanned(tmp_path, installed_collections):
    """The leak check can fail: a debug task that prints an injected variable is caught by the same scan."""
    env = {"AZURE_STORAGE_KEY": "c2lnbmV0LXRlc3Qtbm90LWEtcmVhbC1rZXk="}
    tasks = [{"name": "Leak on purpose", "ansible.builtin.debug": {"msg": "{{ lookup('env', 'AZURE_STORAGE_KEY') }}"}}]
    runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env)
    assert_successful(runner, artifacts)
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_secret(artifacts, [env["AZURE_STORAGE_KEY"]])
    json.dumps(artifacts)  # artifacts are text


def test_pfx_credential_drives_the_rotation_role_through_ansible_runner(tmp_path, twin, installed_collections):
    """The job-template recipe of roles/cloud_service_certificate_rotation/README.md: the built-in Azure RM credential
    for Entra ID, a "signet.azure PFX certificate" credential for the leaf, the CA files from the project; the role
    from the installed tarball, run by ansible-runner at -vvvv. The twin's service gets the new leaf, and neither the
    PFX nor its password is in the job events or stdout."""
    import base64

    info = twin.info
    nxt = info["arm"]["next"]
    leaf = base64.b64encode(Path(nxt["server"]["pfx_file"]).read_bytes()).decode("ascii")
    app = info["entra"]["secret_app"]
    env = render_builtin_azure_rm(
        {
            "subscription": info["subscription_id"],
            "client": app["client_id"],
            "tenant": info["tenant_id"],
            "secret": app["client_secret"],
        }
    )
    env.update(
        render_injectors(
            load_type("pfx_certificate.yml"),
            {"certificate_name": "server", "pfx_content": leaf, "pfx_password": nxt["server"]["password"]},
            tmp_path / "pdd",
        )
    )
    tasks = [
        {
            "name": "Rotate with the role",
            "ansible.builtin.include_role": {"name": "signet.azure.cloud_service_certificate_rotation"},
            "vars": {
                "cloud_service_certificate_rotation_cloud_service_id": info["arm"]["cloud_service_id"],
                "cloud_service_certificate_rotation_vault_name": info["arm"]["vault_name"],
                "cloud_service_certificate_rotation_poll_interval": 1,
                "cloud_service_certificate_rotation_certificates": {
                    name: {"pfx_path": nxt[name]["pfx_file"], "password": nxt[name]["password"]}
                    for name in ("intermediate", "root")
                },
            },
        },
        {
            "name": "Outcome",
            "ansible.builtin.assert": {
                "that": [
                    "cloud_service_certificate_rotation_result.changed",
                    "cloud_service_certificate_rotation_result.certificates | map(attribute='new') | list"
                    " == %s" % json.dumps([nxt[name]["thumbprint"] for name in ("intermediate", "root", "server")]),
                ]
            },
        },
    ]
    twin.control("/_twin/arm/reset", {})
    try:
        runner, artifacts = run_with_runner(tmp_path, installed_collections, tasks, env, twin.env, verbosity=4)
        assert_successful(runner, artifacts)
        body = twin.control("/_twin/arm/state")["resources"][0]["body"]
        assert body["properties"]["configuration"].count('thumbprint="%s"' % nxt["server"]["thumbprint"]) == 2
    finally:
        twin.control("/_twin/arm/reset", {})
    assert_no_secret(
        artifacts, [leaf, leaf[200:264], app["client_secret"]] + [nxt[n]["password"] for n in ("server", "intermediate", "root")]
    )
