"""``stuf-fin send``, ``stuf-fin worker`` and ``stuf-fin outbox list|show|retry|dead-letters``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from stuf_fin.config import Settings
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG

if TYPE_CHECKING:
    from stuf_fin.outbound.client import Credentials
    from stuf_fin.store.db import Store


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = sub.add_parser("send", help="post StUF-FIN messages (files or folders of *.xml, bare or in a SOAP "
                                       "envelope) to an endpoint; exit 0 when every one is accepted")
    send.add_argument("paths", nargs="+", metavar="FILE|DIR")
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="URL", help="endpoint URL; one ending in a port name "
                        f"(…/{PORT_KENNISGEVING}, …/{PORT_VRAAG}) serves both ports")
    target.add_argument("--route", metavar="NAME", help="a configured route (URL and credentials), e.g. tsa:CODE")
    send.add_argument("--concurrency", type=int, default=1, metavar="K", help="messages in flight at once "
                      "(default 1: in file order)")
    send.add_argument("--journal", metavar="FILE", help="record every answer here; a rerun with the same journal "
                      "skips what was accepted and resends the rest unchanged")
    send.add_argument("--timeout", type=float, help="seconds per message (default: outbound_timeout)")
    send.add_argument("--no-validate", action="store_true", help="send messages that fail the schema too")
    add_credential_options(send)
    send.set_defaults(handler=run_send)

    worker = sub.add_parser("worker", help="deliver the outbox (as `stuf-fin serve` does unless outbound_worker "
                                           "is false); any number may run at once")
    worker.add_argument("--database-url", help="SQLAlchemy URL (default: settings)")
    worker.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    worker.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    worker.set_defaults(handler=run_worker, overrides=("database_url",))

    box = sub.add_parser("outbox", help="inspect and retry outbound messages")
    box_sub = box.add_subparsers(dest="outbox_command", required=True)
    listing = box_sub.add_parser("list", help="outbound messages, oldest first")
    listing.add_argument("--state", choices=("pending", "delivered", "dead", "all"), default="pending")
    _listing_options(listing)
    dead = box_sub.add_parser("dead-letters", help="messages given up on, with the reason")
    _listing_options(dead)
    dead.set_defaults(state="dead")
    show = box_sub.add_parser("show", help="one message: its fields, attempts and the message itself")
    show.add_argument("id", type=int)
    show.set_defaults(handler=run_show)
    _database(show)
    retry = box_sub.add_parser("retry", help="queue messages again now (dead letters start over)")
    retry.add_argument("ids", type=int, nargs="*", metavar="ID")
    retry.add_argument("--all-dead", action="store_true", help="every dead letter (of --route)")
    retry.add_argument("--route")
    reference = retry.add_mutually_exclusive_group()
    reference.add_argument("--new-reference", action="store_true", default=None,
                           help="send as a new message (new referentienummer and tijdstipBericht)")
    reference.add_argument("--same-reference", dest="new_reference", action="store_false",
                           help="send unchanged (default unless the receiver refused it as our fault)")
    retry.set_defaults(handler=run_retry)
    _database(retry)
    purge = box_sub.add_parser("purge", help="delete delivered messages (they hold personal data) older than N "
                                             "days; dead letters and pending messages stay")
    purge.add_argument("--older-than-days", type=int, help="default: retention_days")
    purge.add_argument("--dry-run", action="store_true", help="only count")
    purge.set_defaults(handler=run_purge)
    _database(purge)


def add_credential_options(parser: argparse.ArgumentParser) -> None:
    """How to authenticate to a StUF endpoint (``stuf-fin send``, ``stuf-fin selftest``)."""
    parser.add_argument("--auth", choices=("none", "basic", "wss-text", "wss-digest"), default=None)
    parser.add_argument("--username")
    parser.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    parser.add_argument("--cert", help="TLS client certificate (PEM)")
    parser.add_argument("--key", help="its private key (PEM)")
    parser.add_argument("--ca", help="CA certificates (PEM) to verify the server with (default: the system's)")


def credentials_from(args: argparse.Namespace, command: str) -> Credentials | None:
    """The :class:`~stuf_fin.outbound.client.Credentials` of :func:`add_credential_options`, or ``None`` after
    printing why they are incomplete."""
    import os

    from stuf_fin.outbound.client import Credentials

    password = os.environ.get(args.password_env, "") if args.password_env else None
    if args.password_env and not password:
        print(f"stuf-fin {command}: environment variable {args.password_env} is not set", file=sys.stderr)
        return None
    auth = args.auth or ("basic" if args.username else "none")
    if auth != "none" and not (args.username and password):
        print(f"stuf-fin {command}: --auth {auth} needs --username and --password-env", file=sys.stderr)
        return None
    return Credentials(auth, args.username, password, args.cert, args.key, args.ca)


def _listing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--route", help="only this route (tsa:CODE, financiele_administratie, inningssysteem)")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    parser.set_defaults(handler=run_list)
    _database(parser)


def _database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: settings)")
    parser.set_defaults(overrides=("database_url",))


# -- send ----------------------------------------------------------------------------------------------------
def run_send(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.outbound.client import Credentials, StufClient
    from stuf_fin.outbound.journal import Journal
    from stuf_fin.outbound.send import send
    from stuf_fin.schema.validator import get_validator

    credentials: Credentials | None
    if args.route:
        route = (settings.routing.get(args.route) if settings.routing else None)
        if route is None:
            print(f"stuf-fin send: no route {args.route!r} configured", file=sys.stderr)
            return 2
        url, credentials = route.url, Credentials.of(route)
    else:
        url, credentials = args.to, credentials_from(args, "send")
        if credentials is None:
            return 2
    if args.concurrency < 1:
        print("stuf-fin send: --concurrency must be at least 1", file=sys.stderr)
        return 2
    validator = None if args.no_validate else get_validator(settings.schema_dir)
    client = StufClient(url, credentials, timeout=args.timeout or settings.outbound_timeout)
    journal = Journal(args.journal) if args.journal else None
    try:
        return send(args.paths, url, client, concurrency=args.concurrency, journal=journal, validator=validator)
    except KeyboardInterrupt:
        print("\nstuf-fin send: interrupted" + (f"; rerun with --journal {args.journal} to resume" if journal else ""),
              file=sys.stderr)
        return 130
    finally:
        client.close()
        if journal is not None:
            journal.close()


# -- worker --------------------------------------------------------------------------------------------------
def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.ops import exposition, metrics
    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.outbound import outbox
    from stuf_fin.outbound.policy import Policy
    from stuf_fin.outbound.worker import Worker
    from stuf_fin.schema.validator import get_validator

    configure_logging(settings)
    if not settings.routing:
        print("stuf-fin worker: no routes configured ([outbound] in the settings file, docs/outbound.md)",
              file=sys.stderr)
        return 2
    store = _store(settings, "worker")
    if store is None:
        return 2
    validator = get_validator(settings.schema_dir)
    metrics.register_outbox_reader(outbox.outbox_state)
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, registry=exposition.registry_for(store, validator.source,
                                                                          settings.metrics_db_interval))
    worker = Worker(store, settings.routing, validator, Policy.from_settings(settings))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if args.once:
            while not stop.is_set() and worker.run_once():
                pass
        else:
            worker.run(stop)
    finally:
        worker.close()
        store.dispose()
    return 0


def _store(settings: Settings, command: str) -> Store | None:
    from stuf_fin.store.db import Store

    store = Store(settings.database_url, timeout=settings.database_timeout)
    try:
        current = store.is_current()
    except Exception as exc:  # unreachable: one clear line
        print(f"stuf-fin {command}: database at {store.safe_url} unreachable: {' '.join(str(exc).split())[:300]}",
              file=sys.stderr)
        store.dispose()
        return None
    if not current:
        print(f"stuf-fin {command}: database at {store.safe_url} is not at the current version: run "
              "`stuf-fin db upgrade`", file=sys.stderr)
        store.dispose()
        return None
    return store


# -- outbox --------------------------------------------------------------------------------------------------
def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.outbound import outbox

    store = _store(settings, "outbox")
    if store is None:
        return 2
    states = outbox.STATES if args.state == "all" else (args.state,)
    try:
        with store.begin(write=False) as conn:
            outbox_counts = outbox.outbox_counts(conn)
            found = outbox.rows(conn, states=states, route=args.route, limit=args.limit)
    finally:
        store.dispose()
    if args.json:
        for row in found:
            print(json.dumps({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()},
                             ensure_ascii=False))
        return 0
    age = f", oldest pending queued {_when(outbox_counts.oldest_pending)} UTC" if outbox_counts.oldest_pending else ""
    print(", ".join(f"{n} {state}" for state, n in outbox_counts.per_state.items()) + age)
    for row in found:
        when = _when(row.finished_at) if row.state != outbox.PENDING else f"next {_when(row.next_attempt_at)}"
        print(f"{row.id:>6} {row.state:<9} {row.route:<24} {row.operation.removeprefix('Di01-'):<32} "
              f"{row.referentienummer} attempts {row.attempts} {when}")
        if row.last_error and row.state != outbox.DELIVERED:
            print(f"{'':>6} {row.last_error if args.state == 'dead' else row.last_error[:200]}")
    return 0


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.outbound import outbox

    store = _store(settings, "outbox")
    if store is None:
        return 2
    try:
        with store.begin(write=False) as conn:
            row = outbox.get(conn, args.id)
            attempts = outbox.attempts(conn, args.id) if row is not None else []
    finally:
        store.dispose()
    if row is None:
        print(f"stuf-fin outbox: no message {args.id}", file=sys.stderr)
        return 1
    for key, value in row._mapping.items():
        if key not in ("message", "reply"):
            print(f"{key:<17} {value.isoformat() if isinstance(value, datetime) else value}")
    for a in attempts:
        print(f"attempt {a.attempt:>3} {_when(a.started_at)} {a.worker:<24} {a.duration_ms:>6} ms {a.result:<11} "
              f"{a.outcome}{' HTTP ' + str(a.http_status) if a.http_status else ''}"
              f"{' ' + a.detail if a.detail else ''}")
    print(row.message.decode("utf-8", "replace"))
    return 0


def run_retry(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.outbound import admin, outbox
    from stuf_fin.outbound.routing import Routing

    if not args.ids and not args.all_dead:
        print("stuf-fin outbox retry: give message ids or --all-dead", file=sys.stderr)
        return 2
    store = _store(settings, "outbox")
    if store is None:
        return 2
    failed = 0
    try:
        with store.begin() as conn:
            targets = [(str(i), outbox.get(conn, i)) for i in args.ids]
            if args.all_dead:
                targets += [(str(r.id), outbox.get(conn, r.id)) for r in outbox.rows(
                    conn, states=(outbox.DEAD,), route=args.route, limit=1_000_000)]
            for wanted, row in targets:
                if row is None:
                    print(f"{wanted}: no such message", file=sys.stderr)
                    failed += 1
                    continue
                try:
                    done = admin.retry(conn, row, settings.routing or Routing(), new_reference=args.new_reference)
                except ValueError as exc:
                    print(f"{row.id}: {exc}", file=sys.stderr)
                    failed += 1
                else:
                    print(f"{row.id}: {done}")
    finally:
        store.dispose()
    return 1 if failed else 0


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from stuf_fin.outbound import outbox

    days = args.older_than_days or settings.retention_days
    if not days or days < 1:
        print("stuf-fin outbox purge: give --older-than-days N (at least 1) or set retention_days", file=sys.stderr)
        return 2
    store = _store(settings, "outbox")
    if store is None:
        return 2
    cutoff = datetime.now(UTC) - timedelta(days=days)
    try:
        with store.begin() as conn:
            n = outbox.purge(conn, cutoff, dry_run=args.dry_run)
    finally:
        store.dispose()
    print(f"{n} delivered message(s) finished before {_when(cutoff)} UTC {'would be' if args.dry_run else ''} deleted"
          .replace("  ", " "))
    return 0

