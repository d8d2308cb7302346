# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The one place where options become an auth scheme, for ``signet.azure.request`` and the typed modules alike.

Every function takes a *host*: the AzureRestModule (anything with ``params``, ``register_secret(value)`` and
``warn(text)``; ``add_cleanup_file`` is used when present). Each returns a validated scheme: validation runs
offline and raises ConfigError naming the option and the fix. Entra is imported only when chosen, so a storage call
never imports msal.
"""

from __future__ import annotations

from .._errors import ConfigError
from .._settings import batch as batch_settings
from .._settings import classic as classic_settings
from .._settings import storage as storage_settings
from .._settings.entra import cloud_endpoints, has_entra_credential
from .base import NoAuth
from .batch import BatchSharedKeyAuth
from .client_cert import ClientCertificateAuth
from .storage import SasAuth, SharedKeyAuth, SharedKeyLiteAuth
from .tls import ClientCertificateAdapter

#: ``auth`` values of signet.azure.request.
REQUEST_SCHEMES = ("shared_key", "shared_key_lite", "sas", "none", "batch_shared_key", "entra", "client_certificate")
STORAGE_SCHEMES = {"shared_key": SharedKeyAuth, "shared_key_lite": SharedKeyLiteAuth, "sas": SasAuth}


# -- storage --------------------------------------------------------------------------------------------------------------
def storage_scheme(settings, mode: str = "auto", table: bool = False):
    """The storage scheme for resolved settings: ``auto`` picks Shared Key when a key is known, else SAS."""
    if mode == "auto":
        mode = "shared_key" if settings.key else ("sas" if settings.sas_token else "shared_key")
    if mode not in STORAGE_SCHEMES:
        raise ConfigError("storage auth %r is not supported; use shared_key, shared_key_lite or sas" % mode)
    if mode == "sas":
        scheme = SasAuth(settings.sas_token, settings.api_version, settings.account, settings.cloud)
    else:
        scheme = STORAGE_SCHEMES[mode](settings.account, settings.key, settings.api_version, settings.cloud, table=table)
    scheme.validate()
    return scheme


def storage(host, mode: str | None = None, service: str = "blob"):
    """``(scheme, settings)`` for the storage options of ``host``; ``mode`` defaults to ``storage_auth``."""
    settings = storage_settings.resolve(host.params)
    scheme = storage_scheme(settings, mode or host.params.get("storage_auth") or "auto", table=(service == "table"))
    if settings.sas_token:
        host.register_secret(settings.sas_token)
    return scheme, settings


def anonymous_storage_url(host, service: str) -> str | None:
    """The service URL for ``auth: none`` when storage account options are given, else None."""
    p = host.params
    if not (p.get("account_name") or p.get("connection_string") or p.get("endpoint")):
        return None
    return storage_settings.resolve(p, require_credential=False).service_url(service)


# -- Batch ----------------------------------------------------------------------------------------------------------------
def batch(host, mode: str | None = None):
    """``(scheme, settings)`` for Batch from ``batch_auth`` (auto, shared_key, entra).

    ``auto`` picks Shared Key when ``batch_access_key`` is set, else Entra ID when an Entra credential is set.
    """
    params = host.params
    mode = mode or params.get("batch_auth") or "auto"
    if mode == "shared_key" and not (params.get("batch_endpoint") and params.get("batch_access_key")):
        BatchSharedKeyAuth(params.get("batch_account"), params.get("batch_access_key"), params.get("batch_endpoint")).validate()
    settings = batch_settings.resolve(params)
    if mode == "auto":
        if params.get("batch_access_key"):
            mode = "shared_key"
        elif has_entra_credential(params) or params.get("client_id"):
            mode = "entra"
        else:
            raise ConfigError(
                "no Batch credential: set batch_access_key (AZURE_BATCH_ACCESS_KEY) for Shared Key, or the Entra ID "
                "options (tenant_id, client_id and client_secret, a certificate, federated_token_file, managed_identity "
                "or access_token) with batch_auth=entra"
            )
    if mode == "shared_key":
        scheme = BatchSharedKeyAuth(settings.account, params.get("batch_access_key"), settings.endpoint, settings.cloud)
        scheme.validate()
        scheme.on_signature = host.register_secret
        return scheme, settings
    return entra(host, "batch_resource"), settings


# -- Entra ID ---------------------------------------------------------------------------------------------------------------
def entra(host, resource_key: str, scope: str | None = None):
    """An EntraAuth for the cloud resource ``resource_key`` of ``_clouds.CLOUDS`` (``arm_resource``,
    ``keyvault_resource``, ``batch_resource``), honouring ``cloud_endpoints``; ``scope`` defaults to
    ``<resource>/.default``. Tokens are registered with ``host.register_secret``.
    """
    from .entra import EntraAuth

    endpoints = cloud_endpoints(host.params)
    if scope is None:
        try:
            resource = endpoints[resource_key]
        except KeyError:
            raise ConfigError("unknown cloud resource %r" % resource_key) from None
        scope = resource.rstrip("/") + "/.default"
    scheme = EntraAuth.from_params(host.params, scope, on_token=host.register_secret, on_warning=host.warn)
    scheme.validate()
    return scheme


# -- classic (client certificate) ------------------------------------------------------------------------------------------
def classic(host):
    """``(scheme, adapter, settings)`` for the classic API: the certificate is loaded and checked before any call."""
    settings = classic_settings.resolve(host.params)
    for warning in settings.warnings:
        host.warn(warning)
    scheme = ClientCertificateAuth(settings.bundle, settings.x_ms_version, settings.cloud, settings.subscription_id)
    adapter = ClientCertificateAdapter(
        settings.bundle,
        validate_certs=host.params.get("validate_certs", True) is not False,
        ca_bundle=host.params.get("ca_bundle"),
        cleanup=getattr(host, "add_cleanup_file", None),
    )
    return scheme, adapter, settings


# -- signet.azure.request ---------------------------------------------------------------------------------------------------
def for_request(host, auth: str, service: str):
    """``(scheme, base_url, transport_overrides)`` for the ``auth`` option of signet.azure.request."""
    if auth not in REQUEST_SCHEMES:
        raise ConfigError("auth: %r is not supported; use one of %s" % (auth, ", ".join(sorted(REQUEST_SCHEMES))))
    if auth == "none":
        return NoAuth(), anonymous_storage_url(host, service), {}
    if auth in STORAGE_SCHEMES:
        scheme, settings = storage(host, auth, service)
        return scheme, settings.service_url(service), {}
    if auth == "batch_shared_key":
        scheme, settings = batch(host, "shared_key")
        return scheme, settings.endpoint, {}
    if auth == "client_certificate":
        scheme, adapter, settings = classic(host)
        return scheme, settings.base_url, {"adapter": adapter}
    endpoints = cloud_endpoints(host.params)
    scope = host.params.get("scope") or endpoints["arm_resource"].rstrip("/") + "/.default"
    return entra(host, "arm_resource", scope=scope), endpoints["resource_manager"], {}
