# SPDX-License-Identifier: GPL-3.0-or-later
"""CLI: ``PYTHONPATH=tools python -m azure_twin --state-dir DIR [--port 0]``.

Generates fresh state under DIR, listens on 127.0.0.1, then writes ``DIR/twin.json`` and prints one JSON line
``{"twin": {...port, proxy_url, ca_file...}}`` on stdout. Runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .plugin import DEFAULT_BATCH_REGIONS
from .server import Twin, write_info


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m azure_twin", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="directory for generated keys, certs and twin.json")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one)")
    parser.add_argument(
        "--batch-regions",
        default=",".join(DEFAULT_BATCH_REGIONS),
        help="comma-separated regions covered by *.<region>.batch.* certificate SANs",
    )
    parser.add_argument("--verbose", action="store_true", help="log TLS/handshake problems on stderr")
    args = parser.parse_args(argv)

    os.makedirs(args.state_dir, exist_ok=True)
    info_path = os.path.join(args.state_dir, "twin.json")
    if os.path.exists(info_path):
        os.remove(info_path)
    regions = [r.strip() for r in args.batch_regions.split(",") if r.strip()]
    twin = Twin(args.state_dir, port=args.port, batch_regions=regions, verbose=args.verbose)
    twin.state.info["pid"] = os.getpid()
    twin.state.info["info_file"] = os.path.abspath(info_path)

    stop = threading.Event()

    def _stop(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=twin.serve_forever, name="azure-twin", daemon=True)
    thread.start()
    write_info(twin, info_path)
    print(json.dumps({"twin": {k: twin.state.info[k] for k in ("port", "proxy_url", "ca_file", "info_file")}}), flush=True)
    stop.wait()
    twin.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
