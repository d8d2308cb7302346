# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure error bodies: Storage XML, ARM/Key Vault JSON, Batch OData JSON, classic XML, Entra (AADSTS) JSON."""

from __future__ import annotations

import json

import pytest

from ansible_collections.signet.azure.plugins.module_utils import _errors as e

STORAGE_403 = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of
Authorization header is formed correctly including the signature.
RequestId:6e1c1a2b-001e-0000-0000-000000000000
Time:2024-01-01T00:00:00.0000000Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request
'abc=' is not the same as any computed signature. Server used following string to sign: 'GET\\n\\n'.</AuthenticationErrorDetail></Error>"""

CLASSIC = """<Error xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<Code>ForbiddenError</Code><Message>The server failed to authenticate the request. Verify that the certificate is valid
and is associated with this subscription.</Message></Error>"""

BATCH = json.dumps(
    {
        "odata.metadata": "https://acct.westeurope.batch.azure.com/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
        "code": "AuthenticationFailed",
        "message": {"lang": "en-US", "value": "Server failed to authenticate the request.\nRequestId:1\nTime:2"},
        "values": [
            {"key": "AuthenticationErrorDetail", "value": "The MAC signature found in the HTTP request is not the same"},
            {"key": "Other", "value": "x"},
        ],
    }
)

ARM = json.dumps(
    {
        "error": {
            "code": "AuthorizationFailed",
            "message": "The client 'x' does not have authorization",
            "innererror": {"code": "Inner"},
            "details": [{"code": "D1", "message": "m"}],
        }
    }
)

AADSTS = json.dumps(
    {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
    }
)


def test_storage_xml_with_bom_and_detail():
    parsed = e.parse_error_body(STORAGE_403, "application/xml")
    assert parsed["code"] == "AuthenticationFailed"
    assert parsed["message"].startswith("Server failed to authenticate")
    assert "Server used following string to sign" in parsed["detail"]


def test_classic_namespaced_xml():
    parsed = e.parse_error_body(CLASSIC)
    assert parsed == {"code": "ForbiddenError", "message": parsed["message"]}
    assert parsed["message"].startswith("The server failed to authenticate")


def test_batch_odata_json():
    parsed = e.parse_error_body(BATCH, "application/json;odata=minimalmetadata")
    assert parsed["code"] == "AuthenticationFailed"
    assert parsed["message"].startswith("Server failed to authenticate the request.")
    assert parsed["detail"].startswith("The MAC signature")


def test_arm_json_with_inner_error_and_details():
    parsed = e.parse_error_body(ARM)
    assert parsed["code"] == "AuthorizationFailed"
    assert parsed["inner_code"] == "Inner"
    assert parsed["details"] == [{"code": "D1", "message": "m"}]


def test_entra_aadsts_json():
    parsed = e.parse_error_body(AADSTS)
    assert parsed == {"code": "invalid_client", "message": "AADSTS7000215: Invalid client secret provided."}


@pytest.mark.parametrize("text", [None, "", "not an error", "<broken", "{broken", "[1, 2]", '{"other": 1}'])
def test_unknown_shapes_give_empty_dict(text):
    assert e.parse_error_body(text) == {}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, e.AuthenticationError),
        (403, e.AuthenticationError),
        (404, e.NotFoundError),
        (409, e.ConflictError),
        (412, e.PreconditionFailedError),
        (500, e.AzureRestError),
    ],
)
def test_error_class_for(status, cls):
    assert e.error_class_for(status) is cls


def test_to_result_drops_none_and_truncates_body():
    err = e.NotFoundError("missing", status=404, error_code="BlobNotFound", body="x" * 10000, details={"extra": 1})
    result = err.to_result()
    assert result["status"] == 404 and result["error_code"] == "BlobNotFound" and result["extra"] == 1
    assert len(result["response_body"]) == e.BODY_EXCERPT
    assert "request_id" not in result and "url" not in result
    assert str(err) == "missing"


def test_hierarchy():
    assert issubclass(e.CertificateError, e.ConfigError)
    for cls in (e.ConfigError, e.TransportError, e.IntegrityError, e.OperationFailedError, e.ConflictError):
        assert issubclass(cls, e.AzureRestError)
