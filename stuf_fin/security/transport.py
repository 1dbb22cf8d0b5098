"""uvicorn, hardened: TLS options, the client certificate in the ASGI scope, a deadline for the
request head.

uvicorn (0.3x-0.5x) neither puts the peer certificate in the scope nor limits how long a client
may take to send the request line and headers (its keep-alive timer stops at the first byte, and a
fresh connection has none).  :class:`GatewayH11Protocol` is uvicorn's h11 protocol plus both:

- the ASGI TLS extension, ``scope["extensions"]["tls"]`` with ``client_cert_chain`` (PEM) and
  ``client_cert_name`` (RFC 4514), read from the transport's ``ssl_object`` after the handshake;
- the connection is closed when a request head is not complete ``header_timeout`` seconds after
  the connection was made or after the first byte of the head arrived.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from stuf_fin.config import Settings
from stuf_fin.security.tlsnames import format_name

log = logging.getLogger("stuf_fin.transport")

PROTOCOL = "stuf_fin.security.transport:GatewayH11Protocol"
_limits = {"header_timeout": 10.0}
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def use_settings(settings: Settings) -> None:
    """Take the transport limits from the settings (called by the app factory in every worker)."""
    _limits["header_timeout"] = float(settings.header_timeout)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``: our protocol and, when configured, TLS."""
    options: dict[str, Any] = {"http": PROTOCOL}
    if settings.tls_cert:
        if settings.tls_client_ca:
            reqs = ssl.CERT_REQUIRED if settings.tls_client_cert_required else ssl.CERT_OPTIONAL
        else:
            reqs = ssl.CERT_NONE
        options.update(ssl_certfile=settings.tls_cert, ssl_keyfile=settings.tls_key or None,
                       ssl_ca_certs=settings.tls_client_ca or None, ssl_cert_reqs=reqs,
                       ssl_context_factory=tls_context)
    return options


def tls_context(config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's context with TLS 1.2 as the minimum."""
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection, ``None`` on plain TCP."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    details = ssl_object.getpeercert() if der else None
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": format_name(details.get("subject", ())) if details else None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


class GatewayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the TLS extension and a request-head deadline."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._inner_app = self.app
        self.app = self._app_with_tls
        self._tls: dict[str, Any] | None = None
        self._head_timer: asyncio.TimerHandle | None = None

    async def _app_with_tls(self, scope: Any, receive: Any, send: Any) -> None:
        if self._tls is not None and scope.get("type") == "http":
            scope.setdefault("extensions", {})["tls"] = self._tls
        await self._inner_app(scope, receive, send)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._tls = tls_extension(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of a next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(_limits["header_timeout"], self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            peer = f"{self.client[0]}:{self.client[1]}" if self.client else ""
            log.info("closing a connection that sent no complete request head in %.0f s",
                     _limits["header_timeout"], extra={"peer": peer})
            self.transport.close()
