# SPDX-License-Identifier: GPL-3.0-or-later
"""Entra ID (Azure AD) token service of the twin, plus the access-token verifier other plugins call.

Served on ``login.microsoftonline.com`` / ``login.chinacloudapi.cn`` / ``login.microsoftonline.us`` (and the public
cloud's aliases), through the CONNECT tunnel:

* ``POST /{tenant}/oauth2/v2.0/token``: ``grant_type=client_credentials`` with a client secret, a certificate
  client assertion (RS256/PS256, ``x5t``/``x5t#S256``) or a federated (workload identity) assertion.
* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (and the v1 ``/{tenant}/.well-known/...``),
  ``GET /common/discovery/instance``, ``GET /{tenant}/discovery/v2.0/keys`` (JWKS of the token signing key).

And on the plain-HTTP port (never tunneled), managed identity:

* App Service style ``GET /_msi/token?resource=..&api-version=2019-08-01`` with ``X-IDENTITY-HEADER`` (the value of
  ``IDENTITY_HEADER``); optional ``client_id`` / ``object_id`` / ``mi_res_id``. Response has ``expires_on`` as a
  string of epoch seconds, as App Service does.
* IMDS style ``GET /_msi/metadata/identity/oauth2/token?resource=..&api-version=2018-02-01`` with ``Metadata: true``
  (400 otherwise, like IMDS); optional ``client_id`` / ``object_id`` / ``msi_res_id``.

JWTs are signed and verified with ``cryptography`` directly (no PyJWT), so this module is also the reference of
what the twin accepts.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .plugin import (
    CLOUDS,
    DEFAULT_BATCH_REGIONS,
    Cloud,
    ExpiredToken,
    InvalidToken,
    Plugin,
    Request,
    Response,
    TokenError,
    WrongAudience,
    json_error,
)

#: AADSTS code for a certificate client assertion whose ``aud`` is not the token endpoint.
AUD_MISMATCH_CODE = 50012
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600
#: Clock skew tolerated on client assertions (Entra allows about 5 minutes).
ASSERTION_SKEW = 300

#: Resources (token audiences) Entra knows in each cloud besides the service ones from ``Cloud.resources``.
EXTRA_RESOURCES = {
    "AzureCloud": ("https://storage.azure.com/", "https://graph.microsoft.com/"),
    "AzureChinaCloud": ("https://storage.azure.com/", "https://microsoftgraph.chinacloudapi.cn/"),
    "AzureUSGovernment": ("https://storage.azure.com/", "https://graph.microsoft.us/"),
}
STS_HOST = {"AzureCloud": "sts.windows.net", "AzureChinaCloud": "sts.chinacloudapi.cn", "AzureUSGovernment": "sts.windows.net"}


# ====================================================================================================================
# JWT primitives
# ====================================================================================================================


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; raises ValueError on junk."""
    if not isinstance(text, str) or any(
        c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text
    ):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def lifetime_claims(seconds: int = TOKEN_LIFETIME, *, expired: bool = False, now: float | None = None) -> dict:
    """``iat``/``nbf``/``exp`` for a token valid ``seconds`` from now (or one that expired 10 minutes ago)."""
    now = int(now or time.time())
    if expired:
        return {"iat": now - seconds - 600, "nbf": now - seconds - 600, "exp": now - 600}
    return {"iat": now, "nbf": now, "exp": now + seconds}


def sign_jwt(key, claims: dict, headers: dict | None = None, alg: str = "RS256") -> str:
    """Sign ``claims`` with a :class:`~azure_twin.state.SigningKey` (or a bare RSA private key)."""
    private_key = getattr(key, "private_key", key)
    header = {"typ": "JWT", "alg": alg}
    kid = getattr(key, "kid", None)
    if kid:
        header.update({"kid": kid, "x5t": kid})
    header.update(headers or {})
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    ).encode("ascii")
    if alg == "RS256":
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        signature = private_key.sign(signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    else:
        raise ValueError(f"unsupported alg {alg}")
    return signing_input.decode("ascii") + "." + b64url_encode(signature)


class JWTError(ValueError):
    """A JWT is malformed or its signature is wrong."""


def decode_jwt(token: str) -> tuple[dict, dict, bytes, bytes]:
    """Split and decode a compact JWS without verifying: ``(header, claims, signing_input, signature)``."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JWTError("a JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWTError(f"JWT is not base64url JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("JWT header and payload must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def verify_signature(public_key, alg: str, signing_input: bytes, signature: bytes) -> None:
    """Verify an RS256/PS256 signature (PS256 with salt length 32 as RFC 7518 requires). Raises JWTError."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise JWTError("key is not RSA")
    try:
        if alg == "RS256":
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            public_key.verify(signature, signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        else:
            raise JWTError(f"unsupported alg {alg!r}")
    except InvalidSignature as exc:
        raise JWTError("signature does not verify") from exc


def _norm_aud(value: str) -> str:
    return value.rstrip("/").lower()


def _utc(ts: float) -> str:
    """ARM's ``M/D/YYYY h:mm:ss AM`` format."""
    d = datetime.fromtimestamp(ts, timezone.utc)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


# ====================================================================================================================
# Access tokens: issue and verify
# ====================================================================================================================


def issue_access_token(
    state,
    *,
    resource: str,
    cloud: Cloud,
    client_id: str,
    object_id: str,
    appidacr: str,
    lifetime: int = TOKEN_LIFETIME,
    expired: bool = False,
    tenant_id: str | None = None,
    extra: dict | None = None,
    key=None,
) -> tuple[str, dict]:
    """Mint an RS256 v1 access token like Entra's for ``resource``; returns ``(token, claims)``."""
    tid = tenant_id or state.tenant_id
    claims = {
        "aud": resource,
        "iss": f"https://{STS_HOST[cloud.name]}/{tid}/",
        **lifetime_claims(lifetime, expired=expired),
        "aio": b64url_encode(secrets.token_bytes(24)),
        "appid": client_id,
        "azp": client_id,
        "appidacr": appidacr,
        "azpacr": appidacr,
        "idp": f"https://{STS_HOST[cloud.name]}/{tid}/",
        "idtyp": "app",
        "oid": object_id,
        "rh": "0.twin." + b64url_encode(secrets.token_bytes(8)),
        "sub": object_id,
        "tid": tid,
        "uti": b64url_encode(secrets.token_bytes(16)),
        "ver": "1.0",
        "xms_tcdt": int(time.time()) - 86400 * 30,
        "cloud": cloud.name,
    }
    claims.update(extra or {})
    return sign_jwt(key or state.token_key, claims), claims


def verify_access_token(state, token: str, resource: str | Iterable[str]) -> dict:
    """Verify a bearer token the twin issued: signature, issuer tenant, ``nbf``/``exp`` and audience.

    ``resource``: the audience or audiences the service accepts (trailing slash and case ignored).
    Returns the claims. Raises :class:`InvalidToken`, :class:`ExpiredToken` or :class:`WrongAudience`.
    """
    try:
        header, claims, signing_input, signature = decode_jwt(token)
    except JWTError as exc:
        raise InvalidToken(f"The access token is invalid. {exc}.") from exc
    if header.get("alg") != "RS256":
        raise InvalidToken(f"The access token is invalid. Unsupported signing algorithm '{header.get('alg')}'.")
    if header.get("kid") != state.token_key.kid:
        raise InvalidToken("The access token is invalid. The signing key was not found.")
    try:
        verify_signature(state.token_key.private_key.public_key(), "RS256", signing_input, signature)
    except JWTError as exc:
        raise InvalidToken("The access token is invalid. Signature validation failed.") from exc
    if claims.get("tid") != state.tenant_id:
        raise InvalidToken(
            f"The access token is from the wrong issuer '{claims.get('iss')}'. It must match the "
            f"tenant 'https://sts.windows.net/{state.tenant_id}/' associated with this subscription.",
            claims,
        )
    if claims.get("uti") in state.revoked_token_ids:
        raise InvalidToken("The access token has been revoked.", claims)
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise InvalidToken("The access token is invalid. It has no 'exp' claim.", claims)
    if exp <= now:
        raise ExpiredToken(
            f"The access token expiry UTC time '{_utc(exp)}' is earlier than current UTC time '{_utc(now)}'.", claims
        )
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf > now + ASSERTION_SKEW:
        raise InvalidToken(f"The access token is not yet valid (nbf '{_utc(nbf)}').", claims)
    accepted = [resource] if isinstance(resource, str) else list(resource)
    aud = claims.get("aud")
    if not isinstance(aud, str) or _norm_aud(aud) not in {_norm_aud(a) for a in accepted}:
        allowed = ",".join(f"'{a}'" for a in accepted)
        raise WrongAudience(
            f"The access token has been obtained for wrong audience or resource '{aud}'. It should "
            f"exactly match with one of the allowed audiences {allowed}.",
            claims,
        )
    return claims


def arm_unauthorized(exc: TokenError) -> Response:
    """ARM's 401 for a token problem (``AuthenticationFailed``, ``InvalidAuthenticationToken``, ...)."""
    if exc.code == "missing":
        message = "Authentication failed. The 'Authorization' header is missing."
        description = "The authentication failed because of missing 'Authorization' header."
    else:
        message = exc.message
        description = "The access token is invalid." if exc.code != "expired" else "The access token has expired."
    challenge = f'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="{description}"'
    return json_error(401, exc.arm_code, message, {"WWW-Authenticate": challenge})


def keyvault_challenge(state, cloud: Cloud) -> str:
    """Key Vault's ``WWW-Authenticate`` challenge value for ``cloud``."""
    return f'Bearer authorization="https://{cloud.login_host}/{state.tenant_id}", resource="{cloud.resource("keyvault")}"'


def keyvault_unauthorized(exc: TokenError, request: Request) -> Response:
    """Key Vault's 401: ``{"error":{"code":"Unauthorized",...}}`` plus the Bearer challenge."""
    cloud = request.cloud or CLOUDS["AzureCloud"]
    message = {
        "missing": "Request is missing a Bearer or PoP token.",
        "expired": "AKV10022: Invalid audience or token expired. " + exc.message,
        "audience": f"AKV10022: Invalid audience. Expected {cloud.resource('keyvault')}, found: {exc.claims.get('aud')}.",
    }.get(exc.code, "AKV10032: Invalid issuer or signature. " + exc.message)
    return json_error(401, "Unauthorized", message, {"WWW-Authenticate": keyvault_challenge(request.state, cloud)})


# ====================================================================================================================
# AADSTS errors
# ====================================================================================================================


class AADError(Exception):
    """An Entra token endpoint error: HTTP status, OAuth ``error``, AADSTS number and description."""

    def __init__(self, status: int, error: str, code: int, description: str):
        super().__init__(f"AADSTS{code}: {description}")
        self.status, self.error, self.code, self.description = status, error, code, description

    def response(self, request: Request) -> Response:
        """The JSON body Entra sends."""
        trace_id = str(uuid.uuid4())
        correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        host = request.host if not request.plain else "login.microsoftonline.com"
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://{host}/error?code={self.code}",
        }
        return Response(
            self.status,
            body,
            {
                "Cache-Control": "no-store, no-cache",
                "Pragma": "no-cache",
                "x-ms-request-id": trace_id,
                "client-request-id": correlation_id,
            },
        )


def _missing(param: str) -> AADError:
    return AADError(400, "invalid_request", 900144, f"The request body must contain the following parameter: '{param}'.")


# ====================================================================================================================
# The plugin
# ====================================================================================================================


class Entra(Plugin):
    """Entra ID token endpoint, discovery, JWKS, and the managed identity endpoints."""

    name = "entra"
    plain_paths = ("/_msi/",)

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """The login host of the cloud and its aliases."""
        return [cloud.login_host, *cloud.login_aliases]

    # ------------------------------------------------------------------------------------------------ helpers
    def _tenant_ok(self, tenant: str) -> bool:
        return tenant.lower() in (self.state.tenant_id.lower(), self.state.tenant_domain.lower())

    def _wrong_tenant(self, tenant: str) -> AADError:
        return AADError(
            400,
            "invalid_request",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
            f"signing into the correct cloud. Check with your subscription administrator, this may happen "
            f"if there are no active subscriptions for the tenant.",
        )

    @staticmethod
    def known_resources(cloud: Cloud) -> list[str]:
        """Every resource URI a token can be requested for in ``cloud``."""
        values = [aud for auds in cloud.resources.values() for aud in auds]
        return values + list(EXTRA_RESOURCES.get(cloud.name, ()))

    def _resource_for_scope(self, scope: str | None, cloud: Cloud) -> str:
        if not scope:
            raise AADError(400, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter.")
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise AADError(
                400,
                "invalid_scope",
                1002012 if len(scopes) == 1 else 70011,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                f"scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = scopes[0][: -len("/.default")]
        for known in self.known_resources(cloud):
            if _norm_aud(known) == _norm_aud(resource):
                return known
        raise AADError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{self.state.tenant_domain}. This can happen if the application has not been installed by the "
            f"administrator of the tenant or consented to by any user in the tenant. You might have sent "
            f"your authentication request to the wrong tenant.",
        )

    # ------------------------------------------------------------------------------------------------ dispatch
    def handle(self, request: Request) -> Response:
        """Route Entra requests."""
        if request.plain:
            return self._msi(request)
        parts = [p for p in request.path.split("/") if p]
        try:
            if request.method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                return self._token(request, parts[0])
            if request.method == "GET":
                if parts == ["common", "discovery", "instance"]:
                    return self._instance_discovery(request)
                if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                    return self._openid_configuration(request, parts[0], v2=True)
                if len(parts) == 3 and parts[1:] == [".well-known", "openid-configuration"]:
                    return self._openid_configuration(request, parts[0], v2=False)
                if len(parts) >= 3 and parts[1] == "discovery" and parts[-1] == "keys":
                    if parts[0] not in ("common", "organizations") and not self._tenant_ok(parts[0]):
                        raise self._wrong_tenant(parts[0])
                    return Response(200, self.jwks())
            if request.method == "POST" and len(parts) == 3 and parts[1:] == ["oauth2", "token"]:
                raise AADError(
                    400, "invalid_request", 50001, "The twin serves only the v2.0 token endpoint (/oauth2/v2.0/token)."
                )
        except AADError as exc:
            return exc.response(request)
        return Response(
            404, {"error": "not_found", "error_description": f"No Entra endpoint {request.method} {request.path} in the twin."}
        )

    def jwks(self) -> dict:
        """JWKS of the access-token signing key."""
        return {"keys": [self.state.token_key.jwk()]}

    # ------------------------------------------------------------------------------------------------ discovery
    def _openid_configuration(self, request: Request, tenant: str, *, v2: bool) -> Response:
        if tenant in ("common", "organizations"):
            tid = "{tenantid}"
        elif self._tenant_ok(tenant):
            tid = self.state.tenant_id
        else:
            return self._wrong_tenant(tenant).response(request)
        base = f"https://{request.host}/{tid if tid != '{tenantid}' else tenant}"
        suffix = "/v2.0" if v2 else ""
        cloud_instance = request.host.split(".", 1)[1] if request.host.count(".") >= 2 else request.host
        issuer = f"https://{request.host}/{tid}/v2.0" if v2 else f"https://{STS_HOST[request.cloud.name]}/{tid}/"
        return Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2{suffix}/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{base}/discovery{suffix}/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": issuer,
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2{suffix}/authorize",
                "device_authorization_endpoint": f"{base}/oauth2{suffix}/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2{suffix}/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "azp", "appid"],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": "NA",
                "cloud_instance_name": cloud_instance,
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            },
        )

    def _instance_discovery(self, request: Request) -> Response:
        endpoint = request.query_one("authorization_endpoint")
        if not endpoint:
            return AADError(400, "invalid_request", 50049, "Unknown or invalid instance.").response(request)
        from urllib.parse import urlsplit

        split = urlsplit(endpoint)
        tenant = (split.path.strip("/").split("/") or ["common"])[0] or "common"
        metadata = [
            {"preferred_network": c.login_host, "preferred_cache": c.login_host, "aliases": [c.login_host, *c.login_aliases]}
            for c in CLOUDS.values()
        ]
        known = {alias for entry in metadata for alias in entry["aliases"]}
        if split.hostname not in known:
            return AADError(400, "invalid_instance", 50049, "Unknown or invalid instance.").response(request)
        return Response(
            200,
            {
                "tenant_discovery_endpoint": f"https://{split.hostname}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": request.query_one("api-version") or "1.1",
                "metadata": metadata,
            },
        )

    # ------------------------------------------------------------------------------------------------ token
    def _token(self, request: Request, tenant: str) -> Response:
        multi = tenant.lower() in ("common", "organizations", "consumers")
        if not multi and not self._tenant_ok(tenant):
            raise self._wrong_tenant(tenant)
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise AADError(
                400,
                "invalid_request",
                900561,
                "The endpoint only accepts POST requests with Content-Type application/x-www-form-urlencoded.",
            )
        try:
            form = {k: v for k, v in request.form().items()}
        except Exception as exc:  # noqa: BLE001
            raise AADError(400, "invalid_request", 90014, f"The request body is malformed: {exc}") from exc
        for key, values in form.items():
            if len(values) > 1:
                raise AADError(400, "invalid_request", 90015, f"Parameter '{key}' is duplicated.")
        params = {k: v[0] for k, v in form.items()}
        grant = params.get("grant_type")
        if not grant:
            raise _missing("grant_type")
        if grant != "client_credentials":
            raise AADError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'.")
        client_id = params.get("client_id")
        if not client_id:
            raise _missing("client_id")
        with self.state.lock:
            app = self.state.apps.get(client_id.lower()) or self.state.apps.get(client_id)
        if app is None or not app.enabled:
            raise AADError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.state.tenant_domain}'. This can happen if the application has not been installed "
                f"by the administrator of the tenant or consented to by any user in the tenant. You may have "
                f"sent your authentication request to the wrong tenant.",
            )
        if multi:  # every twin app is single-tenant
            raise AADError(
                400,
                "invalid_request",
                50194,
                f"Application '{app.client_id}'({app.display_name}) is not configured as a multi-tenant application. "
                f"Usage of the /{tenant} endpoint is not supported for such applications created after '10/15/2018'. "
                f"Use a tenant-specific endpoint or configure the application to be multi-tenant.",
            )
        resource = self._resource_for_scope(params.get("scope"), request.cloud)
        secret, assertion = params.get("client_secret"), params.get("client_assertion")
        if secret and assertion:
            raise AADError(
                401,
                "invalid_client",
                7000219,
                "The request contains both 'client_assertion' and 'client_secret'; send exactly one.",
            )
        if secret is not None:
            self._check_secret(app, secret)
            acr = "1"
        elif assertion is not None:
            if params.get("client_assertion_type") != JWT_BEARER:
                raise AADError(
                    400,
                    "invalid_request",
                    90058,
                    f"The request body must contain the parameter 'client_assertion_type' with value '{JWT_BEARER}'.",
                )
            self._check_assertion(request, tenant, app, assertion)
            acr = "2"
        else:
            raise AADError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        token, _ = issue_access_token(
            self.state, resource=resource, cloud=request.cloud, client_id=app.client_id, object_id=app.object_id, appidacr=acr
        )
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME - 1,
                "ext_expires_in": TOKEN_LIFETIME - 1,
                "access_token": token,
            },
            {
                "Cache-Control": "no-store, no-cache",
                "Pragma": "no-cache",
                "client-request-id": request.headers.get("client-request-id") or str(uuid.uuid4()),
            },
        )

    @staticmethod
    def _check_secret(app, secret: str) -> None:
        if not any(hmac.compare_digest(secret.encode(), known.encode()) for known in app.secrets):
            raise AADError(
                401,
                "invalid_client",
                7000215,
                f"Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{app.client_id}'.",
            )

    def _check_assertion(self, request: Request, tenant: str, app, assertion: str) -> None:
        try:
            header, claims, signing_input, signature = decode_jwt(assertion)
        except JWTError as exc:
            raise AADError(400, "invalid_request", 50027, f"JWT token is invalid or malformed. {exc}.") from exc
        if claims.get("iss") == app.client_id or claims.get("sub") == app.client_id:
            self._check_certificate_assertion(request, tenant, app, header, claims, signing_input, signature)
        else:
            self._check_federated_assertion(app, header, claims, signing_input, signature)

    @staticmethod
    def _check_times(claims: dict, *, max_lifetime: int | None = None) -> None:
        now = time.time()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, (int, float)):
            raise AADError(400, "invalid_request", 50027, "JWT token is invalid or malformed. Missing 'exp' claim.")

        def iso(ts):
            return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")

        nbf_v = nbf if isinstance(nbf, (int, float)) else 0
        if exp + ASSERTION_SKEW < now or nbf_v - ASSERTION_SKEW > now:
            raise AADError(
                401,
                "invalid_client",
                700024,
                f"Client assertion is not within its valid time range. Current time: {iso(now)}, "
                f"assertion valid from {iso(nbf_v)}, expiry time of assertion {iso(exp)}. Review the "
                f"documentation at https://learn.microsoft.com/entra/identity-platform/"
                f"certificate-credentials .",
            )

    def _check_certificate_assertion(self, request, tenant, app, header, claims, signing_input, signature) -> None:
        alg = header.get("alg")
        if alg not in ("RS256", "PS256"):
            raise AADError(
                400,
                "invalid_request",
                5002738,
                f"Invalid JWT token. '{alg}' is not a supported signature algorithm. Supported signing "
                f"algorithms are: 'RS256, PS256'.",
            )
        cert = None
        presented = header.get("x5t#S256") or header.get("x5t")
        # msal Python sends the thumbprint base64url *with* padding; Entra accepts both forms.
        s256, sha1 = (str(header.get(k) or "").rstrip("=") for k in ("x5t#S256", "x5t"))
        for candidate in app.certificates:
            if s256 and s256 == candidate.x5t_s256 or not s256 and sha1 and sha1 == candidate.x5t:
                cert = candidate
        if cert is None:
            raise AADError(
                401,
                "invalid_client",
                700027,
                f"Client assertion failed signature validation. [Reason - The key was not found., "
                f"Thumbprint of key used by client: '{presented}', Please visit the Azure Portal, Graph "
                f"Explorer or directly use MS Graph to see configured keys for app Id '{app.client_id}'.]",
            )
        try:
            verify_signature(cert.public_key, alg, signing_input, signature)
        except JWTError as exc:
            raise AADError(
                401,
                "invalid_client",
                700027,
                f"Client assertion failed signature validation. [Reason - The provided signature value did "
                f"not match the expected signature value., Thumbprint of key used by client: "
                f"'{cert.thumbprint_sha1}', Found key 'Start=..., End=...']",
            ) from exc
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            raise AADError(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                "documentation at https://learn.microsoft.com/entra/identity-platform/certificate-"
                "credentials .",
            )
        accepted = {
            f"https://{request.host}/{t}/oauth2{v}/token"
            for t in (tenant, self.state.tenant_id, self.state.tenant_domain)
            for v in ("/v2.0", "")
        }
        accepted |= {a.lower() for a in accepted}
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a in accepted for a in auds):
            raise AADError(
                401,
                "invalid_client",
                AUD_MISMATCH_CODE,
                f"Client assertion audience claim does not match Realm issuer. Expected "
                f"'https://{request.host}/{tenant}/oauth2/v2.0/token', found '{aud}'.",
            )
        if not claims.get("jti"):
            raise AADError(400, "invalid_request", 50027, "JWT token is invalid or malformed. Missing 'jti' claim.")
        self._check_times(claims)

    def _check_federated_assertion(self, app, header, claims, signing_input, signature) -> None:
        issuer, subject, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        matching = [fc for fc in app.federated if fc.issuer == issuer]
        if not matching:
            raise AADError(
                400,
                "invalid_request",
                70021,
                f"No matching federated identity record found for presented assertion. Assertion Issuer: "
                f"'{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{','.join(map(str, auds))}'"
                f". https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
            )
        if header.get("alg") != "RS256" or header.get("kid") != self.state.oidc_key.kid:
            raise AADError(
                400, "invalid_request", 50013, "Assertion failed signature validation. [Reason - The key was not found.]"
            )
        try:
            verify_signature(self.state.oidc_key.private_key.public_key(), "RS256", signing_input, signature)
        except JWTError as exc:
            raise AADError(
                400,
                "invalid_request",
                50013,
                "Assertion failed signature validation. [Reason - The provided signature value did not "
                "match the expected signature value.]",
            ) from exc
        self._check_times(claims)
        if not any(fc.subject == subject for fc in matching):
            raise AADError(
                400,
                "invalid_request",
                700213,
                f"No matching federated identity record found for presented assertion subject '{subject}'. "
                f"Check your federated identity credential Subject, Audience and Issuer against the "
                f"presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-"
                f"federation",
            )
        if not any(a in fc.audiences for fc in matching for a in auds):
            raise AADError(
                400,
                "invalid_request",
                700212,
                f"No matching federated identity record found for presented assertion audience "
                f"'{','.join(map(str, auds))}'. Please note that the matching is done using a case-"
                f"sensitive comparison.",
            )

    # ------------------------------------------------------------------------------------------------ managed identity
    def _msi(self, request: Request) -> Response:
        if request.method != "GET":
            return Response(405, {"error": "invalid_request", "error_description": "Only GET is supported."})
        if request.path == "/_msi/token":
            return self._msi_app_service(request)
        if request.path == "/_msi/metadata/identity/oauth2/token":
            return self._msi_imds(request)
        return Response(404, {"error": "not_found", "error_description": f"No managed identity path {request.path}"})

    def _select_identity(self, request: Request, res_id_param: str):
        client_id = request.query_one("client_id") or request.query_one("clientid")
        object_id = request.query_one("object_id") or request.query_one("principal_id")
        res_id = request.query_one(res_id_param)
        given = [v for v in (client_id, object_id, res_id) if v]
        if len(given) > 1:
            return None, "Only one of client_id, object_id and resource id may be given."
        with self.state.lock:
            identities = list(self.state.managed_identities.values())
        if not given:
            chosen = [mi for mi in identities if mi.system_assigned]
        elif client_id:
            chosen = [mi for mi in identities if mi.client_id.lower() == client_id.lower()]
        elif object_id:
            chosen = [mi for mi in identities if mi.object_id.lower() == object_id.lower()]
        else:
            chosen = [mi for mi in identities if mi.resource_id.lower() == res_id.lower()]
        if not chosen:
            return None, "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId."
        return chosen[0], None

    def _msi_resource(self, request: Request) -> str | None:
        resource = request.query_one("resource")
        if not resource:
            return None
        for cloud in CLOUDS.values():
            for known in self.known_resources(cloud):
                if _norm_aud(known) == _norm_aud(resource):
                    return known
        return ""

    def _msi_token(self, mi, resource: str) -> tuple[str, dict]:
        cloud = next(c for c in CLOUDS.values() if resource in self.known_resources(c))
        return issue_access_token(
            self.state,
            resource=resource,
            cloud=cloud,
            client_id=mi.client_id,
            object_id=mi.object_id,
            appidacr="2",
            extra={"xms_mirid": mi.resource_id, "xms_az_rid": mi.resource_id},
        )

    def _msi_app_service(self, request: Request) -> Response:
        header = request.headers.get("X-IDENTITY-HEADER")
        if header is None:
            return Response(400, {"statusCode": 400, "message": "Missing X-IDENTITY-HEADER header."})
        if not hmac.compare_digest(header.encode(), self.state.identity_header.encode()):
            return Response(401, {"statusCode": 401, "message": "Unauthorized. X-IDENTITY-HEADER is invalid."})
        if request.query_one("api-version") != "2019-08-01":
            return Response(400, {"statusCode": 400, "message": "api-version must be 2019-08-01."})
        resource = self._msi_resource(request)
        if resource is None:
            return Response(400, {"statusCode": 400, "message": "The 'resource' query parameter is required."})
        if resource == "":
            return Response(
                500,
                {
                    "statusCode": 500,
                    "message": "An unexpected error occured while fetching the AAD Token.",
                    "correlationId": str(uuid.uuid4()),
                },
            )
        mi, error = self._select_identity(request, "mi_res_id")
        if mi is None:
            return Response(400, {"statusCode": 400, "message": error, "correlationId": str(uuid.uuid4())})
        token, claims = self._msi_token(mi, resource)
        return Response(
            200,
            {
                "access_token": token,
                "expires_on": str(claims["exp"]),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": mi.client_id,
            },
        )

    def _msi_imds(self, request: Request) -> Response:
        if (request.headers.get("Metadata") or "").lower() != "true":
            return Response(400, {"error": "invalid_request", "error_description": "Required metadata header not specified"})
        if not request.query_one("api-version"):
            return Response(
                400, {"error": "invalid_request", "error_description": "Required query variable 'api-version' is missing"}
            )
        resource = self._msi_resource(request)
        if resource is None:
            return Response(
                400, {"error": "invalid_request", "error_description": "Required query variable 'resource' is missing"}
            )
        if resource == "":
            return Response(
                400,
                {
                    "error": "invalid_resource",
                    "error_description": "AADSTS500011: The resource "
                    f"principal named {request.query_one('resource')} was not found in the tenant.",
                },
            )
        mi, error = self._select_identity(request, "msi_res_id")
        if mi is None:
            return Response(400, {"error": "invalid_request", "error_description": "Identity not found"})
        token, claims = self._msi_token(mi, resource)
        return Response(
            200,
            {
                "access_token": token,
                "client_id": mi.client_id,
                "expires_in": str(claims["exp"] - claims["iat"]),
                "expires_on": str(claims["exp"]),
                "ext_expires_in": str(claims["exp"] - claims["iat"]),
                "not_before": str(claims["nbf"]),
                "resource": resource,
                "token_type": "Bearer",
            },
        )

    # ------------------------------------------------------------------------------------------------ control
    def control(self, action: str, payload: Any) -> Response | dict:
        """Control actions: ``mint``, ``verify``, ``jwks``, ``add-secret``, ``remove-secret``, ``revoke``.

        * ``mint``: ``{"resource": "https://vault.azure.net", "expired": true, "client_id": ..., "cloud": ...,
          "tenant_id": ..., "lifetime": 3600, "bad_signature": false}`` -> ``{"access_token", "claims"}``.
        * ``verify``: ``{"token", "resource"}`` -> ``{"claims"}`` or ``{"error": code, "message"}``.
        * ``add-secret`` / ``remove-secret``: ``{"client_id", "secret"?}`` -> ``{"client_secret"}``.
        * ``revoke``: ``{"token"}`` -> later verification raises InvalidToken.
        """
        payload = payload or {}
        if action == "jwks":
            return self.jwks()
        if action == "mint":
            resource = payload.get("resource")
            if not resource:
                return Response(400, {"error": "resource is required"})
            cloud = CLOUDS[payload.get("cloud") or "AzureCloud"]
            client_id = payload.get("client_id")
            app = self.state.apps.get(client_id) if client_id else next(iter(self.state.apps.values()))
            key = None
            if payload.get("bad_signature"):
                from .state import SigningKey, new_rsa_key

                key = SigningKey(kid=self.state.token_key.kid, private_key=new_rsa_key())
            token, claims = issue_access_token(
                self.state,
                resource=resource,
                cloud=cloud,
                client_id=app.client_id if app else client_id,
                object_id=app.object_id if app else str(uuid.uuid4()),
                appidacr="1",
                lifetime=int(payload.get("lifetime", TOKEN_LIFETIME)),
                expired=bool(payload.get("expired")),
                tenant_id=payload.get("tenant_id"),
                key=key,
                extra=payload.get("claims"),
            )
            return {"access_token": token, "claims": claims}
        if action == "verify":
            try:
                return {"claims": verify_access_token(self.state, payload.get("token", ""), payload.get("resource"))}
            except TokenError as exc:
                return {"error": exc.code, "arm_code": exc.arm_code, "message": exc.message}
        if action in ("add-secret", "remove-secret"):
            app = self.state.apps.get(payload.get("client_id"))
            if app is None:
                return Response(404, {"error": "unknown client_id"})
            with self.state.lock:
                if action == "add-secret":
                    secret = payload.get("secret") or secrets.token_urlsafe(30) + "~Tw1n"
                    app.secrets.append(secret)
                    self.state.secret_values.append(secret)
                    return {"client_secret": secret}
                app.secrets = [s for s in app.secrets if s != payload.get("secret")]
                return {"secrets": len(app.secrets)}
        if action == "revoke":
            try:
                _, claims, _, _ = decode_jwt(payload.get("token", ""))
            except JWTError as exc:
                return Response(400, {"error": str(exc)})
            with self.state.lock:
                self.state.revoked_token_ids.add(claims.get("uti"))
            return {"revoked": claims.get("uti")}
        return super().control(action, payload)
