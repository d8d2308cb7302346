# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The one place where options become an auth scheme, for ``signet.azure.request`` and the typed modules alike.

Every function takes a *host*: the AzureRestModule (anything with ``params``, ``register_secret(value)`` and
``warn(text)``; ``add_cleanup_file`` is used when present; the storage_sas lookup passes a small adapter). Each
returns a validated scheme: validation runs offline and raises ConfigError naming the option and the fix. Entra is
imported only when chosen, so a Shared Key storage call never imports msal (nor, the client certificate being
imported only for the classic API, cryptography). ``auth_source`` (``_settings/auth_source``)
decides where an Entra credential comes from, for every family at once.
"""

from __future__ import annotations

from .._errors import ConfigError
from .._settings import batch as batch_settings
from .._settings import storage as storage_settings
from .._settings.auth_source import EntraSource, resolve_source
from .._settings.entra import cloud_endpoints
from .base import NoAuth
from .batch import BatchSharedKeyAuth
from .storage import SasAuth, SharedKeyAuth, SharedKeyLiteAuth, StorageBearerAuth

#: ``auth`` values of signet.azure.request (``storage``: the storage options decide, by ``storage_auth``).
REQUEST_SCHEMES = (
    "shared_key",
    "shared_key_lite",
    "sas",
    "storage",
    "none",
    "batch_shared_key",
    "entra",
    "client_certificate",
)
STORAGE_SCHEMES = {"shared_key": SharedKeyAuth, "shared_key_lite": SharedKeyLiteAuth, "sas": SasAuth}
NO_STORAGE_CREDENTIAL = (
    "no storage credential given: set account_key (env AZURE_STORAGE_KEY), sas_token (env AZURE_STORAGE_SAS_TOKEN) or "
    "connection_string (env AZURE_STORAGE_CONNECTION_STRING); or sign in with Entra ID (storage_auth=entra): "
    "client_id, client_secret and tenant_id (AWX's AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT), a client certificate, "
    "federated_token_file, managed_identity, access_token, or auth_source cli, msi or credential_file"
)


# -- storage --------------------------------------------------------------------------------------------------------------
def storage_scheme(settings, mode: str = "auto", table: bool = False):
    """The key or SAS scheme for resolved settings: ``auto`` picks Shared Key when a key is known, else SAS."""
    if mode == "auto":
        mode = "shared_key" if settings.key else ("sas" if settings.sas_token else "shared_key")
    if mode not in STORAGE_SCHEMES:
        raise ConfigError("storage auth %r is not supported; use shared_key, shared_key_lite, sas or entra" % mode)
    if mode == "sas":
        scheme = SasAuth(settings.sas_token, settings.api_version, settings.account, settings.cloud)
    else:
        scheme = STORAGE_SCHEMES[mode](settings.account, settings.key, settings.api_version, settings.cloud, table=table)
    scheme.validate()
    return scheme


def storage(host, mode: str | None = None, service: str = "blob", scope: str | None = None):
    """``(scheme, settings)`` for the storage options of ``host``; ``mode`` defaults to ``storage_auth``.

    ``auto`` picks Shared Key when a key is known, else the SAS token, else Entra ID when an Entra credential is
    given (options, environment, ``auth_source``); ConfigError naming every way when there is none.
    """
    mode = mode or host.params.get("storage_auth") or "auto"
    settings = storage_settings.resolve(host.params, require_credential=False)
    if settings.sas_token:
        host.register_secret(settings.sas_token)
    if mode == "auto" and not (settings.key or settings.sas_token):
        if not entra_source(host).has_credential:
            raise ConfigError(NO_STORAGE_CREDENTIAL)
        mode = "entra"
    if mode == "entra":
        return storage_entra(host, settings, service, scope), settings
    settings = storage_settings.resolve(host.params)
    return storage_scheme(settings, mode, table=(service == "table")), settings


def storage_entra(host, settings, service: str = "blob", scope: str | None = None):
    """A StorageBearerAuth: an Entra token for ``storage_resource`` of the cloud (``scope`` overrides), over HTTPS only."""
    url = settings.service_url(service)
    if not url.lower().startswith("https://"):
        raise ConfigError(
            "storage_auth=entra: %s is not https; storage takes Entra ID tokens over HTTPS only, and a token must never "
            "travel in clear text: use an https endpoint" % url
        )
    scheme = StorageBearerAuth(
        entra(host, "storage_resource", scope=scope), settings.account, settings.api_version, settings.cloud
    )
    scheme.validate()
    return scheme


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
        elif entra_source(host).has_credential or params.get("client_id"):
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
def entra_source(host) -> EntraSource:
    """The effective Entra options of ``host`` by ``auth_source`` (computed once; secrets read from a credentials file
    are registered with ``host.register_secret``)."""
    cached = getattr(host, "_signet_entra_source", None)
    if cached is not None:
        return cached
    source = resolve_source(host.params)
    for secret in source.secrets:
        host.register_secret(secret)
    try:
        host._signet_entra_source = source
    except AttributeError:  # pragma: no cover - a host that takes no attributes computes it again
        pass
    return source


def entra(host, resource_key: str, scope: str | None = None):
    """An EntraAuth for the cloud resource ``resource_key`` of ``_clouds.CLOUDS`` (``arm_resource``,
    ``keyvault_resource``, ``batch_resource``, ``storage_resource``), honouring ``cloud_endpoints`` and
    ``auth_source`` (an AzureCliAuth for ``cli``); ``scope`` defaults to ``<resource>/.default``. Tokens are
    registered with ``host.register_secret``.
    """
    from .entra import EntraAuth

    source = entra_source(host)
    endpoints = cloud_endpoints(source.params)
    if scope is None:
        try:
            resource = endpoints[resource_key]
        except KeyError:
            raise ConfigError("unknown cloud resource %r" % resource_key) from None
        scope = resource.rstrip("/") + "/.default"
    if source.use_cli:
        from .cli import AzureCliAuth

        factory = AzureCliAuth.from_params
    else:
        factory = EntraAuth.from_params
    scheme = factory(source.params, scope, on_token=host.register_secret, on_warning=host.warn)
    scheme.validate()
    return scheme


# -- classic (client certificate) ------------------------------------------------------------------------------------------
def classic(host):
    """``(scheme, adapter, settings)`` for the classic API: the certificate is loaded and checked before any call.
    Imported here, not at the top: the certificate code needs ``cryptography``, which no other family loads."""
    from .._settings import classic as classic_settings
    from .client_cert import ClientCertificateAuth
    from .tls import ClientCertificateAdapter

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
    if auth == "storage" or (auth == "shared_key" and host.params.get("storage_auth") == "entra"):
        # storage_auth decides; storage_auth=entra is honoured with the default auth (shared_key) too
        scheme, settings = storage(host, None, service, scope=host.params.get("scope"))
        return scheme, settings.service_url(service), {}
    if auth in STORAGE_SCHEMES:
        scheme, settings = storage(host, auth, service)
        return scheme, settings.service_url(service), {}
    if auth == "batch_shared_key":
        scheme, settings = batch(host, "shared_key")
        return scheme, settings.endpoint, {}
    if auth == "client_certificate":
        scheme, adapter, settings = classic(host)
        return scheme, settings.base_url, {"adapter": adapter}
    endpoints = cloud_endpoints(entra_source(host).params)
    scope = host.params.get("scope") or endpoints["arm_resource"].rstrip("/") + "/.default"
    return entra(host, "arm_resource", scope=scope), endpoints["resource_manager"], {}
