"""Client systems: who may connect (credentials), as which StUF zender, for which operations.

Read from ``[[clients]]`` tables in the settings file (and in ``clients_file``); see
``docs/security.md`` for the format.  Everything is checked at start-up; secrets never appear in
``repr`` or :meth:`Client.redacted`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stuf_fin.errors import StufFinError
from stuf_fin.security.passwords import HashFormatError, check_hash_format
from stuf_fin.security.tlsnames import parse_name
from stuf_fin.stuf.operations import OPERATIONS
from stuf_fin.stuf.stuurgegevens import Systeem, SysteemSettingError, systeem_setting

METHODS = ("mtls", "basic", "wss-text", "wss-digest")
ALL = "*"
HIDDEN = "<hidden>"
_KEYS = {"name", "zenders", "operations", "tls_fingerprint", "tls_subject", "username", "password_hash",
         "secret_env", "secret_file", "methods", "tsa"}
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


class ClientConfigError(StufFinError, ValueError):
    """A ``[[clients]]`` table is unusable; the message names the client and the key."""


@dataclass(frozen=True)
class Zender:
    """A StUF zender a client may send as; ``administratie`` ``None`` = any administratie."""

    organisatie: str
    applicatie: str
    administratie: str | None = None

    def matches(self, systeem: Systeem) -> bool:
        return (systeem.organisatie == self.organisatie and systeem.applicatie == self.applicatie
                and (self.administratie is None or systeem.administratie == self.administratie))

    def __str__(self) -> str:
        parts = [self.organisatie, self.applicatie] + ([self.administratie] if self.administratie is not None else [])
        return "/".join(parts)


@dataclass(frozen=True)
class Client:
    """One client system.  ``tsas`` ``None`` = may see every vordering in a vrdLv01."""

    name: str
    zenders: tuple[Zender, ...]
    operations: frozenset[str]
    methods: frozenset[str]
    tls_fingerprints: frozenset[str] = frozenset()
    tls_subjects: tuple[frozenset[tuple[str, str]], ...] = ()
    username: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    secret_source: str | None = None
    tsas: frozenset[str] | None = None

    def may(self, operation: str) -> bool:
        return ALL in self.operations or operation in self.operations

    def redacted(self) -> dict[str, Any]:
        """The client as plain data with every secret hidden (safe to print or log)."""
        return {
            "name": self.name,
            "methods": sorted(self.methods),
            "zenders": [str(z) for z in self.zenders],
            "operations": sorted(self.operations),
            "tls_fingerprint": sorted(self.tls_fingerprints),
            "tls_subject": [",".join(f"{k}={v}" for k, v in sorted(s)) for s in self.tls_subjects],
            "username": self.username,
            "password_hash": HIDDEN if self.password_hash else None,
            "secret": f"{HIDDEN} ({self.secret_source})" if self.secret else None,
            "tsa": sorted(self.tsas) if self.tsas is not None else ALL,
        }


def load_clients(tables: Iterable[Any], environ: Mapping[str, str], base: Path | None = None) -> tuple[Client, ...]:
    """Parse and check ``[[clients]]`` tables; raise :class:`ClientConfigError` naming every problem."""
    clients, problems = [], []
    for n, table in enumerate(tables, 1):
        try:
            clients.append(_client(table, n, environ, base))
        except ClientConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ClientConfigError("; ".join(problems))
    return check_unique(clients)


def check_unique(clients: Iterable[Client]) -> tuple[Client, ...]:
    """``clients`` as a tuple; :class:`ClientConfigError` when a name or username is used twice."""
    clients, problems = tuple(clients), []
    keys: tuple[tuple[str, Callable[[Client], str | None]], ...] = (
        ("name", lambda c: c.name), ("username", lambda c: c.username))
    for what, key in keys:
        seen: set[str | None] = set()
        for client in clients:
            value = key(client)
            if value is not None and value in seen:
                problems.append(f"client {client.name!r}: {what} {value!r} is used by two clients")
            seen.add(value)
    if problems:
        raise ClientConfigError("; ".join(problems))
    return clients


Fail = Callable[[str], ValueError]


def named_table(table: Any, n: int, what: str, keys: set[str], error: type[ValueError]) -> tuple[str, Fail]:
    """The ``name`` of the ``n``-th configuration table of kind ``what`` (a client, a console account) and a
    function that makes an ``error`` naming it; refuses a non-table, unknown keys and a missing name."""
    if not isinstance(table, dict):
        raise error(f"{what} {n} is not a table")
    name = table.get("name")
    label = f"{what} {name!r}" if isinstance(name, str) and name else f"{what} {n}"

    def fail(message: str) -> ValueError:
        return error(f"{label}: {message}")

    unknown = sorted(set(table) - keys)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(keys))})")
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.isprintable():
        raise fail("'name' (1-100 printable characters) is required")
    return name, fail


def _client(table: Any, n: int, environ: Mapping[str, str], base: Path | None) -> Client:
    name, fail = named_table(table, n, "client", _KEYS, ClientConfigError)
    zenders = tuple(_zender(z, fail) for z in _list(table.get("zenders", []), "zenders", fail))
    if not zenders:
        raise fail("'zenders' must list at least one zender (\"organisatie/applicatie[/administratie]\")")
    operations = frozenset(strings(table.get("operations", []), "operations", fail))
    known_ops = {op.name for op in OPERATIONS} | {ALL}
    if operations - known_ops:
        raise fail(f"unknown operation(s) {', '.join(sorted(operations - known_ops))} "
                   f"(known: {', '.join(sorted(known_ops))})")
    fingerprints = frozenset(fingerprint(f, fail) for f in strings(table.get("tls_fingerprint", []),
                                                                      "tls_fingerprint", fail))
    subjects = []
    for subject in strings(table.get("tls_subject", []), "tls_subject", fail):
        try:
            subjects.append(parse_name(subject))
        except ValueError as exc:
            raise fail(f"tls_subject {subject!r}: {exc}") from None
    username = table.get("username")
    if username is not None and (not isinstance(username, str) or not username or ":" in username
                                 or not username.isprintable()):
        raise fail("'username' must be a non-empty printable string without ':'")
    password_hash = table.get("password_hash")
    if password_hash is not None:
        try:
            check_hash_format(str(password_hash))
        except HashFormatError as exc:
            raise fail(f"password_hash: {exc}") from None
    secret, source = _secret(table, environ, base, fail)
    if (password_hash or secret) and not username:
        raise fail("a password_hash or secret needs a 'username'")
    possible = set()
    if fingerprints or subjects:
        possible.add("mtls")
    if username and (password_hash or secret):
        possible |= {"basic", "wss-text"}
    if username and secret:
        possible.add("wss-digest")
    if not possible:
        raise fail("no credentials: give tls_fingerprint/tls_subject, or username with password_hash or secret")
    methods = set(strings(table.get("methods", sorted(possible)), "methods", fail))
    if methods - set(METHODS):
        raise fail(f"unknown method(s) {', '.join(sorted(methods - set(METHODS)))} (known: {', '.join(METHODS)})")
    if methods - possible:
        raise fail(f"method(s) {', '.join(sorted(methods - possible))} need credentials this client lacks "
                   "(wss-digest needs a cleartext secret via secret_env or secret_file)")
    tsa = table.get("tsa")
    if tsa is None:
        tsas: frozenset[str] | None = frozenset(z.applicatie for z in zenders)
    else:
        values = frozenset(strings(tsa, "tsa", fail))
        tsas = None if ALL in values else values
    return Client(name, zenders, operations, frozenset(methods), fingerprints, tuple(subjects), username,
                  password_hash, secret, source, tsas)


def _list(value: Any, key: str, fail: Fail) -> list[Any]:
    if isinstance(value, (str, dict)):
        return [value]
    if not isinstance(value, list):
        raise fail(f"'{key}' must be a list")
    return value


def strings(value: Any, key: str, fail: Fail) -> list[str]:
    """A string or a list of non-empty strings, as a list."""
    values = _list(value, key, fail)
    if not all(isinstance(v, str) and v for v in values):
        raise fail(f"'{key}' must be a string or a list of non-empty strings")
    return values


def _zender(value: Any, fail: Fail) -> Zender:
    try:
        systeem, with_administratie = systeem_setting(value, "zender")
    except SysteemSettingError as exc:
        raise fail(str(exc)) from None
    return Zender(systeem.organisatie, systeem.applicatie, systeem.administratie if with_administratie else None)


def fingerprint(value: str, fail: Fail) -> str:
    """A configured SHA-256 certificate fingerprint, normalised (lower-case hex, no separators)."""
    text = value.strip().lower()
    text = text.removeprefix("sha256:").removeprefix("sha256/").replace(":", "").replace(" ", "")
    if not _FINGERPRINT.match(text):
        raise fail(f"tls_fingerprint {value!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return text


def _secret(table: dict[str, Any], environ: Mapping[str, str], base: Path | None, fail: Fail
            ) -> tuple[str | None, str | None]:
    env, path = table.get("secret_env"), table.get("secret_file")
    if env is not None and path is not None:
        raise fail("give secret_env or secret_file, not both")
    if env is not None:
        if not isinstance(env, str) or not env:
            raise fail("secret_env must name an environment variable")
        value = environ.get(env, "")
        if not value:
            raise fail(f"secret_env: environment variable {env} is not set or empty")
        return value, f"environment variable {env}"
    if path is not None:
        file = Path(str(path))
        if base is not None and not file.is_absolute():
            file = base / file
        try:
            value = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"secret_file {file}: {exc}") from None
        if not value:
            raise fail(f"secret_file {file} is empty")
        return value, f"file {file}"
    return None, None
