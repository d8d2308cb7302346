# SPDX-License-Identifier: GPL-3.0-or-later
"""The goals of the benchmarks, judged from one run's results (benchmarks/results/latest.json).

``goal_rows`` gives each goal with its measured figure and verdict, for the top of latest.md; ``readme_block`` renders
the performance table of README.md from the same results, and ``update_readme`` writes it between the markers, so the
README always shows the figures of latest.md (tests/unit/test_bench_readme.py checks that they agree).
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "<!-- bench:begin (written by benchmarks/run.py from benchmarks/results/latest.json; do not edit) -->"
END = "<!-- bench:end -->"

#: upload CPU with the whole-file MD5 kept, signet / SDK
UPLOAD_CPU_MAX = 1.15
#: peak RSS of a 1 GiB upload and download at 4 threads with 8 MiB blocks
PEAK_RSS_MAX_MIB = 64.0
#: transfer throughput, signet / SDK
THROUGHPUT_MIN = 0.95
SMALL_FILES_MIN = 1.0
NOOP_RESYNC_MAX_S = 2.0
LISTING_MIN = 1.3
PER_TASK_MAX = 1.15


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def _transfer(res: dict, size_mib: int, conc: int, direction: str) -> dict | None:
    for row in res.get("transfer") or []:
        if (row["size_mib"], row["concurrency"], row["direction"]) == (size_mib, conc, direction):
            return row
    return None


def _listing_rows(res: dict) -> list[dict]:
    """The listing section as a list of rows ``{label, blobs, ratio, ...}`` (one per signet side)."""
    out = []
    for row in (res.get("listing") or {}).get("rows", []):
        out.append(
            {
                "label": row["label"],
                "blobs": row["blobs"],
                "ratio": row["ratio"],
                "signet_blobs_s": row["signet"]["blobs_per_s"]["median"],
                "sdk_blobs_s": row["sdk"]["blobs_per_s"]["median"],
                "signet_rss": row["signet"]["peak_rss_mib"]["median"],
                "sdk_rss": row["sdk"]["peak_rss_mib"]["median"],
            }
        )
    return out


def _goals_transfer(res: dict) -> list[tuple[str, str, str]]:
    rows = []
    for direction in ("upload", "download"):
        r = _transfer(res, 1024, 4, direction)
        if r is None:
            continue
        rss = r["signet"]["peak_rss_mib"]["median"]
        rows.append(
            (
                "peak RSS <= %.0f MiB, 1 GiB %s, 4 threads, 8 MiB blocks" % (PEAK_RSS_MAX_MIB, direction),
                "%.1f MiB (SDK %.1f MiB)" % (rss, r["sdk"]["peak_rss_mib"]["median"]),
                _verdict(rss <= PEAK_RSS_MAX_MIB),
            )
        )
    for r in res.get("transfer") or []:
        rows.append(
            (
                "MiB/s >= %.2fx SDK, %d MiB %s, %d thread(s)" % (THROUGHPUT_MIN, r["size_mib"], r["direction"], r["concurrency"]),
                "%.2f×" % r["ratio_mib_s"],
                _verdict(r["ratio_mib_s"] >= THROUGHPUT_MIN),
            )
        )
    return rows


def goal_rows(res: dict) -> list[tuple[str, str, str]]:
    """``(goal, measured, verdict)`` for every goal the results can judge."""
    rows = []
    for r in res.get("upload_cpu") or []:
        if not r["per_block_md5"]:
            rows.append(
                (
                    "upload CPU <= %.2fx SDK, whole-file MD5 kept (%d MiB, %d threads)"
                    % (UPLOAD_CPU_MAX, r["size_mib"], r["concurrency"]),
                    "%.2f×" % r["ratio_cpu"],
                    _verdict(r["ratio_cpu"] <= UPLOAD_CPU_MAX),
                )
            )
    rows += _goals_transfer(res)
    sf = res.get("small_files")
    if sf:
        rows.append(
            (
                "storage_blob_sync files/s >= %.1fx SDK (%d x %d KiB, %d threads)"
                % (SMALL_FILES_MIN, sf["files"], sf["file_kib"], sf["threads"]),
                "%.2f×" % sf["ratio_files_s"],
                _verdict(sf["ratio_files_s"] >= SMALL_FILES_MIN),
            )
        )
        rows.append(
            (
                "no-op re-sync of those files < %.0f s" % NOOP_RESYNC_MAX_S,
                "%.2f s" % sf["noop_resync_s"]["median"],
                _verdict(sf["noop_resync_s"]["median"] < NOOP_RESYNC_MAX_S),
            )
        )
    for li in _listing_rows(res):
        rows.append(
            (
                "listing %s blobs, blobs/s >= %.1fx SDK (%s)" % (format(li["blobs"], ","), LISTING_MIN, li["label"]),
                "%.2f×, peak RSS %s MiB (SDK %s MiB)" % (li["ratio"], _mib(li["signet_rss"]), _mib(li["sdk_rss"])),
                _verdict(li["ratio"] >= LISTING_MIN),
            )
        )
    pt = res.get("per_task")
    if pt:
        rows.append(
            (
                "per-task wall time <= %.2fx ansible.builtin.uri" % PER_TASK_MAX,
                "%.2f×" % pt["ratio_median"],
                _verdict(pt["ratio_median"] <= PER_TASK_MAX),
            )
        )
    return rows


def _mib(value) -> str:
    return "%.0f" % value


def goals_markdown(res: dict) -> list[str]:
    rows = goal_rows(res)
    if not rows:
        return []
    met = sum(1 for r in rows if r[2] == "met")
    lines = ["## Goals (%d of %d met in this run)" % (met, len(rows)), "", "| goal | measured | verdict |", "|---|---|---|"]
    lines += ["| %s | %s | **%s** |" % row for row in rows]
    return lines + [""]


def _readme_rows(res: dict) -> list[str]:
    rows = []
    fp = res.get("footprint")
    if fp:
        rows.append(
            "| install footprint (venv: ansible-core + requirements) | %d packages, %.0f MiB | azure.azcollection route: ~140 packages, ~2 GiB | |"
            % (fp["packages"], fp["size_mib"])
        )
    pt = res.get("per_task")
    if pt:
        rows.append(
            "| per task, %d-task playbook against Azurite | %.2f s (`%s`) | %.2f s (`ansible.builtin.uri` GET) | %.2f× (goal <= %.2f×) |"
            % (
                pt["tasks_per_playbook"],
                pt["ours_per_task_s"]["median"],
                pt["ours_label"].split(".")[-1],
                pt["uri_per_task_s"]["median"],
                pt["ratio_median"],
                PER_TASK_MAX,
            )
        )
    for direction in ("upload", "download"):
        r = _transfer(res, 1024, 4, direction)
        if r:
            rows.append(
                "| 1 GiB %s, 4 threads, 8 MiB blocks | %.0f MiB/s, peak RSS %.0f MiB, CPU %.2f s | azure-storage-blob %.0f MiB/s, %.0f MiB, CPU %.2f s | %.2f× MiB/s |"
                % (
                    direction,
                    r["signet"]["mib_s"]["median"],
                    r["signet"]["peak_rss_mib"]["median"],
                    r["signet"]["cpu_s"]["median"],
                    r["sdk"]["mib_s"]["median"],
                    r["sdk"]["peak_rss_mib"]["median"],
                    r["sdk"]["cpu_s"]["median"],
                    r["ratio_mib_s"],
                )
            )
    for r in res.get("upload_cpu") or []:
        what = (
            "per-block MD5 on (`transactional_md5` / `validate_content`)"
            if r["per_block_md5"]
            else "whole-file MD5 kept, no per-block MD5"
        )
        goal = "" if r["per_block_md5"] else " (goal <= %.2f×)" % UPLOAD_CPU_MAX
        rows.append(
            "| upload CPU, %d MiB, %d threads, %s | %.2f s | azure-storage-blob %.2f s | %.2f×%s |"
            % (
                r["size_mib"],
                r["concurrency"],
                what,
                r["signet"]["cpu_s"]["median"],
                r["sdk"]["cpu_s"]["median"],
                r["ratio_cpu"],
                goal,
            )
        )
    sf = res.get("small_files")
    if sf:
        rows.append(
            "| `storage_blob_sync` upload of %s × %d KiB, %d threads | %.0f files/s | azure-storage-blob, %d-thread pool: %.0f files/s | %.2f× (goal >= %.1f×) |"
            % (
                format(sf["files"], ","),
                sf["file_kib"],
                sf["threads"],
                sf["signet"]["files_s"]["median"],
                sf["threads"],
                sf["sdk"]["files_s"]["median"],
                sf["ratio_files_s"],
                SMALL_FILES_MIN,
            )
        )
        rows.append(
            "| no-op re-sync of those files (module wall time) | %.2f s | | goal < %.0f s |"
            % (sf["noop_resync_s"]["median"], NOOP_RESYNC_MAX_S)
        )
    for li in _listing_rows(res):
        rows.append(
            "| listing %s blobs, `%s` | %s blobs/s, peak RSS %s MiB | azure-storage-blob %s blobs/s, %s MiB | %.2f× (goal >= %.1f×) |"
            % (
                format(li["blobs"], ","),
                li["label"].split(".")[-1],
                format(round(li["signet_blobs_s"]), ","),
                _mib(li["signet_rss"]),
                format(round(li["sdk_blobs_s"]), ","),
                _mib(li["sdk_rss"]),
                li["ratio"],
                LISTING_MIN,
            )
        )
    no = res.get("noop")
    if no:
        rows.append(
            "| no-op rerun of an unchanged %d MiB upload (MD5 compare) | %.2f s | | |" % (no["size_mib"], no["seconds"]["median"])
        )
    ba = res.get("batch")
    if ba:
        rows.append(
            "| Batch: %s jobs, all pages | %s jobs/s | | |"
            % (format(ba["jobs"], ","), format(round(ba["jobs_per_s"]["median"]), ","))
        )
    return rows


def readme_block(res: dict) -> str:
    """The README's performance table (between the markers) for the results ``res``."""
    rows = goal_rows(res)
    met = sum(1 for r in rows if r[2] == "met")
    lines = [
        BEGIN,
        "Run %s on %s (mode %s); %d of %d goals met (the verdicts are in latest.md)."
        % (res["date"], res.get("machine", "this machine"), res["mode"], met, len(rows)),
        "",
        "| measure (benchmarks/results/latest.md) | signet.azure | other side | ratio |",
        "|---|---|---|---|",
    ]
    lines += _readme_rows(res)
    lines.append(END)
    return "\n".join(lines)


def update_readme(res: dict, readme: Path) -> bool:
    """Replace the block between the markers in ``readme``; False when the README has no markers."""
    text = readme.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda _m: readme_block(res), text, count=1))
    return True
