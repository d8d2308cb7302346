# SPDX-License-Identifier: GPL-3.0-or-later
"""Scripted faults and the request log of the Azure twin.

A fault is added through ``POST /_twin/faults`` and consumed, in the order faults were added, by the first requests
that match it. JSON shape (all keys optional except that one of ``status``/``action``/``delay`` must make sense)::

    {"host": "regex",           # re.search on the hostname (default: any)
     "method": "GET",           # exact, case-insensitive (default: any)
     "path": "regex",           # re.search on the raw request target incl. query (default: any)
     "count": 1,                # how many matching requests consume it (default 1)
     "action": "respond",       # respond | reset | truncate | delay (default: respond if status else delay)
     "status": 429,             # for respond
     "headers": {"Retry-After": "1"},
     "body": {...} | "text",    # for respond (default: an Azure-style JSON error for the status)
     "delay": 0.5}              # seconds to wait first (any action; "delay" alone then lets the plugin answer)

``truncate`` lets the plugin answer, then sends a ``Content-Length`` larger than the bytes it writes and closes.
``reset`` closes the socket with ``SO_LINGER 0`` (TCP RST) without answering.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("respond", "reset", "truncate", "delay")

#: Request headers copied into the log (lower case). Authorization is logged as its scheme only.
LOGGED_HEADERS = (
    "user-agent",
    "content-type",
    "content-length",
    "x-ms-client-request-id",
    "client-request-id",
    "x-ms-date",
    "date",
    "x-ms-version",
    "if-match",
    "if-none-match",
    "ocp-date",
    "x-client-sku",
    "x-client-ver",
    "x-identity-header",
    "metadata",
    "x-ms-return-client-request-id",
    "x-ms-request-id",
    "expect",
    "transfer-encoding",
    "connection",
)
#: Logged by presence only (value replaced by ``REDACTED``).
SECRET_HEADERS = ("x-identity-header",)

_DEFAULT_BODIES = {
    429: ("TooManyRequests", "The request is being throttled (twin fault)."),
    500: ("InternalServerError", "The server encountered an internal error (twin fault)."),
    502: ("BadGateway", "Bad gateway (twin fault)."),
    503: ("ServerBusy", "The server is currently unable to receive requests (twin fault)."),
    504: ("GatewayTimeout", "The gateway timed out (twin fault)."),
}


class FaultError(ValueError):
    """An invalid fault specification."""


@dataclass
class Fault:
    """One scripted fault."""

    id: int
    host: str | None = None
    method: str | None = None
    path: str | None = None
    count: int = 1
    action: str = "respond"
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    consumed: int = 0

    def matches(self, host: str, method: str, raw_path: str) -> bool:
        """Does this fault apply to the request?"""
        if self.host and not re.search(self.host, host, re.IGNORECASE):
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not re.search(self.path, raw_path))

    def describe(self) -> dict:
        """JSON view (for the log and ``GET /_twin/faults``)."""
        return {
            "id": self.id,
            "host": self.host,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "action": self.action,
            "status": self.status,
            "headers": self.headers,
            "delay": self.delay,
            "consumed": self.consumed,
        }

    def default_body(self) -> Any:
        """The body sent for ``respond`` when none was given."""
        if self.body is not None:
            return self.body
        code, message = _DEFAULT_BODIES.get(self.status or 500, ("TwinFault", "Scripted fault."))
        return {"error": {"code": code, "message": message}}


class FaultBook:
    """Thread-safe ordered list of pending faults plus the request log."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._log: list[dict] = []
        self._seq = itertools.count(1)

    # ------------------------------------------------------------------ faults
    def add(self, spec: dict) -> Fault:
        """Validate and append a fault; returns it."""
        if not isinstance(spec, dict):
            raise FaultError("a fault must be a JSON object")
        unknown = set(spec) - {"host", "method", "path", "count", "action", "status", "headers", "body", "delay"}
        if unknown:
            raise FaultError(f"unknown fault keys: {sorted(unknown)}")
        action = spec.get("action") or ("respond" if spec.get("status") else "delay")
        if action not in ACTIONS:
            raise FaultError(f"action must be one of {ACTIONS}")
        if action == "respond" and not spec.get("status"):
            raise FaultError("action 'respond' needs a status")
        if action == "delay" and not spec.get("delay"):
            raise FaultError("action 'delay' needs a delay in seconds")
        for key in ("host", "path"):
            if spec.get(key):
                try:
                    re.compile(spec[key])
                except re.error as exc:
                    raise FaultError(f"{key} is not a valid regex: {exc}") from exc
        count = int(spec.get("count", 1))
        if count < 1:
            raise FaultError("count must be >= 1")
        fault = Fault(
            id=next(self._ids),
            host=spec.get("host"),
            method=spec.get("method"),
            path=spec.get("path"),
            count=count,
            action=action,
            status=spec.get("status"),
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            body=spec.get("body"),
            delay=float(spec.get("delay") or 0),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, host: str, method: str, raw_path: str) -> Fault | None:
        """Consume one use of the first pending fault that matches, or return None."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(host, method, raw_path):
                    fault.consumed += 1
                    if fault.consumed >= fault.count:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict]:
        """Faults not yet used up."""
        with self._lock:
            return [f.describe() for f in self._faults]

    def clear(self) -> None:
        """Drop all pending faults."""
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ request log
    def log(self, *, method: str, host: str, raw_path: str, headers, fault: Fault | None, plain: bool) -> dict:
        """Append a log entry (status filled in later by :meth:`finish`) and return it."""
        selected = {}
        for name in LOGGED_HEADERS:
            value = headers.get(name)
            if value is not None:
                selected[name] = "REDACTED" if name in SECRET_HEADERS else value
        auth = headers.get("authorization")
        if auth is not None:
            selected["authorization"] = (auth.split(" ", 1)[0] if " " in auth else "") + " REDACTED"
            selected["authorization"] = selected["authorization"].strip()
        now = time.time()
        entry = {
            "seq": next(self._seq),
            "time": now,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
            "method": method,
            "host": host,
            "path": raw_path,
            "plain": plain,
            "headers": selected,
            "fault": fault.describe() if fault else None,
            "status": None,
        }
        with self._lock:
            self._log.append(entry)
        return entry

    @staticmethod
    def finish(entry: dict, status: int | None, outcome: str = "sent") -> None:
        """Record the response status (``None`` when no response was sent) and outcome."""
        entry["status"] = status
        entry["outcome"] = outcome

    def entries(self, *, host: str | None = None, since: int = 0) -> list[dict]:
        """Log entries, optionally filtered by host regex and minimum ``seq``."""
        with self._lock:
            items = list(self._log)
        return [e for e in items if e["seq"] > since and (not host or re.search(host, e["host"], re.IGNORECASE))]

    def reset_log(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()
