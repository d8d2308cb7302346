# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based: for random blob names, metadata headers and query parameters, our Shared Key string-to-sign and
Authorization equal those of Microsoft's SharedKeyCredentialPolicy (azure-storage-blob, the test-only oracle).

The example-based cases are in test_storage_oracle.py; hypothesis searches the spaces they only sample.
"""

from __future__ import annotations

import string

import pytest

pytest.importorskip("azure.storage.blob")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.signet.azure.plugins.module_utils._clients.generic import build_url  # noqa: E402
from tests.unit.plugins.module_utils._signing.test_storage_oracle import BASE, assert_same, blob_path, sign_ours  # noqa: E402

# Blob names: any Unicode the service accepts (no control characters, no private use, no lone surrogates).
NAME_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn"))
BLOB_NAMES = st.text(NAME_CHARS, min_size=1, max_size=60).filter(lambda n: n.strip() and not n.endswith((".", "/")))
META_NAMES = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,20}\Z")
HEADER_VALUES = (
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30).map(str.strip).filter(bool)
)
QUERY_KEYS = st.text(string.ascii_lowercase, min_size=1, max_size=10)
QUERY_VALUES = st.text(NAME_CHARS, max_size=20)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(name=BLOB_NAMES, meta=st.dictionaries(META_NAMES, HEADER_VALUES, max_size=5))
def test_put_blob_any_name_and_metadata(name, meta):
    headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}
    headers.update({"x-ms-meta-" + k: v for k, v in meta.items()})
    prepared, auth = sign_ours("PUT", BASE + blob_path("oracle", name), headers=headers, data=b"x")
    assert_same(prepared, auth)


@SETTINGS
@given(name=BLOB_NAMES, query=st.dictionaries(QUERY_KEYS, QUERY_VALUES, max_size=4))
def test_get_any_name_and_query(name, query):
    url = build_url(None, blob_path("oracle", name), BASE, query)
    prepared, auth = sign_ours("GET", url)
    assert_same(prepared, auth)
