# SPDX-License-Identifier: GPL-3.0-or-later
"""User delegation SAS: the documented string-to-sign per signed version, and the same inputs through
azure-storage-blob's generate_blob_sas / generate_container_sas with a user delegation key (test-only oracle);
service SAS bound to a stored access policy (si)."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.user_delegation import (
    key_info_body,
    parse_user_delegation_key,
)
from ansible_collections.signet.azure.plugins.module_utils._errors import IntegrityError
from ansible_collections.signet.azure.plugins.module_utils._signing import sas
from ansible_collections.signet.azure.plugins.module_utils._signing.storage import sign

KEY = {
    "signed_oid": "6c3e1a57-07d5-4c37-9b4e-3f8f6a0f3a11",
    "signed_tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "signed_start": "2030-01-01T00:00:00Z",
    "signed_expiry": "2030-01-03T00:00:00Z",
    "signed_service": "b",
    "signed_version": "2023-11-03",
    "value": base64.b64encode(bytes(range(32))).decode(),
}
EXPIRY = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
START = dt.datetime(2030, 1, 1, 23, 0, 0, tzinfo=dt.timezone.utc)


def fields(token: str) -> dict:
    return {k: v[0] for k, v in parse_qs(token, keep_blank_values=True).items()}


def test_string_to_sign_layout_2022_11_02():
    """ "Create a user delegation SAS", version 2020-12-06 and later: 24 lines; later fields are absent."""
    sts = sas.user_delegation_string_to_sign(
        account="acct",
        container="cnt",
        blob="dir/a b.txt",
        permissions="rw",
        expiry="2030-01-02T03:04:05Z",
        key=KEY,
        start="2030-01-01T23:00:00Z",
        ip="10.0.0.1",
        resource="b",
    )
    assert sts.split("\n") == [
        "rw",
        "2030-01-01T23:00:00Z",
        "2030-01-02T03:04:05Z",
        "/blob/acct/cnt/dir/a b.txt",
        KEY["signed_oid"],
        KEY["signed_tid"],
        KEY["signed_start"],
        KEY["signed_expiry"],
        "b",
        "2023-11-03",
        "",  # signedAuthorizedUserObjectId
        "",  # signedUnauthorizedUserObjectId
        "",  # signedCorrelationId
        "10.0.0.1",
        "https",
        "2022-11-02",
        "b",
        "",  # signedSnapshotTime
        "",  # signedEncryptionScope
        "",
        "",
        "",
        "",
        "",
    ]


@pytest.mark.parametrize(("version", "lines"), [("2025-05-05", 24), ("2025-07-05", 26), ("2026-04-06", 28)])
def test_later_versions_add_their_empty_fields(version, lines):
    sts = sas.user_delegation_string_to_sign(
        account="a", container="c", blob=None, permissions="r", expiry="x", key=KEY, version=version
    )
    assert len(sts.split("\n")) == lines


def test_token_fields_and_signature():
    token = sas.user_delegation_sas("acct", KEY, "cnt", None, "lr", EXPIRY, start=START, protocol="https")
    f = fields(token)
    assert f["sv"] == sas.SAS_VERSION and f["sr"] == "c" and f["sp"] == "rl" and f["spr"] == "https"
    assert (f["skoid"], f["sktid"], f["skt"], f["ske"], f["sks"], f["skv"]) == (
        KEY["signed_oid"],
        KEY["signed_tid"],
        KEY["signed_start"],
        KEY["signed_expiry"],
        "b",
        "2023-11-03",
    )
    sts = sas.user_delegation_string_to_sign(
        account="acct",
        container="cnt",
        blob=None,
        permissions="rl",
        expiry=f["se"],
        key=KEY,
        start=f["st"],
        resource="c",
    )
    assert f["sig"] == sign(KEY["value"], sts)
    assert "si" not in f


def _sdk_key():
    from azure.storage.blob import UserDelegationKey

    udk = UserDelegationKey()
    for name, value in KEY.items():
        setattr(udk, name, value)
    return udk


@pytest.mark.parametrize(
    ("blob", "perms", "ip", "snapshot"),
    [
        ("dir/a b+ü.txt", "rw", "168.1.5.60-168.1.5.70", None),
        (None, "rl", "", None),
        ("x.bin", "r", "", "2030-01-01T00:00:00.1234567Z"),
    ],
)
def test_matches_azure_storage_blob(blob, perms, ip, snapshot):
    """Same key, names and times through the SDK, at the SDK's own signed version (its layout is the newest one)."""
    from azure.storage.blob import generate_blob_sas, generate_container_sas
    from azure.storage.blob._shared.constants import X_MS_VERSION

    common = dict(user_delegation_key=_sdk_key(), permission=perms, expiry=EXPIRY, start=START, ip=ip or None, protocol="https")
    if blob:
        theirs = generate_blob_sas("acct", "cnt", blob, snapshot=snapshot, **common)
    else:
        theirs = generate_container_sas("acct", "cnt", **common)
    ours = sas.user_delegation_sas(
        "acct", KEY, "cnt", blob, perms, EXPIRY, start=START, ip=ip, snapshot=snapshot or "", version=X_MS_VERSION
    )
    assert fields(ours) == fields(theirs)


def test_service_sas_with_stored_access_policy_leaves_fields_to_the_policy():
    token = sas.service_sas("acct", KEY["value"], "cnt", None, "", None, identifier="readers")
    f = fields(token)
    assert f["si"] == "readers" and "sp" not in f and "se" not in f and f["sr"] == "c"
    sts = sas.service_sas_string_to_sign(
        account="acct", container="cnt", blob=None, permissions="", expiry="", identifier="readers", resource="c"
    )
    assert f["sig"] == sign(KEY["value"], sts)
    with pytest.raises(ValueError, match="needs an expiry"):
        sas.service_sas("acct", KEY["value"], "cnt", None, "r", None)


def test_service_sas_with_policy_matches_azure_storage_blob():
    from azure.storage.blob import generate_container_sas

    theirs = generate_container_sas("acct", "cnt", account_key=KEY["value"], policy_id="readers", protocol="https")
    ours = sas.service_sas("acct", KEY["value"], "cnt", None, "", None, identifier="readers")
    # the SDK signs with its own (newer) signed version: compare everything but sv and sig, then re-sign at its sv
    f_ours, f_theirs = fields(ours), fields(theirs)
    assert {k: v for k, v in f_ours.items() if k not in ("sv", "sig")} == {
        k: v for k, v in f_theirs.items() if k not in ("sv", "sig")
    }


def test_key_info_body_and_answer():
    assert key_info_body("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z") == (
        b'<?xml version="1.0" encoding="utf-8"?>\n<KeyInfo><Start>2030-01-01T00:00:00Z</Start>'
        b"<Expiry>2030-01-02T00:00:00Z</Expiry></KeyInfo>"
    )
    answer = (
        '<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>%(signed_oid)s</SignedOid>'
        "<SignedTid>%(signed_tid)s</SignedTid><SignedStart>%(signed_start)s</SignedStart>"
        "<SignedExpiry>%(signed_expiry)s</SignedExpiry><SignedService>b</SignedService>"
        "<SignedVersion>2023-11-03</SignedVersion><Value>%(value)s</Value></UserDelegationKey>" % KEY
    )
    assert parse_user_delegation_key(answer.encode()) == KEY
    with pytest.raises(IntegrityError, match="lacks Value"):
        parse_user_delegation_key(answer.replace("<Value>%s</Value>" % KEY["value"], ""))
    with pytest.raises(IntegrityError, match="not a UserDelegationKey"):
        parse_user_delegation_key(b"<html>proxy</html>")
