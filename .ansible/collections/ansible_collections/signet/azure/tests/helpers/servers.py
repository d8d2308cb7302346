# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop local test servers on 127.0.0.1: Azurite (from npm, pinned in package.json)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log and log.exists() else ""
            raise RuntimeError("server exited early (rc=%s): %s" % (proc.returncode, text[-2000:]))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on 127.0.0.1:%d within %.0f s" % (port, timeout))


@dataclass
class Azurite:
    """A running Azurite blob service. ``blob_endpoint`` is path style."""

    proc: subprocess.Popen
    blob_port: int
    workdir: Path
    log: Path

    @property
    def blob_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.blob_port, DEV_ACCOUNT)

    @property
    def account(self) -> str:
        return DEV_ACCOUNT

    @property
    def key(self) -> str:
        return DEV_KEY

    @property
    def connection_string(self) -> str:
        return "DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;" % (
            DEV_ACCOUNT,
            DEV_KEY,
            self.blob_endpoint,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def azurite_bin() -> str:
    local = REPO / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    found = shutil.which("azurite-blob")
    if not found:
        raise RuntimeError("azurite-blob not found: run `make venv` (npm ci installs Azurite from package.json)")
    return found


def start_azurite(workdir: Path, in_memory: bool = True, extra_args: list[str] | None = None) -> Azurite:
    """Start azurite-blob on a random free port of 127.0.0.1, with telemetry off, loose mode, no version check."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "azurite.log"
    args = [
        azurite_bin(),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--disableTelemetry",
        "--loose",
        "--skipApiVersionCheck",
        "--debug",
        str(workdir / "azurite-debug.log"),
    ]
    args += ["--inMemoryPersistence"] if in_memory else ["--location", str(workdir / "data")]
    args += extra_args or []
    env = dict(os.environ)
    env.pop("AZURITE_ACCOUNTS", None)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, cwd=str(workdir), env=env, start_new_session=True)
    try:
        wait_port(port, proc, log=log)
    except Exception:
        proc.kill()
        raise
    return Azurite(proc=proc, blob_port=port, workdir=workdir, log=log)
