# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Classic Service Management API client (``https://management.core.windows.net/<subscription-id>/...``).

Takes a Transport whose auth is ``ClientCertificateAuth`` and whose adapter presents the management certificate
(see ``_auth/client_cert.py``); returns plain dicts. Asynchronous operations answer ``202`` with ``x-ms-request-id``
and are polled with ``GET /<subscription-id>/operations/<request-id>`` until ``Succeeded`` or ``Failed``
(Microsoft Learn, "Get Operation Status", ee460783).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable

from .._errors import AuthenticationError, ConfigError, OperationFailedError
from .._xml import as_list, snake_case, xml_to_dict


def _scalar(value):
    """XML leaf -> Python: ``i:nil`` -> None, ``true``/``false`` -> bool, else the text."""
    if isinstance(value, dict):
        if value.get("@nil") == "true":
            return None
        return {snake_case(k.lstrip("@#")): _scalar(v) for k, v in value.items()}
    if value in ("true", "false"):
        return value == "true"
    return value


def decode_label(label: str | None) -> str | None:
    """Classic labels are base64 (UTF-8); a label that does not decode is returned as is."""
    if not label:
        return label
    try:
        return base64.b64decode(label, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return label


def storage_service_to_dict(service: dict) -> dict:
    """One ``<StorageService>`` (as parsed by xml_to_dict) to snake_case keys with the label decoded.

    Keys: ``service_name``, ``url``, then every ``StorageServiceProperties`` child (``description``, ``location``,
    ``affinity_group``, ``label`` (decoded) and ``label_base64``, ``status``, ``endpoints`` (list),
    ``geo_replication_enabled`` (bool), ``geo_primary_region``, ...) and ``extended_properties`` (dict).
    """
    out = {"service_name": service.get("ServiceName"), "url": service.get("Url")}
    props = service.get("StorageServiceProperties") or {}
    for key, value in props.items() if isinstance(props, dict) else ():
        name = snake_case(key)
        if key == "Endpoints":
            out["endpoints"] = [e for e in as_list((value or {}).get("Endpoint") if isinstance(value, dict) else None) if e]
        elif key == "Label":
            out["label_base64"] = value
            out["label"] = decode_label(value)
        else:
            out[name] = _scalar(value)
    ext = service.get("ExtendedProperties")
    out["extended_properties"] = {
        p.get("Name"): p.get("Value")
        for p in as_list(ext.get("ExtendedProperty") if isinstance(ext, dict) else None)
        if isinstance(p, dict)
    }
    return out


def parse_body(resp):
    """Response body: XML parsed to a dict, other text as is, None when empty."""
    if not resp.content:
        return None
    text = resp.content.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if text.startswith("<"):
        try:
            return xml_to_dict(text)
        except ValueError:
            return text
    return text


class ClassicClient:
    """Calls under ``<endpoint>/<subscription-id>``. ``settings`` has ``base_url``, ``subscription_id`` and
    ``certificate_facts()`` (see ``_auth/client_cert.ClassicSettings``)."""

    def __init__(self, transport, settings):
        self.transport = transport
        self.settings = settings
        self.base_url = settings.base_url

    # -- URLs ----------------------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """``path`` under the subscription (a leading ``/<subscription-id>`` is accepted and not doubled)."""
        if not path or "://" in path:
            raise ConfigError("path: give the path under the subscription, e.g. /services/storageservices (not a full URL)")
        if not path.startswith("/"):
            path = "/" + path
        sub = "/" + self.settings.subscription_id
        if (
            path.lower() == sub.lower()
            or path.lower().startswith(sub.lower() + "/")
            or path.lower().startswith(sub.lower() + "?")
        ):
            path = path[len(sub) :]
        return self.base_url + path

    # -- calls ---------------------------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict | None = None,
        expected_status: Iterable[int] = (200, 201, 202, 204),
        action: str | None = None,
    ) -> dict:
        """One call. Returns ``{status, headers (lower-case), request_id, content}``. Raises AzureRestError; a 403
        carries ``client_certificate`` (the offered certificate's facts) in its details."""
        hdrs = dict(headers or {})
        data = body.encode("utf-8") if isinstance(body, str) else body
        if data is not None and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/xml; charset=utf-8"
        url = self.url(path)
        try:
            resp = self.transport.request(
                method,
                url,
                headers=hdrs,
                data=data,
                expected_status=tuple(expected_status),
                action=action or "%s %s" % (method.upper(), path.split("?")[0]),
            )
        except AuthenticationError as exc:
            exc.details.setdefault("client_certificate", self.settings.certificate_facts())
            raise
        return {
            "status": resp.status_code,
            "headers": {k.lower(): v for k, v in resp.headers.items()},
            "request_id": resp.headers.get("x-ms-request-id"),
            "content": parse_body(resp),
        }

    def operation_status(self, request_id: str) -> dict:
        """``GET /operations/<id>`` -> ``{id, status, http_status_code, error_code, error_message}``."""
        result = self.call("GET", "/operations/%s" % request_id, expected_status=(200,), action="get operation %s" % request_id)
        content = result["content"] if isinstance(result["content"], dict) else {}
        op = content.get("Operation") or {}
        err = op.get("Error") if isinstance(op.get("Error"), dict) else {}
        return {
            "id": op.get("ID") or request_id,
            "status": op.get("Status"),
            "http_status_code": int(op["HttpStatusCode"]) if str(op.get("HttpStatusCode") or "").isdigit() else None,
            "error_code": err.get("Code"),
            "error_message": err.get("Message"),
        }

    def wait(self, request_id: str, timeout: float = 600, interval: float = 5) -> dict:
        """Poll until ``Succeeded`` (returns the status dict with ``polls``) or ``Failed`` / timeout
        (OperationFailedError)."""
        if timeout < 0 or interval < 0:
            raise ConfigError("wait_timeout and poll_interval must be 0 or more seconds (got %s and %s)" % (timeout, interval))
        deadline = time.monotonic() + timeout
        polls = 0
        while True:
            status = self.operation_status(request_id)
            polls += 1
            status["polls"] = polls
            if status["status"] == "Succeeded":
                return status
            if status["status"] == "Failed":
                raise OperationFailedError(
                    "operation %s failed: %s: %s"
                    % (request_id, status.get("error_code") or "?", status.get("error_message") or "no message"),
                    request_id=request_id,
                    error_code=status.get("error_code"),
                    details={"operation": status},
                )
            if time.monotonic() >= deadline:
                raise OperationFailedError(
                    "operation %s is still %s after %s s (wait_timeout): check it later with GET /operations/%s"
                    % (request_id, status.get("status"), timeout, request_id),
                    request_id=request_id,
                    details={"operation": status},
                )
            self.transport.sleep(interval)

    # -- storage services ----------------------------------------------------------------------------------------
    def list_storage_services(self) -> list[dict]:
        """``GET /services/storageservices`` -> list of :func:`storage_service_to_dict`, sorted by name."""
        result = self.call("GET", "/services/storageservices", expected_status=(200,), action="list storage services")
        content = result["content"] if isinstance(result["content"], dict) else {}
        root = content.get("StorageServices") or {}
        services = as_list(root.get("StorageService") if isinstance(root, dict) else None)
        return sorted(
            (storage_service_to_dict(s) for s in services if isinstance(s, dict)), key=lambda s: s["service_name"] or ""
        )

    def get_storage_service(self, name: str) -> dict | None:
        """``GET /services/storageservices/<name>``, or None for 404."""
        result = self.call(
            "GET", "/services/storageservices/%s" % name, expected_status=(200, 404), action="get storage service %s" % name
        )
        if result["status"] == 404 or not isinstance(result["content"], dict):
            return None
        return storage_service_to_dict(result["content"].get("StorageService") or {})
