# SPDX-License-Identifier: GPL-3.0-or-later
"""Redactor: registered secrets (and their URL-encoded forms) and well-known secret shapes never survive."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._redact import MASK, Redactor, redact_url

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=abc%2Bdef%3D&sp=r", "abc%2Bdef%3D"),
        ("?sig=abcdef", "abcdef"),
        ("https://login/x?client_secret=s3cr3tvalue&x=1", "s3cr3tvalue"),
        ("Authorization: SharedKey devstoreaccount1:c2lnbmF0dXJlCg==", "c2lnbmF0dXJlCg=="),
        ("{'Authorization': 'Bearer abc.def.ghi'}", "abc.def.ghi"),
        ("header SharedKeyLite acct:QUJDREVGRw== sent", "QUJDREVGRw=="),
        ("Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwczovL21h.c2lnbmF0dXJl", "eyJhdWQiOiJodHRwczovL21h"),
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=%s;EndpointSuffix=core.windows.net" % KEY, KEY),
        ("BlobEndpoint=https://a/;SharedAccessSignature=sv=2022&sig=zzzzzz", "sv=2022&sig=zzzzzz"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----", "MIIEvQIBADANBg"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "MIIEabc"),
    ],
)
def test_shapes_masked_without_registration(text, secret):
    out = Redactor().redact(text)
    assert secret not in out
    assert MASK in out


def test_registered_secret_and_encoded_forms():
    r = Redactor([KEY])
    assert r.redact("key=" + KEY) == "key=" + MASK
    from urllib.parse import quote

    assert KEY not in r.redact("x " + quote(KEY, safe=""))
    assert quote(KEY, safe="") not in r.redact("x " + quote(KEY, safe=""))
    assert quote(KEY, safe="/") not in r.redact("x " + quote(KEY, safe="/"))


def test_short_values_are_not_registered():
    r = Redactor(["ab", None, "abc"])
    assert r.redact("abcabc") == "abcabc"
    assert r.secrets == frozenset()


def test_walks_dicts_lists_tuples_and_keeps_other_types():
    r = Redactor(["topsecret"])
    data = {"a": ["x topsecret", ("topsecret",)], "n": 5, "b": None, "c": {"d": "?sig=zz"}}
    assert r.redact(data) == {"a": ["x " + MASK, (MASK,)], "n": 5, "b": None, "c": {"d": "?sig=" + MASK}}


def test_longest_secret_first():
    r = Redactor(["secretvalue", "secretvalue-long"])
    assert r.redact("secretvalue-long") == MASK


def test_plain_text_untouched():
    text = "GET https://a.blob.core.windows.net/c/b?comp=list&restype=container: HTTP 404"
    assert Redactor().redact(text) == text


def test_redact_url():
    assert redact_url("http://h/p?se=2030&sig=QQ%3D%3D") == "http://h/p?se=2030&sig=" + MASK
