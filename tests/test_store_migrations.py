"""Migrations that change stored data's layout keep every row: 0006 (bericht.request last on SQLite, lz4 on
PostgreSQL), upgraded from 0005 with archived messages and their vorderingen, and downgraded again."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from lxml import etree
from sqlalchemy.exc import IntegrityError

from stuf_fin.fin import reader
from stuf_fin.selftest import generator as g
from stuf_fin.store import archive
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie, vordering, vorderingsregel
from stuf_fin.store.vorderingen import insert_vorderingen

MOMENT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
REQUEST = b"<request>" + bytes(range(256)) * 8 + b"</request>"


def _fill(store: Store) -> None:
    """Three archived messages (the third a resend of the first) and the first one's vorderingen."""
    specs = [g.random_vordering(random.Random(5), i, prefix="MIG") for i in range(3)]
    vorderingen = reader.vorderingen(etree.fromstring(g.di01_vordering(specs, referentienummer="m1")))
    with store.begin() as conn:
        ids = [archive.archive(conn, port="p", operation="Di01-verstrekVordering", request=REQUEST + bytes([n]),
                               received_at=MOMENT, referentienummer=f"m{n}", content_hash=f"h{n}") for n in (1, 2, 3)]
        archive.set_reply(conn, ids[0], b"<Bv03/>", "Bv03", answered_at=MOMENT)
        archive.set_reply(conn, ids[2], b"<Bv03/>", "Bv03", answered_at=MOMENT, resend_of=ids[0])
        archive.claim(conn, "p", None, "m1", "h1", ids[0])
        insert_vorderingen(conn, vorderingen, bericht_id=ids[0], received_at=MOMENT)


def _contents(store: Store) -> dict[str, list[tuple]]:
    with store.begin(write=False) as conn:
        return {t.name: [tuple(r) for r in conn.execute(sa.select(*sorted(t.columns, key=lambda c: c.name))
                                                     .order_by(t.c.id))]
                for t in (bericht, ontvangen_referentie, vordering, vorderingsregel)}


def _bericht_columns(store: Store) -> list[str]:
    with store.begin(write=False) as conn:
        if store.is_sqlite:
            return [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(bericht)")]
        return list(conn.exec_driver_sql(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'bericht'::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum").scalars())


def _compression(store: Store, table: str = "bericht") -> dict[str, str]:
    with store.begin(write=False) as conn:
        return dict(conn.exec_driver_sql(
            f"SELECT attname, attcompression FROM pg_attribute WHERE attrelid = '{table}'::regclass "
            "AND (attname IN ('request', 'reply') OR right(attname, 4) = '_xml')").fetchall())


def _bericht_indexes(store: Store) -> dict[str, list[str]]:
    with store.begin(write=False) as conn:
        found = sa.inspect(conn).get_indexes("bericht")
    return {i["name"]: i["column_names"] for i in found}


def _lz4(store: Store) -> bool:
    with store.begin(write=False) as conn:
        return bool(conn.exec_driver_sql("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                         "WHERE name = 'default_toast_compression'").scalar())


def test_0006_keeps_every_row_and_indexes_and_puts_the_request_last(database_url: str) -> None:
    store = Store(database_url)
    try:
        store.upgrade("0005")
        _fill(store)
        indexes = _bericht_indexes(store)
        before = _contents(store)
        store.upgrade()
        assert _contents(store) == before
        columns = _bericht_columns(store)
        if store.is_sqlite:
            assert columns[-1] == "request"  # a zero-filled request stays virtual while it is written
        elif _lz4(store):
            assert _compression(store) == {"request": "l", "reply": "l"}
            assert set(_compression(store, "vordering").values()) == {"l"}
        assert sorted(columns) == sorted(c.name for c in bericht.columns)
        assert _bericht_indexes(store) == indexes  # the message log's indexes (0005) survive the rebuild
        with store.begin() as conn:  # the archive still takes new messages, with ids after the old ones
            new = archive.archive(conn, port="p", operation="o", request=b"<x/>", received_at=MOMENT)
            assert new == 4
            assert archive.load_bericht(conn, new).request == b"<x/>"

        # foreign keys to the rebuilt table are still there and enforced
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(sa.delete(bericht).where(bericht.c.id == 1))
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(sa.update(vordering).values(bericht_id=10**9))
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(sa.update(bericht).where(bericht.c.id == new).values(resend_of=10**9))

        with store.migrating() as conn:  # and back (alembic downgrade)
            config = store.alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0005")
        if store.is_sqlite:
            assert _bericht_columns(store)[-1] == "resend_of"
        elif _lz4(store):
            assert set(_compression(store).values()) == set(_compression(store, "vordering").values()) == {""}
        store.upgrade()
        assert _contents(store)["vordering"] == before["vordering"]
    finally:
        store.dispose()


def test_a_migration_that_breaks_a_foreign_key_changes_nothing(tmp_path) -> None:
    """Foreign keys are off while SQLite migrates, and checked before the commit."""
    store = Store(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        store.upgrade()
        with pytest.raises(RuntimeError, match="foreign keys"), store.migrating() as conn:
            conn.execute(sa.insert(ontvangen_referentie).values(
                port="p", zender_organisatie="", zender_applicatie="", zender_administratie="", zender_gebruiker="",
                referentienummer="r", content_hash="h", bericht_id=12345))
        with store.begin(write=False) as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(ontvangen_referentie)).scalar_one() == 0
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()
