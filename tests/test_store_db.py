"""The database layer: migrations match tables.py, engine settings, transactions, concurrency."""

from __future__ import annotations

import random
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from stuf_fin.config import Settings
from stuf_fin.pipeline import handlers
from stuf_fin.schema import parse_bytes
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import SQLITE_CACHE_KIB, Store, normalise_url, reserve_ids
from stuf_fin.store.tables import bericht, metadata, vordering


def test_migrated_schema_matches_tables_py(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert not store.is_current()
        store.upgrade()
        assert store.is_current()
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diffs == []
        store.upgrade()  # a second upgrade is a no-op
        assert store.current_revisions() == {"0006"}  # the newest migration
    finally:
        store.dispose()


def test_ping(store: Store) -> None:
    """A reachable database answers the probe: ping returns, and it asked the database (not a no-op)."""
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        store.ping()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert "SELECT 1" in statements


def test_ping_fails_without_a_database() -> None:
    unreachable = Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(sa.exc.OperationalError):
        unreachable.ping()


@pytest.mark.parametrize(("url", "driver"), [
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
    ("sqlite:///x.db", "sqlite"),
])
def test_url_normalisation(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_safe_url_hides_the_password() -> None:
    assert "geheim" not in Store("postgresql://u:geheim@127.0.0.1/db").safe_url


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sub/dir/s.db")  # folders are created
    try:
        store.upgrade()
        with store.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10000
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
            with pytest.raises(sa.exc.IntegrityError):  # foreign keys are enforced
                conn.execute(sa.insert(vordering).values(
                    id=1, bericht_id=999, ontvangen_op=datetime.now(UTC), organisatie_nnp_id="", tsa="t",
                    vorderingnummer="1", creatiedatum=datetime.now(UTC).date(), indicator_factuur_uitgestuurd="N",
                    algemene_factuuromschrijving="o", valutacode="EUR", totaalbedrag_excl_btw=0, totaalbedrag_btw=0,
                    totaalbedrag_incl_btw=0, indicator_publiekrechtelijk="N", organisatie_xml=b"<x/>"))
    finally:
        store.dispose()


def test_sqlite_binds_none_and_bytes_as_null_and_blob_through_registered_adapters(tmp_path: Path) -> None:
    """None and bytes skip the driver's slow adaptation protocol (adapters in C, registered with a SQLite store)
    and are still bound as NULL and as the same BLOB."""
    store = Store(f"sqlite:///{tmp_path}/a.db")
    try:
        blob = b"\x00<x/>\xff"
        assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)](None) is None
        assert sqlite3.adapters[(bytes, sqlite3.PrepareProtocol)](blob) is blob
        with store.begin() as conn:
            row = conn.exec_driver_sql("SELECT typeof(?), typeof(?), ?, ? IS NULL", (None, blob, blob, None)).one()
        assert tuple(row) == ("null", "blob", blob, 1)
    finally:
        store.dispose()


def _archive_message(conn: sa.Connection) -> int:
    return conn.execute(sa.insert(bericht).values(port="p", operation="o", direction="in", request=b"<x/>",
                                                  received_at=datetime.now(UTC)).returning(bericht.c.id)).scalar_one()


def test_begin_commits_and_rolls_back(store: Store) -> None:
    with store.begin() as conn:
        first = _archive_message(conn)
    with pytest.raises(RuntimeError), store.begin() as conn:
        _archive_message(conn)
        raise RuntimeError
    with store.begin(write=False) as conn:
        assert list(conn.execute(sa.select(bericht.c.id)).scalars()) == [first]


def test_times_come_back_aware_in_utc(store: Store) -> None:
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with store.begin() as conn:
        conn.execute(sa.insert(bericht).values(port="p", operation="o", direction="in", request=b"",
                                               received_at=moment))
        assert conn.execute(sa.select(bericht.c.received_at)).scalar_one() == moment
        with pytest.raises(sa.exc.StatementError):
            conn.execute(sa.insert(bericht).values(port="p", operation="o", direction="in", request=b"",
                                                   received_at=datetime(2025, 3, 1)))


def test_reserved_ids_are_new_and_distinct(store: Store) -> None:
    with store.begin() as conn:
        first = reserve_ids(conn, bericht, 3)
        assert len(set(first)) == 3
        for i in first:
            conn.execute(sa.insert(bericht).values(id=i, port="p", operation="o", direction="in", request=b"",
                                                   received_at=datetime.now(UTC)))
        assert set(reserve_ids(conn, bericht, 2)).isdisjoint(first)
        assert _archive_message(conn) not in first  # the default id does not collide either
        assert reserve_ids(conn, bericht, 0) == []


def test_concurrent_writers_on_sqlite_do_not_fail(tmp_path: Path) -> None:
    """Two threads each store 15 messages, each transaction reading before it writes.

    With deferred transactions SQLite answers such a lock upgrade with "database is locked" at once
    (a deadlock, the busy timeout does not help); BEGIN IMMEDIATE makes the writers queue.
    """
    store = Store(f"sqlite:///{tmp_path}/c.db")
    store.upgrade()
    settings = Settings()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        rng = random.Random(number)
        messages = [parse_bytes(g.di01_vordering(
            4, rng=rng, start=(number * 100 + m) * 10)).getroot() for m in range(15)]
        start.wait()
        try:
            for message in messages:
                with store.begin() as conn:  # reads the keys first, then writes
                    handlers.verstrek_vordering(conn, message, handlers.Receipt(
                        datetime.now(UTC), None, settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with store.begin(write=False) as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(vordering)).scalar() == 2 * 15 * 4
            assert conn.execute(sa.select(sa.func.count(sa.distinct(vordering.c.id)))).scalar() == 120
    finally:
        store.dispose()
