# SPDX-License-Identifier: GPL-3.0-or-later
"""signet.azure benchmarks: side by side in one run, reported as medians and ratios.

Writes benchmarks/results/latest.md and latest.json. Never part of `make test` (no timed tests); `--smoke` is a
short version with small sizes and fewer runs.

Each measured unit runs in its own child process; wall time is measured around it, client CPU seconds and peak RSS
come from os.wait4's rusage of that child alone. Runs of the two sides alternate (A B A B ...) after a warm-up, so
machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "build" / "collections"))

from tests.helpers.playbook import ansible_env, ensure_collection_link  # noqa: E402
from tests.helpers.servers import DEV_ACCOUNT, DEV_KEY, start_azurite  # noqa: E402

from goals import goals_markdown, update_readme  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
DRIVERS = REPO / "benchmarks" / "drivers"
RESULTS = REPO / "benchmarks" / "results"
MiB = 1024 * 1024


# --- measurement helpers --------------------------------------------------------------------------------------------
def _vm_hwm_kib(pid: int) -> int | None:
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_child(cmd, env=None, cwd=None, stdin_data=None, keep=4000):
    """Run a command; return dict(wall, cpu, maxrss_mib, rc, out).

    CPU seconds come from os.wait4's rusage of that child alone. Peak RSS is the child's VmHWM (high-water mark of
    its own address space after exec), polled every 20 ms: ru_maxrss would also count the pages of this (larger)
    benchmark process that the child inherited before exec.
    """
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.PIPE if stdin_data else None
    )
    if stdin_data:
        proc.stdin.write(stdin_data)
        proc.stdin.close()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    hwm = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        value = _vm_hwm_kib(proc.pid)
        if value:
            hwm = max(hwm, value)
        time.sleep(0.02)
    wall = time.perf_counter() - start
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = b"".join(chunks)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_mib": hwm / 1024.0,
        "rc": proc.returncode,
        "out": out.decode("utf-8", "replace")[-keep:] if keep else out.decode("utf-8", "replace"),
    }


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def alternate(label_a, fn_a, label_b, fn_b, runs, warmup=1):
    """Warm up each side, then alternate A/B ``runs`` times. Returns {label: [samples]}; each fn returns a dict."""
    for _ in range(warmup):
        fn_a()
        fn_b()
    samples = {label_a: [], label_b: []}
    for i in range(runs):
        pair = [(label_a, fn_a), (label_b, fn_b)]
        if i % 2:
            pair.reverse()
        for label, fn in pair:
            res = fn()
            if res.get("rc", 0) != 0:
                raise RuntimeError("%s failed (rc=%s): %s" % (label, res.get("rc"), res.get("out", "")[-1500:]))
            samples[label].append(res)
    return samples


def stat_of(samples, key):
    return summary([s[key] for s in samples])


# --- 1. per-task wall time ------------------------------------------------------------------------------------------
def write_playbook(path: Path, tasks: list[dict]):
    import yaml

    path.write_text(
        yaml.safe_dump([{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False)
    )


def bench_per_task(az, work: Path, runs: int, ntasks: int):
    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py")}
    container = "benchtasks"
    sas = _account_sas()
    _sdk_setup_container(az, container, blobs=3)
    if "storage_blob_info" in modules:
        ours_task = {
            "name": "blob info",
            "signet.azure.storage_blob_info": {
                "container": container,
                "endpoint": az.blob_endpoint,
                "account_name": DEV_ACCOUNT,
                "account_key": DEV_KEY,
            },
        }
        ours_label = "signet.azure.storage_blob_info"
    else:
        ours_task = {
            "name": "list",
            "signet.azure.request": {
                "path": "/%s?restype=container&comp=list" % container,
                "endpoint": az.blob_endpoint,
                "account_name": DEV_ACCOUNT,
                "account_key": DEV_KEY,
            },
        }
        ours_label = "signet.azure.request"
    uri_task = {
        "name": "uri",
        "ansible.builtin.uri": {
            "url": "%s/%s?restype=container&comp=list&%s" % (az.blob_endpoint, container, sas),
            "return_content": True,
        },
    }
    pb_ours, pb_uri, pb_empty = work / "ours.yml", work / "uri.yml", work / "empty.yml"
    write_playbook(pb_ours, [ours_task] * ntasks)
    write_playbook(pb_uri, [uri_task] * ntasks)
    write_playbook(pb_empty, [{"name": "noop", "ansible.builtin.meta": "noop"}])
    env = ansible_env({"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal"}, work)

    def play(pb):
        return lambda: run_child(
            [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(pb)], env=env, cwd=str(REPO)
        )

    base = [play(pb_empty)()["wall"] for _ in range(3)]
    samples = alternate(ours_label, play(pb_ours), "ansible.builtin.uri", play(pb_uri), runs)
    base_wall = statistics.median(base)
    ours = [(s["wall"] - base_wall) / ntasks for s in samples[ours_label]]
    uri = [(s["wall"] - base_wall) / ntasks for s in samples["ansible.builtin.uri"]]
    return {
        "tasks_per_playbook": ntasks,
        "playbook_overhead_s": base_wall,
        "ours_label": ours_label,
        "ours_per_task_s": summary(ours),
        "uri_per_task_s": summary(uri),
        "ratio_median": statistics.median(ours) / statistics.median(uri),
        "goal": "<= 1.15x",
    }


# --- 2. import cost --------------------------------------------------------------------------------------------------
HEAVY = ("msal", "cryptography", "requests", "yaml", "azure", "jwt")


def bench_imports():
    ensure_collection_link()
    out = {}
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections"))
    for mod in sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py")):
        name = "ansible_collections.signet.azure.plugins.modules.%s" % mod
        code = "import %s, sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))" % name
        times = []
        loaded = []
        for _ in range(5):
            proc = subprocess.run([PY, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                break
            loaded = json.loads(proc.stdout.strip().splitlines()[-1])
            for line in proc.stderr.splitlines():
                parts = line.split("|")
                if len(parts) == 3 and parts[2].strip() == name:
                    times.append(int(parts[1].strip()) / 1e6)
        if not times:
            out[mod] = {"error": proc.stderr[-500:]}
            continue
        out[mod] = {"import_s": summary(times), "heavy_imports": [m for m in HEAVY if m in loaded]}
    # which heavy libraries each module imports when it actually runs is checked by the unit tests
    return out


# --- 3. upload/download vs azure-storage-blob ----------------------------------------------------------------------
def make_file(path: Path, size: int):
    if path.exists() and path.stat().st_size == size:
        return
    chunk = os.urandom(4 * MiB)
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            n = min(left, len(chunk))
            fh.write(chunk[:n])
            left -= n


def _sdk_service(az):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(az.connection_string)


def _sdk_setup_container(az, container, blobs=0, prefix="b"):
    svc = _sdk_service(az)
    try:
        svc.create_container(container)
    except Exception:  # noqa: BLE001 - exists already
        pass
    cc = svc.get_container_client(container)
    for i in range(blobs):
        cc.upload_blob("%s%06d" % (prefix, i), b"x", overwrite=True)
    return cc


def _account_sas():
    import datetime as dt

    from ansible_collections.signet.azure.plugins.module_utils._signing.sas import account_sas

    return account_sas(
        DEV_ACCOUNT, DEV_KEY, "rl", "b", "sco", dt.datetime.utcnow() + dt.timedelta(hours=4), protocol="https,http"
    )


def module_cmd(module: str, args: dict, work: Path):
    """Run a collection module directly (as AnsiballZ would run it: args file in argv[1])."""
    args_file = work / ("%s-args.json" % module)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    return [PY, "-m", "ansible_collections.signet.azure.plugins.modules.%s" % module, str(args_file)]


class FreshAzurite:
    """Azurite (in-memory) restarted before every measured run: its in-memory store frees deleted blobs only
    lazily, and a few GiB-sized runs would hit its size limit (MemoryExtentStoreAtSizeLimit)."""

    def __init__(self, work: Path):
        self.work = work
        self.az = None
        self.n = 0

    def restart(self, container: str):
        if self.az is not None:
            self.az.stop()
        self.n += 1
        self.az = start_azurite(self.work / ("azurite-%d" % self.n))
        return _sdk_setup_container(self.az, container)

    @property
    def conn(self) -> dict:
        return {"endpoint": self.az.blob_endpoint, "account_name": DEV_ACCOUNT, "account_key": DEV_KEY}

    def stop(self):
        if self.az is not None:
            self.az.stop()
            self.az = None


def _upload_run(fresh, side, container, work, env, src, conc, block):
    fresh.restart(container)
    if side == "signet":
        args = dict(
            fresh.conn,
            container=container,
            name="up",
            src=str(src),
            overwrite="always",
            max_concurrency=conc,
            block_size=block,
            single_put_size=block,
        )
        return run_child(module_cmd("storage_blob", args, work), env=env)
    cmd = [
        PY,
        str(DRIVERS / "sdk_transfer.py"),
        "upload",
        fresh.az.connection_string,
        container,
        "up",
        str(src),
        str(conc),
        str(block),
    ]
    return run_child(cmd, env=env)


def _download_run(fresh, side, container, work, env, src, dest, conc, block):
    cc = fresh.restart(container)
    with open(src, "rb") as fh:
        cc.upload_blob("dl", fh, overwrite=True, max_concurrency=4)
    if dest.exists():
        dest.unlink()
    if side == "signet":
        args = dict(
            fresh.conn, container=container, name="dl", dest=str(dest), overwrite="always", max_concurrency=conc, chunk_size=block
        )
        r = run_child(module_cmd("storage_blob_download", args, work), env=env)
    else:
        cmd = [
            PY,
            str(DRIVERS / "sdk_transfer.py"),
            "download",
            fresh.az.connection_string,
            container,
            "dl",
            str(dest),
            str(conc),
            str(block),
        ]
        r = run_child(cmd, env=env)
    if r["rc"] == 0 and dest.stat().st_size != src.stat().st_size:
        r["rc"], r["out"] = 1, "downloaded size differs"
    return r


def bench_transfer(work: Path, sizes, concurrencies, runs, block=8 * MiB):
    ensure_collection_link()
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
    container = "benchxfer"
    dest = work / "dest.bin"
    fresh = FreshAzurite(work)
    results = []
    try:
        for size in sizes:
            src = work / ("src-%d.bin" % size)
            make_file(src, size)
            for conc in concurrencies:
                up = alternate(
                    "signet",
                    partial(_upload_run, fresh, "signet", container, work, env, src, conc, block),
                    "sdk",
                    partial(_upload_run, fresh, "sdk", container, work, env, src, conc, block),
                    runs,
                )
                down = alternate(
                    "signet",
                    partial(_download_run, fresh, "signet", container, work, env, src, dest, conc, block),
                    "sdk",
                    partial(_download_run, fresh, "sdk", container, work, env, src, dest, conc, block),
                    runs,
                )
                for direction, samples in (("upload", up), ("download", down)):
                    row = {"size_mib": size // MiB, "concurrency": conc, "direction": direction}
                    for side in ("signet", "sdk"):
                        walls = [s["wall"] for s in samples[side]]
                        row[side] = {
                            "mib_s": summary([size / MiB / w for w in walls]),
                            "cpu_s": stat_of(samples[side], "cpu"),
                            "peak_rss_mib": stat_of(samples[side], "maxrss_mib"),
                        }
                    row["ratio_mib_s"] = row["signet"]["mib_s"]["median"] / row["sdk"]["mib_s"]["median"]
                    row["ratio_cpu"] = row["signet"]["cpu_s"]["median"] / row["sdk"]["cpu_s"]["median"]
                    results.append(row)
            src.unlink()
    finally:
        fresh.stop()
        if dest.exists():
            dest.unlink()
    return results


# --- issue 19: upload CPU (single pass, per-block MD5 on/off), many small files, no-op re-sync ------------------------
def _cpu_run(fresh, side, container, work, env, src, conc, block, per_block):
    """One upload of ``src`` to a fresh Azurite (blob absent, so no pre-upload hash is needed): signet with the default
    overwrite=different and ``transactional_md5=per_block``; the SDK with ``validate_content=per_block``."""
    fresh.restart(container)
    if side == "signet":
        args = dict(fresh.conn, container=container, name="up", src=str(src), max_concurrency=conc, block_size=block)
        args.update(single_put_size=block, transactional_md5=per_block)
        return run_child(module_cmd("storage_blob", args, work), env=env)
    cmd = [PY, str(DRIVERS / "sdk_transfer.py"), "upload", fresh.az.connection_string, container, "up", str(src)]
    cmd += [str(conc), str(block)] + (["validate"] if per_block else [])
    return run_child(cmd, env=env)


def bench_upload_cpu(work: Path, size, runs, conc=4, block=8 * MiB):
    """Client CPU seconds of one upload, signet / SDK, without and with a per-block Content-MD5 (goal: <= 1.15x with
    the whole-file MD5 kept, which signet always computes, stores and verifies)."""
    ensure_collection_link()
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
    container = "benchcpu"
    fresh = FreshAzurite(work)
    src = work / ("cpu-%d.bin" % size)
    make_file(src, size)
    rows = []
    try:
        for per_block in (False, True):
            samples = alternate(
                "signet",
                partial(_cpu_run, fresh, "signet", container, work, env, src, conc, block, per_block),
                "sdk",
                partial(_cpu_run, fresh, "sdk", container, work, env, src, conc, block, per_block),
                runs,
            )
            row = {"size_mib": size // MiB, "concurrency": conc, "per_block_md5": per_block}
            for side in ("signet", "sdk"):
                row[side] = {"cpu_s": stat_of(samples[side], "cpu"), "wall_s": stat_of(samples[side], "wall")}
            row["ratio_cpu"] = row["signet"]["cpu_s"]["median"] / row["sdk"]["cpu_s"]["median"]
            row["ratio_wall"] = row["signet"]["wall_s"]["median"] / row["sdk"]["wall_s"]["median"]
            rows.append(row)
    finally:
        fresh.stop()
        src.unlink()
    return rows


def _small_tree(root: Path, nfiles: int, size: int) -> None:
    for i in range(nfiles):
        sub = root / ("d%02d" % (i % 20))
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / ("f%05d.txt" % i)
        if not path.exists():
            path.write_bytes(os.urandom(size))


def _sync_run(fresh, side, container, work, env, root, threads):
    fresh.restart(container)
    if side == "signet":
        args = dict(fresh.conn, container=container, path=str(root), max_concurrency=threads)
        return run_child(module_cmd("storage_blob_sync", args, work), env=env)
    return run_child([PY, str(DRIVERS / "sdk_sync.py"), fresh.az.connection_string, container, str(root), str(threads)], env=env)


def bench_small_files(work: Path, nfiles, size, runs, threads=8):
    """``nfiles`` files of ``size`` bytes: storage_blob_sync (max_concurrency=threads) vs the SDK with a pool of
    ``threads`` (files/s, goal >= 1.0x), then the no-op re-sync of the same tree (module wall time, goal < 2 s)."""
    ensure_collection_link()
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
    container = "benchsmall"
    root = work / "small"
    _small_tree(root, nfiles, size)
    fresh = FreshAzurite(work)
    try:
        samples = alternate(
            "signet",
            partial(_sync_run, fresh, "signet", container, work, env, root, threads),
            "sdk",
            partial(_sync_run, fresh, "sdk", container, work, env, root, threads),
            runs,
        )
        out = {"files": nfiles, "file_kib": size // 1024, "threads": threads}
        for side in ("signet", "sdk"):
            out[side] = {
                "files_s": summary([nfiles / s["wall"] for s in samples[side]]),
                "cpu_s": stat_of(samples[side], "cpu"),
            }
        out["ratio_files_s"] = out["signet"]["files_s"]["median"] / out["sdk"]["files_s"]["median"]
        _sync_run(fresh, "signet", container, work, env, root, threads)
        args = dict(fresh.conn, container=container, path=str(root), max_concurrency=threads)
        noop = []
        for _ in range(runs):
            r = run_child(module_cmd("storage_blob_sync", args, work), env=env, keep=None)
            if r["rc"] != 0 or '"changed": false' not in r["out"]:
                raise RuntimeError("re-sync was not a no-op: %s" % r["out"][-1500:])
            noop.append(r)
        out["noop_resync_s"] = stat_of(noop, "wall")
        out["noop_resync_cpu_s"] = stat_of(noop, "cpu")
    finally:
        fresh.stop()
        shutil.rmtree(root, ignore_errors=True)
    return out


def bench_noop_rerun(work: Path, size, runs):
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
    container = "benchnoop"
    fresh = FreshAzurite(work)
    fresh.restart(container)
    src = work / "noop.bin"
    make_file(src, size)
    try:
        args = dict(fresh.conn, container=container, name="noop", src=str(src), max_concurrency=4)
        first = run_child(module_cmd("storage_blob", args, work), env=env)
        if first["rc"] != 0:
            raise RuntimeError("first upload failed (rc=%s): %s" % (first["rc"], first["out"][-1500:]))
        samples = []
        for _ in range(runs):
            r = run_child(module_cmd("storage_blob", args, work), env=env)
            if '"changed": false' not in r["out"]:
                raise RuntimeError("rerun was not a no-op: %s" % r["out"][-1500:])
            samples.append(r)
    finally:
        fresh.stop()
        src.unlink()
    return {
        "size_mib": size // MiB,
        "seconds": stat_of(samples, "wall"),
        "cpu_s": stat_of(samples, "cpu"),
        "peak_rss_mib": stat_of(samples, "maxrss_mib"),
    }


def _listing_sas() -> str:
    """An account SAS that may create containers and blobs, for filling the listing's container."""
    import datetime as dt

    from ansible_collections.signet.azure.plugins.module_utils._signing.sas import account_sas

    return account_sas(
        DEV_ACCOUNT, DEV_KEY, "rwlc", "b", "sco", dt.datetime.utcnow() + dt.timedelta(hours=4), protocol="https,http"
    )


def _fill_listing_container(az, container: str, nblobs: int, threads: int = 16) -> float:
    """Create ``container`` with the blobs ``b000000`` ... (1 byte each) by Put Blob on ``threads`` keep-alive
    connections (plain http.client and a SAS: the SDK's CPU per request would add minutes to 100,000 blobs).
    Returns the seconds it took."""
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    ep = urlsplit(az.blob_endpoint)
    sas = _listing_sas()
    local = threading.local()
    conns = []

    def put(path: str, body: bytes, headers: dict, expected: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(ep.hostname, ep.port, timeout=120)
            conns.append(conn)
        url = "%s/%s%s%s" % (ep.path, path, "&" if "?" in path else "?", sas)
        conn.request("PUT", url, body=body, headers=dict(headers, **{"x-ms-version": "2021-08-06"}))
        resp = conn.getresponse()
        resp.read()
        if resp.status != expected:
            raise RuntimeError("PUT %s: HTTP %d" % (path, resp.status))

    start = time.perf_counter()
    put(container + "?restype=container", b"", {}, 201)
    blob_headers = {"x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"}
    try:
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(lambda i: put("%s/b%06d" % (container, i), b"x", blob_headers, 201), range(nblobs)))
    finally:
        for conn in conns:
            conn.close()
    return time.perf_counter() - start


def _listing_sides(az, container: str, work: Path, env: dict, nblobs: int, tree: Path) -> dict:
    """``{side: fn}``: each fn lists the container once in a child process and checks that it saw ``nblobs`` blobs.
    Every side asks for the metadata (``include=metadata``), as the sync's upload listing does."""
    conn = {"endpoint": az.blob_endpoint, "account_name": DEV_ACCOUNT, "account_key": DEV_KEY}
    info = dict(conn, container=container, include=["metadata"])
    dest = work / "listing.jsonl"

    def checked(res: dict, ok: bool, what: str) -> dict:
        if res["rc"] == 0 and not ok:
            raise RuntimeError("%s did not list %d blobs: %s" % (what, nblobs, res["out"][-1500:]))
        return res

    def sdk():
        res = run_child([PY, str(DRIVERS / "sdk_transfer.py"), "list", az.connection_string, container, "metadata"], env=env)
        return checked(res, res["out"].strip() == str(nblobs), "the SDK")

    def info_result():
        res = run_child(module_cmd("storage_blob_info", info, work), env=env)
        return checked(res, '"count": %d,' % nblobs in res["out"], "storage_blob_info")

    def info_dest():
        dest.unlink(missing_ok=True)  # each run writes a new file
        res = run_child(module_cmd("storage_blob_info", dict(info, dest=str(dest)), work), env=env)
        lines = dest.read_bytes().count(b"\n") if dest.exists() else -1
        return checked(res, lines == nblobs and '"count": %d,' % nblobs in res["out"], "storage_blob_info dest")

    def sync():
        res = run_child(
            module_cmd("storage_blob_sync", dict(conn, container=container, path=str(tree)), work), env=env, keep=None
        )
        ok = res["out"].lstrip().startswith('{"changed": false')
        res["out"] = res["out"][-4000:]
        return checked(res, ok, "the no-op storage_blob_sync")

    return {"sdk": sdk, "info_result": info_result, "info_dest": info_dest, "sync": sync}


#: The listing rows: side -> label (no dot after the module name: README shows what follows the last dot).
LISTING_LABELS = {
    "info_result": "signet.azure.storage_blob_info, blobs returned in the result",
    "info_dest": "signet.azure.storage_blob_info, dest (blobs streamed to a JSON Lines file)",
    "sync": "signet.azure.storage_blob_sync, no-op upload of 10 local files (lists every blob)",
}


def bench_listing(work: Path, nblobs, runs):
    """List a container of ``nblobs`` blobs (one Azurite, filled once): storage_blob_info returning them in the result,
    storage_blob_info streaming them to a file (``dest``), and a no-op storage_blob_sync (upload direction, a tree of
    10 files equal to 10 of the blobs, so it lists all ``nblobs`` with their metadata, hashes 10 files and changes
    nothing), each against azure-storage-blob listing the same container with metadata. After one warm-up listing
    the sides run in turn (the order reversed every other round); blobs/s, CPU and peak RSS of each child."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
    container = "benchlist"
    az = start_azurite(work / "azurite-listing")
    tree = work / "listing-tree"
    tree.mkdir(exist_ok=True)
    for i in range(10):
        (tree / ("b%06d" % i)).write_bytes(b"x")
    try:
        fill_s = _fill_listing_container(az, container, nblobs)
        sides = _listing_sides(az, container, work, env, nblobs, tree)
        sides["sdk"]()  # warm-up
        samples: dict = {name: [] for name in sides}
        for i in range(min(runs, 3)):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                res = sides[name]()
                if res["rc"] != 0:
                    raise RuntimeError("%s failed (rc=%s): %s" % (name, res["rc"], res["out"][-1500:]))
                samples[name].append(res)
    finally:
        az.stop()
        shutil.rmtree(tree, ignore_errors=True)
        (work / "listing.jsonl").unlink(missing_ok=True)

    def side(name):
        return {
            "blobs_per_s": summary([nblobs / s["wall"] for s in samples[name]]),
            "cpu_s": stat_of(samples[name], "cpu"),
            "peak_rss_mib": stat_of(samples[name], "maxrss_mib"),
        }

    sdk = side("sdk")
    rows = []
    for name, label in LISTING_LABELS.items():
        mine = side(name)
        ratio = mine["blobs_per_s"]["median"] / sdk["blobs_per_s"]["median"]
        rows.append({"label": label, "side": name, "blobs": nblobs, "signet": mine, "sdk": sdk, "ratio": ratio})
    return {"blobs": nblobs, "fill_s": fill_s, "rows": rows}


def bench_batch(work: Path, njobs, runs):
    from azure_twin.harness import start_twin

    twin = start_twin(work / "twin")
    try:
        twin.control("/_twin/batch/seed", {"jobs": njobs})
        info = twin.info["batch"]
        env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "collections") + os.pathsep + str(REPO))
        env.update(twin.env)
        args = {
            "batch_account": info["account"],
            "batch_endpoint": info["endpoint"],
            "batch_access_key": info["primary_key"],
            "batch_auth": "shared_key",
        }
        samples = []
        for _ in range(runs):
            r = run_child(module_cmd("batch_job_info", args, work), env=env)
            if r["rc"] != 0:
                raise RuntimeError(r["out"])
            samples.append(r)
        return {
            "jobs": njobs,
            "jobs_per_s": summary([njobs / s["wall"] for s in samples]),
            "peak_rss_mib": stat_of(samples, "maxrss_mib"),
        }
    finally:
        twin.stop()


# --- 4. install footprint -------------------------------------------------------------------------------------------
def bench_footprint(work: Path):
    venv = work / "footprint-venv"
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    core = [line for line in (REPO / "requirements-test.txt").read_text().splitlines() if line.startswith("ansible-core")]
    subprocess.run(
        [str(vpy), "-m", "pip", "install", "-q", *core, "-r", str(REPO / "requirements.txt")],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    listing = subprocess.run([str(vpy), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True)
    pkgs = [p["name"] for p in json.loads(listing.stdout) if p["name"].lower() not in ("pip", "setuptools", "wheel")]
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    shutil.rmtree(venv)
    return {"packages": len(pkgs), "size_mib": size / MiB, "package_names": sorted(pkgs)}


# --- report ---------------------------------------------------------------------------------------------------------
def fmt(s, unit="", digits=2):
    return "%.*f%s (min %.*f, max %.*f, n=%d)" % (digits, s["median"], unit, digits, s["min"], digits, s["max"], s["n"])


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _issue19_report(res: dict) -> list:
    """The issue-19 sections: upload CPU with and without the per-block MD5, many small files, no-op re-sync."""
    lines = []
    when = res.get("section_dates", {})
    if "upload_cpu" in res:
        rows = res["upload_cpu"]
        lines += [
            "## Upload CPU, signet vs azure-storage-blob (%d MiB, %d threads, 8 MiB blocks; run %s)"
            % (rows[0]["size_mib"], rows[0]["concurrency"], when.get("upload_cpu", res["date"])),
            "",
            "A fresh blob each run (overwrite=different, so no pre-upload hash); signet always computes, stores and "
            "verifies the whole-file MD5, in the pass that reads the blocks. Per-block MD5: signet "
            "`transactional_md5`, SDK `validate_content`.",
            "",
            "| per-block MD5 | signet CPU s | SDK CPU s | CPU ratio | wall ratio | goal |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            goal = "<= 1.15x" if not r["per_block_md5"] else "(reference)"
            lines.append(
                "| %s | %s | %s | %.2f× | %.2f× | %s |"
                % (
                    "on" if r["per_block_md5"] else "off (default)",
                    fmt(r["signet"]["cpu_s"]),
                    fmt(r["sdk"]["cpu_s"]),
                    r["ratio_cpu"],
                    r["ratio_wall"],
                    goal + (" " + _verdict(r["ratio_cpu"] <= 1.15) if not r["per_block_md5"] else ""),
                )
            )
        lines += [
            "",
            "CPU seconds include the process start (module or SDK imports). signet hashes each byte once (the "
            "whole-file MD5); the SDK by default hashes nothing, so what remains of the gap is that MD5 itself "
            "(see the note under the table in README.md).",
        ]
        lines.append("")
    if "small_files" in res:
        sf = res["small_files"]
        lines += [
            "## Many small files: %d x %d KiB, storage_blob_sync vs the SDK with %d threads (run %s)"
            % (sf["files"], sf["file_kib"], sf["threads"], when.get("small_files", res["date"])),
            "",
            "| side | files/s | CPU s |",
            "|---|---|---|",
            "| signet.azure.storage_blob_sync (max_concurrency=%d) | %s | %s |"
            % (sf["threads"], fmt(sf["signet"]["files_s"], "", 0), fmt(sf["signet"]["cpu_s"])),
            "| azure-storage-blob, %d-thread pool | %s | %s |"
            % (sf["threads"], fmt(sf["sdk"]["files_s"], "", 0), fmt(sf["sdk"]["cpu_s"])),
            "",
            "Ratio: **%.2f×** files/s (goal >= 1.0x: %s)." % (sf["ratio_files_s"], _verdict(sf["ratio_files_s"] >= 1.0)),
            "",
            "No-op re-sync of the same %d files (module wall time, process start included): %s, CPU %s (goal < 2 s: %s)."
            % (
                sf["files"],
                fmt(sf["noop_resync_s"], " s"),
                fmt(sf["noop_resync_cpu_s"], " s"),
                _verdict(sf["noop_resync_s"]["median"] < 2.0),
            ),
            "",
        ]
    return lines


def _machine() -> str:
    return "%s, %s cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version())


def _listing_report(li: dict, when: str) -> list:
    """The listing section of latest.md: one row per side, each against the SDK's listing of the same container."""
    sdk = li["rows"][0]["sdk"]
    lines = [
        "## Listing %s blobs (one Azurite, run %s)" % (format(li["blobs"], ","), when),
        "",
        "Every side lists the whole container with `include=metadata` in its own process (1-byte blobs, 5,000 per "
        "page); the SDK side is azure-storage-blob iterating `list_blobs()` and counting. Ratio: blobs/s / SDK's.",
        "",
        "| side | blobs/s | ratio | CPU s | peak RSS MiB |",
        "|---|---|---|---|---|",
        "| azure-storage-blob | %s | | %s | %s |"
        % (fmt(sdk["blobs_per_s"], "", 0), fmt(sdk["cpu_s"]), fmt(sdk["peak_rss_mib"], "", 1)),
    ]
    for row in li["rows"]:
        s = row["signet"]
        lines.append(
            "| %s | %s | **%.2f×** | %s | %s |"
            % (row["label"], fmt(s["blobs_per_s"], "", 0), row["ratio"], fmt(s["cpu_s"]), fmt(s["peak_rss_mib"], "", 1))
        )
    lines += [
        "",
        "Goal: >= 1.3× the SDK's blobs/s, in bounded memory. With `dest` the listing is written page by page, so "
        "its peak RSS is that of one page whatever the container holds; returned in the result, every blob is held "
        "(and serialized) at once, which is what `dest` is for. The sync row is a real no-op run: it lists every "
        "blob, keeps a compact entry per blob (size, MD5, ETag, content settings, metadata) and hashes the 10 files. "
        "Filling the container took %.0f s." % li.get("fill_s", 0),
        "",
    ]
    return lines


def write_report(res: dict):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(res, indent=1))
    lines = [
        "# signet.azure benchmark results",
        "",
        "Machine: %s. Run: %s. Mode: %s." % (res.get("machine") or _machine(), res["date"], res["mode"]),
        "",
    ]
    lines.append(
        "All figures are medians over the runs after a warm-up, the two sides alternated in one run; ratios are signet / other."
    )
    lines.append("")
    if res.get("note"):
        lines += ["Note: %s" % res["note"], ""]
    lines += goals_markdown(res)
    if "per_task" in res:
        pt = res["per_task"]
        lines += [
            "## Per-task wall time (%d-task playbook against Azurite)" % pt["tasks_per_playbook"],
            "",
            "| side | seconds per task |",
            "|---|---|",
            "| %s | %s |" % (pt["ours_label"], fmt(pt["ours_per_task_s"], " s", 3)),
            "| ansible.builtin.uri (same GET, SAS URL) | %s |" % fmt(pt["uri_per_task_s"], " s", 3),
            "",
            "Ratio: **%.2f×** (goal %s). Playbook start-up, subtracted: %.2f s."
            % (pt["ratio_median"], pt["goal"], pt["playbook_overhead_s"]),
            "",
        ]
    if "transfer" in res:
        lines += [
            "## Upload and download against Azurite (in-memory), vs azure-storage-blob",
            "",
            "| size | conc. | direction | signet MiB/s | SDK MiB/s | ratio | signet CPU s | SDK CPU s | CPU ratio | signet peak RSS MiB | SDK peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in res["transfer"]:
            lines.append(
                "| %d MiB | %d | %s | %.1f | %.1f | %.2f× | %.2f | %.2f | %.2f× | %.1f | %.1f |"
                % (
                    r["size_mib"],
                    r["concurrency"],
                    r["direction"],
                    r["signet"]["mib_s"]["median"],
                    r["sdk"]["mib_s"]["median"],
                    r["ratio_mib_s"],
                    r["signet"]["cpu_s"]["median"],
                    r["sdk"]["cpu_s"]["median"],
                    r["ratio_cpu"],
                    r["signet"]["peak_rss_mib"]["median"],
                    r["sdk"]["peak_rss_mib"]["median"],
                )
            )
        lines += [
            "",
            "Goals: MiB/s >= 0.95× SDK; peak RSS <= 64 MiB at 1 GiB with 4 threads (8 MiB blocks). signet verifies every "
            "download's MD5 against the blob's Content-MD5 (it reads the file back once: about 0.8 s of CPU per 512 MiB "
            "here) and stores and verifies the whole-file MD5 of every upload; the SDK does neither by default, so the CPU "
            "columns compare unequal work (the upload CPU section below is the like-for-like goal).",
            "",
        ]
    if "listing" in res:
        lines += _listing_report(res["listing"], res.get("section_dates", {}).get("listing", res["date"]))
    if "noop" in res:
        no = res["noop"]
        lines += [
            "## No-op rerun of an unchanged %d MiB upload (MD5 compare only)" % no["size_mib"],
            "",
            "%s, CPU %s, peak RSS %s." % (fmt(no["seconds"], " s"), fmt(no["cpu_s"], " s"), fmt(no["peak_rss_mib"], " MiB", 1)),
            "",
        ]
    lines += _issue19_report(res)
    if "batch" in res:
        ba = res["batch"]
        lines += [
            "## Batch job listing from the twin (%d jobs, all pages)" % ba["jobs"],
            "",
            "%s jobs/s, peak RSS %s." % (fmt(ba["jobs_per_s"], "", 0), fmt(ba["peak_rss_mib"], " MiB", 1)),
            "",
        ]
    if "footprint" in res:
        fp = res["footprint"]
        lines += [
            "## Install footprint",
            "",
            "A fresh venv with ansible-core and requirements.txt: **%d packages, %.0f MiB** (azure.azcollection's documented route: ~140 packages, ~2 GiB, see ../shared/research/anchors.md)."
            % (fp["packages"], fp["size_mib"]),
            "",
            "Packages: " + ", ".join(fp["package_names"]),
            "",
        ]
    if "imports" in res:
        lines += [
            "## Module import cost (python -X importtime, cumulative)",
            "",
            "| module | import s | heavy libraries imported |",
            "|---|---|---|",
        ]
        for mod, v in res["imports"].items():
            if "error" in v:
                lines.append("| %s | error | |" % mod)
            else:
                lines.append("| %s | %s | %s |" % (mod, fmt(v["import_s"], "", 3), ", ".join(v["heavy_imports"]) or "none"))
        lines.append("")
    if res.get("errors"):
        lines += ["## Not measured", ""] + ["- %s: %s" % (k, v) for k, v in res["errors"].items()] + [""]
    (RESULTS / "latest.md").write_text("\n".join(lines))


def main():
    global RESULTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="small sizes, 2 runs: a quick check that every benchmark works")
    ap.add_argument(
        "--only",
        help="comma list of sections: per_task,imports,transfer,listing,noop,upload_cpu,small_files,batch,footprint",
    )
    ap.add_argument("--note", help="a sentence printed at the top of the report (for example, what shared the machine)")
    ap.add_argument("--report", action="store_true", help="measure nothing: render latest.md and README's table from latest.json")
    args = ap.parse_args()
    if args.report:
        res = json.loads((RESULTS / "latest.json").read_text())
        write_report(res)
        update_readme(res, REPO / "README.md")
        return 0
    smoke = args.smoke
    runs = 2 if smoke else 5
    only = set(args.only.split(",")) if args.only else None
    res = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "mode": "smoke" if smoke else "full", "errors": {}}
    if only and not smoke and (RESULTS / "latest.json").exists():
        # re-measure some sections, keep the others from the last full run (the report says when each ran)
        previous = json.loads((RESULTS / "latest.json").read_text())
        previous.setdefault("errors", {})
        for name in only:
            previous["errors"].pop(name, None)
        previous["date"] = "%s (sections %s re-run %s)" % (previous.get("date"), ",".join(sorted(only)), res["date"])
        res = previous
    if args.note:
        res["note"] = args.note
    work = Path(tempfile.mkdtemp(prefix="signet-bench-"))
    os.environ.setdefault("NODE_OPTIONS", "--max-old-space-size=8192")
    az = start_azurite(work / "azurite")
    sections = [
        ("per_task", lambda: bench_per_task(az, work, runs, 5 if smoke else 20)),
        ("imports", bench_imports),
        ("transfer", lambda: bench_transfer(work, [8 * MiB] if smoke else [256 * MiB, 1024 * MiB], [1, 4], min(runs, 3))),
        ("listing", lambda: bench_listing(work, 300 if smoke else 100000, runs)),
        ("noop", lambda: bench_noop_rerun(work, 16 * MiB if smoke else 1024 * MiB, runs)),
        ("upload_cpu", lambda: bench_upload_cpu(work, 16 * MiB if smoke else 512 * MiB, runs)),
        ("small_files", lambda: bench_small_files(work, 200 if smoke else 2000, 4096, runs)),
        ("batch", lambda: bench_batch(work, 1500 if smoke else 10000, runs)),
        ("footprint", lambda: bench_footprint(work)),
    ]
    try:
        for name, fn in sections:
            if only and name not in only:
                continue
            print("bench: %s ..." % name, flush=True)
            try:
                res[name] = fn()
                res.setdefault("section_dates", {})[name] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            except Exception as exc:  # noqa: BLE001 - report and go on with the next section
                res["errors"][name] = "%s: %s" % (type(exc).__name__, str(exc)[:500])
                print("bench: %s failed: %s" % (name, exc), flush=True)
    finally:
        az.stop()
        shutil.rmtree(work, ignore_errors=True)
    res["machine"] = _machine()
    if smoke:
        RESULTS = REPO / "build" / "bench-smoke"
    write_report(res)
    if not smoke and update_readme(res, REPO / "README.md"):
        print("bench: README.md performance table updated from these results")
    print((RESULTS / "latest.md").read_text())
    return 1 if res["errors"] and smoke else 0


if __name__ == "__main__":
    sys.exit(main())
