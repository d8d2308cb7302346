# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Azure Batch Shared Key auth (``ocp-date``). The endpoint is resolved in ``_settings/batch.py``."""

from __future__ import annotations

from .._errors import ConfigError
from .._settings.batch import missing_shared_key_message
from .._signing import batch as bk
from .base import AuthScheme, http_date


class BatchSharedKeyAuth(AuthScheme):
    """``Authorization: SharedKey <account>:<signature>`` for the Batch data plane.

    Every attempt gets a fresh ``ocp-date``, then is signed over the final URL and headers. A Content-Type the caller
    set is kept and signed as sent: the Batch service builds its string-to-sign from the Content-Type it receives
    ("Authenticate requests to Azure Batch", "Construct the signature string"), so replacing it would only hide the
    caller's choice. Without one the Batch Content-Type (:data:`_signing.batch.BATCH_CONTENT_TYPE`) is sent.
    ``last_string_to_sign`` keeps the string (never the key).
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
            raise ConfigError(missing_shared_key_message(missing))
        try:
            bk.decode_batch_key(self._key)
        except ValueError as exc:
            raise ConfigError("batch_access_key: %s" % exc) from None

    def sign(self, r) -> None:
        for name in [n for n in r.headers if n.lower() == "ocp-date"]:
            del r.headers[name]
        r.headers["ocp-date"] = http_date()
        if not r.headers.get("Content-Type"):
            r.headers["Content-Type"] = bk.BATCH_CONTENT_TYPE
        sts = bk.string_to_sign(r.method, r.url, r.headers.items(), self.account)
        self.last_string_to_sign = sts
        signature = bk.sign(self._key, sts)
        if self.on_signature is not None:
            self.on_signature(signature)
        r.headers["Authorization"] = "SharedKey %s:%s" % (self.account, signature)
