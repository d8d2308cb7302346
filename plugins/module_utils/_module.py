# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""AzureRestModule: the AnsibleModule wrapper every module of the collection uses.

It merges the ``connection`` options into the module's spec, registers every no_log value with the redactor,
builds transports and service clients, and turns AzureRestError into one ``fail_json``.
"""

from __future__ import annotations

import os
import traceback

from ansible.module_utils.basic import AnsibleModule

from ._argspec import ArgSpec, connection_spec
from ._errors import AzureRestError, ConfigError
from ._redact import Redactor, embedded_secrets
from ._defaults import RETRIES, TIMEOUT


class AzureRestModule(AnsibleModule):
    """AnsibleModule with the collection's plumbing. Construct with an ArgSpec (or a plain argument_spec dict)."""

    def __init__(self, spec, **kwargs):
        if isinstance(spec, dict):
            spec = ArgSpec(argument_spec=spec)
        spec = spec.merge(connection_spec())
        merged = spec.to_kwargs()
        for key, value in kwargs.items():
            if key in merged and isinstance(value, list):
                merged[key] = merged[key] + value
            else:
                merged[key] = value
        super().__init__(**merged)
        self.redactor = Redactor(self.no_log_values)
        self._register_embedded_secrets(self.params)
        self._check_requests()

    # -- secrets -------------------------------------------------------------------------------------------------
    def register_secret(self, value) -> None:
        """Mark a derived secret (a token, a generated SAS, a fetched secret value) so it is never printed."""
        if value:
            self.no_log_values.add(str(value))
            self.redactor.add(value)

    def _register_embedded_secrets(self, value) -> None:
        """Register every SAS ``sig=`` (and connection-string key) found in any option, so that neither a message nor
        ``invocation.module_args`` (printed at -vvv) shows it, whatever option carried it (url, headers, body)."""
        for secret in embedded_secrets(value):
            self.register_secret(secret)

    def _check_requests(self) -> None:
        from ._deps import missing_library_message
        from ._transport import HAS_REQUESTS

        if not HAS_REQUESTS:
            self.fail_json(msg=missing_library_message("requests", "requests", "by every module of signet.azure"))

    # -- transports and clients ----------------------------------------------------------------------------------
    def transport(self, auth=None, **overrides):
        """A Transport with this module's connection options, retry warnings and the 403 explainer."""
        from ._explain import explain
        from ._transport import Transport

        p = self.params
        kwargs = dict(
            timeout=p.get("timeout") or TIMEOUT,
            retries=p.get("retries") if p.get("retries") is not None else RETRIES,
            validate_certs=p.get("validate_certs", True),
            ca_bundle=p.get("ca_bundle"),
            redactor=self.redactor,
            on_retry=self.warn,
            explain=explain,
        )
        kwargs.update(overrides)
        if not kwargs["validate_certs"]:
            self.warn("validate_certs=false: TLS certificates are not verified; a man in the middle can replay signed requests")
        return Transport(auth, **kwargs)

    # -- clients: one factory per service ------------------------------------------------------------------------
    def blob_client(self):
        """A BlobClient (``_clients/blob.py``) for the storage options (``storage_auth``)."""
        from ._auth import resolve
        from ._clients.blob import BlobClient

        scheme, settings = resolve.storage(self, service="blob")
        return BlobClient(settings, self.transport(scheme))

    def batch_client(self):
        """A BatchClient (``_clients/batch.py``) for the Batch options (``batch_auth``: shared key or Entra)."""
        from ._auth import resolve
        from ._clients.batch import BatchClient

        scheme, settings = resolve.batch(self)
        return BatchClient(self.transport(scheme), settings.endpoint, settings.api_version)

    def classic_client(self):
        """A ClassicClient (``_clients/classic.py``) for the ``classic_auth`` options (management certificate)."""
        from ._auth import resolve
        from ._clients.classic import ClassicClient

        scheme, adapter, settings = resolve.classic(self)
        return ClassicClient(self.transport(scheme, adapter=adapter), settings)

    def keyvault_client(self):
        """A KeyVaultClient (``_clients/keyvault.py``) for ``vault_name``/``vault_url``, with a Key Vault token."""
        from ._auth import resolve
        from ._clients.keyvault import KeyVaultClient
        from ._settings.entra import cloud_endpoints, vault_url_for

        # the cloud may come from auth_source (a credentials file profile's cloud_environment)
        url = vault_url_for(self.params, cloud_endpoints(resolve.entra_source(self).params))
        return KeyVaultClient(url, self.transport(resolve.entra(self, "keyvault_resource")))

    def cloud_service_client(self, poll_interval: float = 15.0):
        """``(CloudServiceClient, resource_id)`` for ``subscription_id``, ``resource_group``, ``name``: ARM calls with an
        ARM token, Key Vault reads (the secrets behind certificate URLs) with a vault token."""
        from ._auth import resolve
        from ._clients.arm import ArmClient
        from ._clients.cloud_service import CloudServiceClient
        from ._settings.entra import cloud_endpoints, cloud_service_id

        source = resolve.entra_source(self).params
        p = dict(self.params, subscription_id=self.params.get("subscription_id") or source.get("subscription_id"))
        for option in ("subscription_id", "resource_group", "name"):
            if not p.get(option):
                raise ConfigError("%s is required (the cloud service's subscription, resource group and name)" % option)
        endpoints = cloud_endpoints(source)
        arm = ArmClient(
            self.transport(resolve.entra(self, "arm_resource")),
            endpoints["resource_manager"],
            p["arm_api_version"],
            poll_interval=poll_interval,
        )
        client = CloudServiceClient(
            arm,
            lambda: self.transport(resolve.entra(self, "keyvault_resource")),
            endpoints["keyvault_suffix"],
            warn=self.warn,
            on_secret=self.register_secret,
        )
        return client, cloud_service_id(p["subscription_id"], p["resource_group"], p["name"])

    def run_blob(self, fn) -> None:
        """Build the BlobClient, run ``fn(client, params, check_mode)`` (a ``_plans/blob*.py`` function) and exit, or
        fail once on AzureRestError. The client's ``warnings`` (and a result's ``warnings``) go through ``warn``."""
        client = None
        try:
            client = self.blob_client()
            result = fn(client, self.params, self.check_mode)
        except AzureRestError as e:
            for warning in getattr(client, "warnings", None) or []:
                self.warn(warning)
            self.fail_from_error(e)
        finally:
            if client is not None:
                client.close()
        for warning in list(getattr(client, "warnings", None) or []) + list(result.pop("warnings", None) or []):
            self.warn(warning)
        self.exit_json(**result)

    def private_new_files(self):
        """A context manager: while it runs, files are created without group or other access (umask 077) when the
        ``mode`` option is set, so a file never shows more than it should before ``set_file_attributes`` applies
        that mode. Without ``mode`` it changes nothing."""
        import contextlib

        @contextlib.contextmanager
        def umask():
            if self.params.get("mode") is None:
                yield
                return
            old = os.umask(0o077)
            try:
                yield
            finally:
                os.umask(old)

        return umask()

    def set_file_attributes(self, paths, changed: bool) -> bool:
        """Apply the standard file options of ``add_file_common_args`` (mode, owner, group, SELinux context,
        attributes) to every path that exists, the way ansible.builtin.copy and get_url do
        (``set_fs_attributes_if_different``, check mode respected). Returns ``changed`` or'ed with their changes."""
        for path in paths:
            if os.path.lexists(path):
                changed = self.set_fs_attributes_if_different(self.load_file_common_arguments(self.params, path=path), changed)
        return changed

    def request_transport(self, auth: str, service: str):
        """``(transport, base_url)`` for signet.azure.request's ``auth`` option (``_auth/resolve.for_request``)."""
        from ._auth import resolve

        scheme, base_url, overrides = resolve.for_request(self, auth, service)
        return self.transport(scheme, **overrides), base_url

    # -- results -------------------------------------------------------------------------------------------------
    def fail_from_error(self, error: Exception, **extra):
        """Fail the task once, with a redacted message and the error's structured fields."""
        if isinstance(error, AzureRestError):
            result = self.redactor.redact(error.to_result())
            result.update(extra)
            self.fail_json(msg=self.redactor.redact(error.msg), **result)
        self.fail_json(
            msg=self.redactor.redact("unexpected error: %s: %s" % (type(error).__name__, error)),
            exception=self.redactor.redact(traceback.format_exc()),
            **extra,
        )

    def warn(self, warning):
        super().warn(self.redactor.redact(warning) if hasattr(self, "redactor") else warning)

    @property
    def debug_output(self) -> bool:
        """True when the user asked for extra detail (``--diff`` or ``-vv`` and up)."""
        return bool(self._diff or getattr(self, "_verbosity", 0) >= 2)
