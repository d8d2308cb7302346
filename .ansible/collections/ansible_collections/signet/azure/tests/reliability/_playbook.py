# SPDX-License-Identifier: GPL-3.0-or-later
"""Run many module cases in one real playbook (ignore_errors + register) and index the results by case id."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.playbook import run_playbook
from tests.reliability import _support


def run_cases(name: str, tmp_path: Path, tasks: list[dict], defaults: dict | None = None, env: dict | None = None, verbosity: int = 4) -> dict:
    """``tasks``: ``[{"id": ..., "module": "storage_blob", "args": {...}}]``. Returns ``{id: {status, result}}``.

    Every task runs with ``ignore_errors: true``; its full -vvvv output and results are kept under
    tests/output/reliability/ for the secret scan.
    """
    play_tasks = []
    for t in tasks:
        task = {"name": t["id"], "signet.azure.%s" % t["module"]: t["args"], "ignore_errors": True}
        if t.get("check_mode"):
            task["check_mode"] = True
        play_tasks.append(task)
    play = {"name": name, "hosts": "localhost", "gather_facts": False, "tasks": play_tasks}
    if defaults:
        play["module_defaults"] = defaults
    playbook = tmp_path / ("%s.yml" % name)
    playbook.write_text(json.dumps([play], indent=1))
    rc, results, stdout, stderr = run_playbook(playbook, env=env, verbosity=verbosity, tmp=tmp_path)
    _support.save_output("%s.log" % name, stdout + "\n----- stderr -----\n" + stderr)
    _support.save_output("%s.results.json" % name, json.dumps(results, default=str))
    by_id = {r["task"]: r for r in results}
    missing = [t["id"] for t in tasks if t["id"] not in by_id]
    assert not missing, "playbook %s did not run %s (rc=%s):\n%s\n%s" % (name, missing, rc, stdout[-3000:], stderr[-3000:])
    return by_id
