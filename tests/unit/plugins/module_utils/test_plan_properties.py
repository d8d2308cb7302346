# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests (hypothesis) of the pure plans: the sync plan and the Cloud Service rotation plan.

The upload plan has its own (test_blob_plan_properties.py); the blob name -> local path mapping is in
test_localfile.py.
"""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._plans.blob_sync import sync_plan  # noqa: E402
from ansible_collections.signet.azure.plugins.module_utils._plans.cloud_service import (  # noqa: E402
    parse_certificates,
    plan_rotation,
)
from tests.unit.plugins.module_utils.test_cloud_service import (  # noqa: E402
    NEW_LEAF,
    NEW_LEAF_URL,
    NEW_ROOT,
    NEW_ROOT_URL,
    THUMBS,
    VAULT_ID,
    resource,
)

PATHS = st.text("abc/", min_size=1, max_size=6)
ENTRY = st.fixed_dictionaries({"size": st.integers(0, 3), "md5": st.one_of(st.none(), st.sampled_from(["m1", "m2"]))})
TREE = st.dictionaries(PATHS, ENTRY, max_size=8)


@settings(max_examples=300, deadline=None)
@given(source=TREE, target=TREE, delete=st.booleans())
def test_sync_plan_covers_every_source_path_once_and_never_deletes_a_source(source, target, delete):
    plan = sync_plan(source, target, delete)
    assert sorted(plan["copy"] + plan["skip"]) == sorted(source)
    assert not set(plan["copy"]) & set(plan["skip"])
    assert not set(plan["delete"]) & set(source)
    assert set(plan["delete"]) == (set(target) - set(source) if delete else set())
    for path in plan["skip"]:  # skipped only on proof: same size and the same known MD5
        assert source[path]["md5"] and source[path] == {"size": target[path]["size"], "md5": target[path]["md5"]}
    # applying the plan makes the target equal the source (for the paths the source has): a second plan copies nothing
    after = {p: dict(source[p]) for p in source}
    if not delete:
        after.update({p: target[p] for p in target if p not in source})
    again = sync_plan(source, after, delete)
    assert again["delete"] == [] and set(again["copy"]) == {p for p in source if not source[p]["md5"]}


REQUESTS = st.lists(
    st.sampled_from(
        [
            {"name": "server", "thumbprint": NEW_LEAF, "certificate_url": NEW_LEAF_URL},
            {"name": "root", "thumbprint": NEW_ROOT, "certificate_url": NEW_ROOT_URL},
            {"name": "server", "thumbprint": NEW_LEAF.lower(), "certificate_url": NEW_LEAF_URL},
        ]
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda r: r["name"],
)


@settings(max_examples=100, deadline=None)
@given(requests=REQUESTS)
def test_rotation_is_idempotent_and_touches_only_what_was_asked(requests):
    before = resource()
    first = plan_rotation(before, requests, VAULT_ID, THUMBS)
    wanted = {r["name"]: r["thumbprint"].upper() for r in requests}
    certs = parse_certificates(first["configuration"])
    for cert in certs:  # every requested certificate has its new thumbprint, every other keeps its old one
        old = next(
            c
            for c in parse_certificates(before["properties"]["configuration"])
            if c["role"] == cert["role"] and c["name"] == cert["name"]
        )
        assert cert["thumbprint"] == wanted.get(cert["name"], old["thumbprint"])
    urls = {v["certificateUrl"] for s in first["os_profile"]["secrets"] for v in s["vaultCertificates"]}
    assert {r["certificate_url"] for r in requests} <= urls
    # planning again on the result changes nothing
    again = plan_rotation(resource(first["configuration"], first["os_profile"]["secrets"]), requests, VAULT_ID, {})
    assert again["changed"] is False and again["changes"] == [] and again["added_urls"] == [] and again["removed_urls"] == []
