# SPDX-License-Identifier: GPL-3.0-or-later
"""Run many module cases in one real playbook (ignore_errors + register) and index the results by case id."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.playbook import run_playbook
from tests.reliability import _support


def run_cases(
    name: str, tmp_path: Path, tasks: list[dict], defaults: dict | None = None, env: dict | None = None, verbosity: int = 4
) -> dict:
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


def run_forks(name: str, tmp_path: Path, hosts: list[str], tasks: list[dict], env: dict | None = None, forks: int = 8) -> dict:
    """Run ``tasks`` on ``hosts`` (all local connections) with ``forks`` parallel forks and the free strategy.

    Tasks are plain Ansible task dicts. Returns ``{(task name, host): {status, result}}``.
    """
    import os
    import subprocess
    import sys

    from tests.helpers.playbook import BIN, REPO, ansible_env

    inventory = tmp_path / ("%s.ini" % name)
    inventory.write_text(
        "\n".join("%s ansible_connection=local ansible_python_interpreter=%s" % (h, sys.executable) for h in hosts) + "\n"
    )
    play = {"name": name, "hosts": "all", "gather_facts": False, "strategy": "free", "tasks": tasks}
    playbook = tmp_path / ("%s.yml" % name)
    playbook.write_text(json.dumps([play], indent=1))
    results_file = tmp_path / ("results-%s-%d.json" % (name, os.getpid()))
    full_env = ansible_env(env, tmp_path)
    full_env["SIGNET_RESULTS_FILE"] = str(results_file)
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", str(forks), "-vvvv", str(playbook)]
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=600, cwd=str(REPO), check=False)
    _support.save_output("%s.log" % name, proc.stdout + "\n----- stderr -----\n" + proc.stderr)
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    _support.save_output("%s.results.json" % name, json.dumps(results, default=str))
    assert results, "playbook %s produced no results (rc=%s):\n%s\n%s" % (
        name,
        proc.returncode,
        proc.stdout[-3000:],
        proc.stderr[-3000:],
    )
    return {(r["task"], r["host"]): r for r in results}
