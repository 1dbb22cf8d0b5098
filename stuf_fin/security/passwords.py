"""Hashed client secrets (scrypt or PBKDF2-SHA256), verified in constant time.

Formats (everything that varies is in the string, so parameters can be raised later):

- ``scrypt$<n>$<r>$<p>$<salt base64>$<key base64>``
- ``pbkdf2_sha256$<iterations>$<salt base64>$<key base64>``
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from stuf_fin.errors import StufFinError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PBKDF2_ITERATIONS = 600_000
_KEY_BYTES = 32
_MAX_SCRYPT_N = 2**20
_MAX_PBKDF2_ITERATIONS = 10_000_000


class HashFormatError(StufFinError, ValueError):
    """A configured password hash is not in a known format."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise HashFormatError("salt or key is not base64") from exc


def _key(text: str) -> bytes:
    key = _unb64(text)
    if not 16 <= len(key) <= 64:
        raise HashFormatError("the derived key must be 16-64 bytes")
    return key


def hash_secret(secret: str, method: str = "scrypt", *, n: int = SCRYPT_N, iterations: int = PBKDF2_ITERATIONS,
                salt: bytes | None = None) -> str:
    """A storable hash of ``secret``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    if method == "scrypt":
        key = _scrypt(secret.encode(), salt, n, SCRYPT_R, SCRYPT_P, _KEY_BYTES)
        return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"
    if method == "pbkdf2_sha256":
        key = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations, _KEY_BYTES)
        return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(key)}"
    raise ValueError(f"unknown hash method {method!r} (scrypt or pbkdf2_sha256)")


def _scrypt(secret: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=256 * r * n * p + 2**20)


def check_hash_format(stored: str) -> None:
    """Raise :class:`HashFormatError` unless ``stored`` is a hash this module can verify."""
    _parse(stored)


def _parse(stored: str) -> tuple[str, tuple[int, ...], bytes, bytes]:
    parts = stored.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            if n < 2 or n & (n - 1) or n > _MAX_SCRYPT_N or not 1 <= r <= 32 or not 1 <= p <= 16:
                raise HashFormatError("scrypt parameters out of range (n a power of 2 up to 2^20, r 1-32, p 1-16)")
            return "scrypt", (n, r, p), _unb64(parts[4]), _key(parts[5])
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if not 1000 <= iterations <= _MAX_PBKDF2_ITERATIONS:
                raise HashFormatError("pbkdf2_sha256 iterations out of range (1,000-10,000,000)")
            return "pbkdf2_sha256", (iterations,), _unb64(parts[2]), _key(parts[3])
    except ValueError as exc:
        if isinstance(exc, HashFormatError):
            raise
        raise HashFormatError("hash parameters are not numbers") from exc
    raise HashFormatError("expected 'scrypt$n$r$p$salt$key' or 'pbkdf2_sha256$iterations$salt$key' "
                          "(make one with `stuf-fin security hash-secret`)")


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches ``stored`` (constant-time comparison of the derived keys)."""
    method, params, salt, expected = _parse(stored)
    if method == "scrypt":
        n, r, p = params
        key = _scrypt(secret.encode(), salt, n, r, p, len(expected))
    else:
        key = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, params[0], len(expected))
    return hmac.compare_digest(key, expected)


def new_secret() -> str:
    """A random client secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)
