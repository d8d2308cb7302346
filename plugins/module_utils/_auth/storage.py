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


#: Storage accepts OAuth (bearer) tokens from this x-ms-version on ("Authorize with Microsoft Entra ID").
OAUTH_MIN_VERSION = "2017-11-09"
#: What storage accepts as a token audience (besides the account's own URL): the resource and its application ID.
STORAGE_AUDIENCE = "https://storage.azure.com"
STORAGE_APP_ID = "e406a681-f3d4-42a8-90b6-c2b029497af1"
READER_ROLE = "Storage Blob Data Reader"
CONTRIBUTOR_ROLE = "Storage Blob Data Contributor"
DELEGATOR_ROLE = "Storage Blob Delegator"


def _account_and_container(url: str, account: str) -> tuple[str, str | None]:
    """The account and container a blob URL names (host style, or path style as on Azurite)."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    segs = [s for s in parts.path.split("/") if s]
    if segs and segs[0] == account and not host.startswith(account + "."):
        segs = segs[1:]
    return account or host.split(".")[0], (segs[0] if segs else None)


def _rbac_role(method: str, url: str) -> tuple[str, str]:
    """The data-plane role an operation needs and what it does (read, write, user delegation key)."""
    query = urlsplit(url or "").query.lower()
    if method == "POST" and "comp=userdelegationkey" in query:
        return DELEGATOR_ROLE + " (or " + READER_ROLE + ")", "get a user delegation key"
    if method in ("GET", "HEAD", "OPTIONS"):
        return READER_ROLE, "read"
    return CONTRIBUTOR_ROLE, "write"


def storage_rbac_hint(method: str, url: str, account: str, claims: dict) -> str:
    """The explanation of a 403 AuthorizationPermissionMismatch for a bearer token: which Azure RBAC role is missing,
    for which identity, on which scope. See "Assign an Azure role for access to blob data"
    (https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access)."""
    role, what = _rbac_role(method, url)
    account, container = _account_and_container(url, account)
    scope = "/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage/storageAccounts/%s" % (
        account
    )
    if container and "userdelegationkey" not in url.lower():
        scope += "/blobServices/default/containers/%s" % container
        where = "container %r of storage account %r" % (container, account)
    else:
        where = "storage account %r" % account
    who = claims.get("oid") or "<object id>"
    app = " (application %s)" % claims["appid"] if claims.get("appid") else ""
    return (
        "The Entra ID identity %s%s has no data-plane role that lets it %s on %s: assign it %r (%s to write) on the %s, "
        "or on the account, its resource group or subscription, for example `az role assignment create --role %r "
        "--assignee-object-id %s --scope %s`. Management roles such as Owner or Contributor do not grant data access, "
        "and a new role assignment can take up to 10 minutes to apply."
        % (who, app, what, where, role, CONTRIBUTOR_ROLE, "container" if "/containers/" in scope else "account", role, who, scope)
    )


class StorageBearerAuth(_StorageAuthBase):
    """``Authorization: Bearer <token>`` for Blob storage, with ``x-ms-date`` and ``x-ms-version`` stamped as for the
    other storage schemes. ``token_auth`` is an EntraAuth (any credential kind, the Azure CLI too) for
    ``https://storage.azure.com/.default``; it is used, never imported, here (storage without Entra needs no msal)."""

    scheme = "Bearer"
    name = "entra"

    def __init__(self, token_auth, account: str, api_version: str, cloud: str | None = None):
        super().__init__(account, api_version, cloud)
        self.token_auth = token_auth

    @property
    def last_token_claims(self) -> dict:
        return getattr(self.token_auth, "last_token_claims", {}) or {}

    def validate(self) -> None:
        if (self.api_version or "") < OAUTH_MIN_VERSION:
            raise ConfigError(
                "storage_api_version: %s is too old for Entra ID (OAuth) on storage; use %s or later (the default "
                "2023-11-03 is fine)" % (self.api_version, OAUTH_MIN_VERSION)
            )
        self.token_auth.validate()

    def sign(self, r) -> None:
        self._stamp(r)
        self.token_auth.sign(r)
        self.last_string_to_sign = None

    def invalidate(self) -> bool:
        return self.token_auth.invalidate()

    def explain_hint(self, resp, parsed) -> str | None:
        """A 403 AuthorizationPermissionMismatch names the missing role and its scope; other 401/403 answers compare
        the token (audience, tenant, lifetime) with what storage wants."""
        code = parsed.get("code") or resp.headers.get("x-ms-error-code") or ""
        if code == "AuthorizationPermissionMismatch":
            method = resp.request.method if resp.request is not None else "GET"
            return storage_rbac_hint(method, resp.url, self.account, self.last_token_claims)
        lines = token_lines(self.last_token_claims, self.account, parsed.get("detail") or "", resp.headers)
        if code == "AuthorizationFailure":
            lines.append(
                "AuthorizationFailure with a valid token usually means that the account's firewall or network rules "
                "block this client."
            )
        return " ".join(lines) or None


def _storage_audience(aud: str, account: str) -> bool:
    """Whether a token audience is one storage accepts: https://storage.azure.com, its application ID, or the
    account's own service URL."""
    aud = (aud or "").rstrip("/").lower()
    return aud in (STORAGE_AUDIENCE, STORAGE_APP_ID) or aud.startswith("https://%s." % (account or "").lower())


def token_lines(claims: dict, account: str, detail: str, headers) -> list[str]:
    """Why storage may have refused a bearer token: audience, tenant (from the ``WWW-Authenticate`` challenge), or
    an expired token."""
    lines = []
    aud = str(claims.get("aud") or "")
    if aud and not _storage_audience(aud, account):
        lines.append(
            "The token was issued for audience %s, not for storage: use the scope %s/.default (what storage_auth=entra "
            "asks for), or an access_token obtained for that resource." % (aud, STORAGE_AUDIENCE)
        )
    challenge = headers.get("WWW-Authenticate") or ""
    if "authorization_uri=" in challenge:
        tenant = challenge.split("authorization_uri=", 1)[1].split()[0].strip('",').split("/")[3:4]
        tid = claims.get("tid")
        if tenant and tid and tenant[0].lower() != str(tid).lower():
            lines.append("The account belongs to tenant %s but the token is from tenant %s: set tenant_id." % (tenant[0], tid))
    if "expired" in detail.lower() or "lifetime validation failed" in detail.lower():
        lines.append("The token has expired: get a new one (a given access_token is never renewed).")
    return lines
