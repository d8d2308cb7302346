# SPDX-License-Identifier: GPL-3.0-or-later
"""The plugin interface of the Azure twin.

Every Azure service the twin imitates is a subclass of :class:`Plugin`. The server parses the HTTP request that
arrived on a TLS tunnel (or on the plain-HTTP port for the few plain paths a plugin claims), builds a
:class:`Request`, and calls :meth:`Plugin.handle`, which returns a :class:`Response`.

Only the standard library is used here, so that plugins can import this module cheaply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

# --------------------------------------------------------------------------------------------------------------------
# Clouds
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cloud:
    """The hostnames and token audiences of one Azure cloud.

    ``batch_suffix`` is the part after ``<account>.<region>.``; ``vault_suffix`` the part after ``<vault>.``.
    ``resources`` maps a service key (``arm``, ``keyvault``, ``batch``) to the audiences a token for that service may
    carry (the first one is the canonical one).
    """

    name: str
    login_host: str
    arm_host: str
    vault_suffix: str
    batch_suffix: str
    classic_host: str
    resources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    login_aliases: tuple[str, ...] = ()

    def resource(self, service: str) -> str:
        """Return the canonical token audience (resource URI) for ``service`` in this cloud."""
        return self.resources[service][0]

    def audiences(self, service: str) -> tuple[str, ...]:
        """Return every audience accepted for ``service`` in this cloud."""
        return tuple(self.resources[service])


CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud(
        name="AzureCloud",
        login_host="login.microsoftonline.com",
        login_aliases=("login.windows.net", "login.microsoft.com", "sts.windows.net"),
        arm_host="management.azure.com",
        vault_suffix="vault.azure.net",
        batch_suffix="batch.azure.com",
        classic_host="management.core.windows.net",
        resources={
            "arm": ("https://management.azure.com/", "https://management.core.windows.net/"),
            "keyvault": ("https://vault.azure.net",),
            "batch": ("https://batch.core.windows.net/",),
        },
    ),
    "AzureChinaCloud": Cloud(
        name="AzureChinaCloud",
        login_host="login.chinacloudapi.cn",
        arm_host="management.chinacloudapi.cn",
        vault_suffix="vault.azure.cn",
        batch_suffix="batch.chinacloudapi.cn",
        classic_host="management.core.chinacloudapi.cn",
        resources={
            "arm": ("https://management.chinacloudapi.cn/", "https://management.core.chinacloudapi.cn/"),
            "keyvault": ("https://vault.azure.cn",),
            "batch": ("https://batch.chinacloudapi.cn/",),
        },
    ),
    "AzureUSGovernment": Cloud(
        name="AzureUSGovernment",
        login_host="login.microsoftonline.us",
        arm_host="management.usgovcloudapi.net",
        vault_suffix="vault.usgovcloudapi.net",
        batch_suffix="batch.usgovcloudapi.net",
        classic_host="management.core.usgovcloudapi.net",
        resources={
            "arm": ("https://management.usgovcloudapi.net/", "https://management.core.usgovcloudapi.net/"),
            "keyvault": ("https://vault.usgovcloudapi.net",),
            "batch": ("https://batch.core.usgovcloudapi.net/",),
        },
    ),
}

#: Regions for which the TLS certificate carries ``*.<region>.<batch suffix>`` (a wildcard covers one label only).
DEFAULT_BATCH_REGIONS: tuple[str, ...] = (
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "westus3",
    "centralus",
    "northeurope",
    "westeurope",
    "uksouth",
    "chinaeast2",
    "chinanorth2",
    "chinanorth3",
    "usgovvirginia",
    "usgovarizona",
    "usgovtexas",
)


def host_matches(pattern: str, host: str) -> bool:
    """Match ``host`` against a certificate-style pattern: a leading ``*`` matches exactly one DNS label."""
    pattern = pattern.lower()
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return host == pattern


# --------------------------------------------------------------------------------------------------------------------
# Errors raised by Request helpers
# --------------------------------------------------------------------------------------------------------------------


class TokenError(Exception):
    """A bearer token was missing or failed validation. Plugins turn it into their service's 401.

    ``code`` is one of ``"missing"``, ``"invalid"``, ``"expired"``, ``"audience"``; ``arm_code`` is the ARM error
    code Azure uses for it (``AuthenticationFailed``, ``InvalidAuthenticationToken``, ``ExpiredAuthenticationToken``,
    ``InvalidAuthenticationTokenAudience``), ``message`` reads like Azure's message, and ``claims`` holds the decoded
    (signature-checked) claims when they are known (expired / wrong audience).
    """

    code = "invalid"
    arm_code = "InvalidAuthenticationToken"

    def __init__(self, message: str, claims: dict | None = None):
        super().__init__(message)
        self.message = message
        self.claims = claims or {}


class MissingToken(TokenError):
    """No ``Authorization: Bearer`` header."""

    code = "missing"
    arm_code = "AuthenticationFailed"


class InvalidToken(TokenError):
    """Malformed token, unknown key, bad signature, wrong issuer."""

    code = "invalid"
    arm_code = "InvalidAuthenticationToken"


class ExpiredToken(TokenError):
    """Signature fine, but ``exp`` is in the past."""

    code = "expired"
    arm_code = "ExpiredAuthenticationToken"


class WrongAudience(TokenError):
    """Signature fine, but ``aud`` is not the resource of this service."""

    code = "audience"
    arm_code = "InvalidAuthenticationTokenAudience"


class BadRequestBody(Exception):
    """The request body is not what the helper was asked to parse (e.g. not JSON)."""


# --------------------------------------------------------------------------------------------------------------------
# Headers, Request, Response
# --------------------------------------------------------------------------------------------------------------------


class Headers:
    """Case-insensitive, order-preserving, multi-valued header collection."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None):
        self._items: list[tuple[str, str]] = []
        if isinstance(items, Mapping):
            items = items.items()
        for name, value in items or ():
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a header (keeps existing ones of the same name)."""
        self._items.append((str(name), str(value)))

    def set(self, name: str, value: str) -> None:
        """Replace all headers of this name with one value."""
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        """Delete every header of this name."""
        low = name.lower()
        self._items = [(n, v) for n, v in self._items if n.lower() != low]

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name`` or ``default``."""
        low = name.lower()
        for n, v in self._items:
            if n.lower() == low:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """All values of ``name`` in order."""
        low = name.lower()
        return [v for n, v in self._items if n.lower() == low]

    def items(self) -> list[tuple[str, str]]:
        """All ``(name, value)`` pairs as sent."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self):
        return iter(n for n, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Request:
    """One HTTP request as a plugin sees it.

    Attributes: ``method`` (upper case), ``raw_path`` (request target exactly as sent, still percent-encoded, with the
    query), ``path`` (percent-decoded path without the query), ``raw_query`` (query string as sent), ``query``
    (``dict[str, list[str]]``, decoded, blank values kept), ``headers`` (:class:`Headers`), ``body`` (bytes),
    ``host`` (lower-case hostname from the CONNECT, or ``127.0.0.1`` on the plain port), ``port``, ``cloud`` (a
    :class:`Cloud` or ``None`` on the plain port), ``cloud_name``, ``peer_cert_der`` (client certificate in DER, or
    ``None``), ``plain`` (``True`` when the request came over plain HTTP, not a tunnel), ``state`` (the shared
    :class:`~azure_twin.state.TwinState`), ``client_address``.
    """

    def __init__(
        self,
        *,
        method: str,
        raw_path: str,
        headers: Headers,
        body: bytes,
        host: str,
        port: int,
        cloud: Cloud | None,
        state: Any,
        peer_cert_der: bytes | None = None,
        plain: bool = False,
        client_address: tuple[str, int] | None = None,
    ):
        self.method = method.upper()
        self.raw_path = raw_path
        split = urlsplit(raw_path)
        self.path = unquote(split.path)
        self.raw_query = split.query
        self.query: dict[str, list[str]] = parse_qs(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.host = host.lower()
        self.port = port
        self.cloud = cloud
        self.state = state
        self.peer_cert_der = peer_cert_der
        self.plain = plain
        self.client_address = client_address
        self.connection_id: int | None = None  # set by the server: same id = same TCP connection (keep-alive)

    @property
    def cloud_name(self) -> str | None:
        """``'AzureCloud'``, ``'AzureChinaCloud'``, ``'AzureUSGovernment'`` or ``None`` (plain port)."""
        return self.cloud.name if self.cloud else None

    def query_one(self, name: str, default: str | None = None, *, ignore_case: bool = False) -> str | None:
        """First value of query parameter ``name`` (optionally matched case-insensitively)."""
        if ignore_case:
            for key, values in self.query.items():
                if key.lower() == name.lower():
                    return values[0]
            return default
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """Parse the body as JSON (UTF-8, BOM tolerated). Raises :class:`BadRequestBody` when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8-sig") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequestBody(f"request body is not valid JSON: {exc}") from exc

    def form(self) -> dict[str, list[str]]:
        """Parse an ``application/x-www-form-urlencoded`` body."""
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(self.body))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequestBody(f"request body is not form-encoded: {exc}") from exc

    def bearer_token(self) -> str:
        """Return the token of ``Authorization: Bearer <token>`` or raise :class:`MissingToken`."""
        value = self.headers.get("Authorization")
        if not value:
            raise MissingToken("Request is missing a Bearer or PoP token.")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise MissingToken("Request is missing a Bearer or PoP token.")
        return token.strip()

    def bearer_claims(self, resource: str | Iterable[str]) -> dict:
        """Validate the bearer token the twin's Entra issued and return its claims.

        ``resource`` is the audience (or audiences) the service accepts, e.g. ``request.cloud.audiences("keyvault")``.
        Checks signature (twin token key), issuer tenant, ``exp``/``nbf`` and ``aud`` (trailing slash ignored).
        Raises :class:`MissingToken`, :class:`InvalidToken`, :class:`ExpiredToken` or :class:`WrongAudience`.
        """
        from . import entra  # local import: entra imports this module

        return entra.verify_access_token(self.state, self.bearer_token(), resource)

    def __repr__(self) -> str:
        return f"<Request {self.method} https://{self.host}{self.raw_path}>"


class Response:
    """An HTTP response returned by a plugin.

    ``body`` may be ``None`` (empty), ``bytes`` (sent as is), ``str`` (UTF-8, ``text/plain`` unless a Content-Type is
    given) or anything JSON-serialisable (``application/json; charset=utf-8``). ``headers`` is a mapping or a list
    of pairs. ``Content-Length`` is always computed by the server; do not set it (except for a HEAD response, where
    you may set ``Content-Length`` to announce the size of the body you do not send).
    """

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | Iterable | None = None,
        *,
        reason: str | None = None,
    ):
        self.status = int(status)
        self.reason = reason
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        if body is None:
            self.body = b""
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self.body = bytes(body)
        elif isinstance(body, str):
            self.body = body.encode("utf-8")
            if "Content-Type" not in self.headers:
                self.headers.set("Content-Type", "text/plain; charset=utf-8")
        else:
            self.body = json.dumps(body, separators=(",", ":")).encode("utf-8")
            if "Content-Type" not in self.headers:
                self.headers.set("Content-Type", "application/json; charset=utf-8")

    def json(self) -> Any:
        """Decode the body as JSON (handy in plugin unit tests)."""
        return json.loads(self.body or b"null")

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


def json_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The ARM / Key Vault error shape ``{"error": {"code": ..., "message": ...}}``."""
    return Response(status, {"error": {"code": code, "message": message}}, headers)


def not_implemented(service: str, request: Request) -> Response:
    """A 501 used by placeholder plugins."""
    return json_error(501, "NotImplemented", f"The Azure twin has no {service} handler for {request.method} {request.path} yet.")


# --------------------------------------------------------------------------------------------------------------------
# Plugin base class
# --------------------------------------------------------------------------------------------------------------------


class Plugin:
    """Base class of a twin service.

    Class attributes:

    * ``name``: short name used by the control API (``POST /_twin/<name>/<action>``) and the state namespace.
    * ``client_cert``: ``True`` if the TLS handshake must *request* a client certificate (``CERT_OPTIONAL``,
      verified against the twin's client CA); the DER arrives as ``request.peer_cert_der``.
    * ``plain_paths``: path prefixes this plugin serves on the plain-HTTP port (e.g. ``("/_msi/",)``).

    Lifecycle: ``seed(state, state_dir)`` (classmethod) runs once at start-up before the port opens; put your test data
    in ``state.ns(name)`` and what tests need to know in ``state.info[name]`` (it lands in ``twin.json``). Then one
    instance is created with ``Plugin(state)`` and shared by all threads: guard shared data with ``state.lock``.
    """

    name = "plugin"
    client_cert = False
    plain_paths: tuple[str, ...] = ()

    def __init__(self, state: Any):
        self.state = state

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions: Iterable[str] = DEFAULT_BATCH_REGIONS) -> list[str]:
        """Hostname patterns (``*`` = one label) this plugin serves in ``cloud``. They also go into the TLS SANs."""
        return []

    @classmethod
    def seed(cls, state: Any, state_dir: str) -> None:
        """Create this plugin's seeded data. Default: nothing."""

    @property
    def data(self) -> dict:
        """This plugin's namespace in the shared state (``state.ns(self.name)``)."""
        return self.state.ns(self.name)

    def handle(self, request: Request) -> Response:
        """Answer one request. Unhandled exceptions become a 500 ``TwinInternalError`` (and a traceback on stderr)."""
        return not_implemented(self.name, request)

    def control(self, action: str, payload: Any) -> Response | dict | list | None:
        """Handle ``POST /_twin/<name>/<action>`` with the decoded JSON payload. Return a Response or JSON data."""
        return json_error(404, "UnknownControlAction", f"{self.name} has no control action {action!r}")


_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: str) -> bool:
    """True for a canonical ``8-4-4-4-12`` GUID."""
    return bool(_GUID_RE.match(value or ""))
