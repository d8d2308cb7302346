# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the Azure twin's own tests (the session ``twin`` itself is in tests/conftest.py)."""

from __future__ import annotations

import os
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

# The session fixture ``twin`` comes from tests/conftest.py: ONE twin per test process. Two twins in one process
# would confuse SDK caches keyed by host name (azure-keyvault caches the vault's auth challenge, with its tenant).


@pytest.fixture
def clean_twin(twin):
    """The session twin with no pending faults and an empty request log."""
    twin.reset()
    yield twin
    twin.control("/_twin/faults", method="DELETE")


@pytest.fixture
def twin_env(twin, monkeypatch):
    """Process environment pointing HTTPS traffic at the twin (what an SDK user would export)."""
    for name in (
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "AZURE_AUTHORITY_HOST",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "IDENTITY_SERVER_THUMBPRINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in twin.env.items():
        monkeypatch.setenv(name, value)
    return twin
