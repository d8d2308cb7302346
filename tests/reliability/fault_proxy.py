# SPDX-License-Identifier: GPL-3.0-or-later
"""A small threaded fault-injecting HTTP reverse proxy for tests (plain HTTP, 127.0.0.1 only).

Put it in front of Azurite: point a module's ``endpoint`` at ``http://127.0.0.1:<proxy.port>/devstoreaccount1``.
The proxy forwards each request's bytes unchanged (request line, headers, body), so Shared Key signatures stay
valid (they cover the path and headers, not the host).

Faults are scripted with :meth:`FaultProxy.add`: a rule matches on ``method`` (exact) and ``path`` (``re.search`` on
the raw request target including the query), lets ``skip`` matching requests through, then applies its action to the
next ``count`` matching requests. Actions:

``respond``
    answer ``status`` with ``headers`` (e.g. ``Retry-After``) and an Azure Storage XML error body whose ``Code``
    (and ``x-ms-error-code``) is ``code`` (default: ServerBusy for 503 and so on); nothing is forwarded. With
    ``body`` (bytes), that body is sent instead, without an error code: a wrong success answer, such as 200 with a
    whole blob to a ranged GET, or 206 with another range's bytes and ``Content-Range``.
``reset``
    read ``after_bytes`` of the request body (0 = none), then close with ``SO_LINGER 0`` (TCP RST); nothing is
    forwarded, so nothing is committed.
``drop_response``
    forward the whole request (the server commits it), then reset the client connection: the response is lost.
``delay``
    sleep ``delay`` seconds (past the client's timeout), then forward (``forward=True``, the default: the server
    still executes it, like a slow server) or reset without forwarding (``forward=False``).
``truncate``
    forward, then send the response head with its real ``Content-Length`` but only ``keep`` bytes (default: half)
    of the body, and close. An answer without a body (HEAD, most 201/202) is cut in its head instead (half of it, or
    ``keep`` bytes), so the fault is never a no-op.

Every request is logged (:attr:`FaultProxy.log`): ``{seq, time, method, path, fault, status, headers}`` where
``time`` is ``time.monotonic()`` taken by the proxy when the request head arrived, ``fault`` the action applied (or
None) and ``headers`` a small selection (x-ms-date, if-match, if-none-match, content-length, client request id).
Tests count retries and measure the gaps between attempts from these server-side timestamps.
"""

from __future__ import annotations

import re
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass, field

LOGGED = ("x-ms-date", "if-match", "if-none-match", "content-length", "x-ms-client-request-id", "x-ms-range", "range")
ACTIONS = ("respond", "reset", "drop_response", "delay", "truncate")
REASONS = {
    200: "OK",
    201: "Created",
    206: "Partial Content",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Server Unavailable",
    504: "Gateway Timeout",
}
CODES = {
    408: "OperationTimedOut",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServerBusy",
    504: "GatewayTimeout",
}


@dataclass
class Rule:
    """One scripted fault (see the module docstring)."""

    action: str
    method: str | None = None
    path: str | None = None
    skip: int = 0
    count: int = 1
    status: int = 503
    headers: dict = field(default_factory=dict)
    after_bytes: int = 0
    delay: float = 0.0
    forward: bool = True
    keep: int | None = None
    code: str | None = None
    body: bytes | None = None
    seen: int = 0
    applied: int = 0

    def matches(self, method: str, target: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or re.search(self.path, target) is not None


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER on, timeout 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Closed(Exception):
    """The connection ended (or we reset it)."""


class _Reader:
    """Buffered reads from a socket: lines, exact byte counts, HTTP heads and bodies."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def head(self) -> bytes:
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise _Closed()
            self._fill()
        idx = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        idx = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out

    def chunked(self) -> bytes:
        """The raw chunked encoding, unchanged (chunks and trailer)."""
        out = b""
        while True:
            size_line = self.line()
            out += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    trailer = self.line()
                    out += trailer
                    if trailer == b"\r\n":
                        return out
            out += self.exact(size + 2)

    def rest(self) -> bytes:
        out = self.buf
        self.buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            out += data
        return out


def _parse_head(head: bytes) -> tuple[str, dict]:
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return first, headers


class FaultProxy:
    """The proxy. ``FaultProxy(upstream_port).start()``; ``.port``, ``.add(...)``, ``.log``, ``.stop()``."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.rules: list[Rule] = []
        self.log: list[dict] = []
        self.lock = threading.Lock()
        self.faults_injected = 0
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    # -- control ---------------------------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, action: str, **kwargs) -> Rule:
        """Add a rule; rules are tried in the order added and the first that matches a request decides it."""
        if action not in ACTIONS:
            raise ValueError("unknown fault action %r" % action)
        rule = Rule(action=action, **kwargs)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules = []
            self.log = []

    def endpoint(self, account: str = "devstoreaccount1") -> str:
        return "http://127.0.0.1:%d/%s" % (self.port, account)

    def entries(self, path: str | None = None, method: str | None = None) -> list[dict]:
        """Logged requests whose target matches ``path`` (regex) and ``method``."""
        with self.lock:
            items = list(self.log)
        return [e for e in items if (not method or e["method"] == method) and (not path or re.search(path, e["path"]))]

    # -- serving ---------------------------------------------------------------------------------------------------
    def _pick(self, method: str, target: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.applied >= rule.count or not rule.matches(method, target):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    return None
                rule.applied += 1
                self.faults_injected += 1
                return rule
        return None

    def _record(self, entry: dict) -> None:
        with self.lock:
            entry["seq"] = len(self.log) + 1
            self.log.append(entry)

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                try:
                    head = reader.head()
                except (_Closed, OSError):
                    return
                arrived = time.monotonic()
                first, headers = _parse_head(head)
                try:
                    method, target, _version = first.split(" ", 2)
                except ValueError:
                    return
                rule = self._pick(method, target)
                entry = {
                    "time": arrived,
                    "wall": time.time(),
                    "method": method,
                    "path": target,
                    "fault": rule.action if rule else None,
                    "status": None,
                    "headers": {k: headers[k] for k in LOGGED if k in headers},
                }
                self._record(entry)
                if rule and rule.action == "reset":
                    if rule.after_bytes:
                        try:
                            reader.exact(min(rule.after_bytes, int(headers.get("content-length", "0") or 0)))
                        except (_Closed, OSError):
                            pass
                    _reset(client)
                    return
                if rule and rule.action == "delay":
                    time.sleep(rule.delay)
                    if not rule.forward:
                        _reset(client)
                        return
                body = self._read_body(reader, headers)
                if rule and rule.action == "respond":
                    code = rule.code or CODES.get(rule.status, "Fault")
                    payload = self._error_body(rule.status, code) if rule.body is None else rule.body
                    hdrs = {"Content-Type": "application/xml", "Content-Length": str(len(payload)), "x-ms-error-code": code}
                    if rule.body is not None:
                        hdrs = {"Content-Type": "application/octet-stream", "Content-Length": str(len(payload))}
                    hdrs.update(rule.headers)
                    lines = ["HTTP/1.1 %d %s" % (rule.status, REASONS.get(rule.status, "Fault"))] + [
                        "%s: %s" % kv for kv in hdrs.items()
                    ]
                    entry["status"] = rule.status
                    client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if method == "HEAD" else payload))
                    continue
                status, resp_head, resp_body, close = self._forward(head, body, method)
                entry["status"] = status
                if rule and rule.action == "drop_response":
                    _reset(client)
                    return
                if rule and rule.action == "truncate":
                    if resp_body:
                        keep = rule.keep if rule.keep is not None else len(resp_body) // 2
                        cut = resp_head + resp_body[:keep]
                    else:
                        cut = resp_head[: rule.keep if rule.keep is not None else len(resp_head) // 2]
                    try:
                        client.sendall(cut)
                    except OSError:
                        pass
                    _reset(client)
                    return
                try:
                    client.sendall(resp_head + resp_body)
                except OSError:
                    return
                if close or headers.get("connection", "").lower() == "close":
                    client.close()
                    return
        except (_Closed, OSError):
            return

    @staticmethod
    def _read_body(reader: _Reader, headers: dict) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return reader.chunked()
        length = int(headers.get("content-length", "0") or 0)
        return reader.exact(length) if length else b""

    @staticmethod
    def _error_body(status: int, code: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>fault injected by the test proxy (%d)'
            "</Message></Error>" % (code, status)
        ).encode("utf-8")

    def _forward(self, head: bytes, body: bytes, method: str) -> tuple[int, bytes, bytes, bool]:
        """Send the request bytes unchanged to the upstream on a fresh connection; return its whole response."""
        up = socket.create_connection(self.upstream, timeout=30)
        try:
            up.sendall(head + body)
            reader = _Reader(up)
            resp_head = reader.head()
            while resp_head.startswith(b"HTTP/1.1 100"):
                resp_head = reader.head()
            first, headers = _parse_head(resp_head)
            status = int(first.split(" ", 2)[1])
            if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                resp_body = b""
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                resp_body = reader.chunked()
            elif "content-length" in headers:
                resp_body = reader.exact(int(headers["content-length"]))
            else:
                resp_body = reader.rest()
                return status, resp_head, resp_body, True
            return status, resp_head, resp_body, headers.get("connection", "").lower() == "close"
        finally:
            up.close()
