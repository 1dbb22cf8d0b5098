"""``stuf-fin serve`` and ``stuf-fin db upgrade``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from stuf_fin.config import ENV_PREFIX, Settings

log = logging.getLogger("stuf_fin.serve")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run the gateway (SOAP ports, WSDL, /health, /ready, /metrics)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 8000)")
    serve.add_argument("--database-url", help="SQLAlchemy URL (default sqlite:///./stuf-fin.db)")
    serve.add_argument("--schema-dir", help="official VNG release folder instead of the built-in schemas")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.set_defaults(handler=run_serve, overrides=("host", "port", "database_url", "schema_dir", "workers"))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="create or migrate the database schema to the current version")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL (default: settings)")
    upgrade.set_defaults(handler=run_db_upgrade, overrides=("database_url",))


def _export(settings: Settings) -> None:
    """Hand the effective settings to uvicorn's worker processes through the environment."""
    for name, value in vars(settings).items():
        if value is not None and name != "config_file":
            os.environ[ENV_PREFIX + name.upper()] = str(value)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.schema.loader import SchemaLoadError
    from stuf_fin.schema.validator import get_validator
    from stuf_fin.store.db import Store

    configure_logging(settings)
    try:
        source = get_validator(settings.schema_dir).source
    except SchemaLoadError as exc:
        print(f"stuf-fin serve: {exc}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    store.upgrade()
    store.dispose()
    log.info("schemas: %s; database migrated; listening on %s:%s", source.describe(), settings.host, settings.port)
    _export(settings)
    uvicorn.run("stuf_fin.app:create_app", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_config=None, access_log=False, timeout_keep_alive=30)
    return 0


def run_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.store.db import Store

    store = Store(settings.database_url)
    store.upgrade()
    store.dispose()
    print(f"database at {store.safe_url} is at the current version")
    return 0
