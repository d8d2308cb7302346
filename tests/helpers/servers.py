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


@dataclass
class AzuriteTable:
    """A running Azurite table service. ``table_endpoint`` is path style."""

    proc: subprocess.Popen
    table_port: int
    workdir: Path
    log: Path

    @property
    def table_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.table_port, DEV_ACCOUNT)

    @property
    def account(self) -> str:
        return DEV_ACCOUNT

    @property
    def key(self) -> str:
        return DEV_KEY

    def stop(self) -> None:
        Azurite.stop(self)  # same process handling


def start_azurite_table(workdir: Path) -> AzuriteTable:
    """Start azurite-table (in memory) on a random free port of 127.0.0.1, telemetry off, loose, no version check."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    binary = Path(azurite_bin()).with_name("azurite-table")
    port = free_port()
    log = workdir / "azurite-table.log"
    args = [
        str(binary),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(port),
        "--disableTelemetry",
        "--loose",
        "--skipApiVersionCheck",
        "--inMemoryPersistence",
    ]
    env = dict(os.environ)
    env.pop("AZURITE_ACCOUNTS", None)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, cwd=str(workdir), env=env, start_new_session=True)
    try:
        wait_port(port, proc, log=log)
    except Exception:
        proc.kill()
        raise
    return AzuriteTable(proc=proc, table_port=port, workdir=workdir, log=log)


@dataclass
class AzuriteOAuth:
    """Azurite's blob service on HTTPS with ``--oauth basic`` (bearer tokens accepted), its certificate made by trustme.

    ``blob_endpoint`` is https and path style. ``ca_bundle`` trusts Azurite's CA plus the ``extra_ca_files`` given at
    start (the twin's CA, whose Entra endpoint issues the tokens), so one ``ca_bundle`` serves both."""

    azurite: Azurite
    ca_file: Path
    ca_bundle: Path

    @property
    def blob_endpoint(self) -> str:
        return "https://127.0.0.1:%d/%s" % (self.azurite.blob_port, DEV_ACCOUNT)

    @property
    def account(self) -> str:
        return DEV_ACCOUNT

    @property
    def key(self) -> str:
        return DEV_KEY

    @property
    def log(self) -> Path:
        return self.azurite.log

    def stop(self) -> None:
        self.azurite.stop()


def start_azurite_oauth(workdir: Path, extra_ca_files: list | tuple = ()) -> AzuriteOAuth:
    """Start azurite-blob with HTTPS (``--cert``/``--key`` from a fresh trustme CA, for 127.0.0.1 and localhost) and
    ``--oauth basic``, besides start_azurite's ``--disableTelemetry --loose --skipApiVersionCheck``."""
    import trustme

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = workdir / "azurite-ca.pem", workdir / "azurite-cert.pem", workdir / "azurite-key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    bundle = workdir / "ca-bundle.pem"
    bundle.write_bytes(b"".join(Path(p).read_bytes() for p in [ca_file, *extra_ca_files]))
    server = start_azurite(workdir, extra_args=["--cert", str(cert_file), "--key", str(key_file), "--oauth", "basic"])
    return AzuriteOAuth(azurite=server, ca_file=ca_file, ca_bundle=bundle)
