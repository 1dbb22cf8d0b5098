"""Fresh databases for the benchmarks: a SQLite file, or a PostgreSQL schema of our own (dropped afterwards),
migrated for the gateway or empty for the floor.  PostgreSQL: ``$STUF_FIN_BENCH_POSTGRES_URL``, default the
test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from bench.server import OTHER_CODE
from stuf_fin.store.db import Store, normalise_url

POSTGRES_ENV = "STUF_FIN_BENCH_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
KINDS = ("sqlite", "postgresql")


@contextmanager
def fresh_database(kind: str, workdir: Path, *, migrate: bool = True) -> Iterator[str]:
    """The URL of an empty database at the current migration (``migrate=False``: without any table, for the
    floor); removed at exit."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        if migrate:
            _migrate(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    with postgres_schema(postgres_base(), "bench_") as url:
        if migrate:
            _migrate(url)
        yield url


def postgres_base() -> str:
    return os.environ.get(POSTGRES_ENV) or POSTGRES_DEFAULT


def server_version(kind: str) -> str:
    """``SQLite 3.40.1`` or ``PostgreSQL 15.20``: the database a benchmark of ``kind`` runs on."""
    import sqlite3

    if kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(normalise_url(postgres_base()))
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar_one().split(" ")[0]
    finally:
        engine.dispose()


@cache
def postgres_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used (None when it can); checked once per process."""
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


@contextmanager
def postgres_schema(base_url: str, prefix: str) -> Iterator[str]:
    """``base_url`` (PostgreSQL) with a fresh, empty schema ``<prefix><random>`` first in the search_path; the
    schema is dropped at exit.  Also the tests' ``postgres_url`` fixture."""
    base = normalise_url(base_url)
    schema = prefix + uuid.uuid4().hex[:16]
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _migrate(url: str) -> None:
    if os.environ.get(OTHER_CODE):  # the other code's own migrations
        env = {**os.environ, "PYTHONPATH": os.environ[OTHER_CODE]}
        subprocess.run([sys.executable, "-m", "stuf_fin", "db", "upgrade", "--database-url", url], env=env,
                       cwd=os.environ[OTHER_CODE],
                       check=True, capture_output=True)
        return
    store = Store(url)
    try:
        store.upgrade()
    finally:
        store.dispose()
