# SPDX-License-Identifier: GPL-3.0-or-later
"""Service and account SAS: layouts from the documentation, and the same inputs through azure-storage-blob (oracle)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest

from ansible_collections.signet.azure.plugins.module_utils._signing import sas
from ansible_collections.signet.azure.plugins.module_utils._signing.storage import sign

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
EXPIRY = dt.datetime(2030, 1, 2, 3, 4, 5, 678, tzinfo=dt.timezone.utc)
START = dt.datetime(2029, 12, 31, 23, 0, 0, tzinfo=dt.timezone.utc)


def fields(token: str) -> dict:
    return {k: v[0] for k, v in parse_qs(token, keep_blank_values=True).items()}


def test_format_time_is_utc_seconds_z():
    assert sas.format_time(EXPIRY) == "2030-01-02T03:04:05Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert sas.format_time(dt.datetime(2030, 1, 2, 5, 4, 5, tzinfo=plus_two)) == "2030-01-02T03:04:05Z"
    assert sas.format_time(dt.datetime(2030, 1, 2, 3, 4, 5)) == "2030-01-02T03:04:05Z"


def test_permissions_reordered_canonically():
    assert sas.normalize_permissions("wlr", sas.CONTAINER_PERMISSIONS, "SAS") == "rwl"
    assert sas.normalize_permissions("dcwra", sas.BLOB_PERMISSIONS, "SAS") == "racwd"


@pytest.mark.parametrize(("perms", "match"), [("rq", "'q'"), ("", "at least one")])
def test_permissions_rejected(perms, match):
    with pytest.raises(ValueError, match=match):
        sas.normalize_permissions(perms, sas.BLOB_PERMISSIONS, "SAS")


def test_service_sas_string_to_sign_layout():
    sts = sas.service_sas_string_to_sign(
        account="acct", container="c", blob="dir one/é.txt", permissions="r", expiry="2030-01-01T00:00:00Z", resource="b"
    )
    lines = sts.split("\n")
    assert len(lines) == 16
    assert lines[:4] == ["r", "", "2030-01-01T00:00:00Z", "/blob/acct/c/dir one/é.txt"]
    assert lines[6:9] == ["https", sas.SAS_VERSION, "b"]


def test_account_sas_string_to_sign_layout():
    sts = sas.account_sas_string_to_sign(
        account="acct", permissions="rl", services="b", resource_types="sco", expiry="2030-01-01T00:00:00Z"
    )
    assert sts == "acct\nrl\nb\nsco\n\n2030-01-01T00:00:00Z\n\nhttps\n%s\n\n" % sas.SAS_VERSION


def test_service_sas_token_fields_and_signature():
    token = sas.service_sas(ACCOUNT, KEY, "c", "b.txt", "wr", EXPIRY, start=START, protocol="https,http")
    f = fields(token)
    assert f["sv"] == sas.SAS_VERSION
    assert f["sr"] == "b"
    assert f["sp"] == "rw"
    assert f["se"] == "2030-01-02T03:04:05Z"
    assert f["st"] == "2029-12-31T23:00:00Z"
    assert f["spr"] == "https,http"
    sts = sas.service_sas_string_to_sign(
        account=ACCOUNT,
        container="c",
        blob="b.txt",
        permissions="rw",
        expiry=f["se"],
        start=f["st"],
        protocol="https,http",
        resource="b",
    )
    assert f["sig"] == sign(KEY, sts)
    assert "%2B" in token or "+" not in f["sig"]  # the signature is URL-encoded in the token


def test_service_sas_container_and_snapshot_resources():
    assert fields(sas.service_sas(ACCOUNT, KEY, "c", None, "rl", EXPIRY))["sr"] == "c"
    assert fields(sas.service_sas(ACCOUNT, KEY, "c", "b", "r", EXPIRY, snapshot="2024-01-01T00:00:00.0000000Z"))["sr"] == "bs"


def test_service_sas_rejects_container_only_letters_for_blob():
    with pytest.raises(ValueError, match="'l'"):
        sas.service_sas(ACCOUNT, KEY, "c", "b", "rl", EXPIRY)


def test_account_sas_rejects_unknown_service():
    with pytest.raises(ValueError, match="'z'"):
        sas.account_sas(ACCOUNT, KEY, "r", "bz", "sco", EXPIRY)


# ---- oracle: azure-storage-blob's own SAS helpers, pinned to our signed version ---------------------------------


@pytest.fixture
def blob_oracle():
    pytest.importorskip("azure.storage.blob")
    from azure.storage.blob._shared_access_signature import BlobSharedAccessSignature

    helper = BlobSharedAccessSignature(ACCOUNT, account_key=KEY)
    helper.x_ms_version = sas.SAS_VERSION
    return helper


@pytest.mark.parametrize("name", ["b.txt", "dir one/ü+%~(a),b=c.txt", "a&b;c@d$e!f'g*h.txt"])
def test_blob_sas_matches_oracle(blob_oracle, name):
    seen = []
    oracle = blob_oracle.generate_blob(
        "c",
        name,
        permission="racwd",
        expiry=sas.format_time(EXPIRY),
        start=sas.format_time(START),
        protocol="https",
        sts_hook=seen.append,
    )
    ours = sas.service_sas(ACCOUNT, KEY, "c", name, "dwacr", EXPIRY, start=START)
    of, wf = fields(oracle), fields(ours)
    assert wf["sig"] == of["sig"]
    assert {k: wf[k] for k in of} == of
    expected_sts = sas.service_sas_string_to_sign(
        account=ACCOUNT, container="c", blob=name, permissions="racwd", expiry=wf["se"], start=wf["st"], resource="b"
    )
    assert seen == [expected_sts]


def test_container_sas_matches_oracle(blob_oracle):
    oracle = blob_oracle.generate_container("c", permission="rwdl", expiry=sas.format_time(EXPIRY), protocol="https")
    ours = sas.service_sas(ACCOUNT, KEY, "c", None, "ldwr", EXPIRY)
    assert fields(ours)["sig"] == fields(oracle)["sig"]


def test_account_sas_matches_oracle():
    pytest.importorskip("azure.storage.blob")
    from azure.storage.blob._shared.shared_access_signature import SharedAccessSignature

    helper = SharedAccessSignature(ACCOUNT, KEY, x_ms_version=sas.SAS_VERSION)
    seen = []
    oracle = helper.generate_account(
        "b", "sco", "rwdlac", sas.format_time(EXPIRY), start=sas.format_time(START), protocol="https,http", sts_hook=seen.append
    )
    ours = sas.account_sas(ACCOUNT, KEY, "rwdlac", "b", "sco", EXPIRY, start=START, protocol="https,http")
    assert fields(ours)["sig"] == fields(oracle)["sig"]
    assert seen[0] == sas.account_sas_string_to_sign(
        account=ACCOUNT,
        permissions="rwdlac",
        services="b",
        resource_types="sco",
        expiry=sas.format_time(EXPIRY),
        start=sas.format_time(START),
        protocol="https,http",
    )
