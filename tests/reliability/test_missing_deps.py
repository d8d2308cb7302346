# SPDX-License-Identifier: GPL-3.0-or-later
"""A module whose optional library is missing fails with missing_required_lib-style guidance (the library, the pip
package, the collection's requirements.txt), never with a ModuleNotFoundError traceback.

The module runs in-process with the library made unimportable (``sys.modules[name] = None`` makes ``import name``
raise ImportError, exactly as on a node without it). Nothing is sent: the failure comes before any connection.
"""

from __future__ import annotations

import sys

import pytest

from tests.reliability import _support

ENTRA = {"tenant_id": "00000000-0000-0000-0000-000000000001", "client_id": "00000000-0000-0000-0000-000000000002"}


@pytest.fixture
def without_msal(monkeypatch):
    for name in [n for n in sys.modules if n == "msal" or n.startswith("msal.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "msal", None)
    monkeypatch.setitem(sys.modules, "msal.exceptions", None)


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("keyvault_secret_info", dict(ENTRA, client_secret="sentinel-not-sent", vault_name="signetkv", name="x")),
        (
            "request",
            dict(
                ENTRA,
                client_secret="sentinel-not-sent",
                auth="entra",
                url="https://management.azure.com/x?api-version=2024-11-04",
            ),
        ),
    ],
)
def test_missing_msal_is_explained(without_msal, module, args):
    outcome, result, output = _support.run_module(module, dict(args, retries=0))
    assert outcome == "fail", (outcome, result)
    msg = result["msg"]
    assert msg.startswith("Failed to import the required Python library (msal)"), msg
    assert "pip install msal" in msg and "requirements.txt" in msg and "Entra ID" in msg
    assert "exception" not in result and "Traceback" not in output


def test_storage_modules_do_not_need_msal(without_msal, azurite):
    outcome, result, _output = _support.run_module(
        "storage_container_info", {"account_name": azurite.account, "account_key": azurite.key, "endpoint": azurite.blob_endpoint}
    )
    assert outcome == "exit" and isinstance(result["containers"], list), result
