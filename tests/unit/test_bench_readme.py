# SPDX-License-Identifier: GPL-3.0-or-later
"""README's performance table is the one benchmarks/run.py renders from benchmarks/results/latest.json (the run that
also wrote latest.md), and the goals' verdicts follow their thresholds."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import goals  # noqa: E402

RESULTS = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())


def test_readme_table_is_rendered_from_latest_results():
    readme = (REPO / "README.md").read_text()
    assert goals.BEGIN in readme and goals.END in readme
    assert goals.readme_block(RESULTS) in readme, "README.md's table differs from latest.json: run `make bench`"


def test_latest_md_has_the_goals_of_the_same_run():
    latest = (REPO / "benchmarks" / "results" / "latest.md").read_text()
    for line in goals.goals_markdown(RESULTS):
        assert line in latest


def _with(section: str, value) -> dict:
    res = copy.deepcopy(RESULTS)
    res[section] = value
    return res


def test_verdicts_follow_the_thresholds():
    cpu_row = {
        "size_mib": 512,
        "concurrency": 4,
        "per_block_md5": False,
        "ratio_cpu": 1.15,
        "signet": {"cpu_s": {"median": 1.15}},
        "sdk": {"cpu_s": {"median": 1.0}},
    }
    verdicts = {g: v for g, _m, v in goals.goal_rows(_with("upload_cpu", [cpu_row]))}
    assert [v for g, v in verdicts.items() if g.startswith("upload CPU")] == ["met"]
    over = dict(cpu_row, ratio_cpu=1.16)
    verdicts = {g: v for g, _m, v in goals.goal_rows(_with("upload_cpu", [over]))}
    assert [v for g, v in verdicts.items() if g.startswith("upload CPU")] == ["not met"]


def test_readme_update_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("before\n%s\nold table\n%s\nafter\n" % (goals.BEGIN, goals.END))
    assert goals.update_readme(RESULTS, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("\nafter\n") and "old table" not in text
    assert goals.readme_block(RESULTS) in text
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert not goals.update_readme(RESULTS, plain) and plain.read_text() == "no markers\n"
