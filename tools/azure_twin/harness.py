# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the Azure twin as a subprocess (for pytest fixtures and ``make demo``).

::

    from azure_twin.harness import start_twin
    twin = start_twin(tmp_path / "twin")
    requests.get("https://management.azure.com/...", proxies={"https": twin.proxy_url}, verify=twin.ca_file)
    twin.control("/_twin/faults", {"host": "vault", "status": 429, "headers": {"Retry-After": "1"}})
    twin.stop()
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TOOLS_DIR = str(Path(__file__).resolve().parent.parent)


class TwinError(RuntimeError):
    """The twin did not start, or a control call failed."""


class TwinHandle:
    """A running twin subprocess.

    * ``port``, ``proxy_url`` (``http://127.0.0.1:<port>``), ``ca_file`` (PEM to trust), ``info`` (parsed twin.json),
      ``state_dir``, ``process``, ``log_file``.
    * ``env``: ``HTTPS_PROXY``/``https_proxy``, ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``NO_PROXY``/``no_proxy``
      (``127.0.0.1,localhost`` so Azurite on plain http is never proxied). Merge it into ``os.environ`` copies.
    * ``msi_env``: ``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER`` for the App Service style managed identity endpoint.
    """

    def __init__(self, process: subprocess.Popen, state_dir: str, info: dict, log_file: str):
        self.process = process
        self.state_dir = state_dir
        self.info = info
        self.log_file = log_file
        self.port: int = info["port"]
        self.proxy_url: str = info["proxy_url"]
        self.ca_file: str = info["ca_file"]
        self.env: dict[str, str] = {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "SSL_CERT_FILE": self.ca_file,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        msi = info["entra"]["managed_identity"]
        self.msi_env: dict[str, str] = {"IDENTITY_ENDPOINT": msi["endpoint"], "IDENTITY_HEADER": msi["identity_header"]}

    @property
    def proxies(self) -> dict[str, str]:
        """``proxies=`` argument for ``requests``."""
        return {"https": self.proxy_url}

    def control(self, path: str, json_body: Any = None, method: str | None = None) -> Any:
        """Call the control API (plain HTTP, never proxied). Returns decoded JSON; raises TwinError on >= 400."""
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/_twin/"):
            path = "/_twin" + path
        method = method or ("GET" if json_body is None else "POST")
        body = None if json_body is None else json.dumps(json_body).encode("utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        decoded = json.loads(data) if data else None
        if resp.status >= 400:
            raise TwinError(f"{method} {path} -> {resp.status}: {data[:2000]!r}")
        return decoded

    def requests_log(self, host: str | None = None, since: int = 0) -> list[dict]:
        """The twin's request log (``GET /_twin/requests``)."""
        query = f"?since={since}" + (f"&host={host}" if host else "")
        return self.control("/_twin/requests" + query)["requests"]

    def add_fault(self, **spec) -> dict:
        """Add one fault (see faults.py for keys)."""
        return self.control("/_twin/faults", spec)["faults"][0]

    def reset(self) -> None:
        """Clear pending faults and the request log."""
        self.control("/_twin/faults", method="DELETE")
        self.control("/_twin/reset-log", {})

    def alive(self) -> bool:
        """Is the subprocess still running?"""
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate the twin (SIGTERM, then SIGKILL after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> TwinHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_twin(
    state_dir,
    *,
    port: int = 0,
    timeout: float = 30.0,
    python: str | None = None,
    batch_regions: list[str] | None = None,
    verbose: bool = False,
) -> TwinHandle:
    """Start ``python -m azure_twin`` with state under ``state_dir`` and wait until ``twin.json`` is written."""
    state_dir = os.path.abspath(str(state_dir))
    os.makedirs(state_dir, exist_ok=True)
    info_path = os.path.join(state_dir, "twin.json")
    if os.path.exists(info_path):
        os.remove(info_path)
    log_file = os.path.join(state_dir, "twin.log")
    env = dict(os.environ)
    env["PYTHONPATH"] = TOOLS_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    cmd = [python or sys.executable, "-m", "azure_twin", "--state-dir", state_dir, "--port", str(port)]
    if batch_regions:
        cmd += ["--batch-regions", ",".join(batch_regions)]
    if verbose:
        cmd.append("--verbose")
    with open(log_file, "ab") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=state_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TwinError(f"azure twin exited with {process.returncode}; log:\n{_tail(log_file)}")
        if os.path.exists(info_path):
            with open(info_path, encoding="utf-8") as handle:
                info = json.load(handle)
            return TwinHandle(process, state_dir, info, log_file)
        time.sleep(0.02)
    process.kill()
    raise TwinError(f"azure twin did not write {info_path} within {timeout}s; log:\n{_tail(log_file)}")


def _tail(path: str, size: int = 4000) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read()[-size:].decode("utf-8", "replace")
    except OSError:
        return "<no log>"
