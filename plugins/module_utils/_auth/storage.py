# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Storage Shared Key, SharedKeyLite and SAS auth schemes."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .._errors import ConfigError
from .._signing import storage as sk
from .base import AuthScheme, http_date


class _StorageAuthBase(AuthScheme):
    def __init__(self, account: str, api_version: str, cloud: str | None = None):
        self.account = account
        self.api_version = api_version
        self.cloud = cloud

    def _stamp(self, r) -> None:
        r.headers["x-ms-date"] = http_date()
        r.headers.setdefault("x-ms-version", self.api_version)


class SharedKeyAuth(_StorageAuthBase):
    """``Authorization: SharedKey account:signature`` for Blob, Queue and File (and Table with ``table=True``)."""

    scheme = "SharedKey"
    name = "shared_key"

    def __init__(self, account: str, key: str, api_version: str, cloud: str | None = None, table: bool = False):
        super().__init__(account, api_version, cloud)
        self._key = key
        self.table = table

    def validate(self) -> None:
        missing = [n for n, v in (("account_name", self.account), ("account_key", self._key)) if not v]
        if missing:
            raise ConfigError(
                "Shared Key auth needs %s: set %s (or a connection string with AccountKey)"
                % (" and ".join(missing), ", ".join(missing))
            )
        try:
            sk.decode_account_key(self._key)
        except ValueError as exc:
            raise ConfigError("account_key: %s" % exc) from None

    def sign(self, r) -> None:
        self._stamp(r)
        if self.table:
            sts = sk.string_to_sign_table(r.method, r.url, r.headers, self.account)
        else:
            sts = sk.string_to_sign_shared_key(r.method, r.url, r.headers, self.account)
        self.last_string_to_sign = sts
        r.headers["Authorization"] = "SharedKey %s:%s" % (self.account, sk.sign(self._key, sts))


class SharedKeyLiteAuth(SharedKeyAuth):
    """``Authorization: SharedKeyLite account:signature``."""

    scheme = "SharedKeyLite"
    name = "shared_key_lite"

    def sign(self, r) -> None:
        self._stamp(r)
        if self.table:
            sts = sk.string_to_sign_table_lite(r.url, r.headers, self.account)
        else:
            sts = sk.string_to_sign_shared_key_lite(r.method, r.url, r.headers, self.account)
        self.last_string_to_sign = sts
        r.headers["Authorization"] = "SharedKeyLite %s:%s" % (self.account, sk.sign(self._key, sts))


class SasAuth(_StorageAuthBase):
    """Appends a SAS token to the query string of every request."""

    scheme = "SAS"
    name = "sas"

    def __init__(self, token: str, api_version: str, account: str | None = None, cloud: str | None = None):
        super().__init__(account or "", api_version, cloud)
        self.token = (token or "").strip().lstrip("?")

    def validate(self) -> None:
        if not self.token:
            raise ConfigError("SAS auth needs sas_token (or a connection string with SharedAccessSignature)")
        if "sig=" not in self.token:
            raise ConfigError("sas_token: the token has no 'sig=' field; paste the whole query string of the SAS URL (after '?')")
        if " " in self.token:
            raise ConfigError("sas_token: the token contains spaces; it must stay URL-encoded ('+' as %2B)")

    def sign(self, r) -> None:
        self._stamp(r)
        parts = urlsplit(r.url)
        existing = [
            p
            for p in parts.query.split("&")
            if p and not p.startswith(("sig=", "sv=", "se=", "sp=", "sr=", "st=", "ss=", "srt=", "spr=", "sip="))
        ]
        query = "&".join(existing + [self.token])
        r.url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        self.last_string_to_sign = None
