# SPDX-License-Identifier: GPL-3.0-or-later
"""The Azure twin server: an HTTP CONNECT proxy that never forwards.

One threaded TCP server on 127.0.0.1. A ``CONNECT host:443`` for a hostname some plugin serves is answered with
``200 Connection established``; the socket is then wrapped with server-side TLS (a trustme leaf whose SANs cover every
plugin host pattern) and HTTP/1.1 requests (keep-alive, Content-Length or chunked bodies, ``Expect: 100-continue``)
are parsed on the tunnel and dispatched to the plugin. Unknown hosts get ``502``. Nothing ever leaves the machine:
this module never opens an outbound connection.

Plain-HTTP requests on the same port serve the control API (``/_twin/...``) and the plugins' ``plain_paths``
(``/_msi/token``). Only clients on 127.0.0.1 are served.
"""

from __future__ import annotations

import itertools
import json
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from . import arm, batch, blob, classic, entra, keyvault
from .faults import FaultBook, FaultError
from .plugin import CLOUDS, DEFAULT_BATCH_REGIONS, Cloud, Headers, Plugin, Request, Response, host_matches
from .state import create_state

#: The service plugins, in routing order.
PLUGINS: list[type[Plugin]] = [entra.Entra, keyvault.KeyVault, arm.Arm, batch.Batch, classic.Classic, blob.BlobStorage]

MAX_LINE = 65536
MAX_HEADERS = 200
MAX_BODY = 256 * 1024 * 1024
IDLE_TIMEOUT = 120.0
HANDSHAKE_TIMEOUT = 15.0
LOCALHOST = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class ProtocolError(Exception):
    """The client sent something that is not HTTP/1.x; answer 400 and close."""


class _Closed(Exception):
    """The connection must be closed now (EOF, reset fault, truncated response)."""


def _read_line(rfile) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ProtocolError("line too long")
    return line


def read_head(rfile) -> tuple[str, str, str, Headers] | None:
    """Read a request line and headers. Returns None on a clean EOF before any byte."""
    line = _read_line(rfile)
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between requests (RFC 9112 2.2)
        line = _read_line(rfile)
    if not line:
        return None
    try:
        method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ")
    except ValueError as exc:
        raise ProtocolError(f"bad request line {line[:100]!r}") from exc
    if not version.startswith("HTTP/1."):
        raise ProtocolError(f"unsupported protocol {version!r}")
    headers = Headers()
    while True:
        line = _read_line(rfile)
        if not line:
            raise ProtocolError("EOF inside headers")
        if line in (b"\r\n", b"\n"):
            break
        if len(headers) >= MAX_HEADERS:
            raise ProtocolError("too many headers")
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"bad header line {line[:100]!r}")
        headers.add(name, value.strip())
    return method, target, version, headers


def read_body(rfile, headers: Headers) -> bytes:
    """Read a Content-Length or chunked body."""
    te = (headers.get("Transfer-Encoding") or "").lower()
    if te:
        if te != "chunked":
            raise ProtocolError(f"unsupported Transfer-Encoding {te!r}")
        chunks, total = [], 0
        while True:
            size_line = _read_line(rfile).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as exc:
                raise ProtocolError("bad chunk size") from exc
            if size == 0:
                while _read_line(rfile) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise ProtocolError("body too large")
            data = rfile.read(size)
            if len(data) != size:
                raise ProtocolError("EOF inside chunk")
            chunks.append(data)
            rfile.readline(3)
    length = headers.get("Content-Length")
    if length is None:
        return b""
    try:
        size = int(length)
    except ValueError as exc:
        raise ProtocolError("bad Content-Length") from exc
    if size < 0 or size > MAX_BODY:
        raise ProtocolError("bad Content-Length")
    data = rfile.read(size)
    if len(data) != size:
        raise ProtocolError("EOF inside body")
    return data


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def render_response(response: Response, *, head_only: bool, keep_alive: bool, declared_length: int | None = None) -> bytes:
    """Serialise status line, headers and (unless HEAD) the body."""
    headers = Headers(response.headers.items())
    announced = headers.get("Content-Length") if head_only else None
    headers.remove("Content-Length")
    headers.remove("Transfer-Encoding")
    headers.remove("Connection")
    if "Date" not in headers:
        headers.set("Date", formatdate(usegmt=True))
    no_body_status = response.status in (204, 304) or 100 <= response.status < 200
    if not no_body_status:
        if declared_length is not None:
            headers.set("Content-Length", str(declared_length))
        elif announced is not None:
            headers.set("Content-Length", announced)
        else:
            headers.set("Content-Length", str(len(response.body)))
    headers.set("Connection", "keep-alive" if keep_alive else "close")
    lines = [f"HTTP/1.1 {response.status} {response.reason or _reason(response.status)}"]
    lines += [f"{n}: {v}" for n, v in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if head_only or no_body_status:
        return head
    return head + response.body


def _hard_reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0 so the peer sees a TCP RST."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _graceful_close(sock: socket.socket) -> None:
    """Flush and close (FIN, no TLS close_notify) so the peer reads what was sent, then sees EOF."""
    try:
        sock.shutdown(socket.SHUT_WR) if not isinstance(sock, ssl.SSLSocket) else None
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Twin:
    """The twin: state, plugins, routes, TLS contexts, fault book and the listening server."""

    def __init__(
        self,
        state_dir: str,
        *,
        port: int = 0,
        batch_regions=DEFAULT_BATCH_REGIONS,
        plugins: list[type[Plugin]] | None = None,
        verbose: bool = False,
    ):
        self.verbose = verbose
        self.batch_regions = tuple(batch_regions)
        self.plugin_classes = list(plugins or PLUGINS)
        self.routes: list[tuple[str, type[Plugin], Cloud]] = []
        for cls in self.plugin_classes:
            for cloud in CLOUDS.values():
                for pattern in cls.hosts(cloud, self.batch_regions):
                    self.routes.append((pattern.lower(), cls, cloud))
        sans = sorted({pattern for pattern, _, _ in self.routes})
        self.state = create_state(state_dir, hostnames=sans)
        for cls in self.plugin_classes:
            cls.seed(self.state, self.state.state_dir)
        self.plugins: dict[type[Plugin], Plugin] = {cls: cls(self.state) for cls in self.plugin_classes}
        self.by_name: dict[str, Plugin] = {p.name: p for p in self.plugins.values()}
        self.faults = FaultBook()
        self.state.faults = self.faults
        self._conn_ids = itertools.count(1)
        self.tls_plain = self._context(client_cert=False)
        self.tls_mtls = self._context(client_cert=True)
        twin = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self):
                twin.serve_connection(self.request, self.client_address)

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self.server = _Server(("127.0.0.1", port), _Handler)
        self.port = self.server.server_address[1]
        self.proxy_url = f"http://127.0.0.1:{self.port}"
        msi = self.state.info["entra"]["managed_identity"]
        msi["endpoint"] = f"{self.proxy_url}/_msi/token"
        msi["imds_endpoint"] = f"{self.proxy_url}/_msi/metadata/identity/oauth2/token"
        self.state.info.update(
            {
                "port": self.port,
                "proxy_url": self.proxy_url,
                "pid": None,
                "plugins": [p.name for p in self.plugins.values()],
                "batch_regions": list(self.batch_regions),
                "hosts": {cloud.name: sorted({p for p, _, c in self.routes if c is cloud}) for cloud in CLOUDS.values()},
                "clouds": {
                    cloud.name: {
                        "login": cloud.login_host,
                        "arm": cloud.arm_host,
                        "vault_suffix": cloud.vault_suffix,
                        "batch_suffix": cloud.batch_suffix,
                        "classic": cloud.classic_host,
                        "resources": {k: list(v) for k, v in cloud.resources.items()},
                    }
                    for cloud in CLOUDS.values()
                },
            }
        )
        self.state.server_info = self.state.info

    # ---------------------------------------------------------------------------------------- setup
    def _context(self, *, client_cert: bool) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.state.tls_leaf.configure_cert(ctx)
        ctx.set_alpn_protocols(["http/1.1"])
        if client_cert:
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(cadata=self.state.client_ca.cert_pem.bytes().decode("ascii"))
            for pem in self.state.extra_client_cas:
                ctx.load_verify_locations(cadata=pem.decode("ascii") if isinstance(pem, bytes) else pem)
        return ctx

    def route(self, host: str) -> tuple[Plugin, Cloud] | None:
        """Plugin and cloud serving ``host``, or None."""
        for pattern, cls, cloud in self.routes:
            if host_matches(pattern, host):
                return self.plugins[cls], cloud
        return None

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`."""
        self.server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()

    def _debug(self, message: str) -> None:
        if self.verbose:
            print(f"azure_twin: {message}", file=sys.stderr, flush=True)

    # ---------------------------------------------------------------------------------------- connections
    def serve_connection(self, sock: socket.socket, client_address) -> None:
        """Serve one accepted TCP connection (plain HTTP, possibly becoming a tunnel)."""
        if client_address[0] not in LOCALHOST:
            _hard_reset(sock)
            return
        sock.settimeout(IDLE_TIMEOUT)
        conn_id = next(self._conn_ids)
        rfile = sock.makefile("rb")
        try:
            while True:
                try:
                    head = read_head(rfile)
                except ProtocolError as exc:
                    self._send_simple(sock, 400, f"Bad request: {exc}\n")
                    return
                if head is None:
                    return
                method, target, version, headers = head
                if method == "CONNECT":
                    rfile.close()
                    self._tunnel(sock, target, client_address, conn_id)
                    return
                self._expects_continue(sock, headers)
                body = read_body(rfile, headers)
                keep = self._keep_alive(version, headers)
                if not self._plain_request(sock, method, target, headers, body, keep, client_address, conn_id):
                    return
                if not keep:
                    return
        except (OSError, ProtocolError, _Closed):
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def _keep_alive(version: str, headers: Headers) -> bool:
        tokens = {t.strip().lower() for t in (headers.get("Connection") or "").split(",")}
        if version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens

    def _send_simple(self, sock, status: int, text: str, keep: bool = False) -> None:
        try:
            sock.sendall(render_response(Response(status, text), head_only=False, keep_alive=keep))
        except OSError:
            pass

    def _tunnel(self, sock: socket.socket, target: str, client_address, conn_id: int) -> None:
        host, _, port_text = target.rpartition(":")
        host = host.strip("[]").lower()
        if not host or not port_text.isdigit():
            self._send_simple(sock, 400, f"CONNECT needs host:port, got {target!r}\n")
            return
        port = int(port_text)
        routed = self.route(host) if port == 443 else None
        if routed is None:
            entry = self.faults.log(method="CONNECT", host=host, raw_path=target, headers=Headers(), fault=None, plain=True)
            self.faults.finish(entry, 502, "refused")
            self._send_simple(
                sock,
                502,
                f"azure_twin: no twin service for {target}. The twin never forwards traffic; it serves only the "
                f"Azure hostnames listed in twin.json 'hosts' on port 443.\n",
            )
            return
        plugin, cloud = routed
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        ctx = self.tls_mtls if plugin.client_cert else self.tls_plain
        sock.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = ctx.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            entry = self.faults.log(method="CONNECT", host=host, raw_path=target, headers=Headers(), fault=None, plain=True)
            self.faults.finish(entry, 200, f"tls-failed: {exc}")
            print(f"azure_twin: TLS handshake for {host} failed: {exc}", file=sys.stderr, flush=True)
            return
        tls.settimeout(IDLE_TIMEOUT)
        peer_der = tls.getpeercert(binary_form=True) if plugin.client_cert else None
        rfile = tls.makefile("rb")
        try:
            while True:
                try:
                    head = read_head(rfile)
                except ProtocolError as exc:
                    self._send_simple(tls, 400, f"Bad request: {exc}\n")
                    return
                if head is None:
                    return
                method, raw_path, version, headers = head
                try:
                    self._expects_continue(tls, headers)
                    body = read_body(rfile, headers)
                except ProtocolError as exc:
                    self._send_simple(tls, 400, f"Bad request: {exc}\n")
                    return
                keep = self._keep_alive(version, headers)
                host_header = (headers.get("Host") or host).lower()
                if host_header.rsplit(":", 1)[0].strip("[]") != host:
                    self._respond(
                        tls, Response(421, f"Host header {host_header!r} does not match tunnel {host!r}\n"), method, keep=False
                    )
                    return
                request = Request(
                    method=method,
                    raw_path=raw_path,
                    headers=headers,
                    body=body,
                    host=host,
                    port=port,
                    cloud=cloud,
                    state=self.state,
                    peer_cert_der=peer_der,
                    plain=False,
                    client_address=client_address,
                )
                request.connection_id = conn_id
                if not self._dispatch(tls, plugin, request, keep) or not keep:
                    return
        except (OSError, _Closed):
            return
        finally:
            try:
                tls.close()
            except OSError:
                pass

    @staticmethod
    def _expects_continue(sock, headers: Headers) -> bool:
        if (headers.get("Expect") or "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            return True
        return False

    def _plain_request(self, sock, method, target, headers, body, keep, client_address, conn_id) -> bool:
        """Serve a non-CONNECT request. Returns False when the connection must close."""
        if not target.startswith("/"):  # absolute-form (forward proxying) or junk
            entry = self.faults.log(method=method, host=target, raw_path=target, headers=headers, fault=None, plain=True)
            self.faults.finish(entry, 502, "refused")
            return self._respond(
                sock,
                Response(
                    502, "azure_twin: the twin is not a forwarding proxy; use HTTPS through CONNECT to an Azure hostname.\n"
                ),
                method,
                keep,
            )
        path = target.split("?", 1)[0]
        if path.startswith("/_twin/"):
            return self._respond(sock, self._control(method, target, body), method, keep)
        for plugin in self.plugins.values():
            if any(path.startswith(prefix) for prefix in plugin.plain_paths):
                request = Request(
                    method=method,
                    raw_path=target,
                    headers=headers,
                    body=body,
                    host="127.0.0.1",
                    port=self.port,
                    cloud=None,
                    state=self.state,
                    plain=True,
                    client_address=client_address,
                )
                request.connection_id = conn_id
                return self._dispatch(sock, plugin, request, keep)
        return self._respond(
            sock, Response(404, {"error": {"code": "NotFound", "message": f"azure_twin: no plain path {path}"}}), method, keep
        )

    def _respond(
        self, sock, response: Response, method: str, keep: bool, declared_length=None, body_override: bytes | None = None
    ) -> bool:
        data = render_response(response, head_only=(method == "HEAD"), keep_alive=keep, declared_length=declared_length)
        if body_override is not None:
            data = data[: len(data) - len(response.body)] + body_override
        sock.sendall(data)
        return keep

    def _dispatch(self, sock, plugin: Plugin, request: Request, keep: bool) -> bool:
        """Apply a scripted fault or call the plugin; write the response. Returns False to close."""
        fault = self.faults.take(request.host, request.method, request.raw_path)
        entry = self.faults.log(
            method=request.method,
            host=request.host,
            raw_path=request.raw_path,
            headers=request.headers,
            fault=fault,
            plain=request.plain,
        )
        entry["plugin"] = plugin.name
        entry["conn"] = getattr(request, "connection_id", None)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.action == "reset":
            self.faults.finish(entry, None, "reset")
            _hard_reset(sock)
            raise _Closed()
        if fault and fault.action == "respond":
            response = Response(fault.status, fault.default_body(), fault.headers)
        else:
            response = self._call_plugin(plugin, request)
        if fault and fault.action == "truncate":
            self.faults.finish(entry, response.status, "truncated")
            sent = response.body[: len(response.body) // 2]
            try:
                self._respond(sock, response, request.method, False, declared_length=len(response.body) + 64, body_override=sent)
            finally:
                _graceful_close(sock)
            raise _Closed()
        self.faults.finish(entry, response.status)
        return self._respond(sock, response, request.method, keep)

    def _call_plugin(self, plugin: Plugin, request: Request) -> Response:
        try:
            response = plugin.handle(request)
            if not isinstance(response, Response):
                raise TypeError(f"{type(plugin).__name__}.handle returned {type(response).__name__}, not Response")
            return response
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not kill the connection thread silently
            tb = traceback.format_exc()
            print(f"azure_twin: plugin {plugin.name} failed on {request!r}\n{tb}", file=sys.stderr, flush=True)
            return Response(
                500, {"error": {"code": "TwinInternalError", "message": f"{type(exc).__name__}: {exc}", "traceback": tb}}
            )

    # ---------------------------------------------------------------------------------------- control API
    def _control(self, method: str, target: str, body: bytes) -> Response:
        req = Request(
            method=method,
            raw_path=target,
            headers=Headers(),
            body=body,
            host="127.0.0.1",
            port=self.port,
            cloud=None,
            state=self.state,
            plain=True,
        )
        path = req.path.rstrip("/")
        try:
            payload = req.json() if body else None
        except Exception as exc:  # noqa: BLE001
            return Response(400, {"error": str(exc)})
        try:
            if path == "/_twin/info" and method == "GET":
                return Response(200, self.state.info)
            if path == "/_twin/faults":
                if method == "GET":
                    return Response(200, {"faults": self.faults.pending()})
                if method == "DELETE":
                    self.faults.clear()
                    return Response(200, {"faults": []})
                if method == "POST":
                    specs = payload.get("faults") if isinstance(payload, dict) and "faults" in payload else payload
                    specs = specs if isinstance(specs, list) else [specs]
                    added = [self.faults.add(spec).describe() for spec in specs]
                    return Response(201, {"faults": added})
            if path == "/_twin/requests" and method == "GET":
                since = int(req.query_one("since", "0") or 0)
                return Response(200, {"requests": self.faults.entries(host=req.query_one("host"), since=since)})
            if (path == "/_twin/reset-log" and method == "POST") or (path == "/_twin/requests" and method == "DELETE"):
                self.faults.reset_log()
                return Response(200, {"requests": []})
            parts = path.split("/")
            if len(parts) == 4 and method in ("POST", "GET") and parts[2] in self.by_name:
                result = self.by_name[parts[2]].control(parts[3], payload if method == "POST" else None)
                return result if isinstance(result, Response) else Response(200, result)
        except FaultError as exc:
            return Response(400, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            tb = traceback.format_exc()
            print(f"azure_twin: control {method} {target} failed\n{tb}", file=sys.stderr, flush=True)
            return Response(500, {"error": f"{type(exc).__name__}: {exc}", "traceback": tb})
        return Response(404, {"error": f"unknown control endpoint {method} {path}"})


def write_info(twin: Twin, path: str, extra: dict[str, Any] | None = None) -> None:
    """Write twin.json atomically (tests poll for it)."""
    import os

    info = dict(twin.state.info)
    info.update(extra or {})
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def run(state_dir: str, port: int = 0, **kwargs) -> Twin:
    """Create a twin and serve it in a background thread (in-process use)."""
    twin = Twin(state_dir, port=port, **kwargs)
    threading.Thread(target=twin.serve_forever, name="azure-twin", daemon=True).start()
    return twin
