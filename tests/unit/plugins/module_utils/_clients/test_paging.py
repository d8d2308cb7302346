# SPDX-License-Identifier: GPL-3.0-or-later
"""Paging links are followed only to the origin of the listing, and a repeated link or marker ends it."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.keyvault import KeyVaultClient
from ansible_collections.signet.azure.plugins.module_utils._clients.paging import PageGuard
from ansible_collections.signet.azure.plugins.module_utils._errors import IntegrityError

BASE = "https://myvault.vault.azure.net/certificates?api-version=2025-06-01"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.com/certificates?x=1",
        "http://myvault.vault.azure.net/certificates?x=1",
        "https://myvault.vault.azure.net:8443/certificates?x=1",
        "https://myvault.vault.azure.net.evil.example.com/certificates",
        "//evil.example.com/x",
    ],
)
def test_foreign_origin_refused(link):
    with pytest.raises(IntegrityError, match="refusing to send the credentials"):
        PageGuard(BASE, "list").check_link(link)


def test_same_origin_with_explicit_default_port_followed_once():
    guard = PageGuard(BASE, "list")
    link = "https://MyVault.vault.azure.net:443/certificates?$skiptoken=abc"
    assert guard.check_link(link) == link
    with pytest.raises(IntegrityError, match="twice"):
        guard.check_link(link)


def test_page_limit():
    guard = PageGuard(BASE, "list", max_pages=3)
    for marker in ("a", "b", "c"):
        guard.check_marker(marker)
    with pytest.raises(IntegrityError, match="more than 3 pages"):
        guard.check_marker("d")


class _Resp:
    def __init__(self, doc):
        self._doc = doc
        self.status_code = 200
        self.content = b"{}"

    def json(self):
        return self._doc


class _Transport:
    """Answers every GET with the next scripted page; records the URLs asked for."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.urls = []

    def request(self, method, url, **kwargs):
        self.urls.append(url)
        return _Resp(self.pages.pop(0))


@pytest.mark.parametrize(
    ("next_link", "expected"),
    [
        ("https://evil.example.com/certificates?p=2", "refusing to send the credentials"),
        ("https://myvault.vault.azure.net/certificates?p=2", "twice"),
    ],
)
def test_keyvault_listing_stops_on_a_lying_next_link(next_link, expected):
    transport = _Transport([{"value": [{"id": "1"}], "nextLink": next_link}] * 5)
    client = KeyVaultClient("https://myvault.vault.azure.net", transport)
    with pytest.raises(IntegrityError, match=expected):
        client.list_certificates()
    assert all(u.startswith("https://myvault.vault.azure.net/") for u in transport.urls)
    assert len(transport.urls) <= 2
