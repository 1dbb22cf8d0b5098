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
from stuf_fin.fin.vraag.query import Condition, Query, ResumePoint
from stuf_fin.store.driver_select import DriverSelect
from stuf_fin.store.tables import btw_totaalregel, termijn, vordering, vorderingsregel
from stuf_fin.store.vorderingen import vorderingen_from, vorderingen_select

#: Child tables a group criterion can run on (EXISTS on one row).
GROUP_TABLES = {t.name: t for t in (vorderingsregel, btw_totaalregel, termijn)}
#: Columns stored as "" (never NULL) when the value is absent.
_EMPTY_IS_EMPTY_TEXT = frozenset({"organisatie_nnp_id"})


def _condition(table: sa.Table, v: Condition, naam: str) -> sa.ColumnElement[bool]:
    col = table.c[v.column]
    if v.soort == "gelijk":
        return col == sa.bindparam(naam)
    if v.soort == "begint":  # case-sensitive on both databases
        return sa.func.substr(col, 1, sa.bindparam(naam + "_lengte", type_=sa.Integer)) == sa.bindparam(naam)
    if v.soort == "leeg":
        return col == "" if v.column in _EMPTY_IS_EMPTY_TEXT else col.is_(None)
    if v.soort == "niet":
        return sa.or_(col.is_(None), col != sa.bindparam(naam))
    raise ValueError(f"onbekende soort voorwaarde {v.soort!r}")


def _shape(vraag: Query) -> tuple[Hashable, dict[str, Any]]:
    """The shape of a question (what its SQL depends on) and the values of its bind parameters.

    Questions of one shape share one statement object (:func:`_statement`), so SQLAlchemy finds its compiled
    form without building and hashing a new statement per question.
    """
    waarden: dict[str, Any] = {}

    def criteria(conditions: Sequence[Condition], prefix: str) -> tuple[tuple[str, str], ...]:
        for i, v in enumerate(conditions):
            if v.soort in ("gelijk", "niet"):
                waarden[f"{prefix}{i}"] = v.waarde
            elif v.soort == "begint":
                waarden[f"{prefix}{i}"] = text = str(v.waarde)
                waarden[f"{prefix}{i}_lengte"] = len(text)
        return tuple((v.column, v.soort) for v in conditions)

    sleutel = None
    if vraag.sleutel is not None:
        sleutel = _valid_key(vraag.sleutel)
        if sleutel:
            waarden["sleutel"] = int(vraag.sleutel)
    vorm: list[Hashable] = [vraag.sortering, sleutel, criteria(vraag.conditions, "v"),
                            tuple((g.tabel, criteria(g.conditions, f"g{j}_")) for j, g in enumerate(vraag.groups))]
    tsas = None if vraag.visible_tsas is None else sorted(vraag.visible_tsas)
    vorm.append(None if tsas is None else len(tsas))
    waarden.update((f"tsa{i}", tsa) for i, tsa in enumerate(tsas or ()))
    na = vraag.na
    vorm.append(None if na is None else na.status_tijdstip is not None)
    if na is not None:
        waarden["na_id"] = na.id
        if na.status_tijdstip is not None:
            waarden["na_tijdstip"] = na.status_tijdstip
    return tuple(vorm), waarden


def _valid_key(sleutel: str) -> bool:
    """Whether a sleutelVerzendend can be one of our ids (digits that fit a BIGINT); another matches nothing."""
    return sleutel.isascii() and sleutel.isdigit() and len(sleutel) <= 18


def _selection(vraag: Query) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the selection (criteria, key, visibility), with the parameters of :func:`_shape`."""
    c = vordering.c
    clauses: list[sa.ColumnElement[bool]] = []
    if vraag.sleutel is not None:
        clauses.append(c.id == sa.bindparam("sleutel") if _valid_key(vraag.sleutel) else sa.false())
    clauses += [_condition(vordering, v, f"v{i}") for i, v in enumerate(vraag.conditions)]
    for j, group in enumerate(vraag.groups):
        tabel = GROUP_TABLES[group.tabel]
        criteria = (_condition(tabel, v, f"g{j}_{i}") for i, v in enumerate(group.conditions))
        clauses.append(sa.exists().where(tabel.c.vordering_id == c.id, *criteria))
    if vraag.visible_tsas is not None:
        clauses.append(c.tsa.in_([sa.bindparam(f"tsa{i}") for i in range(len(vraag.visible_tsas))])
                       if vraag.visible_tsas else sa.false())
    return clauses


def search_stmt(vraag: Query, limit: int) -> sa.Select[Any]:
    """The SELECT of the ids with its values bound (exposed so that the benchmark can time the bare query)."""
    stmt, waarden = _statement("ids", "", vraag)
    bound: sa.Select[Any] = stmt.params(**waarden, limit=limit)
    return bound


def _search_stmt(vraag: Query) -> sa.Select[Any]:
    """The SELECT of the ids, with the bind parameters of :func:`_shape` and ``limit``.

    Sortering 1 is a UNION ALL of two index-friendly parts, each limited: the vorderingen with a status
    moment (``status_tijdstip DESC, id``) and those without (``id``); the outer ORDER BY sorts at most
    2 × ``limit`` rows.  One ORDER BY over the nullable column could use no index on either database.
    """
    c = vordering.c
    clauses = _selection(vraag)
    na = vraag.na
    limit = sa.bindparam("limit", type_=sa.Integer)
    if vraag.sortering != 1:
        stmt = sa.select(c.id).where(*clauses)
        if na is not None:
            stmt = stmt.where(c.id > sa.bindparam("na_id"))
        return stmt.order_by(c.id).limit(limit)
    met = sa.select(c.id, sa.literal(0).label("group"), c.status_tijdstip).where(
        *clauses, c.status_tijdstip.is_not(None))
    without = sa.select(c.id, sa.literal(1).label("group"), c.status_tijdstip).where(
        *clauses, c.status_tijdstip.is_(None))
    if na is not None and na.status_tijdstip is not None:
        tijdstip = sa.bindparam("na_tijdstip", type_=c.status_tijdstip.type)
        met = met.where(sa.or_(c.status_tijdstip < tijdstip,
                               sa.and_(c.status_tijdstip == tijdstip, c.id > sa.bindparam("na_id"))))
    elif na is not None:
        met = met.where(sa.false())
        without = without.where(c.id > sa.bindparam("na_id"))
    parts = sa.union_all(
        sa.select(met.order_by(c.status_tijdstip.desc(), c.id).limit(limit).subquery()),
        sa.select(without.order_by(c.id).limit(limit).subquery())).subquery()
    return sa.select(parts.c.id).order_by(parts.c.group, parts.c.status_tijdstip.desc(), parts.c.id).limit(limit)


def _vorderingen_stmt(dialect: str, vraag: Query) -> sa.Select[Any]:
    """The matching vorderingen, complete, in the asked order (one statement)."""
    c = vordering.c
    stmt = vorderingen_select(dialect, _search_stmt(vraag))
    if vraag.sortering != 1:
        return stmt.order_by(c.id)
    return stmt.order_by(c.status_tijdstip.is_(None), c.status_tijdstip.desc(), c.id)


_STATEMENTS: dict[Hashable, Any] = {}
#: Shapes kept at most (questions come in few shapes; a flood of odd ones must not grow memory).
MAX_SHAPES = 1000


def _statement(soort: str, dialect: str, vraag: Query) -> tuple[Any, dict[str, Any]]:
    """The statement for this question's shape (made once) and its parameters: ``ids`` a SELECT of the ids,
    ``vorderingen`` a :class:`DriverSelect` of the complete vorderingen."""
    vorm, waarden = _shape(vraag)
    key = (soort, dialect, vorm)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _search_stmt(vraag) if soort == "ids" else DriverSelect(_vorderingen_stmt(dialect, vraag))
        if len(_STATEMENTS) >= MAX_SHAPES:
            _STATEMENTS.clear()
        _STATEMENTS[key] = stmt
    return stmt, waarden


def search_ids(conn: Connection, vraag: Query, limit: int) -> list[int]:
    """The ids of at most ``limit`` matching vorderingen, in the asked order."""
    if limit <= 0:
        return []
    stmt, waarden = _statement("ids", "", vraag)  # (the same for every database)
    return list(conn.execute(stmt, {**waarden, "limit": limit}).scalars())


def search_vorderingen(conn: Connection, vraag: Query, limit: int) -> list[Vordering]:
    """At most ``limit`` matching vorderingen, complete and in the asked order: one statement, on the driver's
    cursor (it runs for every question)."""
    if limit <= 0:
        return []
    select, waarden = _statement("vorderingen", conn.dialect.name, vraag)
    return vorderingen_from(select.rows(conn, {**waarden, "limit": limit}))


def resume_point(conn: Connection, ids: Sequence[int]) -> ResumePoint | None:
    """The sort key of the first of ``ids`` that is stored (None when none is)."""
    if not ids:
        return None
    c = vordering.c
    rows = {r.id: r for r in conn.execute(sa.select(c.id, c.status_tijdstip).where(c.id.in_(list(ids))))}
    for i in ids:
        if i in rows:
            return ResumePoint(i, rows[i].status_tijdstip)
    return None


__all__ = ["GROUP_TABLES", "resume_point", "search_ids", "search_stmt", "search_vorderingen"]
