"""A SELECT on the driver's cursor gives what SQLAlchemy Core gives, and fails the way Core fails."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from stuf_fin.store.db import Store
from stuf_fin.store.driver_select import DriverSelect
from stuf_fin.store.tables import bericht, vordering


def _vordering(conn, nummer: str, status_tijdstip: datetime | None) -> None:
    bericht_id = conn.execute(sa.insert(bericht).returning(bericht.c.id), {
        "port": "p", "operation": "o", "direction": "in", "request": b"", "received_at": datetime.now(UTC)}).scalar()
    conn.execute(sa.insert(vordering), {
        "bericht_id": bericht_id, "ontvangen_op": datetime(2025, 3, 1, 10, tzinfo=UTC), "organisatie_nnp_id": "",
        "tsa": "T", "vorderingnummer": nummer, "creatiedatum": date(2025, 2, 28), "vervaldatum": None,
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
