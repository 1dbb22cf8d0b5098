"""Accounts of the operations console: ``[[console.accounts]]`` in the settings file (docs/console.md).

A console account is a person (a functioneel beheerder), not a client system: it has a role, no zenders and no
StUF operations, and it cannot post messages.  It logs in with HTTP Basic (``username`` + ``password_hash``,
checked like a client's) or a client certificate (``tls_fingerprint``/``tls_subject``, from the same
``tls_client_ca`` as the clients).  Everything is checked when the settings are loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stuf_fin.errors import StufFinError
from stuf_fin.security.clients import HIDDEN, Client, fingerprint, named_table, strings
from stuf_fin.security.passwords import HashFormatError, check_hash_format
from stuf_fin.security.tlsnames import parse_name

READER, ADMINISTRATOR = "lezer", "beheerder"  # the role values of the settings file
ROLES = (READER, ADMINISTRATOR)
_KEYS = {"name", "role", "username", "password_hash", "tls_fingerprint", "tls_subject", "personal_data"}


class AccountConfigError(StufFinError, ValueError):
    """A ``[[console.accounts]]`` table is unusable; the message names the account and the key."""


@dataclass(frozen=True)
class Account:
    """One console account.  ``personal_data``: BSNs and IBANs are shown whole on detail pages."""

    name: str
    role: str
    username: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    tls_fingerprints: frozenset[str] = frozenset()
    tls_subjects: tuple[frozenset[tuple[str, str]], ...] = ()
    personal_data: bool = False

    @property
    def may_retry(self) -> bool:
        return self.role == ADMINISTRATOR

    def as_client(self) -> Client:
        """The account in the form :class:`stuf_fin.security.authenticate.Authenticator` checks credentials of
        (no zenders, no operations: it can do nothing on the SOAP ports)."""
        methods = ({"basic"} if self.password_hash else set()) | (
            {"mtls"} if self.tls_fingerprints or self.tls_subjects else set())
        return Client(self.name, (), frozenset(), frozenset(methods), self.tls_fingerprints, self.tls_subjects,
                      self.username, self.password_hash)

    def redacted(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "username": self.username,
                "password_hash": HIDDEN if self.password_hash else None,
                "tls_fingerprint": sorted(self.tls_fingerprints),
                "tls_subject": [",".join(f"{k}={v}" for k, v in sorted(s)) for s in self.tls_subjects],
                "personal_data": self.personal_data}


def load_accounts(console: Any) -> tuple[Account, ...]:
    """The accounts of a ``[console]`` table (``None``: no console); raise :class:`AccountConfigError`
    naming every problem."""
    if console is None:
        return ()
    if not isinstance(console, dict):
        raise AccountConfigError("'console' must be a table with [[console.accounts]]")
    unknown = sorted(set(console) - {"accounts"})
    if unknown:
        raise AccountConfigError(f"[console]: unknown key(s) {', '.join(unknown)} (only [[console.accounts]]; "
                                 "console_port and console_query_timeout are ordinary settings)")
    tables = console.get("accounts", [])
    if not isinstance(tables, list):
        raise AccountConfigError("'console.accounts' must be an array of tables ([[console.accounts]])")
    accounts, problems = [], []
    for n, table in enumerate(tables, 1):
        try:
            accounts.append(_account(table, n))
        except AccountConfigError as exc:
            problems.append(str(exc))
    problems += _duplicates(accounts)
    if problems:
        raise AccountConfigError("; ".join(problems))
    return tuple(accounts)


def _duplicates(accounts: Iterable[Account]) -> list[str]:
    problems, names, usernames = [], set(), set()
    for account in accounts:
        if account.name in names:
            problems.append(f"console account {account.name!r}: name used twice")
        if account.username is not None and account.username in usernames:
            problems.append(f"console account {account.name!r}: username {account.username!r} used twice")
        names.add(account.name)
        usernames.add(account.username)
    return problems


def _account(table: Any, n: int) -> Account:
    name, fail = named_table(table, n, "console account", _KEYS, AccountConfigError)
    role = table.get("role")
    if role not in ROLES:
        raise fail(f"'role' must be {' or '.join(repr(r) for r in ROLES)}, not {role!r}")
    username, password_hash = table.get("username"), table.get("password_hash")
    if username is not None and (not isinstance(username, str) or not username or ":" in username
                                 or not username.isprintable()):
        raise fail("'username' must be a non-empty printable string without ':'")
    if (username is None) != (password_hash is None):
        raise fail("'username' and 'password_hash' go together (make the hash with `stuf-fin security hash-secret`)")
    if password_hash is not None:
        try:
            check_hash_format(str(password_hash))
        except HashFormatError as exc:
            raise fail(f"password_hash: {exc}") from None
    fingerprints = frozenset(fingerprint(f, fail) for f in strings(table.get("tls_fingerprint", []),
                                                                    "tls_fingerprint", fail))
    try:
        subjects = tuple(parse_name(s) for s in strings(table.get("tls_subject", []), "tls_subject", fail))
    except AccountConfigError:
        raise
    except ValueError as exc:  # a subject parse_name refuses
        raise fail(str(exc)) from None
    if not (password_hash or fingerprints or subjects):
        raise fail("no credentials: give username + password_hash, or tls_fingerprint/tls_subject")
    personal_data = table.get("personal_data", role == ADMINISTRATOR)
    if not isinstance(personal_data, bool):
        raise fail("'personal_data' must be true or false")
    return Account(name, role, username, password_hash and str(password_hash), fingerprints, subjects, personal_data)
