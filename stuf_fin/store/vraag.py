"""Queries behind a vrdLv01: one SELECT of the matching vorderingen (selection, visibility, order, follow-up
start and limit in SQL), complete with their child rows (:func:`stuf_fin.store.vorderingen.vorderingen_select`).

A statement is made once per shape of question (which criteria, groups, visible tsa's, key, sort order and start;
the values are bind parameters), so that SQLAlchemy reuses its compiled form.

Sort orders (documented in ``docs/vraag.md``; both total, so a follow-up question can continue after
a known object):

* ``0``: ``id`` ascending (the order of storage);
* ``1``: the moment of the current status (``vorderingstatus/datumEnTijd``) descending, vorderingen
  without a status last, then ``id`` ascending.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.fin.model import Vordering
from stuf_fin.fin.vraag.query import Startpunt, Voorwaarde, Zoekvraag
from stuf_fin.store.driver_select import DriverSelect
from stuf_fin.store.tables import btw_totaalregel, termijn, vordering, vorderingsregel
from stuf_fin.store.vorderingen import vorderingen_select, vorderingen_uit

#: Child tables a group criterion can run on (EXISTS on one row).
GROEP_TABELLEN = {t.name: t for t in (vorderingsregel, btw_totaalregel, termijn)}
#: Columns stored as "" (never NULL) when the value is absent.
_LEEG_IS_LEGE_TEKST = frozenset({"organisatie_nnp_id"})


def _voorwaarde(table: sa.Table, v: Voorwaarde, naam: str) -> sa.ColumnElement[bool]:
    col = table.c[v.kolom]
    if v.soort == "gelijk":
        return col == sa.bindparam(naam)
    if v.soort == "begint":  # case-sensitive on both databases
        return sa.func.substr(col, 1, sa.bindparam(naam + "_lengte", type_=sa.Integer)) == sa.bindparam(naam)
    if v.soort == "leeg":
        return col == "" if v.kolom in _LEEG_IS_LEGE_TEKST else col.is_(None)
    if v.soort == "niet":
        return sa.or_(col.is_(None), col != sa.bindparam(naam))
    raise ValueError(f"onbekende soort voorwaarde {v.soort!r}")


def _vorm(vraag: Zoekvraag) -> tuple[Hashable, dict[str, Any]]:
    """The shape of a question (what its SQL depends on) and the values of its bind parameters.

    Questions of one shape share one statement object (:func:`_statement`), so SQLAlchemy finds its compiled
    form without building and hashing a new statement per question.
    """
    waarden: dict[str, Any] = {}

    def criteria(voorwaarden: Sequence[Voorwaarde], prefix: str) -> tuple[tuple[str, str], ...]:
        for i, v in enumerate(voorwaarden):
            if v.soort in ("gelijk", "niet"):
                waarden[f"{prefix}{i}"] = v.waarde
            elif v.soort == "begint":
                waarden[f"{prefix}{i}"] = tekst = str(v.waarde)
                waarden[f"{prefix}{i}_lengte"] = len(tekst)
        return tuple((v.kolom, v.soort) for v in voorwaarden)

    sleutel = None
    if vraag.sleutel is not None:
        sleutel = _geldige_sleutel(vraag.sleutel)
        if sleutel:
            waarden["sleutel"] = int(vraag.sleutel)
    vorm: list[Hashable] = [vraag.sortering, sleutel, criteria(vraag.voorwaarden, "v"),
                            tuple((g.tabel, criteria(g.voorwaarden, f"g{j}_")) for j, g in enumerate(vraag.groepen))]
    tsas = None if vraag.zichtbare_tsas is None else sorted(vraag.zichtbare_tsas)
    vorm.append(None if tsas is None else len(tsas))
    waarden.update((f"tsa{i}", tsa) for i, tsa in enumerate(tsas or ()))
    na = vraag.na
    vorm.append(None if na is None else na.status_tijdstip is not None)
    if na is not None:
        waarden["na_id"] = na.id
        if na.status_tijdstip is not None:
            waarden["na_tijdstip"] = na.status_tijdstip
    return tuple(vorm), waarden


def _geldige_sleutel(sleutel: str) -> bool:
    """Whether a sleutelVerzendend can be one of our ids (digits that fit a BIGINT); another matches nothing."""
    return sleutel.isascii() and sleutel.isdigit() and len(sleutel) <= 18


def _selectie(vraag: Zoekvraag) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the selection (criteria, key, visibility), with the parameters of :func:`_vorm`."""
    c = vordering.c
    condities: list[sa.ColumnElement[bool]] = []
    if vraag.sleutel is not None:
        condities.append(c.id == sa.bindparam("sleutel") if _geldige_sleutel(vraag.sleutel) else sa.false())
    condities += [_voorwaarde(vordering, v, f"v{i}") for i, v in enumerate(vraag.voorwaarden)]
    for j, groep in enumerate(vraag.groepen):
        tabel = GROEP_TABELLEN[groep.tabel]
        criteria = (_voorwaarde(tabel, v, f"g{j}_{i}") for i, v in enumerate(groep.voorwaarden))
        condities.append(sa.exists().where(tabel.c.vordering_id == c.id, *criteria))
    if vraag.zichtbare_tsas is not None:
        condities.append(c.tsa.in_([sa.bindparam(f"tsa{i}") for i in range(len(vraag.zichtbare_tsas))])
                         if vraag.zichtbare_tsas else sa.false())
    return condities


def zoek_stmt(vraag: Zoekvraag, limiet: int) -> sa.Select[Any]:
    """The SELECT of the ids with its values bound (exposed so that the benchmark can time the bare query)."""
    stmt, waarden = _statement("ids", "", vraag)
    bound: sa.Select[Any] = stmt.params(**waarden, limiet=limiet)
    return bound


def _zoek_stmt(vraag: Zoekvraag) -> sa.Select[Any]:
    """The SELECT of the ids, with the bind parameters of :func:`_vorm` and ``limiet``.

    Sortering 1 is a UNION ALL of two index-friendly parts, each limited: the vorderingen with a status
    moment (``status_tijdstip DESC, id``) and those without (``id``); the outer ORDER BY sorts at most
    2 × ``limiet`` rows.  One ORDER BY over the nullable column could use no index on either database.
    """
    c = vordering.c
    condities = _selectie(vraag)
    na = vraag.na
    limiet = sa.bindparam("limiet", type_=sa.Integer)
    if vraag.sortering != 1:
        stmt = sa.select(c.id).where(*condities)
        if na is not None:
            stmt = stmt.where(c.id > sa.bindparam("na_id"))
        return stmt.order_by(c.id).limit(limiet)
    met = sa.select(c.id, sa.literal(0).label("groep"), c.status_tijdstip).where(
        *condities, c.status_tijdstip.is_not(None))
    zonder = sa.select(c.id, sa.literal(1).label("groep"), c.status_tijdstip).where(
        *condities, c.status_tijdstip.is_(None))
    if na is not None and na.status_tijdstip is not None:
        tijdstip = sa.bindparam("na_tijdstip", type_=c.status_tijdstip.type)
        met = met.where(sa.or_(c.status_tijdstip < tijdstip,
                               sa.and_(c.status_tijdstip == tijdstip, c.id > sa.bindparam("na_id"))))
    elif na is not None:
        met = met.where(sa.false())
        zonder = zonder.where(c.id > sa.bindparam("na_id"))
    delen = sa.union_all(
        sa.select(met.order_by(c.status_tijdstip.desc(), c.id).limit(limiet).subquery()),
        sa.select(zonder.order_by(c.id).limit(limiet).subquery())).subquery()
    return sa.select(delen.c.id).order_by(delen.c.groep, delen.c.status_tijdstip.desc(), delen.c.id).limit(limiet)


def _vorderingen_stmt(dialect: str, vraag: Zoekvraag) -> sa.Select[Any]:
    """The matching vorderingen, complete, in the asked order (one statement)."""
    c = vordering.c
    stmt = vorderingen_select(dialect, _zoek_stmt(vraag))
    if vraag.sortering != 1:
        return stmt.order_by(c.id)
    return stmt.order_by(c.status_tijdstip.is_(None), c.status_tijdstip.desc(), c.id)


_STATEMENTS: dict[Hashable, Any] = {}
#: Shapes kept at most (questions come in few shapes; a flood of odd ones must not grow memory).
MAX_SHAPES = 1000


def _statement(soort: str, dialect: str, vraag: Zoekvraag) -> tuple[Any, dict[str, Any]]:
    """The statement for this question's shape (made once) and its parameters: ``ids`` a SELECT of the ids,
    ``vorderingen`` a :class:`DriverSelect` of the complete vorderingen."""
    vorm, waarden = _vorm(vraag)
    key = (soort, dialect, vorm)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _zoek_stmt(vraag) if soort == "ids" else DriverSelect(_vorderingen_stmt(dialect, vraag))
        if len(_STATEMENTS) >= MAX_SHAPES:
            _STATEMENTS.clear()
        _STATEMENTS[key] = stmt
    return stmt, waarden


def zoek_ids(conn: Connection, vraag: Zoekvraag, limiet: int) -> list[int]:
    """The ids of at most ``limiet`` matching vorderingen, in the asked order."""
    if limiet <= 0:
        return []
    stmt, waarden = _statement("ids", "", vraag)  # (the same for every database)
    return list(conn.execute(stmt, {**waarden, "limiet": limiet}).scalars())


def zoek_vorderingen(conn: Connection, vraag: Zoekvraag, limiet: int) -> list[Vordering]:
    """At most ``limiet`` matching vorderingen, complete and in the asked order: one statement, on the driver's
    cursor (it runs for every question)."""
    if limiet <= 0:
        return []
    select, waarden = _statement("vorderingen", conn.dialect.name, vraag)
    return vorderingen_uit(select.rows(conn, {**waarden, "limiet": limiet}))


def startpunt(conn: Connection, ids: Sequence[int]) -> Startpunt | None:
    """The sort key of the first of ``ids`` that is stored (None when none is)."""
    if not ids:
        return None
    c = vordering.c
    rows = {r.id: r for r in conn.execute(sa.select(c.id, c.status_tijdstip).where(c.id.in_(list(ids))))}
    for i in ids:
        if i in rows:
            return Startpunt(i, rows[i].status_tijdstip)
    return None


__all__ = ["GROEP_TABELLEN", "startpunt", "zoek_ids", "zoek_stmt", "zoek_vorderingen"]
