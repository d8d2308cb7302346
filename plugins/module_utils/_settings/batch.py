# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Batch settings: the account endpoint, account name and cloud, from ``batch_endpoint`` / ``batch_account`` /
``cloud`` (see doc fragment ``batch_auth``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .._clouds import CLOUDS, cloud_name
from .._defaults import BATCH_API_VERSION
from .._errors import ConfigError
from .entra import has_entra_credential
from .common import ACCOUNT_NAME_RE

DEFAULT_BATCH_API_VERSION = BATCH_API_VERSION


def missing_shared_key_message(missing: list) -> str:
    """The ConfigError text for Batch Shared Key options that are not set."""
    return "Batch Shared Key auth needs %s: set %s (or the environment variables %s)" % (
        " and ".join(missing),
        ", ".join(missing),
        ", ".join("AZURE_" + m.upper() for m in missing),
    )


@dataclass
class BatchSettings:
    """Resolved Batch options: ``endpoint`` is ``https://<account>.<region>.<batch suffix>``."""

    endpoint: str
    account: str
    cloud: str
    api_version: str = DEFAULT_BATCH_API_VERSION


def resolve_endpoint(params: dict) -> tuple[str, str, str]:
    """Return ``(endpoint, account, cloud)`` from ``batch_endpoint`` / ``batch_account`` / ``cloud``.

    ``batch_endpoint`` must be ``https://<account>.<region>.<batch suffix of the cloud>``; ``batch_account``
    defaults to its first label and must match it when given. Raises ConfigError naming the option and the fix.
    """
    endpoint = (params.get("batch_endpoint") or "").strip().rstrip("/")
    account = (params.get("batch_account") or "").strip()
    if not endpoint:
        if params.get("batch_auth") != "entra" and not params.get("batch_access_key") and not has_entra_credential(params):
            raise ConfigError(
                missing_shared_key_message(
                    [n for n, v in (("batch_account", account), ("batch_access_key", None)) if not v] + ["batch_endpoint"]
                )
            )
        raise ConfigError(
            "batch_endpoint is required: set it to the account URL https://<account>.<region>.batch.azure.com "
            "(Batch account > Overview > Account endpoint), or export AZURE_BATCH_ENDPOINT"
        )
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.path not in ("", "/") or parts.query:
        raise ConfigError("batch_endpoint: %r is not an account URL like https://<account>.<region>.batch.azure.com" % endpoint)
    host_cloud = suffix = None
    for name, eps in CLOUDS.items():
        if host.endswith("." + eps["batch_suffix"]):
            host_cloud, suffix = name, eps["batch_suffix"]
    labels = host[: -len(suffix) - 1].split(".") if suffix else []
    if len(labels) != 2 or not all(labels):
        raise ConfigError(
            "batch_endpoint: %r is not a Batch account endpoint; expected https://<account>.<region>.%s"
            % (endpoint, CLOUDS[cloud_name(params.get("cloud"))]["batch_suffix"])
        )
    if params.get("cloud") and cloud_name(params["cloud"]) != host_cloud:
        raise ConfigError(
            "batch_endpoint: %s belongs to %s but cloud is %s; fix one of them" % (host, host_cloud, cloud_name(params["cloud"]))
        )
    host_account = labels[0]
    if account and account.lower() != host_account:
        raise ConfigError("batch_account: %r does not match the account %r of batch_endpoint %s" % (account, host_account, host))
    account = account or host_account
    if not ACCOUNT_NAME_RE.match(account):
        raise ConfigError("batch_account: %r is not a Batch account name (3-24 lowercase letters and digits)" % account)
    return "https://" + host + (":%d" % parts.port if parts.port else ""), account, host_cloud


def resolve(params: dict) -> BatchSettings:
    """:class:`BatchSettings` from the Batch options. Raises ConfigError naming the option and the fix."""
    endpoint, account, cloud = resolve_endpoint(params)
    return BatchSettings(endpoint, account, cloud, params.get("batch_api_version") or DEFAULT_BATCH_API_VERSION)
