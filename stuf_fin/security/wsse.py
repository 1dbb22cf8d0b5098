"""WS-Security UsernameToken (OASIS Username Token Profile 1.0/1.1): reading the token from the
SOAP header, freshness of ``wsu:Created``, the PasswordDigest and a nonce replay cache.

Only the header is parsed (with the hardened parser, up to the start of the SOAP Body).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lxml import etree

from stuf_fin.envelope import BODY, ENVELOPE, HEADER
from stuf_fin.errors import StufFinError
from stuf_fin.namespaces import SOAP_ENV, WSS_SOAP_MESSAGE_SECURITY, WSS_USERNAME_TOKEN, WSSE, WSU, q
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_head

WSSE_PASSWORD_TEXT = WSS_USERNAME_TOKEN + "#PasswordText"
WSSE_PASSWORD_DIGEST = WSS_USERNAME_TOKEN + "#PasswordDigest"
WSSE_BASE64 = WSS_SOAP_MESSAGE_SECURITY + "#Base64Binary"  # the EncodingType of a Nonce
MIN_NONCE_BYTES = 8
_TOKENS = q(WSSE, "Security") + "/" + q(WSSE, "UsernameToken")  # below the SOAP Header


class TokenError(StufFinError):
    """The UsernameToken is missing parts, malformed, stale or replayed (reason for the log only)."""


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str = field(repr=False)
    digest: bool
    nonce: bytes | None
    created: str | None  # exactly as sent: the digest covers this text

    def expected_digest(self, secret: str) -> str:
        """Base64(SHA-1(nonce + created + secret)), as the profile defines it."""
        data = (self.nonce or b"") + (self.created or "").encode() + secret.encode()
        return base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")


def read_token(body: bytes, limits: ParseLimits) -> UsernameToken | None:
    """The UsernameToken in the SOAP header of ``body``, ``None`` when there is none."""
    try:
        root = parse_head(body, BODY, limits)
    except XmlInputError as exc:
        raise TokenError(f"SOAP header not readable: {exc}") from None
    if root.tag != ENVELOPE:
        return None
    header = root.find(HEADER)
    tokens = header.findall(_TOKENS) if header is not None else []
    if not tokens:
        return None
    if len(tokens) > 1:
        raise TokenError("more than one UsernameToken")
    return _token(tokens[0])


def _token(el: etree._Element) -> UsernameToken:
    username = _text(el, q(WSSE, "Username"))
    password_el = el.find(q(WSSE, "Password"))
    if not username or password_el is None:
        raise TokenError("UsernameToken without Username or Password")
    kind = password_el.get("Type", WSSE_PASSWORD_TEXT)
    if kind not in (WSSE_PASSWORD_TEXT, WSSE_PASSWORD_DIGEST):
        raise TokenError(f"unsupported password type {kind[:100]!r}")
    nonce_text = _text(el, q(WSSE, "Nonce"))
    nonce = None
    if nonce_text:
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
        except (binascii.Error, ValueError):
            raise TokenError("Nonce is not base64") from None
        if len(nonce) < MIN_NONCE_BYTES:
            raise TokenError(f"Nonce shorter than {MIN_NONCE_BYTES} bytes")
    created = _text(el, q(WSU, "Created")) or _text(el, q(WSSE, "Created")) or None
    token = UsernameToken(username, password_el.text or "", kind == WSSE_PASSWORD_DIGEST, nonce, created)
    if token.digest and (nonce is None or created is None):
        raise TokenError("PasswordDigest without Nonce and Created")
    return token


def _text(el: etree._Element, path: str) -> str:
    found = el.find(path)
    return (found.text or "").strip() if found is not None else ""


def check_created(created: str, now: datetime, max_age: timedelta, skew: timedelta) -> datetime:
    """The moment in ``wsu:Created`` if it is fresh: not older than ``max_age``, not more than
    ``skew`` in the future."""
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        raise TokenError("Created is not an xs:dateTime") from None
    if moment.tzinfo is None:
        raise TokenError("Created has no time zone (use UTC, ending in Z)")
    if moment < now - max_age:
        raise TokenError(f"Created {created[:40]} is older than {int(max_age.total_seconds())} s")
    if moment > now + skew:
        raise TokenError(f"Created {created[:40]} lies in the future")
    return moment


def digest_matches(token: UsernameToken, secret: str) -> bool:
    return hmac.compare_digest(token.expected_digest(secret).encode(), token.password.strip().encode())


def usernametoken(username: str, password: str, *, digest: bool, now: datetime | None = None) -> bytes:
    """A ``wsse:Security`` header block with a UsernameToken (fresh nonce and Created), as the outbound client
    sends it; :func:`read_token`'s counterpart."""
    created = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    nonce = secrets.token_bytes(16)
    value = UsernameToken(username, password, True, nonce, created).expected_digest(password) if digest else password
    security = etree.Element(q(WSSE, "Security"), nsmap={"wsse": WSSE, "wsu": WSU, "SOAP-ENV": SOAP_ENV})
    security.set(q(SOAP_ENV, "mustUnderstand"), "1")
    token = etree.SubElement(security, q(WSSE, "UsernameToken"))
    etree.SubElement(token, q(WSSE, "Username")).text = username
    password_type = WSSE_PASSWORD_DIGEST if digest else WSSE_PASSWORD_TEXT
    etree.SubElement(token, q(WSSE, "Password"), Type=password_type).text = value
    etree.SubElement(token, q(WSSE, "Nonce"), EncodingType=WSSE_BASE64).text = base64.b64encode(nonce).decode()
    etree.SubElement(token, q(WSU, "Created")).text = created
    return etree.tostring(security)


class NonceCache:
    """Nonces seen within the freshness window, per process, bounded.

    When full of unexpired nonces it refuses new ones (fails closed) rather than forgetting one
    that could then be replayed.  Only nonces of verified tokens are added, so an unauthenticated
    sender cannot fill it.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, bytes], datetime] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, username: str, nonce: bytes, expires: datetime, now: datetime) -> None:
        """Remember a nonce until ``expires``; :class:`TokenError` if seen before or full."""
        key = (username, nonce)
        with self._lock:
            self._forget_expired(now)
            if key in self._seen:
                raise TokenError("nonce replayed")
            if len(self._seen) >= self.capacity:
                raise TokenError("nonce cache full")
            self._seen[key] = expires

    def _forget_expired(self, now: datetime) -> None:
        # entries are added roughly in expiry order; a stale one behind a fresh one waits its turn
        while self._seen:
            key, expires = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)


_PASSWORD = re.compile(rb"(<(?:[A-Za-z_][\w.-]*:)?Password\b[^>]*(?<!/)>)(.*?)(</(?:[A-Za-z_][\w.-]*:)?Password\s*>)",
                       re.DOTALL)


def redact_password(body: bytes) -> bytes:
    """``body`` with the content of the (first) WS-Security Password element before the SOAP Body
    replaced, so that the archived request holds no password."""
    match = _PASSWORD.search(body)
    if match is None or _starts_body(body, match.start()):
        return body
    return body[:match.start(2)] + b"***" + body[match.end(2):]


def _starts_body(body: bytes, position: int) -> bool:
    """Whether a SOAP Body start tag comes before ``position`` (a rough, safe-side test)."""
    return re.search(rb"<(?:[A-Za-z_][\w.-]*:)?Body\b", body[:position]) is not None
