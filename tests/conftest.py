# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pytest fixtures: the collection on sys.path, Azurite and the Azure twin on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "collections"))
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO))

from tests.helpers.playbook import ensure_collection_link  # noqa: E402
from tests.helpers.servers import start_azurite  # noqa: E402

try:  # property-based tests: explore at random on a developer's machine, the same examples every time in CI
    import os as _os

    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    _hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
    _hypothesis_settings.load_profile("ci" if _os.environ.get("CI") else "dev")
except ImportError:  # pragma: no cover - hypothesis is a test-only dependency
    pass

ensure_collection_link()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A running Azurite blob service (in-memory), stopped at the end of the session."""
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite_oauth(tmp_path_factory, twin):
    """Azurite on HTTPS with --oauth basic (tests/helpers/servers.start_azurite_oauth); its ``ca_bundle`` also trusts
    the twin, whose Entra ID endpoint issues the storage tokens."""
    from tests.helpers.servers import start_azurite_oauth

    server = start_azurite_oauth(tmp_path_factory.mktemp("azurite-oauth"), extra_ca_files=[twin.ca_file])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def twin(tmp_path_factory):
    """A running Azure twin (tools/azure_twin), stopped at the end of the session."""
    from azure_twin.harness import start_twin

    handle = start_twin(tmp_path_factory.mktemp("twin"))
    yield handle
    handle.stop()


# Reliability suite (issue 10): session-end secret scan over every kept output, and the summary line. These hooks must
# be in the root conftest so that the xdist controller runs them (see tests/reliability/summary.py).
from tests.reliability import summary as _reliability  # noqa: E402


def pytest_sessionstart(session):
    _reliability.pytest_sessionstart(session)


def pytest_sessionfinish(session, exitstatus):
    _reliability.pytest_sessionfinish(session, exitstatus)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    _reliability.pytest_terminal_summary(terminalreporter, exitstatus, config)
