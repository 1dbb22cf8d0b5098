"""ASGI middleware in front of the gateway: authenticate, then hand on the request with
``scope["stuf_fin.identity"]`` set to the client's name.

Order: a mapped client certificate (mutual TLS), else an ``Authorization: Basic`` header, else a
WS-Security UsernameToken in the SOAP header (the only case where the body is read here; only the
header is parsed).  The first kind of credential present decides.  A request without valid
credentials gets HTTP 401 with a SOAP Fault (``wsse:FailedAuthentication``) before anything of the
StUF message is parsed.  Public: ``GET``/``HEAD`` of ``/health``, ``/ready``, ``?wsdl`` and ``/xsd/*``.
"""

from __future__ import annotations

import logging
from typing import Any

from stuf_fin.asgi import BODY, ASGIApp, BodyTooLarge, Receive, Scope, Send, header, peer, read_body, respond
from stuf_fin.config import Settings
from stuf_fin.envelope import envelope_bytes
from stuf_fin.namespaces import WSSE
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.security.authenticate import AuthenticationFailed, Authenticator
from stuf_fin.security.clients import Client
from stuf_fin.security.wsse import TokenError, read_token, redact_password

log = logging.getLogger("stuf_fin.security")

IDENTITY = "stuf_fin.identity"
METHOD = "stuf_fin.auth_method"
PUBLIC_PATHS = ("/health", "/ready")
REALM = "stuf-fin"

FAULT = envelope_bytes(b'<SOAP-ENV:Fault><faultcode xmlns:wsse="' + WSSE.encode()
                       + b'">wsse:FailedAuthentication</faultcode><faultstring>Authenticatie mislukt: geen of '
                       b"ongeldige inloggegevens</faultstring></SOAP-ENV:Fault>")


class AuthMiddleware:
    """Rejects unauthenticated requests; see the module docstring."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, *, max_body_bytes: int, read_timeout: float):
        self.app = app
        self.authenticator = authenticator
        self.limits = ParseLimits(max_bytes=max_body_bytes)
        self.read_timeout = read_timeout

    def __getattr__(self, name: str) -> Any:  # the wrapped gateway's attributes (settings, store, ...)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope.pop(IDENTITY, None)
        if _public(scope):
            await self.app(scope, receive, send)
            return
        try:
            client, method = await self._authenticate(scope, receive)
        except AuthenticationFailed as exc:
            log.warning("authentication failed: %s", exc, extra={"peer": peer(scope), "path": scope["path"]})
            await self._unauthorized(send)
            return
        except BodyTooLarge:
            await respond(send, 413, b"request body too large\n", b"text/plain")
            return
        except TimeoutError:
            await respond(send, 408, b"request body not received in time\n", b"text/plain")
            return
        scope[IDENTITY], scope[METHOD] = client.name, method
        log.debug("authenticated %s by %s", client.name, method, extra={"peer": peer(scope)})
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, receive: Receive) -> tuple[Client, str]:
        client = self.authenticator.from_certificate(scope.get("extensions", {}).get("tls"))
        if client is not None:
            return client, "mtls"
        authorization = header(scope, b"authorization")
        if authorization is not None:
            return await self.authenticator.from_basic(authorization), "basic"
        if self.authenticator.wss and scope["method"] == "POST":
            body = await read_body(scope, receive, self.limits.max_bytes, self.read_timeout)
            try:
                token = read_token(body, self.limits)
            except TokenError as exc:
                raise AuthenticationFailed(str(exc)) from None
            if token is not None:
                client = await self.authenticator.from_token(token)
                method = "wss-digest" if token.digest else "wss-text"
                scope[BODY] = redact_password(body)  # what the gateway reads (stuf_fin.asgi.read_body)
                return client, method
        raise AuthenticationFailed("no credentials")

    async def _unauthorized(self, send: Send) -> None:
        extra = [(b"www-authenticate", f'Basic realm="{REALM}", charset="UTF-8"'.encode())] \
            if self.authenticator.basic else []
        await respond(send, 401, FAULT, b"text/xml; charset=utf-8", extra)


def _public(scope: Scope) -> bool:
    if scope["method"] not in ("GET", "HEAD"):
        return False
    path = scope["path"].rstrip("/") or "/"
    query = scope.get("query_string", b"").split(b"=")[0].lower()
    return path in PUBLIC_PATHS or path.startswith("/xsd/") or query == b"wsdl"


def protect(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` behind authentication when clients are configured (else unchanged); also hands the
    transport limits to the uvicorn protocol of this process."""
    from stuf_fin.security import transport

    transport.use_settings(settings)
    if not settings.clients:
        return app
    authenticator = Authenticator(settings.clients, max_age=settings.wss_max_age, clock_skew=settings.wss_clock_skew,
                                  nonce_cache_size=settings.nonce_cache_size)
    return AuthMiddleware(app, authenticator, max_body_bytes=settings.max_body_bytes,
                          read_timeout=settings.read_timeout)
