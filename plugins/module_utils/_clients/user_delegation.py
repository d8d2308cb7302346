# SPDX-License-Identifier: GPL-3.0-or-later
# Private to the signet.azure collection; may change at any time.
"""Get User Delegation Key (Blob service), the first half of a user delegation SAS.

``POST https://<account>.blob.<suffix>/?restype=service&comp=userdelegationkey`` with a ``KeyInfo`` body, signed with
an Entra ID bearer token (the service refuses Shared Key and SAS for this call). See Microsoft's "Get User Delegation
Key" (https://learn.microsoft.com/rest/api/storageservices/get-user-delegation-key): the key is valid for at most
seven days from now, and the answer's ``SignedOid``, ``SignedTid``, ``SignedStart``, ``SignedExpiry``,
``SignedService``, ``SignedVersion`` and ``Value`` go into the SAS (``_signing/sas.user_delegation_sas``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .._errors import IntegrityError
from .._xml import xml_to_dict

#: The answer's elements -> the keys of the returned dict (also the key argument of ``user_delegation_sas``).
KEY_FIELDS = {
    "SignedOid": "signed_oid",
    "SignedTid": "signed_tid",
    "SignedStart": "signed_start",
    "SignedExpiry": "signed_expiry",
    "SignedService": "signed_service",
    "SignedVersion": "signed_version",
    "Value": "value",
}


def key_info_body(start: str, expiry: str) -> bytes:
    """The request body; ``start`` and ``expiry`` are ISO 8601 UTC times such as ``2026-01-01T00:00:00Z``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<KeyInfo><Start>%s</Start><Expiry>%s</Expiry></KeyInfo>'
        % (escape(start), escape(expiry))
    ).encode("utf-8")


def parse_user_delegation_key(text) -> dict:
    """The ``UserDelegationKey`` answer as a dict (keys of ``KEY_FIELDS``). IntegrityError when a field is missing."""
    try:
        root = xml_to_dict(text).get("UserDelegationKey")
    except ValueError:
        root = None
    if not isinstance(root, dict):
        raise IntegrityError("Get User Delegation Key: the answer is not a UserDelegationKey document")
    key = {name: root.get(element) for element, name in KEY_FIELDS.items()}
    missing = sorted(element for element, name in KEY_FIELDS.items() if not key[name])
    if missing:
        raise IntegrityError("Get User Delegation Key: the answer lacks %s" % ", ".join(missing))
    return key


def get_user_delegation_key(transport, service_url: str, start: str, expiry: str) -> dict:
    """Ask the Blob service at ``service_url`` (``https://<account>.blob.<suffix>``, or a path-style emulator URL) for
    a user delegation key valid from ``start`` to ``expiry``. ``transport`` signs with a storage bearer token
    (``_auth/storage.StorageBearerAuth``). Returns the key dict; the caller registers ``value`` as a secret.
    Raises AzureRestError subclasses (a 403 names the missing role through the explainer)."""
    resp = transport.request(
        "POST",
        service_url.rstrip("/") + "/?restype=service&comp=userdelegationkey",
        headers={"Content-Type": "application/xml"},
        data=key_info_body(start, expiry),
        expected_status=(200,),
        action="Get User Delegation Key",
        retry_non_idempotent=True,  # it changes nothing on the service: safe to send again
    )
    return parse_user_delegation_key(resp.content)
