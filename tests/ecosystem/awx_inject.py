# SPDX-License-Identifier: GPL-3.0-or-later
"""Render an AWX custom credential type's injectors the way AWX does, for tests.

This follows AWX's ``CredentialType.inject_credential``: the inputs given (empty ones left out) form the Jinja2
namespace, rendered by an ``ImmutableSandboxedEnvironment``; every ``file`` injector is written to a private file
(mode 0600) under ``<private_data_dir>/env`` and its path published as ``tower.filename`` (label ``template``) or
``tower.filename.<name>`` (label ``template.<name>``), also under the ``awx`` alias; then every ``env`` injector is
rendered (a missing input renders as an empty string, so the variable is still set, empty). AWX refuses injected
variables whose names start with ``ANSIBLE_`` or that it sets itself.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from types import SimpleNamespace

from jinja2.sandbox import ImmutableSandboxedEnvironment

# Variables AWX does not let a custom credential type inject (AWX's validate_env_var_allowed).
RESERVED = {
    "PATH",
    "PYTHONPATH",
    "JOB_ID",
    "INVENTORY_ID",
    "INVENTORY_SOURCE_ID",
    "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID",
    "REST_API_URL",
    "REST_API_TOKEN",
    "MAX_EVENT_RES",
    "CALLBACK_QUEUE",
    "CALLBACK_CONNECTION",
    "CACHE",
    "JOB_CALLBACK_DEBUG",
    "INVENTORY_HOSTVARS",
    "PROJECT_REVISION",
    "SUPERVISOR_CONFIG_PATH",
    "SUPERVISOR_WEB_CONFIG_PATH",
}


def env_allowed(name: str) -> bool:
    return not name.startswith("ANSIBLE_") and name not in RESERVED


def render_injectors(credential_type: dict, inputs: dict, private_data_dir: Path) -> dict:
    """Return the env vars AWX would inject for ``inputs`` (a dict of field id -> value) of ``credential_type``."""
    fields = {f["id"]: f for f in credential_type["inputs"]["fields"]}
    unknown = set(inputs) - set(fields)
    if unknown:
        raise ValueError("inputs not defined by the credential type: %s" % sorted(unknown))
    missing = [name for name in credential_type["inputs"].get("required", []) if not inputs.get(name)]
    if missing:
        raise ValueError("required inputs missing: %s" % missing)
    tower = SimpleNamespace()
    namespace: dict = {"tower": tower, "awx": tower}
    for name, value in inputs.items():
        if value not in (None, ""):
            namespace[name] = value
    for name, field in fields.items():
        if field.get("type") == "boolean" and name not in namespace:
            namespace[name] = False
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type.get("injectors", {})
    env_dir = Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in injectors.get("file", {}).items():
        data = sandbox.from_string(template).render(**namespace)
        fd, path = tempfile.mkstemp(dir=str(env_dir))
        with os.fdopen(fd, "w") as fh:
            fh.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not isinstance(getattr(tower, "filename", None), SimpleNamespace):
                tower.filename = SimpleNamespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env = {}
    for name, template in injectors.get("env", {}).items():
        if not env_allowed(name):
            raise ValueError("AWX does not allow a credential type to inject %s" % name)
        env[name] = sandbox.from_string(template).render(**namespace)
    return env


def render_builtin_azure_rm(inputs: dict) -> dict:
    """The env of AWX's built-in "Microsoft Azure Resource Manager" credential (awx-plugins-core ``azure_rm``
    injector): the service principal variables when client and tenant are set, else user name and password."""
    env = {"AZURE_SUBSCRIPTION_ID": str(inputs.get("subscription", ""))}
    if inputs.get("client") and inputs.get("tenant"):
        env.update(
            AZURE_CLIENT_ID=str(inputs["client"]), AZURE_TENANT=str(inputs["tenant"]), AZURE_SECRET=str(inputs.get("secret", ""))
        )
    else:
        env.update(AZURE_AD_USER=str(inputs.get("username", "")), AZURE_PASSWORD=str(inputs.get("password", "")))
    if inputs.get("cloud_environment"):
        env["AZURE_CLOUD_ENVIRONMENT"] = str(inputs["cloud_environment"])
    return env
