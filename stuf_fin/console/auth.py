"""Who is looking: a console account found by client certificate or HTTP Basic, and CSRF tokens bound to it.

Credentials are checked by the gateway's own :class:`~stuf_fin.security.authenticate.Authenticator` (the same
password hashing, constant-time comparison, cache of recent checks and certificate mapping as for client
systems), over the console's own accounts only.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stuf_fin.asgi import header, peer
from stuf_fin.security.accounts import Account
from stuf_fin.security.authenticate import AuthenticationFailed, Authenticator

REALM = "stuf-fin console"
#: How long a form (its CSRF token) stays usable.
CSRF_LIFETIME = 12 * 3600


@dataclass(frozen=True)
class Viewer:
    """An authenticated console user on one request."""

    account: Account
    method: str  # "basic" or "mtls"
    peer: str

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def role(self) -> str:
        return self.account.role


class ConsoleAuthenticator:
    """The console accounts, indexed by credential."""

    def __init__(self, accounts: Iterable[Account]):
        self.accounts = {a.name: a for a in accounts}
        self.checker = Authenticator([a.as_client() for a in self.accounts.values()])
        self.basic = self.checker.basic

    async def viewer(self, scope: dict[str, Any]) -> Viewer:
        """The account of this request; :class:`AuthenticationFailed` (with the reason for the log) otherwise."""
        address = peer(scope)
        client = self.checker.from_certificate(scope.get("extensions", {}).get("tls"))
        if client is not None:
            return Viewer(self.accounts[client.name], "mtls", address)
        authorization = header(scope, b"authorization")
        if authorization is None:
            raise AuthenticationFailed("no credentials")
        client = await self.checker.from_basic(authorization)
        return Viewer(self.accounts[client.name], "basic", address)

    def challenge(self) -> list[tuple[bytes, bytes]]:
        return [(b"www-authenticate", f'Basic realm="{REALM}", charset="UTF-8"'.encode())] if self.basic else []


def csrf_token(secret: bytes, viewer: Viewer, now: float | None = None) -> str:
    """A token for the forms of one page: when it was issued, and a MAC over that, the account and how it
    logged in, keyed with the database's console secret (so every worker and replica accepts it)."""
    issued = int(now if now is not None else time.time())
    return f"{issued:x}.{_mac(secret, viewer, issued)}"


def csrf_ok(secret: bytes, viewer: Viewer, token: str, now: float | None = None) -> bool:
    """Whether ``token`` was issued to this viewer by :func:`csrf_token` no longer than :data:`CSRF_LIFETIME` ago."""
    issued_hex, _, mac = token.partition(".")
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return False
    age = (now if now is not None else time.time()) - issued
    return 0 <= age <= CSRF_LIFETIME and hmac.compare_digest(mac, _mac(secret, viewer, issued))


def _mac(secret: bytes, viewer: Viewer, issued: int) -> str:
    message = f"console-csrf|{viewer.name}|{viewer.role}|{viewer.method}|{issued}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
