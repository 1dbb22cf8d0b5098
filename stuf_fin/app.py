"""The ASGI application: SOAP ports (spyne, in a thread pool), WSDL/XSD, health, readiness, metrics.

This module assembles the layers; it holds no StUF or FIN logic itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from stuf_fin.asgi import ASGIApp, BodyTooLarge, Receive, Scope, Send, header, read_body, respond
from stuf_fin.config import Settings
from stuf_fin.ops import exposition
from stuf_fin.ops.memory import GcTuning, MemoryTrimmer
from stuf_fin.pipeline import Pipeline
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.schema.validator import get_validator
from stuf_fin.soap import wsdl
from stuf_fin.soap.server import CONTENT_TYPE, SoapRequest
from stuf_fin.soap.services import port_server
from stuf_fin.stuf.operations import PORTS

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.app")

class Gateway:
    """ASGI entry point of stuf-fin."""

    def __init__(self, settings: Settings, pipeline: Pipeline, store: Store):
        self.settings = settings
        self.pipeline = pipeline
        self.store = store
        limits = ParseLimits(max_bytes=settings.max_body_bytes)
        self.ports = {f"/{port}": port_server(port, pipeline, limits) for port in PORTS}
        self.executor = ThreadPoolExecutor(max_workers=max(4, settings.threads), thread_name_prefix="stuf")
        self.metrics = exposition.registry_for(store, pipeline.validator.source, settings.metrics_db_interval)
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
                await respond(send, 200, body, "text/xml; charset=utf-8")
            else:
                await respond(send, 405, b"use POST for SOAP or GET ?wsdl\n", "text/plain", [(b"allow", b"GET, POST")])
        elif path.startswith("/xsd/") and method in ("GET", "HEAD"):
            schema = wsdl.schema_file(path[5:])
            if schema is None:
                await respond(send, 404, b"not found\n", "text/plain")
            else:
                await respond(send, 200, schema, "text/xml; charset=utf-8")
        elif path == "/health":
            await respond(send, 200, b'{"status": "ok"}', "application/json")
        elif path == "/ready":
            status, report = await asyncio.get_running_loop().run_in_executor(self.executor, self.readiness)
            await respond(send, status, json.dumps(report).encode(), "application/json")
        elif path == "/metrics":
            accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
            body, content_type = await asyncio.get_running_loop().run_in_executor(
                self.executor, exposition.render, self.metrics, accept)
            await respond(send, 200, body, content_type)
        else:
            await respond(send, 404, b"not found\n", "text/plain")

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

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """Database reachable, migrations current, schemas loaded."""
        report: dict[str, Any] = {"schemas": self.pipeline.validator.source.describe()}
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
            body = await read_body(scope, receive, self.settings.max_body_bytes, self.settings.read_timeout)
        except BodyTooLarge:
            await respond(send, 413, b"request body too large\n", "text/plain")
            return
        except TimeoutError:
            await respond(send, 408, b"request body not received in time\n", "text/plain")
            return
        action = header(scope, b"soapaction")
        request = SoapRequest(body, action.decode("latin-1") if action is not None else None,
                              scope.get("stuf_fin.identity"))
        loop = asyncio.get_running_loop()
        status, payload = await loop.run_in_executor(self.executor, self.ports[path].handle, request)
        await respond(send, status, payload, CONTENT_TYPE)


def _base_url(scope: Scope) -> str:
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def build(settings: Settings) -> Gateway:
    """Assemble the gateway from settings (schemas compiled, store opened, handlers wired)."""
    from stuf_fin.outbound import wiring
    from stuf_fin.pipeline.handlers import HANDLERS
    from stuf_fin.pipeline.vraag import verstrek_vorderingstatus
    from stuf_fin.security.authorise import authorisation_for
    from stuf_fin.store.answer_counts import AnswerCountFlusher
    from stuf_fin.store.checkpoint import WalCheckpointer
    from stuf_fin.store.db import Store
    from stuf_fin.store.group_commit import GroupCommit

    validator = get_validator(settings.schema_dir)
    # a pooled connection per request thread and for the background threads (archive writer, counts, outbox)
    store = Store(settings.database_url, timeout=settings.database_timeout, pool_size=settings.threads + 4,
                  max_overflow=4)
    outbound = wiring.for_gateway(settings, store, validator)  # Bv03/Fo03 received, outbox hook, delivery worker
    handlers = {**HANDLERS, **outbound.handlers}
    pipeline = Pipeline(settings, validator, store, handlers, authorisation=authorisation_for(settings.clients),
                        outgoing=outbound.outgoing, vraag_handler=verstrek_vorderingstatus)
    gateway = Gateway(settings, pipeline, store)
    gateway.background.extend(outbound.background)
    gateway.background.append(pipeline.archive_writer)  # vrdLv01 archive rows after the answer
    gateway.background.append(MemoryTrimmer())  # RSS back down after a burst of large or hostile requests
    gateway.background.append(GcTuning())  # fewer full collections while large messages are handled
    gateway.background.append(AnswerCountFlusher(store))  # the console's counts, written every few seconds
    if store.wal:
        gateway.background.append(WalCheckpointer(store))  # SQLite checkpoints after the commits, not in them
        gateway.background.append(GroupCommit(store))  # concurrent messages' transactions committed together
    return gateway


def create_app() -> ASGIApp:
    """Factory for ``uvicorn --factory`` (settings from the environment); the gateway behind
    authentication when clients are configured, refused requests counted (``stuf_fin.ops.httpmetrics``), and the
    operations console beside it when console accounts are configured (``stuf_fin.console``)."""
    from stuf_fin.configure import load_settings
    from stuf_fin.ops.httpmetrics import RefusalCounter
    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.security.middleware import protect

    settings = load_settings()
    configure_logging(settings)
    gateway = build(settings)
    app = RefusalCounter(protect(gateway, settings))
    if not settings.console_accounts:  # the console is off unless accounts are configured
        return app
    from stuf_fin.console import Mount, build_console

    console = build_console(settings, gateway.store, gateway.pipeline.validator.source.describe())
    return Mount(app, console, settings.console_port)
