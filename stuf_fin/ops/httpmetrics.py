"""Counting HTTP requests refused before any StUF processing (``stuf_fin_http_rejected_total``), wherever
they are refused: by the authentication middleware (401) or by the gateway's body limits (413, 408)."""

from __future__ import annotations

from typing import Any

from stuf_fin.asgi import ASGIApp, Receive, Scope, Send
from stuf_fin.ops import metrics

#: HTTP status -> ``reason`` label.
REASONS = {401: "unauthenticated", 408: "body_timeout", 413: "body_too_large"}


class RefusalCounter:
    """ASGI wrapper: counts responses with a status in :data:`REASONS`; passes everything else through."""

    def __init__(self, app: ASGIApp):
        self.app = app

    def __getattr__(self, name: str) -> Any:  # the wrapped app's attributes (settings, store, ...)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] in REASONS:
                metrics.HTTP_REJECTED.labels(REASONS[message["status"]]).inc()
            await send(message)

        await self.app(scope, receive, counting_send)
