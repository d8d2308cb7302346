# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Batch Shared Key auth, the Batch endpoint resolution, and the Batch auth selector (shared key or Entra)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .._clouds import CLOUDS, cloud_name
from .._errors import ConfigError
from .._signing import batch as bk
from .base import AuthScheme, http_date

_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
ENTRA_OPTIONS = (
    "access_token",
    "client_secret",
    "client_certificate_path",
    "client_certificate_content",
    "federated_token_file",
    "managed_identity",
)


class BatchSharedKeyAuth(AuthScheme):
    """``Authorization: SharedKey <account>:<signature>`` for the Batch data plane.

    Every attempt gets a fresh ``ocp-date`` and the Batch Content-Type (:data:`_signing.batch.BATCH_CONTENT_TYPE`),
    then is signed over the final URL and headers. ``last_string_to_sign`` keeps the string (never the key).
    """

    scheme = "SharedKey"
    name = "batch_shared_key"

    def __init__(self, account: str | None, key: str | None, endpoint: str | None = None, cloud: str | None = None):
        self.account = account or ""
        self._key = (key or "").strip()
        self.endpoint = endpoint
        self.cloud = cloud
        # modules pass module.register_secret: Batch echoes the signature in its 403 detail, and a valid signature
        # could be replayed for 15 minutes, so it is redacted like a token
        self.on_signature = None

    def validate(self) -> None:
        """Raise ConfigError naming every missing option, or a bad key (without echoing it)."""
        missing = [
            n
            for n, v in (("batch_account", self.account), ("batch_access_key", self._key), ("batch_endpoint", self.endpoint))
            if not v
        ]
        if missing:
            raise ConfigError(
                "Batch Shared Key auth needs %s: set %s (or the environment variables %s)"
                % (" and ".join(missing), ", ".join(missing), ", ".join("AZURE_" + m.upper() for m in missing))
            )
        try:
            bk.decode_batch_key(self._key)
        except ValueError as exc:
            raise ConfigError("batch_access_key: %s" % exc) from None

    def sign(self, r) -> None:
        for name in [n for n in r.headers if n.lower() in ("ocp-date", "content-type")]:
            del r.headers[name]
        r.headers["ocp-date"] = http_date()
        r.headers["Content-Type"] = bk.BATCH_CONTENT_TYPE
        sts = bk.string_to_sign(r.method, r.url, r.headers.items(), self.account)
        self.last_string_to_sign = sts
        signature = bk.sign(self._key, sts)
        if self.on_signature is not None:
            self.on_signature(signature)
        r.headers["Authorization"] = "SharedKey %s:%s" % (self.account, signature)


def resolve_endpoint(params: dict) -> tuple[str, str, str]:
    """Return ``(endpoint, account, cloud)`` from ``batch_endpoint`` / ``batch_account`` / ``cloud``.

    ``batch_endpoint`` must be ``https://<account>.<region>.<batch suffix of the cloud>``; ``batch_account``
    defaults to its first label and must match it when given. Raises ConfigError naming the option and the fix.
    """
    endpoint = (params.get("batch_endpoint") or "").strip().rstrip("/")
    account = (params.get("batch_account") or "").strip()
    if not endpoint:
        if (
            params.get("batch_auth") != "entra"
            and not params.get("batch_access_key")
            and not any(params.get(o) for o in ENTRA_OPTIONS)
        ):
            BatchSharedKeyAuth(account, None, None).validate()
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
    if not _ACCOUNT_RE.match(account):
        raise ConfigError("batch_account: %r is not a Batch account name (3-24 lowercase letters and digits)" % account)
    return "https://" + host + (":%d" % parts.port if parts.port else ""), account, host_cloud


def batch_auth(module) -> tuple[AuthScheme, str]:
    """The auth scheme and endpoint for a Batch module, from ``batch_auth`` (auto, shared_key, entra).

    ``auto`` picks Shared Key when ``batch_access_key`` is set, else Entra ID when an Entra credential option is
    set; otherwise ConfigError names both ways. Entra is imported lazily (msal only when used).
    """
    params = module.params
    endpoint, account, cloud = resolve_endpoint(params)
    mode = params.get("batch_auth") or "auto"
    if mode == "auto":
        if params.get("batch_access_key"):
            mode = "shared_key"
        elif any(params.get(o) for o in ENTRA_OPTIONS) or params.get("client_id"):
            mode = "entra"
        else:
            raise ConfigError(
                "no Batch credential: set batch_access_key (AZURE_BATCH_ACCESS_KEY) for Shared Key, or the Entra ID "
                "options (tenant_id, client_id and client_secret, a certificate, federated_token_file, managed_identity "
                "or access_token) with batch_auth=entra"
            )
    if mode == "shared_key":
        auth = BatchSharedKeyAuth(account, params.get("batch_access_key"), endpoint, cloud)
        auth.validate()
        auth.on_signature = module.register_secret
        return auth, endpoint
    try:
        from .entra import entra_auth_for
    except ImportError:  # pragma: no cover - only in a partial installation
        raise ConfigError("batch_auth=entra: Entra ID support (module_utils/_auth/entra.py) is not installed") from None

    auth = entra_auth_for(module, "batch_resource")
    auth.validate()
    return auth, endpoint


def from_module(module, auth: str, service: str):
    """Selector entry (see select.py): ``batch_shared_key`` for signet.azure.request; base URL = the endpoint."""
    p = module.params
    if not p.get("batch_endpoint") or not p.get("batch_access_key"):
        BatchSharedKeyAuth(p.get("batch_account"), p.get("batch_access_key"), p.get("batch_endpoint")).validate()
    endpoint, account, cloud = resolve_endpoint(p)
    scheme = BatchSharedKeyAuth(account, module.params.get("batch_access_key"), endpoint, cloud)
    scheme.validate()
    scheme.on_signature = module.register_secret
    return scheme, endpoint, {}


def batch_client(module):
    """A BatchClient (``_clients/batch.py``) for a Batch module: auth from ``batch_auth``, the module's transport."""
    from .._clients.batch import BatchClient

    auth, endpoint = batch_auth(module)
    return BatchClient(module.transport(auth), endpoint, module.params.get("batch_api_version") or "2025-06-01.21.0")
