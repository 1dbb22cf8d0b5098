"""The ASGI application: SOAP ports (spyne, in a thread pool), WSDL/XSD, health, readiness, metrics.

This module assembles the layers; it holds no StUF or FIN logic itself.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stuf_fin.config import Settings
from stuf_fin.ops import metrics
from stuf_fin.ops.memory import GcTuning, MemoryTrimmer
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.schema.validator import get_validator
from stuf_fin.soap import wsdl
from stuf_fin.soap.services import wsgi_application
from stuf_fin.stuf.afhandeling import Afhandeling
from stuf_fin.stuf.operaties import PORTS

log = logging.getLogger("stuf_fin.app")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


class Gateway:
    """ASGI entry point of stuf-fin."""

    def __init__(self, settings: Settings, afhandeling: Afhandeling, store: Any):
        self.settings = settings
        self.afhandeling = afhandeling
        self.store = store
        limits = ParseLimits(max_bytes=settings.max_body_bytes)
        self.ports = {f"/{port}": wsgi_application(port, afhandeling, limits) for port in PORTS}
        self.executor = ThreadPoolExecutor(max_workers=max(4, settings.threads), thread_name_prefix="stuf")
        self.metrics = metrics.registry_for(store, afhandeling.validator.source, settings.metrics_db_interval)
        self.background: list[Any] = []  # services with start()/stop() run with the lifespan (the outbox worker)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"].rstrip("/") or "/", scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        if path in self.ports:
            if method == "POST":
                await self._soap(scope, receive, send, path)
            elif method in ("GET", "HEAD") and query.lower().split("=")[0] == "wsdl":
                body = wsdl.wsdl_for(path[1:], _base_url(scope))
                await _respond(send, 200, body, "text/xml; charset=utf-8")
            else:
                await _respond(send, 405, b"use POST for SOAP or GET ?wsdl\n", "text/plain", [(b"allow", b"GET, POST")])
        elif path.startswith("/xsd/") and method in ("GET", "HEAD"):
            body = wsdl.schema_file(path[5:])
            if body is None:
                await _respond(send, 404, b"not found\n", "text/plain")
            else:
                await _respond(send, 200, body, "text/xml; charset=utf-8")
        elif path == "/health":
            await _respond(send, 200, b'{"status": "ok"}', "application/json")
        elif path == "/ready":
            status, report = await asyncio.get_running_loop().run_in_executor(self.executor, self.readiness)
            await _respond(send, status, json.dumps(report).encode(), "application/json")
        elif path == "/metrics":
            accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
            body, content_type = await asyncio.get_running_loop().run_in_executor(
                self.executor, metrics.render, self.metrics, accept)
            await _respond(send, 200, body, content_type)
        else:
            await _respond(send, 404, b"not found\n", "text/plain")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for service in self.background:
                    service.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for service in self.background:
                    await asyncio.get_running_loop().run_in_executor(None, service.stop)
                self.executor.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def readiness(self) -> tuple[int, dict]:
        """Database reachable, migrations current, schemas loaded."""
        report: dict[str, Any] = {"schemas": self.afhandeling.validator.source.describe()}
        try:
            self.store.ping()
            report["database"] = "ok"
            report["migrations"] = "current" if self.store.is_current() else "behind"
        except Exception as exc:  # any failure means not ready
            report["database"] = f"unreachable: {type(exc).__name__}"
        ready = report.get("database") == "ok" and report.get("migrations") == "current"
        report["status"] = "ready" if ready else "not ready"
        return (200 if ready else 503), report

    async def _soap(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        try:
            body = await _read_body(receive, self.settings.max_body_bytes, self.settings.read_timeout)
        except BodyTooLarge:
            await _respond(send, 413, b"request body too large\n", "text/plain")
            return
        except TimeoutError:
            await _respond(send, 408, b"request body not received in time\n", "text/plain")
            return
        environ = _environ(scope, body, path)
        loop = asyncio.get_running_loop()
        status, headers, payload = await loop.run_in_executor(self.executor, _call_wsgi, self.ports[path], environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive, limit: int, timeout: float) -> bytes:
    """The whole body, held once: ``BytesIO.getvalue()`` hands over its buffer without a copy (a list of
    chunks and ``b"".join`` would hold a 100 MB body twice)."""
    buffer, more = io.BytesIO(), True
    while more:
        message = await asyncio.wait_for(receive(), timeout)
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if buffer.tell() + len(chunk) > limit:
            raise BodyTooLarge
        buffer.write(chunk)
        more = message.get("more_body", False)
    return buffer.getvalue()


def _environ(scope: Scope, body: bytes, path: str) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "stuf_fin.body": body,  # the SOAP protocol takes the body from here, not copied from wsgi.input
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "stuf_fin.identity": scope.get("stuf_fin.identity"),
    }
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value.decode("latin-1")
        elif key != "CONTENT_LENGTH":
            environ["HTTP_" + key] = value.decode("latin-1")
    environ.setdefault("CONTENT_TYPE", "text/xml")
    return environ


def _call_wsgi(app, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
        captured["status"], captured["headers"] = status, headers

    result = app(environ, start_response)
    try:
        payload = b"".join(c if isinstance(c, bytes) else c.encode() for c in result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    status = int(captured["status"].split(" ", 1)[0])
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in captured["headers"]
               if k.lower() != "content-length"]
    headers.append((b"content-length", str(len(payload)).encode()))
    return status, headers, payload


async def _respond(send: Send, status: int, body: bytes, content_type: str,
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def _base_url(scope: Scope) -> str:
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def build(settings: Settings) -> Gateway:
    """Assemble the gateway from settings (schemas compiled, store opened, handlers wired)."""
    from stuf_fin.fin import verwerking
    from stuf_fin.fin.vraag import verstrek_vorderingstatus
    from stuf_fin.outbound import wiring
    from stuf_fin.security.autorisatie import autorisatie_voor
    from stuf_fin.store.checkpoint import WalCheckpointer
    from stuf_fin.store.db import Store

    validator = get_validator(settings.schema_dir)
    store = Store(settings.database_url, timeout=settings.database_timeout)
    handlers = {
        "Di01-verstrekVordering": verwerking.verstrek_vordering,
        "Di01-verstrekVorderingStatusWijziging": verwerking.verstrek_status_wijziging,
        "Di01-verstrekFinancieleVerantwoording": verwerking.verstrek_financiele_verantwoording,
        "vrdLv01": verstrek_vorderingstatus,
    }
    outbound = wiring.for_gateway(settings, store, validator)  # Bv03/Fo03 received, outbox hook, delivery worker
    handlers.update(outbound.handlers)
    afhandeling = Afhandeling(settings, validator, store, handlers, autorisatie=autorisatie_voor(settings.clients),
                              uitgaand=outbound.uitgaand)
    gateway = Gateway(settings, afhandeling, store)
    gateway.background.extend(outbound.background)
    gateway.background.append(afhandeling.archiefschrijver)  # vrdLv01 archive rows after the answer
    gateway.background.append(MemoryTrimmer())  # RSS back down after a burst of large or hostile requests
    gateway.background.append(GcTuning())  # fewer full collections while large messages are handled
    if store.wal:
        gateway.background.append(WalCheckpointer(store))  # SQLite checkpoints after the commits, not in them
    return gateway


def create_app() -> Any:
    """Factory for ``uvicorn --factory`` (settings from the environment); the gateway behind
    authentication when clients are configured, refused requests counted (``stuf_fin.ops.httpmetrics``)."""
    from stuf_fin.config import load_settings
    from stuf_fin.ops.httpmetrics import RefusalCounter
    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.security.middleware import protect

    settings = load_settings()
    configure_logging(settings)
    return RefusalCounter(protect(build(settings), settings))
