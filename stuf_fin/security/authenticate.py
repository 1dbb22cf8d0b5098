"""Who is calling: a configured client found by certificate, HTTP Basic or WS-Security UsernameToken.

Every failure raises :class:`AuthenticationFailed` with a reason for the log; the caller answers
all of them the same way, so a sender cannot tell a wrong username from a wrong password.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from stuf_fin.errors import StufFinError
from stuf_fin.security.clients import Client
from stuf_fin.security.passwords import hash_secret, verify_secret
from stuf_fin.security.tlsnames import fingerprint_pem, parse_name
from stuf_fin.security.wsse import NonceCache, TokenError, UsernameToken, check_created, digest_matches

#: How long a verified (username, password) pair is remembered, so that not every request pays scrypt.
VERIFIED_TTL = 300.0
VERIFIED_MAX = 1024
#: At most this many password hashes are computed at the same time (each scrypt takes 16 MiB).
CONCURRENT_HASHES = 4


class AuthenticationFailed(StufFinError):
    """Credentials missing or wrong; ``str()`` is the reason for the log, never sent to the client."""


class Authenticator:
    """The configured clients, indexed by each kind of credential."""

    def __init__(self, clients: Iterable[Client], *, max_age: int = 300, clock_skew: int = 60,
                 nonce_cache_size: int = 100_000):
        self.clients = tuple(clients)
        self.by_username = {c.username: c for c in self.clients if c.username}
        self.by_fingerprint = {f: c for c in self.clients if "mtls" in c.methods for f in c.tls_fingerprints}
        self.by_subject = {s: c for c in self.clients if "mtls" in c.methods for s in c.tls_subjects}
        self.wss = any(m.startswith("wss-") for c in self.clients for m in c.methods)
        self.basic = any("basic" in c.methods for c in self.clients)
        self.max_age, self.skew = timedelta(seconds=max_age), timedelta(seconds=clock_skew)
        self.nonces = NonceCache(nonce_cache_size)
        self._key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, float] = OrderedDict()
        self._dummy = hash_secret(secrets.token_urlsafe(16))
        self._hashing: asyncio.Semaphore | None = None

    # -- mutual TLS ------------------------------------------------------------------------------
    def from_certificate(self, tls: dict[str, Any] | None) -> Client | None:
        """The client of a verified peer certificate (ASGI TLS extension), ``None`` if unmapped."""
        chain = (tls or {}).get("client_cert_chain") or []
        if not chain:
            return None
        client = self.by_fingerprint.get(fingerprint_pem(chain[0]))
        name = (tls or {}).get("client_cert_name")
        if client is None and name:
            try:
                client = self.by_subject.get(parse_name(name))
            except ValueError:
                client = None
        return client

    # -- HTTP Basic --------------------------------------------------------------------------------
    async def from_basic(self, authorization: bytes) -> Client:
        scheme, _, value = authorization.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "basic":
            raise AuthenticationFailed(f"unsupported Authorization scheme {scheme[:20]!r}")
        try:
            username, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError):
            raise AuthenticationFailed("malformed Basic credentials") from None
        if not sep:
            raise AuthenticationFailed("malformed Basic credentials")
        client = self.by_username.get(username)
        usable = client is not None and "basic" in client.methods
        ok = await self._password_ok(client if usable else None, username, password)
        if not ok or client is None:
            raise AuthenticationFailed(f"wrong username or password (Basic, user {username[:64]!r})")
        return client

    # -- WS-Security UsernameToken -----------------------------------------------------------------
    async def from_token(self, token: UsernameToken, now: datetime | None = None) -> Client:
        now = now or datetime.now(UTC)
        client = self.by_username.get(token.username)
        method = "wss-digest" if token.digest else "wss-text"
        usable = client is not None and method in client.methods
        try:
            created = check_created(token.created, now, self.max_age, self.skew) if token.created else None
            if token.digest:
                ok = client is not None and usable and digest_matches(token, client.secret or "")
            else:
                ok = await self._password_ok(client if usable else None, token.username, token.password)
            if not ok or client is None:
                raise TokenError(f"wrong username or password ({method}, user {token.username[:64]!r})")
            if token.nonce is not None:
                self.nonces.add(token.username, token.nonce, (created or now) + self.max_age + self.skew, now)
        except TokenError as exc:
            raise AuthenticationFailed(str(exc)) from None
        return client

    # -- secrets -----------------------------------------------------------------------------------
    async def _password_ok(self, client: Client | None, username: str, password: str) -> bool:
        """Check a password against the client's hash (or cleartext secret); an unknown user costs the same."""
        if client is not None and client.secret and not client.password_hash:
            return hmac.compare_digest(password.encode(), client.secret.encode())
        stored = client.password_hash if client is not None else self._dummy
        key = hmac.new(self._key, f"{username}\0{password}\0{stored}".encode(), hashlib.sha256).digest()
        if client is not None and self._recently_verified(key):
            return True
        if self._hashing is None:
            self._hashing = asyncio.Semaphore(CONCURRENT_HASHES)
        async with self._hashing:
            ok = await asyncio.to_thread(verify_secret, password, stored)  # type: ignore[arg-type]
        if ok and client is not None:
            self._verified[key] = time.monotonic() + VERIFIED_TTL
            while len(self._verified) > VERIFIED_MAX:
                self._verified.popitem(last=False)
            return True
        return False

    def _recently_verified(self, key: bytes) -> bool:
        expires = self._verified.get(key)
        if expires is None:
            return False
        if expires < time.monotonic():
            del self._verified[key]
            return False
        return True
