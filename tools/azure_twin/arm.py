# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure Resource Manager (``management.azure.com`` and the China / US Gov hosts): Cloud Services (extended support).

Follows ``Microsoft.Compute/CloudserviceRP/stable/2024-11-04/cloudService.json`` and its examples:

* ``GET|PUT|PATCH /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/cloudServices/{name}``,
  ``GET .../cloudServices`` (list). ``api-version`` is required: 2024-11-04 and 2022-09-04 (what azure-mgmt-compute
  34 sends) are accepted, anything else is ``400 InvalidApiVersionParameter``. A bearer token for the ARM resource
  of the request's cloud is required (ARM's 401 shapes from ``entra.arm_unauthorized``).
* ``packageUrl`` / ``configurationUrl`` are write-only: kept separately, never returned by GET.
* PUT validates what the real service validates for certificate rotation (research facts section 4.5): every
  ``certificateUrl`` must be a versioned Key Vault *secret* URL, and every ``<Certificate thumbprint>`` of every role
  in the .cscfg must belong to a certificate listed in ``osProfile.secrets``, looked up in the Key Vault twin by URL
  (``keyvault.lookup_secret_by_url``) - else ``400 CertificateThumbprintsNotFound`` with Azure's wording.
  ``If-Match`` is honoured (``412``). Properties missing from an update PUT are kept (the documented REST
  procedure PUTs only ``configuration`` and ``osProfile``).
* PUT is a long-running operation: ``200`` (update) / ``201`` (create) with ``Azure-AsyncOperation`` and ``Location``
  headers and ``Retry-After: 1``; ``provisioningState`` is ``Updating`` until the operation has been polled
  ``lro_polls`` times (default 2, through the Azure-AsyncOperation URL, the Location URL or a GET of the resource),
  then ``Succeeded`` - or ``Failed`` (previous model restored) when ``POST /_twin/arm/fail-next`` armed a failure.
* PATCH takes ``{"tags": {...}}`` only and answers ``200`` with the resource.
* DELETE is a long-running operation too: ``202`` with the same headers, ``provisioningState`` ``Deleting`` until the
  operation has been polled ``lro_polls`` times, then the resource is gone (GET ``404``; the Location URL answers
  ``204``). A DELETE of a resource that does not exist answers ``204``; one during another operation ``409``.

Control API (``POST /_twin/arm/<action>``): ``fail-next`` ``{"code", "message", "status": "Failed"|"Canceled"}``;
``settings`` ``{"lro_polls": n}``; ``set-state`` ``{"name", "provisioningState"}``; ``reset`` (re-seed the cloud
service, clear operations); ``state`` (GET: every stored resource with its write-only fields and etag);
``operations`` (GET).

Seed data (``twin.json`` -> ``arm``): resource group ``signet-rg``, cloud service ``signet-cs`` in ``eastus`` with
roles ``WebRole1`` and ``WorkerRole1``, each with .cscfg certificates ``server`` (leaf), ``intermediate`` and
``root``, whose PFXs are imported into the Key Vault twin (public-cloud vault ``signetkv``, secret names
``signet-cs-server`` / ``-intermediate`` / ``-root``) through the Key Vault plugin's own REST handler at seed time:
the leaf as a certificate, the intermediate and root as secrets in the Cloud Services JSON form. ``arm.current``
lists their thumbprints and versioned secret URLs; ``arm.next`` a second, fresh chain (``pfx_file``, ``password``,
``thumbprint``, ``role``, ``store_as``) for the *next* rotation, plus ``stray`` (a certificate nobody expects, for
mismatch tests). Without a Key Vault twin the seed secrets go to the ``keyvault_seed`` state namespace instead.
ARM resources are shared by the three clouds (one subscription); certificate URLs of any cloud's vault resolve.
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import hashlib
import json
import re
import secrets as _secrets
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from . import entra
from .plugin import DEFAULT_BATCH_REGIONS, CLOUDS, BadRequestBody, Cloud, Plugin, Request, Response, TokenError, json_error

API_VERSIONS = ("2024-11-04", "2022-09-04")
CSCFG_NS = "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration"
RESOURCE_GROUP = "signet-rg"
CLOUD_SERVICE = "signet-cs"
LOCATION = "eastus"
VAULT = "signetkv"
ROLES = ("WebRole1", "WorkerRole1")
CERT_NAMES = ("server", "intermediate", "root")
WRITE_ONLY = ("packageUrl", "configurationUrl")
READ_ONLY_PROPS = ("provisioningState", "uniqueId")

_CS_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/cloudServices(?:/(?P<name>[^/]+))?/?$",
    re.IGNORECASE,
)
_OP_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Compute/locations/(?P<loc>[^/]+)/(?P<kind>operations|operationResults)/(?P<op>[^/]+)/?$",
    re.IGNORECASE,
)
_SECRET_URL = re.compile(
    r"^https://(?P<vault>[a-z0-9-]+)\.(?P<suffix>[^/:]+)(?::443)?/secrets/(?P<name>[^/]+)/(?P<version>[0-9a-zA-Z]+)/?$",
    re.IGNORECASE,
)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _etag() -> str:
    return '"%s"' % uuid.uuid4()


# ----------------------------------------------------------------------------------------------------------------
# Certificates (seed data)
# ----------------------------------------------------------------------------------------------------------------


def make_chain(label: str) -> dict:
    """A fresh root -> intermediate -> leaf chain. Returns ``{role: (cert, key)}`` for server/intermediate/root."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = _dt.datetime.now(_dt.timezone.utc)

    def name(cn):
        return x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "signet twin"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        )

    def build(subject, issuer, key, issuer_key, ca, days):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5))
            .not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("signet-cs.cloudapp.net")]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    keys = {role: rsa.generate_private_key(public_exponent=65537, key_size=2048) for role in CERT_NAMES}
    root_name = name(f"signet twin root CA {label}")
    inter_name = name(f"signet twin intermediate CA {label}")
    root = build(root_name, root_name, keys["root"], keys["root"], True, 3650)
    inter = build(inter_name, root_name, keys["intermediate"], keys["root"], True, 1825)
    leaf = build(name(f"signet-cs.cloudapp.net {label}"), inter_name, keys["server"], keys["intermediate"], False, 365)
    return {"server": (leaf, keys["server"]), "intermediate": (inter, keys["intermediate"]), "root": (root, keys["root"])}


def thumbprint(cert) -> str:
    """Upper-case SHA-1 hex of the DER certificate."""
    from cryptography.hazmat.primitives import serialization

    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # noqa: S324 - thumbprint


def export_pfx(cert, key, password: str | None, friendly: str) -> bytes:
    """PFX with 3DES/SHA-1 (what Cloud Services accept); no encryption when ``password`` is None."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    if password:
        enc = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password.encode("utf-8"))
        )
    else:
        enc = serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(friendly.encode("utf-8"), key, cert, None, enc)


def thumbprint_of_secret(secret: dict) -> str | None:
    """Thumbprint of the certificate behind a Key Vault secret record, as the Compute RP would read it.

    Uses ``secret["thumbprint"]`` when the Key Vault twin gives one, else decodes ``value``: base64 PFX
    (``application/x-pkcs12``), the cloud-service JSON ``{"data", "dataType", "password"}``, or PEM.
    """
    if not secret:
        return None
    if secret.get("thumbprint"):
        return re.sub(r"[^0-9A-Fa-f]", "", str(secret["thumbprint"])).upper() or None
    value = secret.get("value") or ""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import pkcs12

        password = None
        data = value
        text = value.strip()
        if text.startswith("{"):
            doc = json.loads(text)
            data = doc.get("data") or ""
            password = doc.get("password") or None
        if "-----BEGIN CERTIFICATE-----" in data:
            return thumbprint(x509.load_pem_x509_certificates(data.encode("utf-8"))[0])
        raw = base64.b64decode("".join(data.split()))
        try:
            _key, cert, _extra = pkcs12.load_key_and_certificates(raw, password.encode("utf-8") if password else None)
        except ValueError:
            cert = x509.load_der_x509_certificate(raw)
        return thumbprint(cert) if cert is not None else None
    except Exception:  # noqa: BLE001 - an unreadable secret simply has no thumbprint (as in Azure)
        return None


# ----------------------------------------------------------------------------------------------------------------
# Key Vault coordination
# ----------------------------------------------------------------------------------------------------------------

FALLBACK_NS = "keyvault_seed"  # used only when the Key Vault twin is not loaded (see the module docstring)


def _kv_module():
    try:
        from . import keyvault
    except ImportError:  # pragma: no cover
        return None
    return keyvault if hasattr(keyvault, "lookup_secret_by_url") else None


def kv_import(
    state, vault: str, name: str, value: str, content_type: str, *, password: str | None = None, as_certificate: bool = False
) -> str:
    """Store a secret in the Key Vault twin (public cloud vault ``vault``) and return its versioned secret URL.

    Goes through the Key Vault plugin's own request handler (``POST /certificates/{name}/import`` for a certificate,
    ``PUT /secrets/{name}`` otherwise) with a token the twin mints, so the stored data is exactly what the REST API
    would have stored. Without a Key Vault twin the record goes to the ``keyvault_seed`` namespace instead.
    """
    kv = _kv_module()
    cloud = CLOUDS["AzureCloud"]
    host = f"{vault}.{cloud.vault_suffix}"
    if kv is not None:
        from .plugin import Headers

        app = next(iter(state.apps.values()))
        token, _claims = entra.issue_access_token(
            state,
            resource=cloud.resource("keyvault"),
            cloud=cloud,
            client_id=app.client_id,
            object_id=app.object_id,
            appidacr="1",
        )
        if as_certificate:
            path, method, body = f"/certificates/{name}/import?api-version=7.5", "POST", {"value": value, "pwd": password or ""}
            if content_type:
                body["policy"] = {"secret_props": {"contentType": content_type}}
        else:
            path, method, body = f"/secrets/{name}?api-version=7.5", "PUT", {"value": value, "contentType": content_type}
        req = Request(
            method=method,
            raw_path=path,
            headers=Headers({"Authorization": f"Bearer {token}", "Content-Type": "application/json"}),
            body=json.dumps(body).encode("utf-8"),
            host=host,
            port=443,
            cloud=cloud,
            state=state,
        )
        resp = kv.KeyVault(state).handle(req)
        if resp.status != 200:
            raise RuntimeError(f"seeding Key Vault secret {name} failed: {resp.status} {resp.body[:500]!r}")
        doc = resp.json()
        return doc.get("sid") or doc["id"]
    version = uuid.uuid4().hex
    url = f"https://{host}/secrets/{name}/{version}"
    record = {
        "value": value,
        "contentType": content_type,
        "thumbprint": thumbprint_of_secret({"value": value}),
        "version": version,
        "enabled": True,
    }
    with state.lock:
        state.ns(FALLBACK_NS)[url.lower()] = record
    return url


def kv_lookup(state, url: str) -> dict | None:
    """The Key Vault twin's record for a versioned secret URL (``keyvault.lookup_secret_by_url``), else the fallback.

    An explicit ``:443`` port is tolerated (the REST examples use it).
    """
    url = re.sub(r"^(https://[^/:]+):443/", r"\1/", url or "", flags=re.IGNORECASE)
    kv = _kv_module()
    if kv is not None:
        return kv.lookup_secret_by_url(state, url)
    return state.ns(FALLBACK_NS).get(url.lower())


# ----------------------------------------------------------------------------------------------------------------
# .cscfg helpers
# ----------------------------------------------------------------------------------------------------------------


def seed_cscfg(thumbprints: dict) -> str:
    """The seeded ServiceConfiguration (.cscfg) XML text with ``thumbprints`` {cert name: thumbprint}."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!-- signet.azure twin: two roles, three certificates each -->",
        f'<ServiceConfiguration serviceName="{CLOUD_SERVICE}" xmlns="{CSCFG_NS}" osFamily="7" osVersion="*" schemaVersion="2015-04.2.6">',
    ]
    for role in ROLES:
        lines += [
            f'  <Role name="{role}">',
            f'    <Instances count="{2 if role == "WebRole1" else 1}" />',
            "    <ConfigurationSettings>",
            '      <Setting name="Microsoft.WindowsAzure.Plugins.Diagnostics.ConnectionString" value="UseDevelopmentStorage=true" />',
            "    </ConfigurationSettings>",
            "    <Certificates>",
        ]
        for cert in CERT_NAMES:
            lines.append(f'      <Certificate name="{cert}" thumbprint="{thumbprints[cert]}" thumbprintAlgorithm="sha1" />')
        lines += ["    </Certificates>", "  </Role>"]
    lines += [
        "  <NetworkConfiguration>",
        '    <VirtualNetworkSite name="signet-vnet" />',
        "    <AddressAssignments>",
        '      <InstanceAddress roleName="WebRole1"><Subnets><Subnet name="WebTier" /></Subnets></InstanceAddress>',
        '      <InstanceAddress roleName="WorkerRole1"><Subnets><Subnet name="WorkerTier" /></Subnets></InstanceAddress>',
        "    </AddressAssignments>",
        "  </NetworkConfiguration>",
        "</ServiceConfiguration>",
    ]
    return "\r\n".join(lines) + "\r\n"


def cscfg_thumbprints(xml_text: str) -> list[tuple[str, str, str]]:
    """``[(role, certificate name, thumbprint upper-case)]`` from a .cscfg; ValueError when it is not XML."""
    root = ET.fromstring(xml_text.encode("utf-8") if isinstance(xml_text, str) else xml_text)
    out = []
    for role in root.iter():
        if role.tag.split("}")[-1] != "Role":
            continue
        for cert in role.iter():
            if cert.tag.split("}")[-1] == "Certificate":
                tp = re.sub(r"[^0-9A-Fa-f]", "", cert.get("thumbprint") or "").upper()
                out.append((role.get("name") or "", cert.get("name") or "", tp))
    return out


# ----------------------------------------------------------------------------------------------------------------
# The plugin
# ----------------------------------------------------------------------------------------------------------------


def _rid(sub: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/cloudServices/{name}"


def _seed_cloud_service(state) -> dict:
    """Create the seeded chain, import it into Key Vault and return the stored cloud service record."""
    info = state.info.setdefault("arm", {})
    chain = make_chain("2025")
    sub = state.subscription_id
    vault_id = f"/subscriptions/{sub}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}"
    urls, current = [], {}
    for role in CERT_NAMES:
        cert, key = chain[role]
        if role == "server":
            password = state.register_secret(_secrets.token_urlsafe(12))
            value = base64.b64encode(export_pfx(cert, key, password, "signet-cs-server")).decode("ascii")
            url = kv_import(
                state, VAULT, "signet-cs-server", value, "application/x-pkcs12", password=password, as_certificate=True
            )
        else:
            password = state.register_secret(_secrets.token_urlsafe(12))
            data = base64.b64encode(export_pfx(cert, key, password, f"signet-cs-{role}")).decode("ascii")
            value = json.dumps({"data": data, "dataType": "pfx", "password": password})
            url = kv_import(state, VAULT, f"signet-cs-{role}", value, "application/json")
        state.register_secret(value)
        urls.append(url)
        current[role] = {"thumbprint": thumbprint(cert), "certificate_url": url, "subject": cert.subject.rfc4514_string()}
    rid = _rid(sub, RESOURCE_GROUP, CLOUD_SERVICE)
    body = {
        "id": rid,
        "name": CLOUD_SERVICE,
        "type": "Microsoft.Compute/cloudServices",
        "location": LOCATION,
        "tags": {"env": "twin"},
        "properties": {
            "configuration": seed_cscfg({k: v["thumbprint"] for k, v in current.items()}),
            "upgradeMode": "Auto",
            "roleProfile": {
                "roles": [
                    {"name": "WebRole1", "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2}},
                    {"name": "WorkerRole1", "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 1}},
                ]
            },
            "osProfile": {
                "secrets": [
                    {"sourceVault": {"id": vault_id}, "vaultCertificates": [{"certificateUrl": url} for url in urls]},
                ]
            },
            "networkProfile": {
                "loadBalancerConfigurations": [
                    {
                        "name": "signet-lb",
                        "properties": {
                            "frontendIpConfigurations": [
                                {
                                    "name": "signet-fe",
                                    "properties": {
                                        "publicIPAddress": {
                                            "id": f"/subscriptions/{sub}/resourceGroups/{RESOURCE_GROUP}/providers/"
                                            "Microsoft.Network/publicIPAddresses/signet-ip"
                                        }
                                    },
                                }
                            ]
                        },
                    }
                ]
            },
            "extensionProfile": {
                "extensions": [
                    {
                        "name": "RDPExtension",
                        "properties": {
                            "autoUpgradeMinorVersion": False,
                            "provisioningState": "Succeeded",
                            "rolesAppliedTo": ["*"],
                            "publisher": "Microsoft.Windows.Azure.Extensions",
                            "type": "RDP",
                            "typeHandlerVersion": "1.2",
                            "settings": "<PublicConfig><UserName>signetadmin</UserName><Expiration>01/12/2030 16:29:02</Expiration></PublicConfig>",
                        },
                    }
                ]
            },
            "provisioningState": "Succeeded",
            "uniqueId": str(uuid.uuid4()),
        },
        "systemData": {"createdAt": _now(), "lastModifiedAt": _now()},
    }
    info.update(
        {
            "resource_group": RESOURCE_GROUP,
            "cloud_service": CLOUD_SERVICE,
            "cloud_service_id": rid,
            "location": LOCATION,
            "roles": list(ROLES),
            "vault_name": VAULT,
            "vault_id": vault_id,
            "api_versions": list(API_VERSIONS),
            "current": current,
        }
    )
    return {
        "body": body,
        "etag": _etag(),
        "write_only": {"packageUrl": f"https://signetstore.blob.core.windows.net/packages/{CLOUD_SERVICE}.cspkg"},
        "operation": None,
    }


def _seed_next(state) -> dict:
    """Write the PFX files of the next rotation into the state dir and describe them."""
    chain = make_chain("2026")
    out = {}
    for role in CERT_NAMES:
        cert, key = chain[role]
        password = state.register_secret(_secrets.token_urlsafe(12))
        path = state.write_file(f"next-{role}.pfx", export_pfx(cert, key, password, f"signet-cs-{role}-next"))
        out[role] = {
            "pfx_file": path,
            "password": password,
            "thumbprint": thumbprint(cert),
            "role": "leaf" if role == "server" else role,
            "store_as": "certificate" if role == "server" else "secret",
            "subject": cert.subject.rfc4514_string(),
        }
    # A certificate that no .cscfg expects and Key Vault does not hold (for mismatch tests).
    stray_cert, stray_key = make_chain("stray")["server"]
    stray_pw = state.register_secret(_secrets.token_urlsafe(12))
    out["stray"] = {
        "pfx_file": state.write_file("stray.pfx", export_pfx(stray_cert, stray_key, stray_pw, "stray")),
        "password": stray_pw,
        "thumbprint": thumbprint(stray_cert),
        "role": "leaf",
    }
    return out


class Arm(Plugin):
    """ARM control plane: Cloud Services (extended support) with long-running operations."""

    name = "arm"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """The ARM host of the cloud."""
        return [cloud.arm_host]

    @classmethod
    def seed(cls, state, state_dir):
        """Seed ``signet-rg/signet-cs`` (see the module docstring) and the PFX files of the next rotation."""
        data = state.ns(cls.name)
        record = _seed_cloud_service(state)
        data["resource_groups"] = {RESOURCE_GROUP.lower(): RESOURCE_GROUP}
        data["resources"] = {record["body"]["id"].lower(): record}
        data["seed"] = copy.deepcopy(record)
        data["operations"] = {}
        data["fail_next"] = []
        data["lro_polls"] = 2
        state.info["arm"]["next"] = _seed_next(state)

    # -------------------------------------------------------------------------------------------- helpers
    @staticmethod
    def _public(record: dict) -> dict:
        body = copy.deepcopy(record["body"])
        body["etag"] = record["etag"]
        return body

    def _advance(self, op: dict) -> None:
        """One poll of an operation: finish it once it has been polled ``lro_polls`` times."""
        if op["status"] != "InProgress":
            return
        op["polls"] += 1
        if op["polls"] < op["polls_needed"]:
            return
        record = self.data["resources"].get(op["resource"])
        op["endTime"] = _now()
        if op["fail"]:
            op["status"] = op["fail"].get("status") or "Failed"
            op["error"] = {
                "code": op["fail"].get("code") or "InternalExecutionError",
                "message": op["fail"].get("message") or "An internal execution error occurred. Please retry later.",
            }
            if op["fail"].get("details"):
                op["error"]["details"] = op["fail"]["details"]
            if record is not None:
                if op.get("previous") is not None:
                    record["body"] = op["previous"]["body"]
                    record["write_only"] = op["previous"]["write_only"]
                record["body"]["properties"]["provisioningState"] = "Failed"
                record["etag"] = _etag()
        else:
            op["status"] = "Succeeded"
            if record is not None and op.get("kind") == "delete":
                del self.data["resources"][op["resource"]]
                record = None
            elif record is not None:
                record["body"]["properties"]["provisioningState"] = "Succeeded"
        if record is not None:
            record["operation"] = None

    def _validate(self, body: dict, request: Request) -> Response | None:
        props = body.get("properties") or {}
        secrets = ((props.get("osProfile") or {}).get("secrets")) or []
        thumbs: set[str] = set()
        for group in secrets:
            if not isinstance(group, dict) or not (group.get("sourceVault") or {}).get("id"):
                return json_error(
                    400, "InvalidParameter", "Required parameter 'osProfile.secrets.sourceVault.id' is missing (null)."
                )
            vault_name = group["sourceVault"]["id"].rstrip("/").rsplit("/", 1)[-1].lower()
            for vc in group.get("vaultCertificates") or []:
                url = (vc or {}).get("certificateUrl") or ""
                m = _SECRET_URL.match(url)
                if not m:
                    return json_error(
                        400,
                        "InvalidParameter",
                        f"certificateUrl '{url}' is not a valid versioned Key Vault Secret URL. It should be of the form "
                        "https://<vault name>.vault.azure.net/secrets/<secret name>/<secret version>.",
                    )
                if m["vault"].lower() != vault_name:
                    return json_error(
                        400,
                        "InvalidParameter",
                        f"certificateUrl '{url}' does not belong to the Key Vault '{vault_name}' given in sourceVault.id.",
                    )
                found = kv_lookup(self.state, url)
                tp = thumbprint_of_secret(found) if found and found.get("enabled", True) is not False else None
                if tp:
                    thumbs.add(tp)
        configuration = props.get("configuration")
        if configuration is None:
            return None
        try:
            refs = cscfg_thumbprints(configuration)
        except ET.ParseError as exc:
            return json_error(400, "InvalidParameter", f"The service configuration (.cscfg) is not valid XML: {exc}.")
        missing = [f"{role}|{tp}" for role, _name, tp in refs if tp not in thumbs]
        if missing:
            return json_error(
                400,
                "CertificateThumbprintsNotFound",
                "The thumbprints specified in the CSCFG do not have corresponding certificates in osProfile.secrets. "
                "Add the missing certificates in osProfile.secrets. Missing thumbprints: " + ", ".join(missing),
            )
        return None

    def _lro_headers(self, request: Request, op_id: str, location: str) -> dict:
        base = (
            f"https://{request.host}/subscriptions/{self.state.subscription_id}/providers/Microsoft.Compute/locations/{location}"
        )
        api = request.query_one("api-version")
        return {
            "Azure-AsyncOperation": f"{base}/operations/{op_id}?api-version={api}",
            "Location": f"{base}/operationResults/{op_id}?monitor=true&api-version={api}",
            "Retry-After": "1",
        }

    # -------------------------------------------------------------------------------------------- handlers
    def handle(self, request: Request) -> Response:
        """Route ARM requests (see the module docstring)."""
        try:
            request.bearer_claims(request.cloud.audiences("arm"))
        except TokenError as exc:
            return entra.arm_unauthorized(exc)
        api = request.query_one("api-version")
        if not api:
            return json_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        m = _OP_PATH.match(request.path)
        if m:
            return self._operation(request, m)
        m = _CS_PATH.match(request.path)
        if not m:
            return json_error(
                404, "InvalidResourceType", f"The resource type could not be found in the namespace for path '{request.path}'."
            )
        if api not in API_VERSIONS:
            return json_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{api}' is invalid. The supported versions are '{','.join(API_VERSIONS)}'.",
            )
        if m["sub"].lower() != self.state.subscription_id.lower():
            return json_error(404, "SubscriptionNotFound", f"The subscription '{m['sub']}' could not be found.")
        if m["rg"].lower() not in self.data["resource_groups"]:
            return json_error(404, "ResourceGroupNotFound", f"Resource group '{m['rg']}' could not be found.")
        if not m["name"]:
            if request.method != "GET":
                return json_error(405, "MethodNotAllowed", "The requested method is not allowed.")
            with self.state.lock:
                prefix = _rid(self.state.subscription_id, m["rg"], "").lower()
                items = [self._public(r) for k, r in self.data["resources"].items() if k.startswith(prefix)]
            return Response(200, {"value": items})
        rid = _rid(self.state.subscription_id, self.data["resource_groups"][m["rg"].lower()], m["name"])
        with self.state.lock:
            record = self.data["resources"].get(rid.lower())
            if request.method == "GET":
                if record is None:
                    return self._not_found(m)
                if record.get("operation"):
                    op = self.data["operations"].get(record["operation"])
                    if op:
                        self._advance(op)
                    if rid.lower() not in self.data["resources"]:
                        return self._not_found(m)
                return Response(200, self._public(record), {"ETag": record["etag"]})
            if request.method == "PUT":
                return self._put(request, rid, record)
            if request.method == "DELETE":
                return self._delete(request, rid, record)
            if request.method == "PATCH":
                return self._patch(request, record, m)
        return json_error(405, "MethodNotAllowed", f"The requested method {request.method} is not allowed.")

    @staticmethod
    def _not_found(m) -> Response:
        return json_error(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.Compute/cloudServices/{m['name']}' under resource group '{m['rg']}' was not found. "
            "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    def _precondition(self, request: Request, record: dict | None) -> Response | None:
        if_match = request.headers.get("If-Match")
        if if_match and if_match.strip() != "*" and (record is None or if_match.strip() != record["etag"]):
            return json_error(
                412,
                "PreconditionFailed",
                "The condition specified using HTTP conditional header(s) is not met (If-Match does not match the current etag).",
            )
        if if_match and if_match.strip() == "*" and record is None:
            return json_error(412, "PreconditionFailed", "The resource does not exist (If-Match: *).")
        if request.headers.get("If-None-Match", "").strip() == "*" and record is not None:
            return json_error(412, "PreconditionFailed", "The resource already exists (If-None-Match: *).")
        return None

    def _put(self, request: Request, rid: str, record: dict | None) -> Response:
        try:
            body = request.json()
        except BadRequestBody as exc:
            return json_error(400, "InvalidRequestContent", str(exc))
        if not isinstance(body, dict):
            return json_error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        pre = self._precondition(request, record)
        if pre is not None:
            return pre
        if not body.get("location"):
            return json_error(400, "LocationRequired", "The location property is required for this definition.")
        if record is not None:
            if body["location"].replace(" ", "").lower() != record["body"]["location"].lower():
                return json_error(
                    400,
                    "InvalidParameter",
                    f"Changing property 'location' is not allowed (current '{record['body']['location']}').",
                )
            if record.get("operation"):
                return json_error(
                    409,
                    "OperationNotAllowed",
                    "Operation 'Update' is not allowed since the cloud service is in 'Updating' state: another operation is in progress.",
                )
        props_in = body.get("properties") or {}
        if record is None and not (props_in.get("configuration") or props_in.get("configurationUrl")):
            return json_error(400, "InvalidParameter", "Either 'configuration' or 'configurationUrl' is required.")
        invalid = self._validate(body, request)
        if invalid is not None:
            return invalid
        previous = copy.deepcopy(record) if record is not None else None
        if previous is not None:
            previous["operation"] = None
        new_body = copy.deepcopy(record["body"]) if record is not None else {"properties": {}}
        props = new_body.setdefault("properties", {})
        write_only = dict(record["write_only"]) if record is not None else {}
        for key, value in props_in.items():
            if key in WRITE_ONLY:
                write_only[key] = value
            elif key in READ_ONLY_PROPS:
                continue
            else:
                props[key] = copy.deepcopy(value)
        new_body.update(
            {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": "Microsoft.Compute/cloudServices", "location": body["location"]}
        )
        if "tags" in body:
            new_body["tags"] = body["tags"] or {}
        if "zones" in body:
            new_body["zones"] = body["zones"]
        props["provisioningState"] = "Updating"
        props.setdefault("uniqueId", str(uuid.uuid4()))
        system = new_body.setdefault("systemData", {"createdAt": _now()})
        system["lastModifiedAt"] = _now()
        op_id = str(uuid.uuid4())
        fail = self.data["fail_next"].pop(0) if self.data["fail_next"] else None
        op = {
            "name": op_id,
            "resource": rid.lower(),
            "status": "InProgress",
            "startTime": _now(),
            "polls": 0,
            "polls_needed": max(1, int(self.data.get("lro_polls", 2))),
            "fail": fail,
            "previous": previous,
        }
        self.data["operations"][op_id] = op
        stored = {"body": new_body, "etag": _etag(), "write_only": write_only, "operation": op_id}
        self.data["resources"][rid.lower()] = stored
        headers = self._lro_headers(request, op_id, new_body["location"])
        headers["ETag"] = stored["etag"]
        return Response(201 if record is None else 200, self._public(stored), headers)

    def _delete(self, request: Request, rid: str, record: dict | None) -> Response:
        """Start deleting ``record`` (an LRO, see the module docstring); ``204`` when there is nothing to delete."""
        if record is None:
            return Response(204)
        if record.get("operation"):
            return json_error(
                409,
                "OperationNotAllowed",
                "Operation 'Delete' is not allowed since the cloud service is in 'Updating' state: another operation is in progress.",
            )
        op_id = str(uuid.uuid4())
        self.data["operations"][op_id] = {
            "name": op_id,
            "kind": "delete",
            "resource": rid.lower(),
            "status": "InProgress",
            "startTime": _now(),
            "polls": 0,
            "polls_needed": max(1, int(self.data.get("lro_polls", 2))),
            "fail": self.data["fail_next"].pop(0) if self.data["fail_next"] else None,
            "previous": None,
        }
        record["operation"] = op_id
        record["body"]["properties"]["provisioningState"] = "Deleting"
        return Response(202, None, self._lro_headers(request, op_id, record["body"]["location"]))

    def _patch(self, request: Request, record: dict | None, m) -> Response:
        if record is None:
            return self._not_found(m)
        try:
            body = request.json()
        except BadRequestBody as exc:
            return json_error(400, "InvalidRequestContent", str(exc))
        if not isinstance(body, dict) or set(body) - {"tags"}:
            return json_error(
                400,
                "InvalidParameter",
                "PATCH of a cloud service accepts only 'tags' (CloudServiceUpdate); use PUT to change other properties.",
            )
        pre = self._precondition(request, record)
        if pre is not None:
            return pre
        record["body"]["tags"] = body.get("tags") or {}
        record["body"].setdefault("systemData", {})["lastModifiedAt"] = _now()
        record["etag"] = _etag()
        return Response(200, self._public(record), {"ETag": record["etag"]})

    def _operation(self, request: Request, m) -> Response:
        if m["sub"].lower() != self.state.subscription_id.lower():
            return json_error(404, "SubscriptionNotFound", f"The subscription '{m['sub']}' could not be found.")
        with self.state.lock:
            op = self.data["operations"].get(m["op"])
            if op is None:
                return json_error(404, "NotFound", f"The operation '{m['op']}' was not found.")
            self._advance(op)
            status = {"name": op["name"], "status": op["status"], "startTime": op["startTime"]}
            if op.get("endTime"):
                status["endTime"] = op["endTime"]
            if op.get("error"):
                status["error"] = op["error"]
            record = self.data["resources"].get(op["resource"])
            if m["kind"].lower() == "operations":
                headers = {"Retry-After": "1"} if op["status"] == "InProgress" else {}
                return Response(200, status, headers)
            if op["status"] == "InProgress":
                return Response(
                    202, None, {"Retry-After": "1", "Location": request.raw_path and f"https://{request.host}{request.raw_path}"}
                )
            if op["status"] == "Succeeded" and op.get("kind") == "delete":
                return Response(204)
            if op["status"] == "Succeeded":
                return Response(200, self._public(record) if record else None)
            return Response(200, status)

    # -------------------------------------------------------------------------------------------- control
    def control(self, action: str, payload: Any):
        """``fail-next``, ``settings``, ``set-state``, ``reset``, ``state``, ``operations`` (see module docstring)."""
        payload = payload or {}
        with self.state.lock:
            if action == "fail-next":
                self.data["fail_next"].append(
                    {
                        "code": payload.get("code"),
                        "message": payload.get("message"),
                        "status": payload.get("status") or "Failed",
                        "details": payload.get("details"),
                    }
                )
                return {"armed": len(self.data["fail_next"])}
            if action == "settings":
                if "lro_polls" in payload:
                    self.data["lro_polls"] = max(1, int(payload["lro_polls"]))
                return {"lro_polls": self.data["lro_polls"]}
            if action == "set-state":
                name = (payload.get("name") or CLOUD_SERVICE).lower()
                for record in self.data["resources"].values():
                    if record["body"]["name"].lower() == name:
                        record["body"]["properties"]["provisioningState"] = payload.get("provisioningState") or "Succeeded"
                        return self._public(record)
                return json_error(404, "ResourceNotFound", f"no cloud service {name!r}")
            if action == "reset":
                seed = copy.deepcopy(self.data["seed"])
                seed["etag"] = _etag()
                self.data["resources"] = {seed["body"]["id"].lower(): seed}
                self.data["operations"] = {}
                self.data["fail_next"] = []
                self.data["lro_polls"] = 2
                return {"reset": True}
            if action == "state":
                return {
                    "resources": [
                        {"body": self._public(r), "etag": r["etag"], "write_only": r["write_only"], "operation": r["operation"]}
                        for r in self.data["resources"].values()
                    ]
                }
            if action == "operations":
                return {
                    "operations": [
                        {k: v for k, v in op.items() if k not in ("previous",)} for op in self.data["operations"].values()
                    ]
                }
        return json_error(404, "UnknownControlAction", f"arm has no control action {action!r}")


__all__ = ["Arm", "CLOUDS", "cscfg_thumbprints", "kv_import", "kv_lookup", "make_chain", "thumbprint_of_secret"]
