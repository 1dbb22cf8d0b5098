"""Where outbound messages go: the ``[outbound]`` table of the settings file (or of ``outbound_file``).

One route per destination: ``tsa:<code>`` (the vakapplicatie a vordering's ``tsa`` names),
``financiele_administratie`` and ``inningssysteem``.  Each has an endpoint URL, the StUF ``ontvanger`` to
address, optional credentials (HTTP Basic, WS-Security UsernameToken, a TLS client certificate) and an
ordering scope.  Everything is checked when the settings are loaded; secrets never appear in ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stuf_fin.config import Settings, read_toml
from stuf_fin.errors import StufFinError
from stuf_fin.stuf.stuurgegevens import Systeem, SysteemSettingError, gateway_systeem, systeem_setting

TSA = "tsa:"
FINANCIELE_ADMINISTRATIE = "financiele_administratie"
INNINGSSYSTEEM = "inningssysteem"
AUTH = ("none", "basic", "wss-text", "wss-digest")
#: ``vordering``: messages about one vordering go out one at a time, in order; ``route``: every message of the
#: route does (strict FIFO, for receivers that enforce an increasing tijdstipBericht, StUF019).
ORDERING = ("vordering", "route")
_ROUTE_KEYS = {"url", "url_env", "ontvanger", "zender", "auth", "username", "password_env", "password_file",
               "tls_cert", "tls_key", "ca", "ordering"}
_KEYS = {"zender", "tsa", FINANCIELE_ADMINISTRATIE, INNINGSSYSTEEM}
HIDDEN = "<hidden>"


class RoutingError(StufFinError, ValueError):
    """The routing configuration is unusable; the message names the route and the key."""


@dataclass(frozen=True)
class Route:
    """One destination of outbound messages."""

    name: str
    url: str
    ontvanger: Systeem
    zender: Systeem
    auth: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_cert: str | None = None
    tls_key: str | None = None
    ca: str | None = None
    ordering: str = "vordering"

    def redacted(self) -> dict[str, Any]:
        return {"url": self.url, "ontvanger": str(self.ontvanger), "zender": str(self.zender), "auth": self.auth,
                "username": self.username, "password": HIDDEN if self.password else None,
                "tls_cert": self.tls_cert, "ca": self.ca, "ordering": self.ordering}


@dataclass(frozen=True)
class Routing:
    """Every configured route by name; empty when nothing is configured (then nothing is queued)."""

    routes: Mapping[str, Route] = field(default_factory=dict)
    source: str | None = None

    def get(self, name: str) -> Route | None:
        return self.routes.get(name)

    def tsa(self, code: str) -> Route | None:
        return self.routes.get(TSA + code)

    def __bool__(self) -> bool:
        return bool(self.routes)

    def __str__(self) -> str:  # what `stuf-fin config check --json` shows (no secrets)
        return "; ".join(f"{name} -> {route.url}" for name, route in self.routes.items()) or "no routes"


def parse_systeem(value: Any, what: str) -> Systeem:
    """A configured Systeem (:func:`~stuf_fin.stuf.stuurgegevens.systeem_setting`), its fault a RoutingError."""
    try:
        return systeem_setting(value, what)[0]
    except SysteemSettingError as exc:
        raise RoutingError(str(exc)) from None


def load_routing(settings: Settings, table: Any, environ: Mapping[str, str]) -> Routing:
    """The routing from ``table`` (the settings file's ``[outbound]``) or from ``settings.outbound_file``."""
    source, base = settings.config_file, Path(settings.config_file).parent if settings.config_file else None
    if settings.outbound_file:
        if table is not None:
            raise RoutingError(f"outbound_file {settings.outbound_file} is set and the settings file has an "
                               "[outbound] table too: keep one")
        path = Path(settings.outbound_file)
        data = read_toml(path, RoutingError, "outbound_file")
        if set(data) - {"outbound"}:
            raise RoutingError(f"outbound_file {path}: only an [outbound] table is allowed")
        table, source, base = data.get("outbound", {}), str(path), path.parent
    if table is None:
        return Routing()
    if not isinstance(table, dict):
        raise RoutingError("'outbound' must be a table ([outbound])")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise RoutingError(f"[outbound]: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    zender = None
    if "zender" in table:
        zender = parse_systeem(table["zender"], "[outbound] zender")
    elif (own := gateway_systeem(settings)) is not None:
        zender = parse_systeem({"organisatie": own.organisatie, "applicatie": own.applicatie},
                               "the gateway's organisatie/applicatie")
    tables: dict[str, Any] = {}
    tsa = table.get("tsa", {})
    if not isinstance(tsa, dict):
        raise RoutingError("[outbound.tsa] must be a table of routes, one per tsa code")
    for code, route in tsa.items():
        if not 1 <= len(code) <= 200:
            raise RoutingError(f"[outbound.tsa]: tsa code {code!r} must be 1-200 characters")
        tables[TSA + code] = route
    for name in (FINANCIELE_ADMINISTRATIE, INNINGSSYSTEEM):
        if name in table:
            tables[name] = table[name]
    problems, routes = [], {}
    for name, route in tables.items():
        try:
            routes[name] = _route(name, route, zender, environ, base)
        except RoutingError as exc:
            problems.append(str(exc))
    if problems:
        raise RoutingError("; ".join(problems))
    return Routing(routes, source)


def _route(name: str, table: Any, zender: Systeem | None, environ: Mapping[str, str], base: Path | None) -> Route:
    label = f"route {name!r}"
    if not isinstance(table, dict):
        raise RoutingError(f"{label} must be a table")
    unknown = sorted(set(table) - _ROUTE_KEYS)
    if unknown:
        raise RoutingError(f"{label}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_ROUTE_KEYS))})")
    for key, value in table.items():
        if key not in ("ontvanger", "zender") and not isinstance(value, str):
            raise RoutingError(f"{label}: {key} must be a string")
    url = table.get("url", "")
    if table.get("url_env"):
        url = environ.get(table["url_env"]) or url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RoutingError(f"{label}: url {url!r} is not an http(s) URL" + (
            f" (url_env {table['url_env']} is not set)" if table.get("url_env") and not url else ""))
    if "ontvanger" not in table:
        raise RoutingError(f"{label}: 'ontvanger' (the StUF ontvanger to address, \"organisatie/applicatie\") "
                           "is required")
    ontvanger = parse_systeem(table["ontvanger"], f"{label}: ontvanger")
    own = parse_systeem(table["zender"], f"{label}: zender") if "zender" in table else zender
    if own is None:
        raise RoutingError(f"{label}: no zender for outgoing messages: set organisatie/applicatie, or "
                           "[outbound] zender")
    auth = table.get("auth", "none")
    if auth not in AUTH:
        raise RoutingError(f"{label}: auth {auth!r} is not one of {', '.join(AUTH)}")
    username = table.get("username")
    password = _password(label, table, environ, base)
    if auth == "none" and (username or password):
        raise RoutingError(f"{label}: username/password given but auth is 'none' (basic, wss-text or wss-digest)")
    if auth != "none" and not (username and password):
        raise RoutingError(f"{label}: auth {auth} needs username and password_env or password_file")
    files = {key: _file(label, key, table.get(key), base) for key in ("tls_cert", "tls_key", "ca")}
    if files["tls_key"] and not files["tls_cert"]:
        raise RoutingError(f"{label}: tls_key needs tls_cert")
    if (files["tls_cert"] or files["ca"]) and parts.scheme != "https":
        raise RoutingError(f"{label}: tls_cert and ca need an https url")
    ordering = table.get("ordering", "vordering")
    if ordering not in ORDERING:
        raise RoutingError(f"{label}: ordering {ordering!r} is not one of {', '.join(ORDERING)}")
    return Route(name, url, ontvanger, own, auth, username, password, files["tls_cert"], files["tls_key"],
                 files["ca"], ordering)


def _password(label: str, table: dict[str, Any], environ: Mapping[str, str], base: Path | None) -> str | None:
    env, path = table.get("password_env"), table.get("password_file")
    if env and path:
        raise RoutingError(f"{label}: give password_env or password_file, not both")
    if env:
        value = environ.get(env, "")
        if not value:
            raise RoutingError(f"{label}: password_env: environment variable {env} is not set or empty")
        return value
    if path:
        file = _file(label, "password_file", path, base)
        assert file is not None  # path is set
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise RoutingError(f"{label}: password_file {file}: {exc}") from None
        if not value:
            raise RoutingError(f"{label}: password_file {file} is empty")
        return value
    return None


def _file(label: str, key: str, value: str | None, base: Path | None) -> str | None:
    if not value:
        return None
    path = Path(value)
    if base is not None and not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise RoutingError(f"{label}: {key} {path} is not a file")
    return str(path)
