# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability suite: in-process module runs, counters shared across xdist workers, the secret
registry, and oracle snapshots of Azurite (azure-storage-blob, never the module under test)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "tests" / "output" / "reliability"
MODULE_PKG = "ansible_collections.signet.azure.plugins.modules"
NOT_WRITTEN = "module not written yet"


# -- counters and secrets (one JSON file per worker; summed by summary.py) --------------------------------------------
def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_id() -> str:
    """Id of this test session, shared by the xdist controller and its workers (set when summary.py is imported by
    tests/conftest.py, before the workers start), so that concurrent sessions never mix their counters."""
    return os.environ.setdefault("SIGNET_RELIABILITY_RUN", "%d" % os.getpid())


_STATE: dict = {"faults": 0, "bad_inputs": 0, "bad_inputs_failed": 0, "schedule_cases": 0, "secrets": []}


def _flush() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / ("stats-%s-%s.json" % (run_id(), _worker()))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_STATE))
    os.replace(tmp, path)


def count(kind: str, n: int = 1) -> None:
    """Add ``n`` to the counter ``kind`` (faults, bad_inputs, schedule_cases)."""
    if n:
        _STATE[kind] = _STATE.get(kind, 0) + n
        _flush()


def remember_secret(*values) -> None:
    """Register secrets used by a test so that the session-end scan looks for them in every output."""
    added = False
    for value in values:
        if value and isinstance(value, str) and len(value) >= 6 and value not in _STATE["secrets"]:
            _STATE["secrets"].append(value)
            added = True
    if added:
        _flush()


def save_output(name: str, text: str) -> Path:
    """Keep a playbook's output for the secret scan (tests/output/reliability/<name>)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    path.write_text(text)
    return path


# -- modules ----------------------------------------------------------------------------------------------------------
def module_exists(name: str) -> bool:
    return (REPO / "plugins" / "modules" / ("%s.py" % name)).exists()


def require_module(name: str) -> None:
    if not module_exists(name):
        pytest.skip(NOT_WRITTEN + " (%s)" % name)


def run_module(
    name: str, args: dict, check_mode: bool = False, diff: bool = False, env: dict | None = None
) -> tuple[str, dict, str]:
    """Run ``plugins/modules/<name>.py`` main() in-process with ``args``.

    Returns ``(outcome, result, output)``: outcome ``"exit"`` or ``"fail"`` (or ``"crash"`` for an exception that
    escaped the module), ``result`` the dict the controller would receive (no_log masking applied, as recorded by
    AnsibleModule), ``output`` everything the module printed.
    """
    from ansible.module_utils import basic

    require_module(name)
    payload = dict(args)
    payload.setdefault("_ansible_check_mode", check_mode)
    payload.setdefault("_ansible_diff", diff)
    payload.setdefault("_ansible_verbosity", 0)
    payload.setdefault("_ansible_remote_tmp", "/tmp")
    payload.setdefault("_ansible_keep_remote_files", False)
    captured: list[dict] = []
    old_env = {}
    for key, value in (env or {}).items():
        old_env[key] = os.environ.get(key)
        os.environ[key] = value
    old_args = basic._ANSIBLE_ARGS
    old_profile = getattr(basic, "_ANSIBLE_PROFILE", None)
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": payload}).encode("utf-8")
    if hasattr(basic, "_ANSIBLE_PROFILE"):
        basic._ANSIBLE_PROFILE = "legacy"
    original = getattr(basic.AnsibleModule, "_record_module_result", None)

    def record(self, o):
        captured.append(json.loads(json.dumps(o, default=str)))

    out = io.StringIO()
    outcome = "crash"
    # a real module run is a fresh process: forget tokens and msal apps cached by an earlier in-process run
    entra = sys.modules.get("ansible_collections.signet.azure.plugins.module_utils._auth.entra")
    if entra is not None and hasattr(entra, "clear_token_cache"):
        entra.clear_token_cache()
    try:
        from ansible.module_utils.common import warnings as _warnings

        getattr(_warnings, "_global_warnings", {}).clear()
        getattr(_warnings, "_global_deprecations", {}).clear()
    except ImportError:  # pragma: no cover
        pass
    try:
        if original is not None:
            basic.AnsibleModule._record_module_result = record
        mod = importlib.import_module("%s.%s" % (MODULE_PKG, name))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                mod.main()
                outcome = "exit"
            except SystemExit as exc:
                outcome = "exit" if not exc.code else "fail"
            except Exception as exc:  # noqa: BLE001 - an escaped exception is a finding, reported as "crash"
                import traceback

                captured.append(
                    {"failed": True, "msg": "crash: %s: %s" % (type(exc).__name__, exc), "exception": traceback.format_exc()}
                )
    finally:
        if original is not None:
            basic.AnsibleModule._record_module_result = original
        basic._ANSIBLE_ARGS = old_args
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            basic._ANSIBLE_PROFILE = old_profile
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    result = captured[-1] if captured else {}
    if original is None and not captured:
        # ansible-core without the hook: the result is the last JSON line printed
        for line in reversed(out.getvalue().splitlines()):
            if line.startswith("{"):
                result = json.loads(line)
                break
    if outcome == "crash" or result.get("failed"):
        outcome = "crash" if str(result.get("msg", "")).startswith("crash:") else "fail"
    return outcome, result, out.getvalue()


# -- Azurite oracle ---------------------------------------------------------------------------------------------------
def oracle_client(azurite):
    """A BlobServiceClient straight to Azurite (not through the fault proxy)."""
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(azurite.connection_string)


def snapshot(service) -> dict:
    """Every container and blob with its ETag, length and MD5: compare before/after to prove nothing changed."""
    state = {}
    for c in service.list_containers(include_metadata=True):
        cc = service.get_container_client(c.name)
        blobs = {}
        for b in cc.list_blobs(include=["metadata"]):
            md5 = b.content_settings.content_md5
            blobs[b.name] = (b.etag, b.size, bytes(md5).hex() if md5 else None, tuple(sorted((b.metadata or {}).items())))
        state[c.name] = {"etag": c.etag, "metadata": tuple(sorted((c.metadata or {}).items())), "blobs": blobs}
    return state


def blob_bytes(service, container: str, blob: str) -> bytes | None:
    """The blob's content, or None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return service.get_blob_client(container, blob).download_blob().readall()
    except ResourceNotFoundError:
        return None


def python_path_env() -> dict:
    """PYTHONPATH so in-process modules and subprocesses import the collection."""
    return {"PYTHONPATH": os.pathsep.join([str(REPO / "build" / "collections"), os.environ.get("PYTHONPATH", "")])}


sys.path.insert(0, str(REPO / "build" / "collections"))
