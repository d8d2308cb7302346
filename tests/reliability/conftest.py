# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the reliability and security suite (issue 10): the fault proxy in front of Azurite, the Azurite oracle,
and a fresh container per test."""

from __future__ import annotations

import uuid

import pytest

from tests.reliability import _support
from tests.reliability.fault_proxy import FaultProxy


@pytest.fixture
def fault_proxy(azurite):
    """A FaultProxy in front of the session's Azurite; its injected faults are added to the suite's counter."""
    proxy = FaultProxy(azurite.blob_port).start()
    yield proxy
    proxy.stop()
    _support.count("faults", proxy.faults_injected)


@pytest.fixture(scope="session")
def oracle(azurite):
    """azure-storage-blob BlobServiceClient straight to Azurite: the only judge of what the service holds."""
    return _support.oracle_client(azurite)


@pytest.fixture
def container(oracle):
    """A new empty container (name returned), deleted afterwards."""
    name = "rel-" + uuid.uuid4().hex[:16]
    oracle.create_container(name)
    yield name
    try:
        oracle.delete_container(name)
    except Exception:  # noqa: BLE001 - best-effort cleanup
        pass


@pytest.fixture(scope="session")
def storage_args(azurite):
    """The storage family options for Azurite, direct (no proxy)."""
    return {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
