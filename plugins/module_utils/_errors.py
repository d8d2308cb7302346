# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""The AzureRestError family and parsers for Azure error bodies (Storage XML, JSON, OData JSON, classic XML)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ._xml import strip_ns

BODY_EXCERPT = 4096


class AzureRestError(Exception):
    """Base error. ``msg`` is user-facing; the keyword fields become structured fields of the failed result."""

    def __init__(
        self,
        msg: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        url: str | None = None,
        body: str | None = None,
        details: dict | None = None,
    ):
        super().__init__(msg)
        self.msg = msg
        self.status = status
        self.error_code = error_code
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.url = url
        self.body = body[:BODY_EXCERPT] if body else body
        self.details = details or {}
        #: seconds the service asked to wait (Retry-After), when the error came from a response that said so
        self.retry_after = None

    def to_result(self) -> dict:
        """Structured fields for ``fail_json`` (``None`` values dropped)."""
        result = {
            "status": self.status,
            "error_code": self.error_code,
            "request_id": self.request_id,
            "client_request_id": self.client_request_id,
            "url": self.url,
            "response_body": self.body,
        }
        result.update(self.details)
        return {k: v for k, v in result.items() if v is not None}


class ConfigError(AzureRestError):
    """Bad or missing input, detected offline. The message names the option and the fix."""


class CertificateError(ConfigError):
    """A certificate or key that cannot be used (no private key, too small, expired, wrong password...)."""


class AuthenticationError(AzureRestError):
    """401/403 from the service (signature mismatch, bad token, forbidden certificate)."""


class NotFoundError(AzureRestError):
    """404."""


class ConflictError(AzureRestError):
    """409."""


class PreconditionFailedError(AzureRestError):
    """412."""


class TransportError(AzureRestError):
    """Connection failure, timeout or truncated response, after retries."""


class IntegrityError(AzureRestError):
    """Data failed verification (MD5 mismatch, short read)."""


class OperationFailedError(AzureRestError):
    """A long-running operation ended Failed or Canceled, or timed out."""


_STATUS_CLASSES = {
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
}


def error_class_for(status: int):
    return _STATUS_CLASSES.get(status, AzureRestError)


def parse_error_body(text: str | None, content_type: str = "") -> dict:
    """Parse an Azure error body into ``{code, message, detail, extra}``; unknown shapes give an empty dict.

    Handles Storage XML (Code/Message/AuthenticationErrorDetail), classic XML (namespaced Error), JSON
    ``{"error": {"code", "message"}}``, OAuth/Entra ``{"error", "error_description"}`` and Batch OData
    ``{"code", "message": {"value"}, "values": [{"key","value"}]}``.
    """
    if not text:
        return {}
    text = text.strip()
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("<"):
        try:
            root = ET.fromstring(text.encode("utf-8"))
        except ET.ParseError:
            return {}
        fields = {strip_ns(child.tag): (child.text or "").strip() for child in root}
        out = {"code": fields.get("Code"), "message": fields.get("Message")}
        detail = fields.get("AuthenticationErrorDetail") or fields.get("ExceptionDetails")
        if detail:
            out["detail"] = detail
        return {k: v for k, v in out.items() if v}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        err = data.get("error")
        if isinstance(err, dict):
            out = {"code": err.get("code"), "message": err.get("message")}
            inner = err.get("innererror") or err.get("innerError")
            if isinstance(inner, dict) and inner.get("code"):
                out["inner_code"] = inner.get("code")
            if err.get("details"):
                out["details"] = err.get("details")
            return {k: v for k, v in out.items() if v}
        if isinstance(err, str):
            return {"code": err, "message": data.get("error_description", "")}
        if "code" in data:
            message = data.get("message")
            if isinstance(message, dict):
                message = message.get("value")
            out = {"code": data.get("code"), "message": message}
            for item in data.get("values") or []:
                if isinstance(item, dict) and item.get("key") == "AuthenticationErrorDetail":
                    out["detail"] = item.get("value")
            return {k: v for k, v in out.items() if v}
    return {}
