"""The operations console (docs/console.md): the message log, vorderingen, the outbox, the answers' statistics and
the settings in a browser, under ``/console`` of the gateway (or on ``console_port``).  Off unless
``[[console.accounts]]`` are configured.

It sits above the store, the outbox, the schemas, security and ops; it does not import the pipeline or the app.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from stuf_fin.config import Settings
from stuf_fin.console.app import ConsoleApp, Mount
from stuf_fin.console.auth import ConsoleAuthenticator
from stuf_fin.console.views import Facts, Pages

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

__all__ = ["ConsoleApp", "Mount", "build_console"]


def build_console(settings: Settings, store: Store, schemas: str) -> ConsoleApp:
    """The console over ``store``; ``schemas``: the description of the schema set in use."""
    routes = {name: route.redacted() for name, route in (getattr(settings.routing, "routes", None) or {}).items()}
    facts = Facts(schemas=schemas, database=describe_database(store), started=time.time(), routes=routes)
    return ConsoleApp(Pages(settings, store, facts), ConsoleAuthenticator(settings.console_accounts))


def describe_database(store: Store) -> str:
    """The database kind, version and where it is (without a password)."""
    import sqlite3

    url = store.url
    if store.is_sqlite:
        return f"SQLite {sqlite3.sqlite_version} ({url.database or 'in memory'})"
    try:
        with store.read(5) as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one().split(" ")[0]
    except Exception:  # the overview still shows what it knows
        version = "(version unknown: not reachable at start)"
    return f"PostgreSQL {version} at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
