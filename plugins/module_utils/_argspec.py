# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Argument specs: an ArgSpec that carries its constraints, and one helper per option family.

Each helper corresponds one to one to a doc fragment of the same name (plugins/doc_fragments/), and every module of
an action group accepts all options of that group's family (module_defaults safety; tested in
tests/unit/test_action_groups.py).
"""

from __future__ import annotations

import copy
import os

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ._defaults import BATCH_API_VERSION, CLASSIC_X_MS_VERSION, RETRIES, STORAGE_API_VERSION, TIMEOUT


class ArgSpec:
    """An argument spec plus its constraints. ``merge`` combines specs; an option defined twice must be identical."""

    def __init__(
        self,
        argument_spec=None,
        mutually_exclusive=None,
        required_together=None,
        required_one_of=None,
        required_if=None,
        required_by=None,
    ):
        self.argument_spec = argument_spec or {}
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})

    def merge(self, *others: ArgSpec) -> ArgSpec:
        result = copy.deepcopy(self)
        for other in others:
            for name, option in other.argument_spec.items():
                if name in result.argument_spec and result.argument_spec[name] != option:
                    raise ValueError("option %r is defined differently by two option families" % name)
                result.argument_spec[name] = copy.deepcopy(option)
            result.mutually_exclusive.extend(other.mutually_exclusive)
            result.required_together.extend(other.required_together)
            result.required_one_of.extend(other.required_one_of)
            result.required_if.extend(other.required_if)
            result.required_by.update(other.required_by)
        return result

    def to_kwargs(self) -> dict:
        kwargs = {"argument_spec": self.argument_spec}
        for name in ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by"):
            value = getattr(self, name)
            if value:
                kwargs[name] = value
        return kwargs


def env_fallback_nonempty(*names, **kwargs):
    """Ansible's ``env_fallback``, except that an empty (or blank) variable counts as unset: AWX renders a credential
    input left empty as an empty variable, and ``AZURE_CLOUD_ENVIRONMENT=`` must not become ``cloud: ""``."""
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value
    raise AnsibleFallbackNotFound


def _env(*names):
    return (env_fallback_nonempty, list(names))


#: The cloud option of every family. No ``choices``: ``_clouds.cloud_name`` accepts each spelling of
#: ``_clouds.CLOUD_SPELLINGS`` in any case (azure.azcollection's ``cloud_environment`` values among them).
CLOUD_OPTION = dict(type="str", aliases=["cloud_environment"], fallback=_env("AZURE_CLOUD_ENVIRONMENT"))
#: ``auth_source`` values (azure.azcollection's, without its ADFS and user-password variants).
AUTH_SOURCES = ["auto", "env", "credential_file", "cli", "msi"]
SUBSCRIPTION_OPTION = dict(type="str", fallback=_env("AZURE_SUBSCRIPTION_ID", "SIGNET_AZURE_SUBSCRIPTION_ID"))


def connection_spec() -> ArgSpec:
    """Options of every module: timeouts, retries, TLS verification (fragment ``connection``)."""
    return ArgSpec(
        argument_spec=dict(
            timeout=dict(type="int", default=TIMEOUT),
            retries=dict(type="int", default=RETRIES),
            validate_certs=dict(type="bool", default=True),
            ca_bundle=dict(type="path", fallback=_env("SIGNET_AZURE_CA_BUNDLE")),
        )
    )


def storage_spec() -> ArgSpec:
    """Storage account options (fragment ``storage_auth``)."""
    return ArgSpec(
        argument_spec=dict(
            account_name=dict(type="str", fallback=_env("AZURE_STORAGE_ACCOUNT")),
            account_key=dict(type="str", no_log=True, fallback=_env("AZURE_STORAGE_KEY")),
            connection_string=dict(type="str", no_log=True, fallback=_env("AZURE_STORAGE_CONNECTION_STRING")),
            sas_token=dict(type="str", no_log=True, fallback=_env("AZURE_STORAGE_SAS_TOKEN")),
            storage_auth=dict(type="str", default="auto", choices=["auto", "shared_key", "shared_key_lite", "sas", "entra"]),
            endpoint=dict(type="str", fallback=_env("AZURE_STORAGE_BLOB_ENDPOINT")),
            storage_api_version=dict(type="str", default=STORAGE_API_VERSION),
            cloud=CLOUD_OPTION,
        )
    )


def entra_spec() -> ArgSpec:
    """Entra ID options (fragment ``entra_auth``). AWX credential names first, then azure-identity names."""
    return ArgSpec(
        argument_spec=dict(
            tenant_id=dict(type="str", aliases=["tenant"], fallback=_env("AZURE_TENANT", "AZURE_TENANT_ID")),
            client_id=dict(type="str", fallback=_env("AZURE_CLIENT_ID")),
            client_secret=dict(type="str", aliases=["secret"], no_log=True, fallback=_env("AZURE_SECRET", "AZURE_CLIENT_SECRET")),
            client_certificate_path=dict(
                type="path", aliases=["x509_certificate_path"], fallback=_env("AZURE_CLIENT_CERTIFICATE_PATH")
            ),
            client_certificate_content=dict(type="str", no_log=True),
            client_certificate_password=dict(type="str", no_log=True, fallback=_env("AZURE_CLIENT_CERTIFICATE_PASSWORD")),
            federated_token_file=dict(type="path", fallback=_env("AZURE_FEDERATED_TOKEN_FILE")),
            managed_identity=dict(type="str"),
            access_token=dict(type="str", no_log=True),
            authority_host=dict(type="str", fallback=_env("AZURE_AUTHORITY_HOST")),
            cloud_endpoints=dict(type="dict"),
            auth_source=dict(type="str", default="auto", choices=AUTH_SOURCES, fallback=_env("ANSIBLE_AZURE_AUTH_SOURCE")),
            profile=dict(type="str", fallback=_env("AZURE_PROFILE")),
            subscription_id=SUBSCRIPTION_OPTION,
            cloud=CLOUD_OPTION,
        ),
        mutually_exclusive=[
            ["client_certificate_path", "client_certificate_content"],
        ],
    )


def batch_spec() -> ArgSpec:
    """Azure Batch account options (fragment ``batch_auth``); Entra options come from ``entra_spec``."""
    return ArgSpec(
        argument_spec=dict(
            batch_account=dict(type="str", fallback=_env("AZURE_BATCH_ACCOUNT")),
            batch_access_key=dict(type="str", no_log=True, fallback=_env("AZURE_BATCH_ACCESS_KEY")),
            batch_endpoint=dict(type="str", fallback=_env("AZURE_BATCH_ENDPOINT")),
            batch_auth=dict(type="str", default="auto", choices=["auto", "shared_key", "entra"]),
            batch_api_version=dict(type="str", default=BATCH_API_VERSION),
        )
    )


def classic_spec() -> ArgSpec:
    """Classic Service Management options (fragment ``classic_auth``): a management certificate for mutual TLS."""
    return ArgSpec(
        argument_spec=dict(
            subscription_id=SUBSCRIPTION_OPTION,
            management_certificate_path=dict(type="path", fallback=_env("SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PATH")),
            management_certificate_content=dict(type="str", no_log=True),
            management_certificate_password=dict(
                type="str", no_log=True, fallback=_env("SIGNET_AZURE_MANAGEMENT_CERTIFICATE_PASSWORD")
            ),
            management_key_path=dict(type="path", fallback=_env("SIGNET_AZURE_MANAGEMENT_KEY_PATH")),
            management_endpoint=dict(type="str", fallback=_env("SIGNET_AZURE_MANAGEMENT_ENDPOINT")),
            x_ms_version=dict(type="str", default=CLASSIC_X_MS_VERSION),
            cloud=CLOUD_OPTION,
        ),
        mutually_exclusive=[["management_certificate_path", "management_certificate_content"]],
    )


FAMILIES = {
    "storage": lambda: storage_spec().merge(entra_spec()),
    "batch": lambda: batch_spec().merge(entra_spec()),
    "entra": entra_spec,
    "classic": classic_spec,
}
