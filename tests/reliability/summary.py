# SPDX-License-Identifier: GPL-3.0-or-later
"""Session hooks of the reliability suite, imported by tests/conftest.py (they must live in the root conftest so
that the xdist controller runs them):

* ``pytest_sessionstart`` remembers when the session started (only outputs written since then are scanned);
* ``pytest_sessionfinish`` (controller or single process only) runs the secret scan over every integration target's
  -vvvv log and results and every reliability playbook output written in this session, when the session ran
  integration or reliability tests; any hit fails the session;
* ``pytest_terminal_summary`` prints ``reliability: N faults injected (S write-schedule runs), M bad inputs tried,
  secret-scan hits = K``; S counts the faulted runs of the write fault schedule (test_fault_schedule.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.reliability import _support, secret_scan

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "tests" / "output"
REL_OUTPUT = OUTPUT / "reliability"
_STATE: dict = {"start": None, "ran": False, "hits": None, "files": 0, "stats": {}}
RUN_ID = _support.run_id()  # imported by the controller first: its workers inherit the id


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    _STATE["start"] = time.time() - 1


def _ran_relevant(session) -> bool:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return False
    for reports in reporter.stats.values():
        for rep in reports:
            nodeid = getattr(rep, "nodeid", "") or ""
            if getattr(rep, "when", "call") == "call" and ("integration/test_targets.py" in nodeid or "reliability/" in nodeid):
                return True
    return False


def _recent(paths) -> list[Path]:
    start = _STATE["start"] or 0
    return [p for p in paths if p.is_file() and p.stat().st_mtime >= start]


def collect_stats() -> dict:
    total = {"faults": 0, "bad_inputs": 0, "schedule_cases": 0, "secrets": []}
    for f in _recent(REL_OUTPUT.glob("stats-%s-*.json" % RUN_ID)):
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        total["faults"] += int(data.get("faults", 0))
        total["bad_inputs"] += int(data.get("bad_inputs", 0))
        total["schedule_cases"] += int(data.get("schedule_cases", 0))
        total["secrets"].extend(data.get("secrets", []))
    return total


def session_secrets(config) -> list[str]:
    secrets = [secret_scan.DEV_KEY]
    secrets.extend(collect_stats()["secrets"])
    try:
        base = config._tmp_path_factory.getbasetemp()
    except Exception:  # noqa: BLE001
        base = None
    if base is not None:
        for twin_json in _recent(Path(base).glob("**/twin.json")):
            secrets.extend(secret_scan.twin_secrets(twin_json))
    return sorted(set(secrets))


def output_files() -> list[Path]:
    files = list((OUTPUT / "integration").glob("*.log")) + list((OUTPUT / "integration").glob("*.results.json"))
    files += [p for p in REL_OUTPUT.glob("*") if not p.name.startswith("stats-")]
    return _recent(files)


def pytest_sessionfinish(session, exitstatus):
    if _is_worker(session.config):
        return
    try:
        if not _ran_relevant(session):
            return
        _STATE["ran"] = True
        files = output_files()
        hits = secret_scan.scan_files(files, session_secrets(session.config))
        _STATE.update(hits=hits, files=len(files), stats=collect_stats())
        if hits:
            session.exitstatus = 1
    finally:
        # the counters hold the session's (test-only) secrets: remove them once used
        for f in REL_OUTPUT.glob("stats-%s-*.json" % RUN_ID):
            try:
                f.unlink()
            except OSError:
                pass


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _STATE["ran"]:
        return
    stats = _STATE["stats"]
    hits = _STATE["hits"] or []
    for hit in hits[:50]:
        terminalreporter.write_line("secret-scan hit: %s" % hit, red=True)
    terminalreporter.write_line(
        "reliability: %d faults injected (%d write-schedule runs), %d bad inputs tried, secret-scan hits = %d "
        "(%d output files scanned)"
        % (stats.get("faults", 0), stats.get("schedule_cases", 0), stats.get("bad_inputs", 0), len(hits), _STATE["files"]),
        bold=True,
        red=bool(hits),
        green=not hits,
    )
