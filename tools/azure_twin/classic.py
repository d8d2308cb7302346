# SPDX-License-Identifier: GPL-3.0-or-later
"""Classic Service Management API (``management.core.windows.net`` and the China / US Gov hosts), mutual TLS.

What it imitates (Microsoft Learn, "List Storage Accounts" ee460787, "Create Storage Account" hh264518, "Get
Operation Status" ee460783, "Service Management Versioning" gg592580; the XML namespace is
``http://schemas.microsoft.com/windowsazure``):

* The TLS layer requests a client certificate (``client_cert = True``, verified against the twin's client CA).
  No certificate, or one whose SHA-1 thumbprint is not registered for the subscription -> ``403 ForbiddenError``
  "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this
  subscription."
* ``x-ms-version`` (``YYYY-MM-DD``, >= 2009-10-01) is required -> else ``400 MissingOrIncorrectVersionHeader``.
* ``GET /{sub}/services/storageservices`` (list), ``GET /{sub}/services/storageservices/{name}`` (one),
  ``POST /{sub}/services/storageservices`` (``CreateStorageServiceInput`` -> ``202`` + ``x-ms-request-id``; the
  operation is ``InProgress`` for :data:`POLLS_UNTIL_DONE` polls, then ``Succeeded``), ``DELETE
  /{sub}/services/storageservices/{name}`` (``200``), ``GET /{sub}/operations/{id}``.
* Unknown subscription -> ``404 ResourceNotFound`` "The subscription <id> does not exist."

Seed (``twin.json`` -> ``classic``): a management certificate (RSA 2048, signed by the twin's client CA) as
``classic-cert.pfx`` (password in ``pfx_password``), ``classic-cert.pem`` (cert + key), ``classic-cert.crt`` +
``classic-key.pem``, registered for the core's ``subscription_id``; ``classic-selfsigned.pem`` (self-signed, as most real management
certificates are; trusted through ``state.extra_client_cas`` and registered); ``classic-unregistered.pem``, valid but not
registered; ``other_subscription_id``, a subscription that knows no certificate; two storage services.

Control: ``POST /_twin/classic/state`` -> ``{subscription_id: {"certificates": [...], "storage_services": {...},
"operations": {...}}}``; ``POST /_twin/classic/add-storage-service`` ``{"name", "location"?, "label"?}``;
``POST /_twin/classic/delete-storage-service`` ``{"name"}``; ``POST /_twin/classic/fail-next-operation``
``{"code", "message", "status"}`` (the next created operation ends ``Failed`` with that error);
``POST /_twin/classic/register-certificate`` / ``unregister-certificate`` ``{"thumbprint", "subscription_id"?}``
(the certificate must still pass the TLS layer: issued by the client CA, or the seeded self-signed one).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import re
import secrets as _secrets
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, is_guid

NS = "http://schemas.microsoft.com/windowsazure"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_CT = "application/xml; charset=utf-8"
POLLS_UNTIL_DONE = 2
MIN_VERSION = "2009-10-01"

FORBIDDEN_XML = (
    '<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code>ForbiddenError</Code><Message>The server failed '
    "to authenticate the request. Verify that the certificate is valid and is associated with this subscription."
    "</Message></Error>"
)

STORAGE_SUFFIX = {
    "AzureCloud": "core.windows.net",
    "AzureChinaCloud": "core.chinacloudapi.cn",
    "AzureUSGovernment": "core.usgovcloudapi.net",
}
SECONDARY = {"West Europe": "North Europe", "North Europe": "West Europe", "East US": "West US", "West US": "East US"}
_NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def error_xml(code: str, message: str) -> str:
    """The classic error body ``<Error xmlns=...><Code/><Message/></Error>``."""
    return f'<Error xmlns="{NS}"><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>'


def xml_response(status: int, body: str, headers: dict | None = None) -> Response:
    """An XML response with a fresh ``x-ms-request-id`` (unless given)."""
    hdrs = {"Content-Type": XML_CT, "x-ms-request-id": uuid.uuid4().hex}
    hdrs.update(headers or {})
    return Response(status, body, hdrs)


def thumbprint(der: bytes) -> str:
    """SHA-1 of the DER certificate in upper-case hex (what the portal shows)."""
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - thumbprint, not security


def issue_client_cert(ca, common_name: str, bits: int = 2048, days: int = 365, not_after=None):
    """An RSA client certificate signed by the trustme ``ca`` (self-signed when ``ca`` is None).

    Returns ``(key, cert)`` (cryptography objects).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    if ca is None:
        ca_key, issuer = key, subject
    else:
        ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
        issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes()).subject
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(not_after or now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem(key, cert) -> tuple[bytes, bytes]:
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_storage_service(
    name: str, location: str = "West Europe", label: str | None = None, description: str | None = None, status: str = "Created"
) -> dict:
    """A storage service record as the twin keeps it."""
    return {
        "name": name,
        "location": location,
        "label": label if label is not None else name,
        "description": description,
        "status": status,
        "account_type": "Standard_GRS",
        "geo_replication_enabled": True,
        "creation_time": _now_iso(),
    }


class Classic(Plugin):
    """Classic management. The TLS layer requests a client certificate (``client_cert = True``)."""

    name = "classic"
    client_cert = True

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """The classic management host of the cloud."""
        return [cloud.classic_host]

    # ------------------------------------------------------------------------------------------------ seed
    @classmethod
    def seed(cls, state, state_dir) -> None:
        """Management certificates, two subscriptions and two storage services (see the module docstring)."""
        key, cert = issue_client_cert(state.client_ca, "signet-twin-classic-management")
        cert_pem, key_pem = _pem(key, cert)
        state.register_secret(key_pem.decode("ascii"))
        pfx_password = state.register_secret(_secrets.token_urlsafe(12))
        pfx = pkcs12.serialize_key_and_certificates(
            b"signet-twin-classic", key, cert, None, serialization.BestAvailableEncryption(pfx_password.encode("utf-8"))
        )
        u_key, u_cert = issue_client_cert(state.client_ca, "signet-twin-classic-unregistered")
        u_cert_pem, u_key_pem = _pem(u_key, u_cert)
        state.register_secret(u_key_pem.decode("ascii"))
        # Self-signed, as New-SelfSignedCertificate / makecert make them (real Azure accepts any issuer): trusted for
        # the TLS layer through extra_client_cas, then registered by thumbprint like the others.
        s_key, s_cert = issue_client_cert(None, "signet-twin-classic-selfsigned")
        s_cert_pem, s_key_pem = _pem(s_key, s_cert)
        state.register_secret(s_key_pem.decode("ascii"))
        state.extra_client_cas.append(s_cert_pem)
        der = cert.public_bytes(serialization.Encoding.DER)
        u_der = u_cert.public_bytes(serialization.Encoding.DER)
        s_der = s_cert.public_bytes(serialization.Encoding.DER)
        sub = state.subscription_id
        other = str(uuid.uuid4())
        ns = state.ns(cls.name)
        ns["subscriptions"] = {
            sub: {
                "certificates": {
                    thumbprint(der): {"subject": "CN=signet-twin-classic-management"},
                    thumbprint(s_der): {"subject": "CN=signet-twin-classic-selfsigned"},
                },
                "storage_services": {
                    "signetclassic01": new_storage_service("signetclassic01", "West Europe", "Signet classic one", "seeded"),
                    "signetclassic02": new_storage_service("signetclassic02", "East US", "Signet classic two"),
                },
                "operations": {},
            },
            other: {"certificates": {}, "storage_services": {}, "operations": {}},
        }
        state.info[cls.name] = {
            "subscription_id": sub,
            "other_subscription_id": other,
            "endpoint": "https://management.core.windows.net",
            "pfx_file": state.write_file("classic-cert.pfx", pfx),
            "pfx_password": pfx_password,
            "pem_file": state.write_file("classic-cert.pem", cert_pem + key_pem),
            "cert_file": state.write_file("classic-cert.crt", cert_pem, 0o644),
            "key_file": state.write_file("classic-key.pem", key_pem),
            "thumbprint": thumbprint(der),
            "unregistered_pem_file": state.write_file("classic-unregistered.pem", u_cert_pem + u_key_pem),
            "unregistered_cert_file": state.write_file("classic-unregistered.crt", u_cert_pem, 0o644),
            "unregistered_key_file": state.write_file("classic-unregistered.key", u_key_pem),
            "unregistered_thumbprint": thumbprint(u_der),
            "selfsigned_pem_file": state.write_file("classic-selfsigned.pem", s_cert_pem + s_key_pem),
            "selfsigned_thumbprint": thumbprint(s_der),
            "client_ca_file": state.path("client-ca.pem"),
            "storage_services": ["signetclassic01", "signetclassic02"],
            "polls_until_done": POLLS_UNTIL_DONE,
        }

    # ------------------------------------------------------------------------------------------------ XML
    def _service_xml(self, request: Request, sub: str, svc: dict) -> str:
        suffix = STORAGE_SUFFIX.get(request.cloud_name or "AzureCloud", "core.windows.net")
        name = svc["name"]
        label = base64.b64encode(svc["label"].encode("utf-8")).decode("ascii")
        desc = (
            f"<Description>{escape(svc['description'])}</Description>"
            if svc.get("description")
            else '<Description i:nil="true"/>'
        )
        endpoints = "".join(
            f"<Endpoint>https://{name}.{kind}.{suffix}/</Endpoint>" for kind in ("blob", "queue", "table", "file")
        )
        secondary = SECONDARY.get(svc["location"], "North Europe")
        return (
            "<StorageService>"
            f"<Url>https://{request.host}/{sub}/services/storageservices/{name}</Url>"
            f"<ServiceName>{name}</ServiceName>"
            "<StorageServiceProperties>"
            f"{desc}<Location>{escape(svc['location'])}</Location><Label>{label}</Label><Status>{svc['status']}</Status>"
            f"<Endpoints>{endpoints}</Endpoints>"
            f"<GeoReplicationEnabled>{str(svc['geo_replication_enabled']).lower()}</GeoReplicationEnabled>"
            f"<GeoPrimaryRegion>{escape(svc['location'])}</GeoPrimaryRegion><StatusOfPrimary>Available</StatusOfPrimary>"
            f"<GeoSecondaryRegion>{secondary}</GeoSecondaryRegion><StatusOfSecondary>Available</StatusOfSecondary>"
            f"<CreationTime>{svc['creation_time']}</CreationTime><AccountType>{svc['account_type']}</AccountType>"
            "</StorageServiceProperties>"
            "<ExtendedProperties/>"
            "</StorageService>"
        )

    # ------------------------------------------------------------------------------------------------ handle
    def handle(self, request: Request) -> Response:
        """Authenticate (client certificate, x-ms-version, subscription) and route."""
        if request.peer_cert_der is None:
            return xml_response(403, FORBIDDEN_XML)
        version = request.headers.get("x-ms-version")
        if not version or not _VERSION_RE.match(version) or version < MIN_VERSION:
            return xml_response(
                400,
                error_xml(
                    "MissingOrIncorrectVersionHeader", "The versioning header is not specified or was specified incorrectly."
                ),
            )
        parts = [p for p in request.path.split("/") if p]
        if not parts:
            return xml_response(
                404, error_xml("ResourceNotFound", "The requested URI does not represent any resource on the server.")
            )
        sub_id = parts[0]
        thumb = thumbprint(request.peer_cert_der)
        with self.state.lock:
            sub = self.data["subscriptions"].get(sub_id)
            if sub is None:
                if not is_guid(sub_id):
                    return xml_response(400, error_xml("BadRequest", f"The subscription id {sub_id} is not a valid GUID."))
                return xml_response(404, error_xml("ResourceNotFound", f"The subscription {sub_id} does not exist."))
            if thumb not in sub["certificates"]:
                return xml_response(403, FORBIDDEN_XML)
            return self._route(request, sub_id, sub, parts[1:])

    def _route(self, request: Request, sub_id: str, sub: dict, rest: list[str]) -> Response:
        method = request.method
        if rest[:2] == ["services", "storageservices"]:
            services = sub["storage_services"]
            if len(rest) == 2 and method == "GET":
                body = "".join(self._service_xml(request, sub_id, s) for _, s in sorted(services.items()))
                return xml_response(200, f'<StorageServices xmlns="{NS}" xmlns:i="{XSI}">{body}</StorageServices>')
            if len(rest) == 2 and method == "POST":
                return self._create(request, sub, services)
            if len(rest) == 3 and method in ("GET", "DELETE"):
                svc = services.get(rest[2])
                if svc is None:
                    return xml_response(404, error_xml("ResourceNotFound", f"The storage account '{rest[2]}' was not found."))
                if method == "DELETE":
                    del services[rest[2]]
                    return xml_response(200, "")
                xml = self._service_xml(request, sub_id, svc).replace(
                    "<StorageService>", f'<StorageService xmlns="{NS}" xmlns:i="{XSI}">', 1
                )
                return xml_response(200, xml)
        if len(rest) == 2 and rest[0] == "operations" and method == "GET":
            return self._operation(sub, rest[1])
        return xml_response(
            404, error_xml("ResourceNotFound", f"The twin has no classic handler for {method} /{sub_id}/{'/'.join(rest)}.")
        )

    def _create(self, request: Request, sub: dict, services: dict) -> Response:
        try:
            root = ET.fromstring(request.body or b"")
        except ET.ParseError:
            return xml_response(400, error_xml("BadRequest", "The request body is not well-formed XML."))
        fields = {child.tag.split("}", 1)[-1]: (child.text or "") for child in root}
        name = fields.get("ServiceName", "")
        if root.tag.split("}", 1)[-1] != "CreateStorageServiceInput" or not fields.get("Label"):
            return xml_response(
                400, error_xml("BadRequest", "The body must be a CreateStorageServiceInput with ServiceName, Label and Location.")
            )
        if not _NAME_RE.match(name):
            return xml_response(
                400,
                error_xml(
                    "BadRequest",
                    "The name is not a valid storage account name. Storage account names must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
                ),
            )
        if name in services:
            return xml_response(409, error_xml("ConflictError", f"The storage account named '{name}' is already taken."))
        try:
            label = base64.b64decode(fields["Label"], validate=True).decode("utf-8")
        except ValueError:
            return xml_response(400, error_xml("BadRequest", "The label is not valid base64."))
        svc = new_storage_service(
            name, fields.get("Location") or "West Europe", label, fields.get("Description") or None, status="Creating"
        )
        services[name] = svc
        op_id = uuid.uuid4().hex
        sub["operations"][op_id] = {
            "id": op_id,
            "polls": 0,
            "status": "InProgress",
            "service": name,
            "fail": self.data.pop("fail_next", None),
        }
        return xml_response(202, "", {"x-ms-request-id": op_id})

    def _operation(self, sub: dict, op_id: str) -> Response:
        op = sub["operations"].get(op_id)
        if op is None:
            return xml_response(404, error_xml("ResourceNotFound", f"The operation {op_id} was not found."))
        op["polls"] += 1
        if op["status"] == "InProgress" and op["polls"] >= POLLS_UNTIL_DONE:
            if op.get("fail"):
                op["status"] = "Failed"
                sub["storage_services"].pop(op["service"], None)
            else:
                op["status"] = "Succeeded"
                svc = sub["storage_services"].get(op["service"])
                if svc is not None:
                    svc["status"] = "Created"
        code = "<HttpStatusCode>200</HttpStatusCode>" if op["status"] == "Succeeded" else ""
        if op["status"] == "Failed":
            fail = op["fail"]
            code = "<HttpStatusCode>%d</HttpStatusCode><Error><Code>%s</Code><Message>%s</Message></Error>" % (
                int(fail.get("status", 400)),
                escape(fail.get("code", "BadRequest")),
                escape(fail.get("message", "The operation failed.")),
            )
        return xml_response(
            200, f'<Operation xmlns="{NS}" xmlns:i="{XSI}"><ID>{op_id}</ID><Status>{op["status"]}</Status>{code}</Operation>'
        )

    # ------------------------------------------------------------------------------------------------ control
    def control(self, action: str, payload):
        """``state``, ``add-storage-service``, ``delete-storage-service`` (see the module docstring)."""
        payload = payload or {}
        with self.state.lock:
            subs = self.data["subscriptions"]
            if action == "state":
                return {
                    sid: {
                        "certificates": sorted(s["certificates"]),
                        "storage_services": {k: dict(v) for k, v in s["storage_services"].items()},
                        "operations": {k: dict(v) for k, v in s["operations"].items()},
                    }
                    for sid, s in subs.items()
                }
            sub = subs[payload.get("subscription_id") or self.state.subscription_id]
            if action == "add-storage-service":
                svc = new_storage_service(payload["name"], payload.get("location", "West Europe"), payload.get("label"))
                sub["storage_services"][payload["name"]] = svc
                return svc
            if action == "delete-storage-service":
                return {"deleted": sub["storage_services"].pop(payload["name"], None) is not None}
            if action == "fail-next-operation":
                self.data["fail_next"] = {k: payload[k] for k in ("code", "message", "status") if k in payload} or {
                    "code": "BadRequest"
                }
                return {"armed": self.data["fail_next"]}
            if action == "register-certificate":
                sub["certificates"][payload["thumbprint"].upper()] = {"subject": payload.get("subject", "")}
                return {"certificates": sorted(sub["certificates"])}
            if action == "unregister-certificate":
                sub["certificates"].pop(payload["thumbprint"].upper(), None)
                return {"certificates": sorted(sub["certificates"])}
        return super().control(action, payload)
