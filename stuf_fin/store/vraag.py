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


def _condition(table: sa.Table, v: Condition, name: str) -> sa.ColumnElement[bool]:
    col = table.c[v.column]
    if v.operator == "gelijk":
        return col == sa.bindparam(name)
    if v.operator == "begint":  # case-sensitive on both databases
        return sa.func.substr(col, 1, sa.bindparam(name + "_length", type_=sa.Integer)) == sa.bindparam(name)
    if v.operator == "leeg":
        return col == "" if v.column in _EMPTY_IS_EMPTY_TEXT else col.is_(None)
    if v.operator == "niet":
        return sa.or_(col.is_(None), col != sa.bindparam(name))
    raise ValueError(f"onbekende soort voorwaarde {v.operator!r}")


def _shape(query: Query) -> tuple[Hashable, dict[str, Any]]:
    """The shape of a question (what its SQL depends on) and the values of its bind parameters.

    Questions of one shape share one statement object (:func:`_statement`), so SQLAlchemy finds its compiled
    form without building and hashing a new statement per question.
    """
    values: dict[str, Any] = {}

    def criteria(conditions: Sequence[Condition], prefix: str) -> tuple[tuple[str, str], ...]:
        for i, v in enumerate(conditions):
            if v.operator in ("gelijk", "niet"):
                values[f"{prefix}{i}"] = v.value
            elif v.operator == "begint":
                values[f"{prefix}{i}"] = text = str(v.value)
                values[f"{prefix}{i}_length"] = len(text)
        return tuple((v.column, v.operator) for v in conditions)

    key = None
    if query.sleutel is not None:
        key = _valid_key(query.sleutel)
        if key:
            values["sleutel"] = int(query.sleutel)
    shape: list[Hashable] = [query.sortering, key, criteria(query.conditions, "v"),
                             tuple((g.table, criteria(g.conditions, f"g{j}_")) for j, g in enumerate(query.groups))]
    tsas = None if query.visible_tsas is None else sorted(query.visible_tsas)
    shape.append(None if tsas is None else len(tsas))
    values.update((f"tsa{i}", tsa) for i, tsa in enumerate(tsas or ()))
    after = query.after
    shape.append(None if after is None else after.status_tijdstip is not None)
    if after is not None:
        values["after_id"] = after.id
        if after.status_tijdstip is not None:
            values["after_moment"] = after.status_tijdstip
    return tuple(shape), values


def _valid_key(key: str) -> bool:
    """Whether a sleutelVerzendend can be one of our ids (digits that fit a BIGINT); another matches nothing."""
    return key.isascii() and key.isdigit() and len(key) <= 18


def _selection(query: Query) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the selection (criteria, key, visibility), with the parameters of :func:`_shape`."""
    c = vordering.c
    clauses: list[sa.ColumnElement[bool]] = []
    if query.sleutel is not None:
        clauses.append(c.id == sa.bindparam("sleutel") if _valid_key(query.sleutel) else sa.false())
    clauses += [_condition(vordering, v, f"v{i}") for i, v in enumerate(query.conditions)]
    for j, group in enumerate(query.groups):
        table = GROUP_TABLES[group.table]
        criteria = (_condition(table, v, f"g{j}_{i}") for i, v in enumerate(group.conditions))
        clauses.append(sa.exists().where(table.c.vordering_id == c.id, *criteria))
    if query.visible_tsas is not None:
        clauses.append(c.tsa.in_([sa.bindparam(f"tsa{i}") for i in range(len(query.visible_tsas))])
                       if query.visible_tsas else sa.false())
    return clauses


def search_stmt(query: Query, limit: int) -> sa.Select[Any]:
    """The SELECT of the ids with its values bound (exposed so that the benchmark can time the bare query)."""
    stmt, values = _statement("ids", "", query)
    bound: sa.Select[Any] = stmt.params(**values, limit=limit)
    return bound


def _search_stmt(query: Query) -> sa.Select[Any]:
    """The SELECT of the ids, with the bind parameters of :func:`_shape` and ``limit``.

    Sortering 1 is a UNION ALL of two index-friendly parts, each limited: the vorderingen with a status
    moment (``status_tijdstip DESC, id``) and those without (``id``); the outer ORDER BY sorts at most
    2 × ``limit`` rows.  One ORDER BY over the nullable column could use no index on either database.
    """
    c = vordering.c
    clauses = _selection(query)
    after = query.after
    limit = sa.bindparam("limit", type_=sa.Integer)
    if query.sortering != 1:
        stmt = sa.select(c.id).where(*clauses)
        if after is not None:
            stmt = stmt.where(c.id > sa.bindparam("after_id"))
        return stmt.order_by(c.id).limit(limit)
    with_moment = sa.select(c.id, sa.literal(0).label("group"), c.status_tijdstip).where(
        *clauses, c.status_tijdstip.is_not(None))
    without = sa.select(c.id, sa.literal(1).label("group"), c.status_tijdstip).where(
        *clauses, c.status_tijdstip.is_(None))
    if after is not None and after.status_tijdstip is not None:
        moment = sa.bindparam("after_moment", type_=c.status_tijdstip.type)
        with_moment = with_moment.where(sa.or_(c.status_tijdstip < moment,
                                               sa.and_(c.status_tijdstip == moment, c.id > sa.bindparam("after_id"))))
    elif after is not None:
        with_moment = with_moment.where(sa.false())
        without = without.where(c.id > sa.bindparam("after_id"))
    parts = sa.union_all(
        sa.select(with_moment.order_by(c.status_tijdstip.desc(), c.id).limit(limit).subquery()),
        sa.select(without.order_by(c.id).limit(limit).subquery())).subquery()
    return sa.select(parts.c.id).order_by(parts.c.group, parts.c.status_tijdstip.desc(), parts.c.id).limit(limit)


def _vorderingen_stmt(dialect: str, query: Query) -> sa.Select[Any]:
    """The matching vorderingen, complete, in the asked order (one statement)."""
    c = vordering.c
    stmt = vorderingen_select(dialect, _search_stmt(query))
    if query.sortering != 1:
        return stmt.order_by(c.id)
    return stmt.order_by(c.status_tijdstip.is_(None), c.status_tijdstip.desc(), c.id)


_STATEMENTS: dict[Hashable, Any] = {}
#: Shapes kept at most (questions come in few shapes; a flood of odd ones must not grow memory).
MAX_SHAPES = 1000


def _statement(kind: str, dialect: str, query: Query) -> tuple[Any, dict[str, Any]]:
    """The statement for this question's shape (made once) and its parameters: ``ids`` a SELECT of the ids,
    ``vorderingen`` a :class:`DriverSelect` of the complete vorderingen."""
    shape, values = _shape(query)
    key = (kind, dialect, shape)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _search_stmt(query) if kind == "ids" else DriverSelect(_vorderingen_stmt(dialect, query))
        if len(_STATEMENTS) >= MAX_SHAPES:
            _STATEMENTS.clear()
        _STATEMENTS[key] = stmt
    return stmt, values


def search_ids(conn: Connection, query: Query, limit: int) -> list[int]:
    """The ids of at most ``limit`` matching vorderingen, in the asked order."""
    if limit <= 0:
        return []
    stmt, values = _statement("ids", "", query)  # (the same for every database)
    return list(conn.execute(stmt, {**values, "limit": limit}).scalars())


def search_vorderingen(conn: Connection, query: Query, limit: int) -> list[Vordering]:
    """At most ``limit`` matching vorderingen, complete and in the asked order: one statement, on the driver's
    cursor (it runs for every question)."""
    if limit <= 0:
        return []
    select, values = _statement("vorderingen", conn.dialect.name, query)
    return vorderingen_from(select.rows(conn, {**values, "limit": limit}))


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
