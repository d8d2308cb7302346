# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""AzureRestModule: the AnsibleModule wrapper every module of the collection uses.

It merges the ``connection`` options into the module's spec, registers every no_log value with the redactor,
builds transports and service clients, and turns AzureRestError into one ``fail_json``.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._argspec import ArgSpec, connection_spec
from ._errors import AzureRestError
from ._redact import Redactor


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
        self._storage = None
        self._check_requests()

    # -- secrets -------------------------------------------------------------------------------------------------
    def register_secret(self, value) -> None:
        """Mark a derived secret (a token, a generated SAS, a fetched secret value) so it is never printed."""
        if value:
            self.no_log_values.add(str(value))
            self.redactor.add(value)

    def _check_requests(self) -> None:
        from ._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR

        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))

    # -- transports and clients ----------------------------------------------------------------------------------
    def transport(self, auth=None, **overrides):
        """A Transport with this module's connection options, retry warnings and the 403 explainer."""
        from ._explain import explain
        from ._transport import Transport

        p = self.params
        kwargs = dict(
            timeout=p.get("timeout") or 60,
            retries=p.get("retries") if p.get("retries") is not None else 3,
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

    def storage_settings(self):
        """Resolved StorageSettings (cached). Raises ConfigError."""
        if self._storage is None:
            from ._storage import resolve

            self._storage = resolve(self.params)
        return self._storage

    def storage_transport(self, service: str = "blob", mode: str | None = None):
        """(settings, transport) signed for the storage account."""
        settings = self.storage_settings()
        auth = settings.auth(mode or self.params.get("storage_auth") or "auto", table=(service == "table"))
        if settings.sas_token:
            self.register_secret(settings.sas_token)
        return settings, self.transport(auth)

    def blob_client(self):
        """A BlobClient (plugins/module_utils/_clients/blob.py) for the configured account."""
        from ._clients.blob import BlobClient

        settings, transport = self.storage_transport("blob")
        return BlobClient(settings, transport)

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
