"""Statements run on the driver's own cursor: the per-request SELECTs (:class:`DriverSelect`) and the hot INSERTs
of a message (:func:`driver_execute`, used by :mod:`stuf_fin.store.bulk` and :mod:`stuf_fin.store.archive`).

For a statement run on every request.  SQLAlchemy costs some 20 µs per statement on SQLite and 30–100 µs on
PostgreSQL (an execution context, a result object; for a wide row psycopg builds ``cursor.description`` anew on
every execution, and SQLAlchemy asks for it); here a Core statement is compiled once per dialect and its rows come
back as named tuples with the same result processors Core applies (dates and JSON on SQLite, ``UtcTime`` on both), its
parameters with the same bind processors.  Errors come back wrapped as SQLAlchemy exceptions (a duplicate key is an
``IntegrityError``), and a connection the error broke is invalidated, as Core does.  Runs in the caller's
transaction, or outside any (:meth:`stuf_fin.store.db.Store.autocommit`).
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any]


class _Plan:
    """The compiled form of a statement for one dialect."""

    def __init__(self, stmt: sa.Select[Any], dialect: Dialect):
        self.compiled = stmt.compile(dialect=dialect)
        if any(b.expanding for b in self.compiled.binds.values()):
            raise ValueError("an expanding parameter needs SQLAlchemy's own execution")
        self.sql = self.compiled.string
        self.positions = self.compiled.positiontup if dialect.paramstyle in ("qmark", "numeric") else None
        self.binds: dict[str, Processor] = {}
        for name, bind in self.compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.binds[name] = processor
        self.results = [(i, p) for i, c in enumerate(stmt.selected_columns)
                        if (p := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]
        self.row: Any = namedtuple("Row", [c.name for c in stmt.selected_columns])  # type: ignore[misc]  # (made at run time)

    def parameters(self, values: dict[str, Any]) -> Any:
        params = self.compiled.construct_params(values)
        for name, processor in self.binds.items():
            if params.get(name) is not None:
                params[name] = processor(params[name])
        return params if self.positions is None else tuple(params[name] for name in self.positions)

    def rows(self, raw: list[Any]) -> list[Any]:
        if not self.results:
            return [self.row._make(r) for r in raw]
        rows = []
        for r in raw:
            r = list(r)
            for i, processor in self.results:
                if r[i] is not None:
                    r[i] = processor(r[i])
            rows.append(self.row._make(r))
        return rows


class DriverSelect:
    """A SELECT (bind parameters by name, no expanding ones) to run on the driver's cursor."""

    def __init__(self, stmt: sa.Select[Any]):
        self.stmt = stmt
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()

    def rows(self, conn: Connection, values: dict[str, Any]) -> list[Any]:
        """All rows, as named tuples (the statement's column names)."""
        dialect = conn.dialect
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _Plan(self.stmt, dialect)
        return plan.rows(driver_execute(conn, plan.sql, plan.parameters(values), fetch=True))


def driver_execute(conn: Connection, sql: str, params: Any, *, many: bool = False, numbered: bool = False,
                   fetch: bool = False) -> list[Any]:
    """``sql`` (the driver's paramstyle; ``params`` already bound as Core would bind them) executed on the driver's
    cursor of ``conn`` (``many``: ``executemany`` of a sequence of parameter sets); with ``fetch``, its rows as the
    driver gives them, else ``[]`` (the caller says which: asking psycopg whether a statement returned rows builds
    its ``cursor.description``, ~0.1 ms for a wide row).  A driver error is raised as SQLAlchemy's exception for it,
    and a connection it broke is invalidated first.

    ``numbered`` (PostgreSQL): the placeholders are ``$1``, ``$2``, …, run on psycopg's ``RawCursor``, which sends
    the statement as it is (psycopg parses a ``%s`` statement of more than 50 parameters anew on every execution:
    ~90 µs for a vordering's four regels)."""
    fairy = conn.connection
    dialect = conn.dialect
    cursor = None
    try:
        driver: Any = fairy.driver_connection  # sqlite3's or psycopg's connection
        cursor = _raw_cursor(driver) if numbered else driver.cursor()
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []
    except dialect.loaded_dbapi.Error as exc:
        invalidated = dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if invalidated:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=invalidated) from exc
    finally:
        if cursor is not None:
            cursor.close()


def _raw_cursor(connection: Any) -> Any:
    from psycopg import RawCursor  # psycopg only when PostgreSQL is used

    return RawCursor(connection)


__all__ = ["DriverSelect", "driver_execute"]
