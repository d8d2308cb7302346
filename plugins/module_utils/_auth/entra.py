# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Entra ID bearer tokens (via msal; no hand-written JWT code) as a requests auth scheme.

Credential kinds, in order of precedence (the first one whose option is set wins):

1. ``access_token``: a pre-obtained token, sent as is.
2. ``client_secret`` (with ``tenant_id`` and ``client_id``).
3. a client certificate, ``client_certificate_path`` or ``client_certificate_content`` (PFX or PEM, with
   ``client_certificate_password``); the thumbprint is computed, msal signs a PS256 assertion with ``x5t#S256``.
4. ``federated_token_file`` (workload identity: AKS, GitHub Actions or Azure DevOps OIDC); the file is read again on
   every token request, because Kubernetes rotates it.
5. ``managed_identity``: ``system`` or the client ID of a user-assigned identity (a value starting with
   ``/subscriptions/`` is taken as its resource ID). msal finds the endpoint from the environment
   (``IDENTITY_ENDPOINT``/``IDENTITY_HEADER`` on App Service, Functions, Automation, Arc; IMDS on VMs).

``validate()`` runs offline and raises one ConfigError naming every missing option of the chosen kind. msal is
imported lazily inside the functions that need it, so modules that do not use Entra never import it. Tokens are
cached in process per (authority, client, credential, scope); they are never printed, and every token is handed to
``on_token`` (modules pass ``module.register_secret``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable

from .._clouds import CLOUDS, cloud_name
from .._defaults import TIMEOUT
from .._deps import require
from .._errors import AuthenticationError, ConfigError, TransportError
from .._retry import RetryPolicy
from .._settings.entra import cloud_endpoints, credential_kind
from .base import AuthScheme

#: Refresh a cached token this many seconds before it expires (a long LRO poll must not send a stale token).
REFRESH_MARGIN = 300

KIND_LABELS = {
    "access_token": "access token",
    "client_secret": "client secret",
    "client_certificate": "client certificate",
    "federated_token_file": "federated token (workload identity)",
    "managed_identity": "managed identity",
}
ENV_HINTS = {"tenant_id": "AZURE_TENANT or AZURE_TENANT_ID", "client_id": "AZURE_CLIENT_ID"}

#: AADSTS numbers -> what the user should do. The server's own description follows in the message.
AADSTS_HINTS = {
    7000215: "client_secret is wrong or expired",
    7000222: "client_secret has expired: create a new secret for the app registration",
    7000218: "the request carried no credential: set client_secret, a client certificate or federated_token_file",
    700016: "client_id is not an application in this tenant: check client_id, tenant_id and cloud",
    90002: "tenant_id was not found in this cloud: check tenant_id and cloud",
    900023: "tenant_id is not a valid tenant ID or domain",
    700027: "the client certificate is not registered on the app (or the assertion signature is wrong): upload the certificate to the app registration",
    700024: "the client assertion is expired or not yet valid: check the local clock",
    700021: "the client assertion names another application than client_id",
    50012: "the client assertion audience does not match the token endpoint (check authority_host and cloud)",
    50027: "the token or assertion is malformed",
    70021: "no federated identity credential of the app matches the token's issuer: add one for this issuer",
    700213: "no federated identity credential of the app matches the token's subject (sub)",
    700212: "no federated identity credential of the app matches the token's audience (expected api://AzureADTokenExchange)",
    50013: "the federated token's signature is invalid (a stale or foreign token file?)",
    70011: "the scope is not valid: client credential flows need exactly one scope ending in /.default",
    1002012: "the scope is not valid: it must end in /.default",
    500011: "the resource of the scope is unknown in this tenant: check the scope and that cloud matches the service",
    70003: "the grant type is not supported",
    900144: "a required parameter is missing",
}

_TOKEN_CACHE: dict = {}
_APP_CACHE: dict = {}
_LOCK = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token and msal application (tests)."""
    with _LOCK:
        _TOKEN_CACHE.clear()
        _APP_CACHE.clear()


def _fingerprint(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8") + b"\0")
    return digest.hexdigest()[:24]


def jwt_claims(token: str) -> dict:
    """The (unverified) payload of a JWT, or ``{}``. Used only to explain errors and in tests, never to trust."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError):
        return {}


def _known_authority(authority: str) -> bool:
    return any(authority.rstrip("/").lower() == eps["authority_host"].lower() for eps in CLOUDS.values())


class _VerifySession:
    """Factory of a requests.Session that always passes our ``verify`` and ``timeout``.

    requests lets ``REQUESTS_CA_BUNDLE`` override ``Session.verify`` (psf/requests#3829), which would turn
    ``validate_certs=false`` back on or replace ``ca_bundle``; passing ``verify=`` per request avoids that.
    """

    @staticmethod
    def build(verify, timeout, retries: int = 3, on_retry=None, sleep=time.sleep):
        """The session msal uses. Token requests are retried by the collection's one policy (``_retry.py``):
        429/500/502/503/504 and connection errors, honouring Retry-After (clamped to 60 s), else exponential backoff
        with jitter. A token request changes nothing on the server, so retrying its POST is safe. Redirects are
        never followed: a token request answered with a redirect fails."""
        import requests

        policy = RetryPolicy(retries, sleep=sleep)

        class Session(requests.Session):
            def request(self, method, url, **kwargs):
                kwargs.setdefault("verify", verify)
                kwargs.setdefault("timeout", timeout)
                kwargs["allow_redirects"] = False
                attempt = 0
                while True:
                    headers = None
                    try:
                        resp = super().request(method, url, **kwargs)
                    except requests.exceptions.ConnectionError:
                        if not policy.can_retry(attempt):
                            raise
                        reason = "connection error"
                    else:
                        if resp.status_code in (301, 302, 303, 307, 308):
                            resp.close()
                            raise AuthenticationError(
                                "the Entra ID token endpoint %s answered HTTP %s, a redirect to %s; token requests never "
                                "follow redirects (the credential would go there): check authority_host, cloud, "
                                "IDENTITY_ENDPOINT and the proxy settings"
                                % (url.split("?", 1)[0], resp.status_code, (resp.headers.get("Location") or "?").split("?", 1)[0])
                            )
                        if not policy.retryable_status(method, resp.status_code, True) or not policy.can_retry(attempt):
                            return resp
                        headers, reason = resp.headers, "HTTP %s" % resp.status_code
                    attempt += 1
                    delay = policy.delay(attempt, headers)
                    if on_retry:
                        on_retry(
                            "Entra ID token endpoint: %s; retrying in %.1f s (retry %d of %d)" % (reason, delay, attempt, retries)
                        )
                    policy.sleep(delay)

        session = Session()
        session.verify = verify
        return session


class EntraAuth(AuthScheme):
    """``Authorization: Bearer <token>`` for one scope, with the token from Entra ID (msal) or given as is.

    Construct with the Entra options (the names of ``_argspec.entra_spec``) and ``scope``. ``verify`` is the
    requests ``verify`` value (``ca_bundle`` path, ``True`` or ``False``), ``timeout`` the per-request timeout of
    the token calls, ``on_token(token)`` is called with every token obtained (register it as a secret), and
    ``cloud`` is the canonical cloud name (used by the explainer to spot wrong-cloud endpoints).
    """

    scheme = "Bearer"
    name = "entra"

    def __init__(
        self,
        scope: str,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        client_certificate_path: str | None = None,
        client_certificate_content: str | None = None,
        client_certificate_password: str | None = None,
        federated_token_file: str | None = None,
        managed_identity: str | None = None,
        access_token: str | None = None,
        authority_host: str | None = None,
        cloud: str | None = None,
        verify=True,
        timeout: float = TIMEOUT,
        retries: int = 3,
        on_token: Callable[[str], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
    ):
        self.scope = scope
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.client_certificate_path = client_certificate_path
        self._client_certificate_content = client_certificate_content
        self._client_certificate_password = client_certificate_password
        self.federated_token_file = federated_token_file
        self.managed_identity = managed_identity
        self._access_token = access_token
        self.cloud = cloud_name(cloud)
        self.authority_host = (authority_host or CLOUDS[self.cloud]["authority_host"]).rstrip("/")
        self.verify = verify
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.on_token = on_token
        self.on_warning = on_warning
        self.kind = credential_kind(
            dict(
                access_token=access_token,
                client_secret=client_secret,
                client_certificate_path=client_certificate_path,
                client_certificate_content=client_certificate_content,
                federated_token_file=federated_token_file,
                managed_identity=managed_identity,
            )
        )
        self.certificate = None  # the loaded CertBundle for the certificate kind
        self.last_token_claims: dict = {}
        self._validated = False

    # -- construction from module params ---------------------------------------------------------------------------
    @classmethod
    def from_params(cls, params: dict, scope: str, **kwargs) -> EntraAuth:
        """Build from a module's params (the entra_spec names plus ``validate_certs``/``ca_bundle``/``timeout``)."""
        endpoints = cloud_endpoints(params)
        verify = (params.get("ca_bundle") or True) if params.get("validate_certs", True) else False
        kwargs.setdefault("verify", verify)
        kwargs.setdefault("timeout", params.get("timeout") or 60)
        if params.get("retries") is not None:
            kwargs.setdefault("retries", params["retries"])
        return cls(
            scope,
            tenant_id=params.get("tenant_id"),
            client_id=params.get("client_id"),
            client_secret=params.get("client_secret"),
            client_certificate_path=params.get("client_certificate_path"),
            client_certificate_content=params.get("client_certificate_content"),
            client_certificate_password=params.get("client_certificate_password"),
            federated_token_file=params.get("federated_token_file"),
            managed_identity=params.get("managed_identity"),
            access_token=params.get("access_token"),
            authority_host=endpoints["authority_host"],
            cloud=params.get("cloud"),
            **kwargs,
        )

    # -- offline validation ----------------------------------------------------------------------------------------
    @property
    def authority(self) -> str:
        return "%s/%s" % (self.authority_host, self.tenant_id or "organizations")

    @property
    def resource(self) -> str:
        """The resource (audience) of the scope: the scope without ``/.default``."""
        scope = self.scope or ""
        return scope[: -len("/.default")] if scope.endswith("/.default") else scope

    def validate(self) -> None:
        """Check offline that the chosen credential is complete; one ConfigError names every missing option.

        For a certificate this also loads it and runs the pre-flight checks (key present and matching, RSA >= 2048
        bits, not expired); warnings (expiry within 30 days) go to ``on_warning``.
        """
        if self._validated:
            return
        if not self.scope:
            raise ConfigError("Entra ID auth needs a scope (for example https://management.azure.com/.default)")
        if self.kind is None:
            raise ConfigError(
                "Entra ID auth needs a credential: set one of access_token, client_secret, client_certificate_path "
                "(or client_certificate_content), federated_token_file or managed_identity (precedence in that order), "
                "with tenant_id and client_id for the secret, certificate and federated kinds"
            )
        missing = []
        if self.kind in ("client_secret", "client_certificate", "federated_token_file"):
            missing = [name for name in ("tenant_id", "client_id") if not getattr(self, name)]
        if missing:
            raise ConfigError(
                "Entra ID %s auth needs %s: set %s"
                % (
                    KIND_LABELS[self.kind],
                    " and ".join(missing),
                    "; ".join("%s (or %s)" % (name, ENV_HINTS[name]) for name in missing),
                )
            )
        if self.kind == "access_token":
            self._check_access_token()
        elif self.kind == "client_certificate":
            self._load_certificate()
        elif self.kind == "federated_token_file":
            path = self.federated_token_file
            if not os.path.isfile(path):
                raise ConfigError("federated_token_file: the file %s does not exist (AZURE_FEDERATED_TOKEN_FILE)" % path)
            if not self._read_federated_token():
                raise ConfigError("federated_token_file: the file %s is empty" % path)
        elif self.kind == "managed_identity" and not str(self.managed_identity).strip():
            raise ConfigError("managed_identity: give 'system' or the client ID of a user-assigned identity")
        self._validated = True

    def _check_access_token(self) -> None:
        token = self._access_token.strip()
        if token.lower().startswith("bearer "):
            raise ConfigError("access_token: give the token only, without the 'Bearer ' prefix")
        claims = jwt_claims(token)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp < time.time():
            raise ConfigError(
                "access_token: the token expired at %s; get a new one" % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
            )
        self._access_token = token

    def _load_certificate(self):
        from .._certs import check_bundle, load_bundle

        option = "client_certificate_path" if self.client_certificate_path else "client_certificate_content"
        bundle = load_bundle(
            path=self.client_certificate_path,
            content=self._client_certificate_content,
            password=self._client_certificate_password,
            option=option,
        )
        for warning in check_bundle(bundle, require_key=True, purpose="Entra ID client assertion"):
            if self.on_warning:
                self.on_warning(warning)
        self.certificate = bundle
        return bundle

    def _read_federated_token(self) -> str:
        with open(self.federated_token_file, encoding="utf-8") as handle:
            return handle.read().strip()

    # -- tokens ----------------------------------------------------------------------------------------------------
    def _cache_key(self) -> tuple:
        if self.kind == "client_secret":
            material = _fingerprint(self._client_secret)
        elif self.kind == "client_certificate":
            material = (
                self.certificate.thumbprint
                if self.certificate
                else _fingerprint(self.client_certificate_path, self._client_certificate_content)
            )
        elif self.kind == "federated_token_file":
            material = _fingerprint(self.federated_token_file)
        else:
            material = _fingerprint(self.managed_identity)
        client = self.client_id if self.kind != "managed_identity" else "mi:%s" % self.managed_identity
        return (self.authority, client, self.kind, material, self.scope)

    def token(self) -> str:
        """A valid access token for ``scope`` (cached; refreshed when it expires within 5 minutes).

        Raises ConfigError (offline validation), AuthenticationError (Entra said no, with the AADSTS code and a
        readable hint) or TransportError (the token endpoint could not be reached).
        """
        self.validate()
        if self.kind == "access_token":
            token = self._access_token
            self._publish(token)
            return token
        key = self._cache_key()
        with _LOCK:
            cached = _TOKEN_CACHE.get(key)
        if cached and cached[1] - time.time() > REFRESH_MARGIN:
            self._publish(cached[0])
            return cached[0]
        result = self._acquire_managed_identity() if self.kind == "managed_identity" else self._acquire_confidential()
        token = result.get("access_token")
        if not token:
            raise self._token_error(result)
        expires_in = int(result.get("expires_in") or 3600)
        with _LOCK:
            _TOKEN_CACHE[key] = (token, time.time() + expires_in)
        self._publish(token)
        return token

    def invalidate(self) -> bool:
        """Forget the cached token of this credential and scope (after a 401: expired or revoked). Returns False
        for a given ``access_token``, which cannot be renewed."""
        if self.kind in (None, "access_token"):
            return False
        with _LOCK:
            _TOKEN_CACHE.pop(self._cache_key(), None)
            # msal keeps its own cache in the application object: drop it too
            _APP_CACHE.pop(self._cache_key()[:4], None)
        return True

    def _publish(self, token: str) -> None:
        self.last_token_claims = jwt_claims(token)
        if self.on_token:
            self.on_token(token)

    def _session(self):
        return _VerifySession.build(self.verify, self.timeout, retries=self.retries, on_retry=self.on_warning)

    def _client_credential(self):
        if self.kind == "client_secret":
            return self._client_secret
        if self.kind == "client_certificate":
            from .._certs import private_key_pem

            bundle = self.certificate or self._load_certificate()
            # No "thumbprint": msal then computes the SHA-256 thumbprint (x5t#S256) and signs with PS256.
            return {
                "private_key": private_key_pem(bundle).decode("ascii"),
                "public_certificate": bundle.cert_pem().decode("ascii"),
            }
        # federated: read the file on every token request (AKS rotates it)
        return {"client_assertion": self._read_federated_token}

    def _app(self):
        msal = require("msal", reason="for Entra ID sign-in")

        key = self._cache_key()[:4]
        with _LOCK:
            app = _APP_CACHE.get(key)
        if app is not None:
            return app
        known = _known_authority(self.authority_host)
        try:
            app = msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._client_credential(),
                authority=self.authority,
                http_client=self._session(),
                validate_authority=known,
                instance_discovery=None if known else False,
                token_cache=msal.TokenCache(),
            )
        except ValueError as exc:
            # msal raises ValueError for an authority it cannot resolve (unknown tenant, wrong host)
            raise AuthenticationError(
                "Entra ID: cannot use the authority %s: %s (check tenant_id, cloud and authority_host)" % (self.authority, exc)
            ) from None
        with _LOCK:
            _APP_CACHE[key] = app
        return app

    def _acquire_confidential(self) -> dict:
        import requests

        MsalError = require("msal.exceptions", "msal", "for Entra ID sign-in").MsalError

        try:
            app = self._app()
            return app.acquire_token_for_client(scopes=[self.scope])
        except requests.exceptions.RequestException as exc:
            raise TransportError("Entra ID token request to %s failed: %s" % (self.authority, type(exc).__name__)) from None
        except MsalError as exc:
            # e.g. a 5xx page that is not JSON after the retries: a clean failure, never a traceback
            raise TransportError("Entra ID token request to %s failed: %s" % (self.authority, str(exc)[:300])) from None
        except ValueError:
            raise TransportError(
                "Entra ID token request to %s failed: the answer is not JSON (a proxy or captive portal?)" % self.authority
            ) from None

    def _acquire_managed_identity(self) -> dict:
        msal = require("msal", reason="for Entra ID sign-in")
        import requests

        value = str(self.managed_identity).strip()
        if value.lower() in ("system", "systemassigned", "true", "yes"):
            identity = msal.SystemAssignedManagedIdentity()
        elif value.startswith("/subscriptions/"):
            identity = msal.UserAssignedManagedIdentity(resource_id=value)
        else:
            identity = msal.UserAssignedManagedIdentity(client_id=value)
        try:
            client = msal.ManagedIdentityClient(identity, http_client=self._session(), token_cache=msal.TokenCache())
            return client.acquire_token_for_client(resource=self.resource)
        except requests.exceptions.RequestException as exc:
            raise TransportError(
                "managed identity: the token endpoint could not be reached (%s); is this host an Azure resource with an "
                "identity (IDENTITY_ENDPOINT/IDENTITY_HEADER, or IMDS)?" % type(exc).__name__
            ) from None
        except msal.ManagedIdentityError as exc:
            raise AuthenticationError("managed identity: %s" % exc) from None
        except ValueError:
            raise TransportError(
                "managed identity: the token endpoint's answer is not JSON (a proxy or captive portal?)"
            ) from None

    def _token_error(self, result: dict) -> AuthenticationError:
        codes = result.get("error_codes") or []
        description = str(result.get("error_description") or "")
        code = codes[0] if codes else None
        if code is None and description.startswith("AADSTS"):
            digits = description[6:].split(":", 1)[0]
            code = int(digits) if digits.isdigit() else None
        short = description.split(" Trace ID:", 1)[0].strip()
        if self.kind == "managed_identity":
            who = "managed identity %s" % self.managed_identity
        else:
            who = "client %s in tenant %s" % (self.client_id, self.tenant_id)
        msg = "Entra ID %s token for %s (%s) refused" % (KIND_LABELS[self.kind], self.scope, who)
        if code is not None:
            msg += ": AADSTS%s" % code
            hint = AADSTS_HINTS.get(int(code))
            if hint:
                msg += ": %s" % hint
        msg += " (%s: %s)" % (result.get("error") or "error", short or "no description")
        return AuthenticationError(
            msg, error_code="AADSTS%s" % code if code is not None else result.get("error"), details={"aadsts": code}
        )

    # -- signing and diagnostics -----------------------------------------------------------------------------------
    def sign(self, r) -> None:
        r.headers["Authorization"] = "Bearer " + self.token()
        self.last_string_to_sign = None

    def explain_hint(self, resp, parsed) -> str | None:
        """For a 401/403: the token's audience and tenant against what the service's challenge asks for."""
        lines = []
        aud = self.last_token_claims.get("aud")
        challenge = resp.headers.get("WWW-Authenticate") or ""
        if aud:
            lines.append("The token was issued for audience %s (tenant %s)." % (aud, self.last_token_claims.get("tid")))
        if "resource=" in challenge:
            resource = challenge.split("resource=", 1)[1].split(",", 1)[0].strip().strip('"')
            if aud and resource.rstrip("/").lower() != str(aud).rstrip("/").lower():
                lines.append("The service expects a token for %s: use the scope %s/.default." % (resource, resource.rstrip("/")))
        if "authorization=" in challenge:
            authority = challenge.split("authorization=", 1)[1].split(",", 1)[0].strip().strip('"')
            tenant = authority.rstrip("/").rsplit("/", 1)[-1]
            if self.tenant_id and tenant and tenant.lower() != str(self.tenant_id).lower():
                lines.append("The service belongs to tenant %s but the token is for %s." % (tenant, self.tenant_id))
        if resp.status_code == 403 and not lines:
            lines.append("The identity has no permission for this operation (role assignment or access policy).")
        return " ".join(lines) or None
