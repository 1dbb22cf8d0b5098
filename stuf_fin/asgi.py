"""The ASGI vocabulary shared by the app, its middleware and the console: type aliases, reading a request
body once (size limit, read timeout), a request header, the peer's address, and a plain response."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from stuf_fin.errors import StufFinError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Where a request body read by a middleware is handed on, so that nothing reads it twice.
BODY = "stuf_fin.body"


class BodyTooLarge(StufFinError):
    """The request body exceeds the configured limit (answered with 413)."""


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> bytes:
    """The whole request body, read once per request (a second call returns the same bytes from ``scope``).

    Held once: ``BytesIO.getvalue()`` hands over its buffer without a copy (a list of chunks and ``b"".join``
    would hold a 100 MB body twice).  ``timeout`` applies between two chunks; :class:`BodyTooLarge` past
    ``limit`` bytes; :class:`TimeoutError` when the client stalls.
    """
    if BODY in scope:
        body: bytes = scope[BODY]
        return body
    buffer, more = io.BytesIO(), True
    while more:
        async with asyncio.timeout(timeout):  # (a timer, not a task per chunk as with wait_for)
            message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if buffer.tell() + len(chunk) > limit:
            raise BodyTooLarge
        buffer.write(chunk)
        more = message.get("more_body", False)
    body = buffer.getvalue()
    scope[BODY] = body
    return body


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (``name`` in lower case), or None."""
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


def peer(scope: Scope) -> str:
    """``host:port`` of the client connection (the ``peer`` log field), "" when the server does not know it."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


async def respond(send: Send, status: int, body: bytes, content_type: bytes | str,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """A complete response with ``Content-Type`` and ``Content-Length`` (and ``extra`` headers)."""
    if isinstance(content_type, str):
        content_type = content_type.encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
