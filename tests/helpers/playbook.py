# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ansible-playbook (or one module) from the tests, against the collection in build/collections."""

from __future__ import annotations

import json
import os
import tempfile
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "build" / "collections"
# SIGNET_ANSIBLE_VENV=<venv>: run the playbooks with that venv's ansible-playbook, and its python as the module
# interpreter (`make integration-2.21` points it at build/venv-2.21: ansible-core 2.21 on Python 3.12). Unset: the
# venv running the tests (.venv, ansible-core from requirements-test.txt).
ANSIBLE_VENV = Path(os.environ["SIGNET_ANSIBLE_VENV"]).resolve() if os.environ.get("SIGNET_ANSIBLE_VENV") else None
BIN = ANSIBLE_VENV / "bin" if ANSIBLE_VENV else Path(sys.executable).parent
PYTHON = str(BIN / "python") if ANSIBLE_VENV else sys.executable


def ensure_collection_link() -> None:
    link = COLLECTIONS / "ansible_collections" / "signet" / "azure"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO)


def ansible_env(extra: dict | None = None, tmp: Path | None = None) -> dict:
    ensure_collection_link()
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=PYTHON,
        ANSIBLE_CALLBACK_PLUGINS=str(REPO / "tests" / "helpers" / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="results_file",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if tmp is not None:
        env["ANSIBLE_LOCAL_TEMP"] = str(tmp / "ansible-local")
        env["ANSIBLE_REMOTE_TEMP"] = str(tmp / "ansible-remote")
    env.update(extra or {})
    return env


def run_playbook(
    playbook: Path,
    extra_vars: dict | None = None,
    env: dict | None = None,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    tmp: Path | None = None,
    timeout: int = 600,
):
    """Run a playbook on localhost.

    Returns ``(returncode, results, stdout, stderr)``; ``results`` is the list written by the results_file callback:
    ``[{task, host, status, result}]`` with status ok/failed/ignored/skipped.
    """
    tmp = Path(tmp) if tmp else Path(tempfile.mkdtemp(prefix="signet-pb-"))
    results_file = tmp / ("results-%d.json" % os.getpid())
    cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    if extra_vars:
        # from a file: ansible-playbook -vvvv prints its command-line arguments, and the vars may hold secrets
        vars_file = tmp / ("extra-vars-%d.json" % os.getpid())
        vars_file.write_text(json.dumps(extra_vars))
        vars_file.chmod(0o600)
        cmd += ["-e", "@%s" % vars_file]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    full_env = ansible_env(env, tmp)
    full_env["SIGNET_RESULTS_FILE"] = str(results_file)
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=str(REPO), check=False)
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    return proc.returncode, results, proc.stdout, proc.stderr


def failures(results: list[dict]) -> list[dict]:
    """The failed (not ignored) task results, without the bulky invocation."""
    return [
        {"task": r["task"], "msg": r["result"].get("msg"), "result": {k: v for k, v in r["result"].items() if k != "invocation"}}
        for r in results
        if r["status"] == "failed"
    ]
