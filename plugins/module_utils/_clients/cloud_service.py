# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Cloud Services (extended support): read a cloud service and rotate its certificates (no AnsibleModule here).

``CloudServiceClient`` combines an :class:`~._clients.arm.ArmClient` (ARM token) with a Key Vault transport (vault
token) used only to *read* the secrets behind ``certificateUrl`` values, so that thumbprints are computed locally
from the certificate (research facts section 4.5: never trust a pasted thumbprint). Secret values are passed to
``on_secret`` (the module registers them as no_log) and dropped; they never appear in a result.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from .._cloud_service import (
    all_urls,
    full_body,
    missing_message,
    missing_thumbprints,
    normalize_thumbprint,
    parse_certificates,
    parse_secret_url,
    plan_rotation,
    secrets_summary,
    trimmed_body,
)
from .._errors import AzureRestError, CertificateError, ConfigError, IntegrityError, NotFoundError

KEYVAULT_API_VERSION = "7.5"
BUSY_MESSAGE = "another operation in progress"


def cloud_service_id(subscription_id: str, resource_group: str, name: str) -> str:
    """The ARM id of a cloud service."""
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/cloudServices/%s" % (
        subscription_id,
        resource_group,
        name,
    )


def thumbprint_of_secret_value(value: str, content_type: str | None = None, on_secret: Callable | None = None) -> str:
    """Thumbprint (upper-case hex) of the certificate inside a Key Vault secret value.

    The value of a certificate-backed secret is base64 PFX without password (or PEM); the Cloud Services form is
    JSON ``{"data": <base64 PFX>, "dataType": "pfx", "password": ...}`` (possibly base64 of that JSON). Raises
    CertificateError when no certificate can be read.
    """
    from .._certs import load_bundle

    text = (value or "").strip()
    password = None
    data = text
    doc = None
    if text.startswith("{"):
        doc = text
    else:
        try:
            decoded = base64.b64decode(text, validate=True)
            if decoded[:1] == b"{":
                doc = decoded.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            doc = None
    if doc is not None:
        try:
            parsed = json.loads(doc)
            data = parsed["data"]
            password = parsed.get("password") or None
        except (ValueError, KeyError, TypeError):
            raise CertificateError("the secret is JSON but not the Cloud Services form {data, dataType, password}") from None
        if password and on_secret:
            on_secret(password)
    bundle = load_bundle(content=data, password=password, option="Key Vault secret")
    return bundle.thumbprint


class CloudServiceClient:
    """Read and rotate a cloud service.

    ``arm``: ArmClient. ``kv_transport``: a callable returning a Transport signed for the cloud's Key Vault resource
    (created lazily, only when a secret must be read). ``keyvault_suffix``: e.g. ``vault.azure.net``; URLs on other
    hosts are not read. ``warn(msg)`` and ``on_secret(value)`` come from the module.
    """

    def __init__(
        self,
        arm,
        kv_transport: Callable | None,
        keyvault_suffix: str,
        warn: Callable | None = None,
        on_secret: Callable | None = None,
    ):
        self.arm = arm
        self._kv_factory = kv_transport
        self._kv = None
        self.keyvault_suffix = keyvault_suffix.lower()
        self.warn = warn or (lambda msg: None)
        self.on_secret = on_secret or (lambda value: None)

    # -- Key Vault ---------------------------------------------------------------------------------------------
    def _kv_transport(self):
        if self._kv is None:
            if self._kv_factory is None:
                raise ConfigError("reading Key Vault secrets needs Entra credentials for Key Vault")
            self._kv = self._kv_factory()
        return self._kv

    def in_this_cloud(self, url: str) -> bool:
        parsed = parse_secret_url(url)
        return bool(parsed) and parsed["host"].endswith("." + self.keyvault_suffix)

    def secret_thumbprint(self, url: str) -> str:
        """Read the secret at a versioned URL and return the thumbprint of its certificate. Raises AzureRestError."""
        parsed = parse_secret_url(url)
        clean = "https://%s/secrets/%s/%s" % (parsed["host"], parsed["name"], parsed["version"])
        resp = self._kv_transport().request(
            "GET", clean, params={"api-version": KEYVAULT_API_VERSION}, action="read the Key Vault secret %s" % clean
        )
        doc = resp.json()
        value = doc.get("value") or ""
        self.on_secret(value)
        try:
            return thumbprint_of_secret_value(value, doc.get("contentType"), self.on_secret)
        finally:
            value = None
            doc = None

    def resolve(self, urls: list[str], strict: bool = False) -> dict:
        """``{url: thumbprint or None}``; with ``strict`` a read failure raises, else it becomes None plus a warning."""
        out = {}
        for url in urls:
            if url in out:
                continue
            if not self.in_this_cloud(url):
                out[url] = None
                continue
            try:
                out[url] = self.secret_thumbprint(url)
            except AzureRestError as exc:
                if strict:
                    raise
                self.warn("cannot read the thumbprint of %s: %s" % (url, exc.msg))
                out[url] = None
        return out

    # -- read ----------------------------------------------------------------------------------------------------
    def info(self, resource_id: str, resolve_thumbprints: bool = False) -> dict:
        """GET the cloud service; returns ``{cloud_service, etag, certificates, secrets}``."""
        got = self.arm.get(resource_id, action="read the cloud service %s" % resource_id.rsplit("/", 1)[-1])
        body = got["body"]
        props = body.get("properties") or {}
        thumbs = self.resolve(all_urls(props.get("osProfile"))) if resolve_thumbprints else {}
        config = props.get("configuration")
        return {
            "cloud_service": body,
            "etag": got["etag"],
            "certificates": parse_certificates(config) if config else [],
            "secrets": secrets_summary(props.get("osProfile"), thumbs),
        }

    # -- rotate --------------------------------------------------------------------------------------------------
    def plan(self, resource_id: str, certificates: list[dict], source_vault_id: str | None) -> dict:
        """GET, gate on provisioningState, and compute the plan (see ``_cloud_service.plan_rotation``)."""
        got = self.arm.get(resource_id, action="read the cloud service %s" % resource_id.rsplit("/", 1)[-1])
        body = got["body"]
        state = (body.get("properties") or {}).get("provisioningState") or "Succeeded"
        if state.lower() == "failed":
            self.warn("the last operation on the cloud service failed (provisioningState Failed); this update retries it")
        elif state.lower() != "succeeded":
            raise AzureRestError(
                "cannot update the cloud service %s: %s (provisioningState is %s); wait until it is Succeeded and run again"
                % (body.get("name") or resource_id, BUSY_MESSAGE, state),
                error_code="OperationInProgress",
            )
        current_urls = all_urls((body.get("properties") or {}).get("osProfile"))
        thumbs = self.resolve(current_urls)
        plan = plan_rotation(body, certificates, source_vault_id, thumbs)
        plan["resource"] = body
        plan["etag"] = got["etag"]
        plan["url_thumbprints"] = thumbs
        return plan

    def preflight(self, plan: dict, certificates: list[dict]) -> None:
        """Check every new thumbprint against the certificate behind its URL, and the service's own rule (every
        .cscfg thumbprint has a certificate in osProfile.secrets). Raises CertificateError / ConfigError."""
        thumbs = dict(plan["url_thumbprints"])
        for index, item in enumerate(certificates):
            url = item["certificate_url"]
            if not self.in_this_cloud(url):
                raise ConfigError(
                    "certificates[%d]: certificate_url %s is not in this cloud's Key Vault (*.%s): check cloud"
                    % (index, url, self.keyvault_suffix)
                )
            try:
                actual = self.secret_thumbprint(url)
            except NotFoundError:
                raise ConfigError(
                    "certificates[%d]: there is no Key Vault secret at %s (upload it first)" % (index, url)
                ) from None
            wanted = normalize_thumbprint(item["thumbprint"])
            if actual != wanted:
                raise CertificateError(
                    "certificates[%d]: thumbprint %s does not match the certificate behind %s (its thumbprint is %s); "
                    "nothing was changed" % (index, wanted, url, actual)
                )
            thumbs[url] = actual
        new_urls = all_urls(plan["os_profile"])
        if all(thumbs.get(u) for u in new_urls):
            missing = missing_thumbprints(plan["configuration"], {u: thumbs[u] for u in new_urls})
            if missing:
                raise ConfigError(missing_message(missing) + " (checked before the update; nothing was changed)")

    def apply(
        self, resource_id: str, plan: dict, body_mode: str = "trimmed", wait: bool = True, wait_timeout: float = 3600
    ) -> dict:
        """PUT the planned body (If-Match when the GET gave an etag), follow the LRO, verify by reading back."""
        resource = plan["resource"]
        builder = full_body if body_mode == "full" else trimmed_body
        body = builder(resource, plan["configuration"], plan["os_profile"])
        accepted = {}

        def started(current: dict) -> bool:
            props = current.get("properties") or {}
            return (
                props.get("configuration") == plan["configuration"]
                or (props.get("provisioningState") or "").lower() == "updating"
            )

        final = self.arm.put(
            resource_id,
            body,
            if_match=plan.get("etag"),
            wait=wait,
            wait_timeout=wait_timeout,
            started=started,
            on_accepted=accepted.update,
        )
        if wait:
            self.verify(final, plan)
        return {"cloud_service": final, "operation": accepted}

    @staticmethod
    def verify(final: dict, plan: dict) -> None:
        """Read-after-write: the service must hold the planned thumbprints and URLs. Raises IntegrityError."""
        props = final.get("properties") or {}
        have = {(c["role"], c["name"]): c["thumbprint"] for c in parse_certificates(props.get("configuration") or "")}
        wrong = [
            "%s/%s" % key
            for key, tp in {(c["role"], c["name"]): c["thumbprint"] for c in parse_certificates(plan["configuration"])}.items()
            if have.get(key) != tp
        ]
        urls = {u.lower() for u in all_urls(props.get("osProfile"))}
        lost = [u for u in all_urls(plan["os_profile"]) if u.lower() not in urls]
        if wrong or lost:
            raise IntegrityError(
                "the cloud service does not hold the update after it succeeded (certificates %s; URLs missing %s): "
                "another change may have overwritten it" % (", ".join(wrong) or "ok", ", ".join(lost) or "none")
            )


def cloud_service_client(module, poll_interval: float = 15.0) -> tuple[CloudServiceClient, str]:
    """``(client, resource_id)`` for a module with the entra options plus ``resource_group``, ``name``, ``arm_api_version``.

    ARM requests carry a token for the cloud's ARM resource, Key Vault reads a token for its vault resource (both
    through ``_auth/entra.entra_auth_for``, honouring ``cloud`` and ``cloud_endpoints``). Raises ConfigError.
    """
    from .._auth.entra import cloud_endpoints, entra_auth_for
    from .arm import ArmClient

    p = module.params
    for option in ("subscription_id", "resource_group", "name"):
        if not p.get(option):
            raise ConfigError("%s is required (the cloud service's subscription, resource group and name)" % option)
    endpoints = cloud_endpoints(p)
    arm = ArmClient(
        module.transport(entra_auth_for(module, "arm_resource")),
        endpoints["resource_manager"],
        p["arm_api_version"],
        poll_interval=poll_interval,
    )
    client = CloudServiceClient(
        arm,
        lambda: module.transport(entra_auth_for(module, "keyvault_resource")),
        endpoints["keyvault_suffix"],
        warn=module.warn,
        on_secret=module.register_secret,
    )
    return client, cloud_service_id(p["subscription_id"], p["resource_group"], p["name"])
