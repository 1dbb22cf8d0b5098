"""stuf_fin.store.bulk: the fast bulk insert stores exactly what a Core insert stores (executemany on
SQLite; on PostgreSQL COPY, or few rows in one INSERT ... VALUES, several tables in one statement), and a duplicate
key is still an IntegrityError."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy.exc import IntegrityError

from stuf_fin.fin import reader
from stuf_fin.selftest import generator as g
from stuf_fin.store import bulk
from stuf_fin.store.bulk import insert_rows
from stuf_fin.store.db import Store, is_unique_violation
from stuf_fin.store.vorderingen import vordering_rows

MOMENT = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _rows(odd_vordering_message: bytes) -> list[tuple[sa.Table, list[dict]]]:
    rng = random.Random(3)
    specs = [g.random_vordering(rng, i, prefix="BULK") for i in range(40)]
    for spec in specs[:10]:
        spec.status = g.StatusSpec("ONV", "2025-02-01T10:00:00+01:00", opmerkingen="nieuw")
    vorderingen = reader.vorderingen(etree.fromstring(g.di01_vordering(specs, referentienummer="b")))
    vorderingen += reader.vorderingen(etree.fromstring(odd_vordering_message))  # nil values, vorm, odd dates
    ids = list(range(1001, 1001 + len(vorderingen)))
    return [(r.table, r.dicts()) for r in vordering_rows(vorderingen, ids, bericht_id=None, received_at=MOMENT)]


def _stored(conn: sa.Connection, tables: list[sa.Table]) -> dict[str, list[tuple]]:
    """Every row as read back, and as the driver reads it (the stored text of a date or moment on SQLite), children
    without their generated ids (PostgreSQL sequences do not roll back)."""
    stored = {}
    for t in tables:
        columns = [c for c in t.columns if t.name == "vordering" or c.name != "id"]
        stored[t.name] = sorted((tuple(r) for r in conn.execute(sa.select(*columns))), key=repr)
        names = ", ".join(c.name for c in columns)
        stored[t.name + " (driver)"] = sorted((tuple(r) for r in conn.exec_driver_sql(
            f"SELECT {names} FROM {t.name}")), key=repr)
    return stored


@pytest.mark.parametrize("copy_min_rows", [1, 10**9], ids=["copy", "values"])
def test_bulk_insert_stores_what_a_core_insert_stores(store: Store, odd_vordering_message: bytes,
                                                      copy_min_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_min_rows)  # both strategies on PostgreSQL
    table_rows = _rows(odd_vordering_message)
    tables = [t for t, _ in table_rows]
    assert all(rows for _, rows in table_rows)  # every table is exercised
    results = []
    for insert in (lambda conn, t, rows: conn.execute(sa.insert(t), rows), insert_rows):
        with store.engine.connect() as conn, conn.begin() as tx:
            for table, rows in table_rows:
                insert(conn, table, rows)
            results.append(_stored(conn, tables))
            tx.rollback()
    core, fast = results
    assert core == fast
    assert sum(map(len, fast.values())) > 100


@pytest.mark.parametrize("copy_min_rows", [1, 10**9], ids=["copy", "values"])
def test_a_duplicate_key_is_an_integrity_error(store: Store, odd_vordering_message: bytes, copy_min_rows: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_min_rows)
    table, rows = _rows(odd_vordering_message)[0]
    with store.engine.connect() as conn, conn.begin():
        insert_rows(conn, table, rows[:3])
        with pytest.raises(IntegrityError) as caught, conn.begin_nested():
            insert_rows(conn, table, [{**rows[1], "id": 99999}])
        assert is_unique_violation(caught.value)
        insert_rows(conn, table, rows[3:5])  # the transaction goes on after the savepoint
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 5


@pytest.mark.parametrize("copy_min_rows", [1, 60, 10**9], ids=["copy", "mixed", "one-statement"])
def test_several_tables_at_once_store_what_core_inserts_store(store: Store, odd_vordering_message: bytes,
                                                              copy_min_rows: int, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """insert_tables: the parts in order (children after the vorderingen they point at), whether they go in one
    WITH statement, by COPY, or (60) mixed: the few vorderingen before the regels' COPY that points at them, the
    other children in one statement."""
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", copy_min_rows)
    table_rows = _rows(odd_vordering_message)
    tables = [t for t, _ in table_rows]
    assert len(table_rows[0][1]) < 60 <= len(table_rows[1][1])  # "mixed" mixes
    results = []
    for core in (True, False):
        with store.engine.connect() as conn, conn.begin() as tx:
            if core:
                for table, rows in table_rows:
                    conn.execute(sa.insert(table), rows)
            else:
                bulk.insert_tables(conn, [(table, tuple(rows[0]), [tuple(r.values()) for r in rows])
                                          for table, rows in table_rows])
            results.append(_stored(conn, tables))
            tx.rollback()
    assert results[0] == results[1]
    assert sum(map(len, results[1].values())) > 100
