"""``stuf-fin config check``: the effective configuration with secrets hidden, where each value came from,
and the checks ``stuf-fin serve`` would fail on (schemas, database URL, exposure; ``--connect``: database)."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from stuf_fin.config import ENV_PREFIX, Settings
from stuf_fin.security import client_config
from stuf_fin.security.logfilter import mask

#: ``STUF_FIN_*`` variables that are not settings but are used elsewhere (entrypoint, tests).
OTHER_ENV = {"CONFIG", "DB_WAIT", "KIT", "TEST_POSTGRES_URL", "BENCH_POSTGRES_URL"}


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    text: str


def settings_names() -> list[str]:
    return [f.name for f in fields(Settings) if not f.metadata.get("internal")]


def sources(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """Where each setting's value came from: ``env STUF_FIN_X``, ``file``, ``command line`` or ``default``
    (the order in which ``load_settings`` lets them win, last first)."""
    in_file: set[str] = set()
    if settings.config_file:
        try:
            with open(settings.config_file, "rb") as fh:
                data = tomllib.load(fh)
            in_file = set(data.get("gateway", data))
        except (OSError, tomllib.TOMLDecodeError):
            pass  # load_settings read it a moment ago; a race is not worth a message
    default = Settings()
    found = {}
    for name in settings_names():
        env = ENV_PREFIX + name.upper()
        if env in environ:
            found[name] = f"env {env}"
        elif name in in_file:
            found[name] = "file"
        elif getattr(settings, name) != getattr(default, name):
            found[name] = "command line"
        else:
            found[name] = "default"
    return found


def unknown_environment(environ: Mapping[str, str]) -> list[Finding]:
    """``STUF_FIN_*`` variables that set nothing (typos)."""
    known = {n.upper() for n in settings_names()} | OTHER_ENV
    findings = []
    for key in sorted(environ):
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):] not in known:
            close = difflib.get_close_matches(key[len(ENV_PREFIX):], sorted(known), n=1)
            hint = f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else ""
            findings.append(Finding("warning", f"environment variable {key} is not a setting and is ignored{hint}"))
    return findings


def check_schemas(settings: Settings) -> Finding:
    from stuf_fin.schema.loader import SchemaLoadError
    from stuf_fin.schema.validator import get_validator

    try:
        return Finding("ok", f"schemas: {get_validator(settings.schema_dir).source.describe()}")
    except SchemaLoadError as exc:
        return Finding("error", f"schemas: {exc}")


def check_database_url(settings: Settings) -> list[Finding]:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from stuf_fin.store.db import normalise_url

    try:
        url = normalise_url(settings.database_url)
        url.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return [Finding("error", f"database_url: not a usable SQLAlchemy URL ({exc})")]
    if url.get_backend_name() != "sqlite":
        return [Finding("ok", f"database_url: {url.get_backend_name()} at {url.host or 'localhost'}")]
    database = url.database or ""
    if database in ("", ":memory:"):
        return [Finding("warning", "database_url: an in-memory SQLite database loses everything at exit")]
    folder = Path(database).expanduser().resolve().parent
    found = [Finding("ok", f"database_url: SQLite file {Path(database).expanduser().resolve()}")]
    if settings.workers > 1:
        found.append(Finding("ok", "SQLite with several workers on one machine works (WAL); several replicas "
                                   "need PostgreSQL"))
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        found.append(Finding("error", f"database_url: folder {folder} cannot be created"))
    return found


def check_exposure(settings: Settings) -> Finding | None:
    if settings.clients or client_config.is_loopback(settings.host):
        return None
    if settings.allow_anonymous:
        return Finding("warning", f"anonymous access on {settings.host}: every sender may deliver and query "
                                  "(allow_anonymous)")
    return Finding("error", f"serve would refuse host {settings.host} without authentication: configure "
                            "[[clients]], listen on 127.0.0.1, or set allow_anonymous")


def check_connection(settings: Settings) -> list[Finding]:
    from stuf_fin.store.db import Store, normalise_url

    url = normalise_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).expanduser().exists():
        return [Finding("ok", f"database: SQLite file {url.database} does not exist yet (serve creates it)")]
    store = Store(url, timeout=settings.database_timeout)
    try:
        store.ping()
        current = store.is_current()
    except Exception as exc:  # any failure: report it in one line
        return [Finding("error", f"database {store.safe_url} unreachable: {' '.join(str(exc).split())[:300]}")]
    finally:
        store.dispose()
    if current:
        return [Finding("ok", f"database {store.safe_url}: reachable, migrations current")]
    return [Finding("warning", f"database {store.safe_url}: reachable, migrations behind (serve and "
                               "`stuf-fin db upgrade` migrate it)")]


def findings(settings: Settings, environ: Mapping[str, str], connect: bool = False) -> list[Finding]:
    found = [Finding("ok", "settings: every value is usable")]
    found.append(check_schemas(settings))
    found += check_database_url(settings)
    exposure = check_exposure(settings)
    if exposure is not None:
        found.append(exposure)
    if connect:
        found += check_connection(settings)
    return found + unknown_environment(environ)


def report(settings: Settings, environ: Mapping[str, str], found: list[Finding], as_json: bool = False) -> str:
    """The text (or JSON) ``config check`` prints; every line passes the log masking as a last safety net."""
    values = client_config.redacted(settings)
    values["routing"] = _routes(settings)
    origin = sources(settings, environ)
    if as_json:
        data = {"settings": values, "sources": origin, "findings": [vars(f) for f in found],
                "ok": not any(f.level == "error" for f in found)}
        return json.dumps(_masked(data), indent=2, ensure_ascii=False, default=str)
    lines = ["# stuf-fin effective configuration (secrets hidden)",
             f"# config file: {settings.config_file or 'none'}"]
    width = max(len(n) for n in origin)
    for name in origin:
        shown = json.dumps(values[name], ensure_ascii=False, default=str)
        lines.append(f"{name:<{width}} = {shown:<40} # {origin[name]}")
    for client in values.get("clients", []):
        lines.append(f"[[clients]] {json.dumps(client, ensure_ascii=False, default=str)}")
    for account in values.get("console_accounts", []):
        lines.append(f"[[console.accounts]] {json.dumps(account, ensure_ascii=False, default=str)}")
    for name, route in values["routing"].items():
        lines.append(f"[outbound.{name}] {json.dumps(route, ensure_ascii=False, default=str)}")
    lines.append("")
    lines += [f"{f.level:<7} {f.text}" for f in found]
    return "\n".join(mask(line) for line in lines)


def _masked(value: Any) -> Any:
    """``value`` with every string in it masked (masking the JSON text could break it: ``"password": null``)."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return mask(value) if isinstance(value, str) else value


def _routes(settings: Settings) -> dict[str, Any]:
    """The outbound routes (``[outbound]``), secrets hidden by each route's ``redacted()``."""
    routes = getattr(getattr(settings, "routing", None), "routes", None) or {}
    return {name: route.redacted() for name, route in routes.items()}
