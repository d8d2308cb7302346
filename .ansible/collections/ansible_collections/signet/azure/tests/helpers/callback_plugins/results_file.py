# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: writes every task result (as the controller sees it, no_log applied) to a JSON file."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: results_file
type: aggregate
short_description: write task results to SIGNET_RESULTS_FILE (tests only)
description: Test helper of signet.azure.
requirements: [enable in ANSIBLE_CALLBACKS_ENABLED]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_file"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []

    def _add(self, result, status):
        data = dict(result._result)
        self.results.append({"task": result._task.get_name(), "host": result._host.get_name(), "status": status, "result": data})

    def v2_runner_on_ok(self, result):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("SIGNET_RESULTS_FILE")
        if path:
            with open(path, "w") as fh:
                json.dump(self.results, fh, default=str)
