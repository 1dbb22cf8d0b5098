"""A statement on the driver's cursor gives what SQLAlchemy Core gives, and fails the way Core fails."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from stuf_fin.fin import reader
from stuf_fin.schema import parse_bytes
from stuf_fin.selftest import generator as g
from stuf_fin.store import archive
from stuf_fin.store import vorderingen as repo
from stuf_fin.store.db import Store
from stuf_fin.store.driver_select import DriverSelect, driver_execute
from stuf_fin.store.tables import bericht, ontvangen_referentie, vordering
from stuf_fin.stuf.stuurgegevens import Systeem

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _vordering(conn, number: str, status_tijdstip: datetime | None) -> None:
    bericht_id = conn.execute(sa.insert(bericht).returning(bericht.c.id), {
        "port": "p", "operation": "o", "direction": "in", "request": b"", "received_at": datetime.now(UTC)}).scalar()
    conn.execute(sa.insert(vordering), {
        "bericht_id": bericht_id, "ontvangen_op": datetime(2025, 3, 1, 10, tzinfo=UTC), "organisatie_nnp_id": "",
        "tsa": "T", "vorderingnummer": number, "creatiedatum": date(2025, 2, 28), "vervaldatum": None,
        "indicator_factuur_uitgestuurd": "J", "algemene_factuuromschrijving": "x", "valutacode": "EUR",
        "totaalbedrag_excl_btw": 10**15, "totaalbedrag_btw": 0, "totaalbedrag_incl_btw": 10**15,
        "indicator_publiekrechtelijk": "N", "organisatie_xml": b"<a/>", "vorm": {"": {"k": "w"}},
        "status_tijdstip": status_tijdstip})


def test_rows_and_their_values_are_those_of_core(store: Store) -> None:
    with store.begin() as conn:
        _vordering(conn, "A", datetime(2025, 3, 1, 11, 30, tzinfo=UTC))
        _vordering(conn, "B", None)
    c = vordering.c
    stmt = (sa.select(c.id, c.vorderingnummer, c.creatiedatum, c.vervaldatum, c.totaalbedrag_excl_btw, c.vorm,
                      c.ontvangen_op, c.status_tijdstip, c.organisatie_xml)
            .where(c.tsa == sa.bindparam("tsa"), c.creatiedatum <= sa.bindparam("dag")).order_by(c.id))
    values = {"tsa": "T", "dag": date(2025, 3, 1)}  # a date parameter goes through its bind processor (SQLite)
    with store.autocommit() as conn:
        rows = DriverSelect(stmt).rows(conn, values)
        core = conn.execute(stmt, values).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in core] and len(rows) == 2
    assert rows[0].creatiedatum == date(2025, 2, 28) and rows[0].vorm == {"": {"k": "w"}}
    assert rows[0].status_tijdstip == datetime(2025, 3, 1, 11, 30, tzinfo=UTC) and rows[1].status_tijdstip is None


def test_a_failing_statement_raises_sqlalchemys_exception(store: Store) -> None:
    stmt = sa.select(sa.column("id")).select_from(sa.table("bestaat_niet"))
    with store.autocommit() as conn, pytest.raises(sa.exc.DBAPIError):
        DriverSelect(stmt).rows(conn, {})


def test_an_expanding_parameter_is_refused(store: Store) -> None:
    stmt = sa.select(vordering.c.id).where(vordering.c.id.in_(sa.bindparam("ids", expanding=True)))
    with store.autocommit() as conn, pytest.raises(ValueError, match="expanding"):
        DriverSelect(stmt).rows(conn, {"ids": [1]})


def _vorderingen(seed: int = 1) -> list:
    return reader.vorderingen(parse_bytes(g.di01_vordering(1, rng=random.Random(seed))).getroot())


def _archive_and_claim(conn: sa.Connection, referentienummer: str = "ref-1") -> tuple[int, archive.Prior | None]:
    stp = Systeem("KING", "STP", "test", "tester")
    return archive.archive_and_claim(conn, "p", stp, referentienummer, "h1", port="p", operation="o",
                                     request=b"<bericht/>", received_at=NOW, zender=stp,
                                     referentienummer=referentienummer)


def test_driver_inserts_store_what_core_would_and_a_taken_key_is_no_error(store: Store) -> None:
    """The hot inserts of a message (archive and claim, a new vordering with its children) on the driver's
    cursor: the rows come back through Core as they went in; a vordering key taken already stores nothing."""
    [v] = _vorderingen()
    with store.begin() as conn:
        bericht_id, earlier = _archive_and_claim(conn)
        vid = repo.insert_new_vordering(conn, v, bericht_id=bericht_id, received_at=NOW)
        assert earlier is None and vid is not None
        assert repo.insert_new_vordering(conn, _vorderingen()[0], bericht_id=bericht_id, received_at=NOW) is None
    with store.begin(write=False) as conn:
        assert repo.load_vorderingen(conn, [vid]) == [v]
        assert conn.execute(sa.select(vordering.c.bericht_id, vordering.c.ontvangen_op)).one() == (bericht_id, NOW)


def test_a_driver_error_is_sqlalchemys_and_rolls_back_the_message(store: Store) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        _archive_and_claim(conn)
        driver_execute(conn, "INSERT INTO vorderingsregel (vordering_id, volgnummer) VALUES (-1, 1)", ())
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(bericht)).scalar_one() == 0


def test_a_connection_broken_during_a_driver_insert_is_invalidated_and_nothing_is_stored(postgres_url: str) -> None:
    """The backend is killed between the archive row and the vordering: Core's disconnect exception, the
    connection invalidated (not pooled again), the message's archive row and claim gone with it."""
    store = Store(postgres_url)
    store.upgrade()
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised, store.begin() as conn:
            _archive_and_claim(conn)
            pid = conn.connection.driver_connection.info.backend_pid
            with store.engine.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                other.commit()
            try:
                repo.insert_new_vordering(conn, _vorderingen()[0], bericht_id=None, received_at=NOW)
            finally:
                assert conn.invalidated
        assert raised.value.connection_invalidated
        with store.begin() as conn:  # the pool gives a working connection; the message left nothing
            assert conn.execute(sa.select(sa.func.count()).select_from(bericht)).scalar_one() == 0
            assert conn.execute(sa.select(sa.func.count()).select_from(ontvangen_referentie)).scalar_one() == 0
            assert _archive_and_claim(conn)[1] is None  # its referentienummer is free
    finally:
        store.dispose()
