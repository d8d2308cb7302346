# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted threaded HTTP(S) server on 127.0.0.1 for transport-level unit tests (community.docker style)."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Script:
    """What the server answers, in order: (status, headers, body) tuples, 'reset' or ('sleep', seconds)."""

    def __init__(self):
        self.steps: list = []
        self.seen: list[dict] = []
        self.release = threading.Event()


def _handler(script: Script):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            return None

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
            step = script.steps.pop(0) if script.steps else (200, {}, b"ok")
            if step == "reset":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if isinstance(step, tuple) and step[0] == "sleep":
                script.release.wait(step[1])
                step = (200, {}, b"late")
            status, headers, payload = step
            self.send_response_only(status)
            if "Date" not in headers:
                self.send_header("Date", self.date_time_string())
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _serve

    return Handler


@contextmanager
def serve(tls_context: ssl.SSLContext | None = None) -> Iterator[tuple[str, Script]]:
    script = Script()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls_context else "http"
    try:
        yield "%s://127.0.0.1:%d" % (scheme, server.server_address[1]), script
    finally:
        script.release.set()
        server.shutdown()
        server.server_close()
