"""The console as an ASGI application under ``/console``, and :class:`Mount`, which puts it beside the gateway
(on the gateway's port, or on a port of its own).

Every request is authenticated (401 with a Basic challenge otherwise, and nothing else); every response carries
a strict Content-Security-Policy, ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin`` and
``Cache-Control: no-store``.  Pages are built in a small thread pool of the console's own, so a busy console
never takes the threads that answer SOAP messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from stuf_fin.asgi import ASGIApp, peer
from stuf_fin.console.auth import ConsoleAuthenticator, Viewer
from stuf_fin.errors import StufFinError
from stuf_fin.security.authenticate import AuthenticationFailed

if TYPE_CHECKING:
    from stuf_fin.console.views import Pages

log = logging.getLogger("stuf_fin.console")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PREFIX = "/console"
#: Largest form a console POST may carry.
MAX_FORM_BYTES = 64 * 1024
#: Threads that build console pages (and so at most this many console database connections at once).
THREADS = 4

SECURITY_HEADERS = [
    ("content-security-policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
]


class HttpError(StufFinError):
    """Answer with this status and message (shown on an error page)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str  # below /console, e.g. "/messages/12"
    query: dict[str, list[str]]
    headers: dict[str, str]
    viewer: Viewer
    form: dict[str, list[str]] = field(default_factory=dict)
    scheme: str = "http"

    def arg(self, name: str, default: str = "", source: dict[str, list[str]] | None = None) -> str:
        """The first value of a query (or form) parameter, trimmed, at most 200 characters."""
        values = (self.query if source is None else source).get(name)
        return values[0].strip()[:200] if values else default

    def args(self, name: str) -> list[str]:
        return self.form.get(name, [])


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterator[bytes] = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    cacheable: bool = False  # static assets only


def redirect(location: str, status: int = 303) -> Response:
    return Response(status, b"", "text/plain; charset=utf-8", [("location", location)])


Handler = Callable[..., Response]  # (request, **the pattern's named groups)


class Router:
    """Routes by method and path pattern (named groups become keyword arguments)."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed = False
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                if route_method == method or (route_method == "GET" and method == "HEAD"):
                    return handler, match.groupdict()
                allowed = True
        if allowed:
            raise HttpError(405, "method not allowed")
        raise HttpError(404, "no such page")


class ConsoleApp:
    """ASGI: authentication, request parsing, the router, security headers; pages come from ``pages``."""

    def __init__(self, pages: Pages, authenticator: ConsoleAuthenticator):
        self.pages = pages
        self.auth = authenticator
        self.router = Router()
        pages.register(self.router)
        self.executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="console")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == PREFIX:
            await _send(send, redirect(PREFIX + "/", 308))
            return
        try:
            viewer = await self.auth.viewer(scope)
        except AuthenticationFailed as exc:
            log.warning("console authentication failed: %s", exc, extra={"peer": peer(scope), "path": path})
            await _send(send, Response(401, b"<!doctype html><title>stuf-fin console</title>"
                                            b"<p>Log in with a console account.</p>\n",
                                       headers=[(k.decode(), v.decode()) for k, v in self.auth.challenge()]))
            return
        loop = asyncio.get_running_loop()
        try:
            request = Request(scope["method"], path[len(PREFIX):] or "/",
                              parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
                              {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
                              viewer, scheme=scope.get("scheme", "http"))
            handler, params = self.router.find(request.method, request.path)
            if request.method == "POST":
                request.form = parse_qs((await _read_form(receive)).decode("utf-8", "replace"),
                                        keep_blank_values=True)
            response = await loop.run_in_executor(self.executor, lambda: self.pages.respond(handler, request, params))
        except HttpError as exc:
            response = await loop.run_in_executor(self.executor, self.pages.error_page, viewer, exc.status,
                                                  exc.message)
        except Exception:  # a bug: logged with its traceback, the user gets a page without one
            log.exception("console page %s %s failed", scope["method"], path)
            response = await loop.run_in_executor(self.executor, self.pages.error_page, viewer, 500,
                                                  "Something went wrong building this page; the gateway's log has "
                                                  "the details.")
        await _send(send, response, loop, self.executor)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def _read_form(receive: Receive) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await asyncio.wait_for(receive(), 30)
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise HttpError(413, "form too large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _send(send: Send, response: Response, loop: asyncio.AbstractEventLoop | None = None,
                executor: ThreadPoolExecutor | None = None) -> None:
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
    headers.append((b"cache-control", b"private, max-age=3600" if response.cacheable else b"no-store"))
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if isinstance(response.body, bytes):
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    chunks, done = response.body, object()
    while True:  # a streamed body (CSV, a large message) is produced in the console's threads
        chunk = await loop.run_in_executor(executor, next, chunks, done) if loop else next(chunks, done)
        if chunk is done:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def static_file(name: str) -> bytes | None:
    """A file of ``stuf_fin/console/static`` (None when there is no such file)."""
    if not re.fullmatch(r"[a-z0-9_-]+\.(css|svg)", name):
        return None
    path = resources.files("stuf_fin.console").joinpath("static", name)
    return path.read_bytes() if path.is_file() else None


class Mount:
    """The gateway with the console beside it: ``/console`` on the gateway's port, or — with ``console_port`` —
    only on that port (requests there are the console's; the gateway's port then has no ``/console``)."""

    def __init__(self, app: ASGIApp, console: ConsoleApp, console_port: int | None = None):
        self.app = app
        self.console = console
        self.console_port = console_port

    def __getattr__(self, name: str) -> Any:  # the gateway's attributes (settings, store, ...)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        in_console = path == PREFIX or path.startswith(PREFIX + "/")
        if self.console_port is None:
            await (self.console if in_console else self.app)(scope, receive, send)
        elif (scope.get("server") or (None, None))[1] == self.console_port:
            if in_console:
                await self.console(scope, receive, send)
            else:
                await _send(send, redirect(PREFIX + "/", 308) if path == "/" else Response(
                    404, b"not found\n", "text/plain; charset=utf-8"))
        elif in_console:
            await _send(send, Response(404, b"not found\n", "text/plain; charset=utf-8"))
        else:
            await self.app(scope, receive, send)

    def _closing(self, receive: Receive) -> Receive:
        async def wrapped() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self.console.close()
            return message
        return wrapped
