"""Building SOAP envelopes with a WS-Security UsernameToken, as a client would send them."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from stuf_fin.envelope import envelope_bytes
from stuf_fin.namespaces import WSSE, WSU
from stuf_fin.security.wsse import WSSE_PASSWORD_DIGEST, WSSE_PASSWORD_TEXT


def created_now() -> datetime:
    return datetime.now(UTC)


def token_xml(username: str, password: str, *, digest: bool = False, created: datetime | str | None = None,
              nonce: bytes | None = None, password_type: str | None = None) -> bytes:
    created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(created, datetime) else created
    if digest:
        value = base64.b64encode(hashlib.sha1((nonce or b"") + (created_text or "").encode()
                                              + password.encode()).digest()).decode()
    else:
        value = password
    kind = password_type or (WSSE_PASSWORD_DIGEST if digest else WSSE_PASSWORD_TEXT)
    parts = [f"<wsse:Username>{escape(username)}</wsse:Username>",
             f'<wsse:Password Type="{kind}">{escape(value)}</wsse:Password>']
    if nonce is not None:
        parts.append(f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>")
    if created_text is not None:
        parts.append(f"<wsu:Created>{created_text}</wsu:Created>")
    return f'<wsse:UsernameToken wsu:Id="UT-1">{"".join(parts)}</wsse:UsernameToken>'.encode()


def envelope_with_token(username: str | None, password: str | None, *, message: bytes = b"<x:bericht xmlns:x='urn:x'/>",
                        twice: bool = False, **token) -> bytes:
    """A SOAP 1.1 envelope around ``message`` (bare, without XML declaration) with a UsernameToken
    (none when ``username`` is None)."""
    security = None
    if username is not None:
        one = token_xml(username, password or "", **token)
        security = (b'<wsse:Security SOAP-ENV:mustUnderstand="1" xmlns:wsse="' + WSSE.encode()
                    + b'" xmlns:wsu="' + WSU.encode() + b'">' + one + (one if twice else b"") + b"</wsse:Security>")
    return envelope_bytes(message, security)


def fresh_digest_envelope(username: str, secret: str, message: bytes) -> bytes:
    return envelope_with_token(username, secret, message=message, digest=True, created=created_now(),
                               nonce=os.urandom(16))
