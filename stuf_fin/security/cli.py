"""``stuf-fin archive purge`` and ``stuf-fin security hash-secret``."""

from __future__ import annotations

import argparse
import getpass
import sys

from stuf_fin.config import Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = sub.add_parser("archive", help="message archive maintenance")
    archive_sub = archive.add_subparsers(dest="archive_command", required=True)
    purge = archive_sub.add_parser(
        "purge", help="empty archived message contents older than the retention period (the audit rows, "
                      "the StUF016 memory and the FIN records stay)")
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="default: the retention_days setting")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be purged")
    purge.add_argument("--database-url", help="SQLAlchemy URL (default: settings)")
    purge.set_defaults(handler=run_purge, overrides=("database_url",))

    security = sub.add_parser("security", help="security helpers")
    security_sub = security.add_subparsers(dest="security_command", required=True)
    hashing = security_sub.add_parser(
        "hash-secret", help="print a password_hash for a [[clients]] table (secret read from stdin or a prompt)")
    hashing.add_argument("--method", choices=("scrypt", "pbkdf2_sha256"), default="scrypt")
    hashing.add_argument("--generate", action="store_true", help="make a random secret and print it too")
    hashing.set_defaults(handler=run_hash_secret)


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.security.retention import purge
    from stuf_fin.store.db import Store

    days = args.older_than if args.older_than is not None else settings.retention_days
    if days is None:
        print("stuf-fin archive purge: give --older-than DAYS or set retention_days", file=sys.stderr)
        return 2
    if days < 1:
        print("stuf-fin archive purge: --older-than must be at least 1 day", file=sys.stderr)
        return 2
    store = Store(settings.database_url, timeout=None)  # one UPDATE over the whole archive may take minutes
    try:
        result = purge(store, days, dry_run=args.dry_run)
    finally:
        store.dispose()
    verb = "would empty" if args.dry_run else "emptied"
    print(f"{verb} {result.requests} archived request(s) and {result.replies} reply(ies) received before "
          f"{result.cutoff.isoformat(timespec='seconds')}")
    return 0


def run_hash_secret(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.security.passwords import hash_secret, new_secret

    if args.generate:
        secret = new_secret()
        print(f"secret: {secret}")
    elif sys.stdin.isatty():
        secret = getpass.getpass("secret: ")
        if getpass.getpass("again: ") != secret:
            print("stuf-fin security hash-secret: the two entries differ", file=sys.stderr)
            return 2
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        print("stuf-fin security hash-secret: empty secret", file=sys.stderr)
        return 2
    print(f"password_hash: {hash_secret(secret, args.method)}")
    return 0
