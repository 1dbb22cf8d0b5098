"""``stuf-fin serve`` and ``stuf-fin db upgrade``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from dataclasses import fields
from typing import Any

from stuf_fin.config import ENV_PREFIX, Settings

log = logging.getLogger("stuf_fin.serve")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the gateway (SOAP ports, WSDL, /health, /ready, /metrics)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 8000)")
    serve.add_argument("--database-url", help="SQLAlchemy URL (default sqlite:///./stuf-fin.db)")
    serve.add_argument("--schema-dir", help="official VNG release folder instead of the built-in schemas")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, chain included)")
    serve.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    serve.add_argument("--tls-client-ca", help="CA certificates (PEM) that client certificates must chain to")
    serve.add_argument("--allow-anonymous", action="store_true", default=None,
                       help="allow a non-loopback --host without authentication (logged as a warning)")
    serve.add_argument("--console-port", type=int, help="serve the operations console on this port instead of "
                       "under /console of --port (needs [[console.accounts]]; docs/console.md)")
    serve.set_defaults(handler=run_serve, overrides=("host", "port", "database_url", "schema_dir", "workers",
                                                     "tls_cert", "tls_key", "tls_client_ca", "allow_anonymous",
                                                     "console_port"))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="create or migrate the database schema to the current version")
    upgrade.add_argument("--database-url", help="SQLAlchemy URL (default: settings)")
    upgrade.set_defaults(handler=run_db_upgrade, overrides=("database_url",))


def _export(settings: Settings) -> None:
    """Hand the effective settings to uvicorn's worker processes through the environment."""
    internal = {f.name for f in fields(settings) if f.metadata.get("internal")}
    for name, value in vars(settings).items():
        if value is not None and name not in internal:
            os.environ[ENV_PREFIX + name.upper()] = str(value)
    if settings.config_file:  # the [[clients]] tables are read from it again in each worker
        os.environ[ENV_PREFIX + "CONFIG"] = settings.config_file


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from stuf_fin.ops import metrics
    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.schema.loader import SchemaLoadError
    from stuf_fin.schema.validator import get_validator
    from stuf_fin.security import client_config, transport
    from stuf_fin.store.db import Store

    configure_logging(settings)
    try:
        client_config.check_exposure(settings)
    except client_config.ExposureError as exc:
        print(f"stuf-fin serve: {exc}", file=sys.stderr)
        return 2
    try:
        source = get_validator(settings.schema_dir).source
    except SchemaLoadError as exc:
        print(f"stuf-fin serve: {exc}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    store.upgrade()
    store.dispose()
    log.info("schemas: %s; database migrated; listening on %s:%s", source.describe(), settings.host, settings.port)
    if settings.console_accounts:
        log.info("operations console: %s", f"port {settings.console_port}" if settings.console_port
                 else f"/console on port {settings.port}")
    _export(settings)
    metrics_folder = metrics.prepare_multiprocess(settings.workers, settings.metrics_dir)
    _stop_on_sigterm()
    options = {"factory": True, "host": settings.host, "port": settings.port, "workers": settings.workers,
               "log_config": None, "access_log": False, "timeout_keep_alive": 30, **transport.uvicorn_options(settings)}
    try:
        if settings.console_port:
            return _serve_two_ports(options, settings.console_port)
        uvicorn.run("stuf_fin.app:create_app", **options)
    finally:
        metrics.cleanup_multiprocess(metrics_folder)
    log.info("stopped")
    return 0


def _stop_on_sigterm() -> None:
    """SIGTERM (``docker stop``, systemd, Kubernetes) stops like Ctrl-C: uvicorn finishes the requests in flight
    and runs the app's shutdown (outbox worker, archive writer), then re-raises the signal it caught; with this
    handler that ends ``uvicorn.run`` instead of killing the process, so cleanup runs and the exit code is 0."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _serve_two_ports(options: dict[str, Any], console_port: int) -> int:
    """uvicorn with the gateway's socket and the console's (``console_port``) in the same process(es): what
    ``uvicorn.run`` does for one socket, for two (uvicorn's ``Server`` and ``Multiprocess`` take a socket list)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("stuf_fin.app:create_app", **options)
    sockets = [config.bind_socket(), uvicorn.Config("stuf_fin.app:create_app", **{
        **options, "port": console_port}).bind_socket()]
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=sockets).run()
        return 0
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # SIGTERM (_stop_on_sigterm) after a clean shutdown, as uvicorn.run does
        pass
    return 0 if server.started else 1


def run_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import OperationalError

    from stuf_fin.store.db import Store

    store = Store(settings.database_url)
    try:
        store.upgrade()
    except OperationalError as exc:  # unreachable: one clear line (docker/entrypoint.sh retries)
        print(f"stuf-fin db upgrade: database at {store.safe_url} unreachable: {' '.join(str(exc.orig).split())}",
              file=sys.stderr)
        return 1
    finally:
        store.dispose()
    print(f"database at {store.safe_url} is at the current version")
    return 0
