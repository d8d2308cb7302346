# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process: ``run(module, args)`` returns ``("exit" | "fail", result)``. The storage
environment variables are cleared first, so a developer's own settings never leak into a test."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

STORAGE_ENV = (
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_BLOB_ENDPOINT",
    "AZURE_STORAGE_SAS_TOKEN",
)


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def run(monkeypatch):
    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    for name in STORAGE_ENV:
        monkeypatch.delenv(name, raising=False)

    def _run(module, args: dict):
        with patch_module_args(args):
            try:
                module.main()
            except ExitJson as e:
                return "exit", e.args[0]
            except FailJson as e:
                return "fail", e.args[0]
        raise AssertionError("the module neither exited nor failed")

    return _run
