"""Bulk insert of many rows into one table: one function, one strategy per database.

* SQLite: one driver-level ``executemany`` of a prepared ``INSERT`` (no per-row SQLAlchemy work);
* PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3 (about 3-4x faster than ``executemany``), in the binary
  format (nothing to format as text and parse again, bytea as is), or for a few rows one ``INSERT`` with a
  ``VALUES`` list (one round trip; psycopg's ``executemany`` would enter pipeline mode, more work for few rows).
  :func:`insert_tables` puts the few rows of several tables in one statement (data-modifying ``WITH``).

Values go through the same SQLAlchemy bind processors as a Core ``insert`` (``UtcTime`` to UTC, dates,
JSON), column by column, so what is stored is what ``conn.execute(sa.insert(table), rows)`` stores.
Errors come back wrapped as SQLAlchemy exceptions (a duplicate key is an ``IntegrityError``).
The caller's transaction is used; nothing is committed here.
"""

from __future__ import annotations

import struct
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from stuf_fin.store.driver_select import driver_execute

Processor = Callable[[Any], Any] | None
#: Fewer rows go in with one ``INSERT ... VALUES`` list (one round trip; COPY takes two).
COPY_MIN_ROWS = 50
#: One part of :func:`insert_tables`: a table, its column names and the rows (tuples in that order).
Part = tuple[sa.Table, Sequence[str], Sequence[tuple[Any, ...]]]


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, column names of ``table``)."""
    if rows:
        names = tuple(rows[0])
        insert_values(conn, table, names, [tuple(row[name] for name in names) for row in rows])


def insert_values(conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows``: one tuple of values per row, in the order of the column ``names`` of ``table``."""
    insert_tables(conn, [(table, names, rows)])


def insert_tables(conn: Connection, parts: Sequence[Part]) -> None:
    """Insert the rows of each part (``(table, names, rows)``, in order: a foreign key may point at an earlier
    part's rows).  On PostgreSQL the parts with fewer than :data:`COPY_MIN_ROWS` rows go in one statement, a
    chain of ``WITH … AS (INSERT … VALUES …)`` (one round trip for a message's regels, BTW totals and
    termijnen); larger parts by ``COPY``.  On SQLite one ``executemany`` per part."""
    filled = [(table, tuple(names), rows) for table, names, rows in parts if rows]
    postgresql = conn.dialect.name == "postgresql"
    few: list[tuple[sa.Table, tuple[str, ...], Sequence[tuple[Any, ...]]]] = []
    for table, names, rows in filled:
        processed = _processed_rows(conn.dialect, table, names, rows)
        if not postgresql:
            statement = _plan(conn.dialect, table, names)[1]
            if len(processed) == 1:
                run(conn, statement, processed[0])
            else:
                run(conn, statement, processed, many=True)
        elif len(processed) >= COPY_MIN_ROWS:
            _insert_few(conn, few)  # the earlier parts first
            few = []
            _copy(conn, table, names, processed)
        else:
            few.append((table, names, processed))
    _insert_few(conn, few)


def _insert_few(conn: Connection, parts: list[tuple[sa.Table, tuple[str, ...], Sequence[tuple[Any, ...]]]]) -> None:
    if parts:
        statement = _values_statement(conn.dialect, tuple((table, names, len(rows)) for table, names, rows in parts))
        run(conn, statement, tuple(value for _t, _n, rows in parts for row in rows for value in row))


def _processed_rows(dialect: Dialect, table: sa.Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
                    ) -> Sequence[tuple[Any, ...]]:
    """``rows`` with the columns' bind processors applied (column by column)."""
    processors = _plan(dialect, table, names)[0]
    if not any(processors):
        return rows
    columns = [_processed(processor, column) if processor is not None else column
               for processor, column in zip(processors, zip(*rows, strict=True), strict=True)]
    return list(zip(*columns, strict=True))


def _values_statement(dialect: Dialect, shape: tuple[tuple[sa.Table, tuple[str, ...], int], ...]) -> str:
    """``INSERT … VALUES (…), (…)`` for each (table, names, number of rows) of ``shape``, chained by ``WITH``
    into one statement; made once per shape."""
    statements = _VALUES.setdefault(dialect, {})
    statement = statements.get(shape)
    if statement is None:
        inserts, first = [], 0
        for table, names, count in shape:
            rows = []
            for _ in range(count):
                rows.append(f"({_placeholders(dialect, len(names), first)})")
                first += len(names)
            inserts.append(f"INSERT INTO {_quoted(dialect, table)} ({_column_list(dialect, names)}) VALUES "
                           + ", ".join(rows))
        *earlier, last = inserts
        statement = "".join(f"{'WITH' if i == 0 else ','} _{i} AS ({sql}) " for i, sql in enumerate(earlier)) + last
        if len(statements) < _VALUES_KEPT:
            statements[shape] = statement
    return statement


#: At most this many statements of :func:`_values_statement` are kept per dialect (a message's shape varies).
_VALUES_KEPT = 1000


def insert_statement(conn: Connection, table: sa.Table, names: Sequence[str]) -> str:
    """The driver-level ``INSERT`` of the columns ``names`` of ``table`` (made once; run it with :func:`run`)."""
    return _plan(conn.dialect, table, tuple(names))[1]


def run(conn: Connection, statement: str, params: Any, *, many: bool = False, fetch: bool = False) -> list[Any]:
    """A statement of this module (its placeholders: ``?`` on SQLite, ``$1``, ``$2``, … on PostgreSQL) run on the
    driver's cursor (:func:`stuf_fin.store.driver_select.driver_execute`); with ``fetch``, its rows."""
    return driver_execute(conn, statement, params, many=many, numbered=conn.dialect.name == "postgresql",
                          fetch=fetch)


def _placeholders(dialect: Dialect, count: int, first: int = 0) -> str:
    """``count`` placeholders of the driver's own, numbered from ``first`` + 1 on PostgreSQL (for :func:`run`)."""
    if dialect.paramstyle == "qmark":
        return ", ".join("?" for _ in range(count))
    return ", ".join(f"${n}" for n in range(first + 1, first + count + 1))


def process(conn: Connection, table: sa.Table, names: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    """One row's values as :func:`insert_values` binds them (the columns' bind processors, NULL left alone)."""
    processors = _plan(conn.dialect, table, tuple(names))[0]
    return tuple(value if value is None or processor is None else processor(value)
                 for processor, value in zip(processors, values, strict=True))


def _plan(dialect: Dialect, table: sa.Table, names: tuple[str, ...]) -> tuple[list[Processor], str]:
    """The bind processors of the columns ``names`` of ``table`` and the ``INSERT`` for them; made once."""
    plans = _PLANS.setdefault(dialect, {})
    plan = plans.get((table, names))
    if plan is None:
        statement = (f"INSERT INTO {_quoted(dialect, table)} ({_column_list(dialect, names)}) "
                     f"VALUES ({_placeholders(dialect, len(names))})")
        plan = plans[(table, names)] = ([_processor(dialect, table.c[name]) for name in names], statement)
    return plan


def _processed(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """``processor`` applied to each value; a value seen before in the column is not processed again (a
    message's rows share their moment of receipt)."""
    seen: dict[Any, Any] = {}
    result: list[Any] = []
    for value in values:  # (no exception per value: a message has thousands of values seen once)
        if value is None:
            result.append(None)
        elif type(value) is dict:  # a JSON column's (unhashable)
            result.append(processor(value))
        else:
            try:
                processed = seen.get(value, seen)  # ``seen`` itself: not seen yet
            except TypeError:  # unhashable otherwise
                processed = processor(value)
            else:
                if processed is seen:
                    processed = seen[value] = processor(value)
            result.append(processed)
    return result


def _processor(dialect: Dialect, column: sa.Column[Any]) -> Processor:
    """What Core applies to a non-NULL value of ``column`` (None: nothing); looked up once per column.

    Only for processors that leave None alone (every type of our tables; checked), since NULLs skip them.
    A date on SQLite: ``date.isoformat()``, the same text as SQLAlchemy's default storage format, for less.
    Binary on SQLite: none (Core wraps each value in ``sqlite3.Binary``, a ``memoryview``; the driver binds the
    bytes as the same BLOB itself).
    """
    known = _PROCESSORS.setdefault(dialect, {})
    if column not in known:
        impl = column.type.dialect_impl(dialect)
        processor: Processor = impl.bind_processor(dialect)
        if processor is not None and processor(None) is not None:
            raise TypeError(f"{column}: a bind processor that stores NULL as something else")
        if dialect.name == "sqlite" and isinstance(impl, sa.LargeBinary):
            processor = None
        if processor is not None and isinstance(impl, sa.Date) and dialect.name == "sqlite" and getattr(
                impl, "_storage_format", None) == _SQLITE_DATE and not isinstance(impl, sa.DateTime):
            processor = _sqlite_date(processor)
        known[column] = processor
    return known[column]


_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"


def _sqlite_date(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def process(value: Any) -> Any:
        return value.isoformat() if type(value) is date else processor(value)
    return process


_PROCESSORS: weakref.WeakKeyDictionary[Dialect, dict[sa.Column[Any], Processor]] = weakref.WeakKeyDictionary()
_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[sa.Table, tuple[str, ...]], tuple[list[Processor], str]]] = (
    weakref.WeakKeyDictionary())
_VALUES: weakref.WeakKeyDictionary[Dialect, dict[tuple[tuple[sa.Table, tuple[str, ...], int], ...], str]] = (
    weakref.WeakKeyDictionary())


def _copy(conn: Connection, table: sa.Table, names: Sequence[str], values: Sequence[tuple[Any, ...]]) -> None:
    """``COPY`` in PostgreSQL's binary format when psycopg knows every column's type (no text to format and parse,
    bytea sent as is), else in text format."""
    types = [_binary_copy_type(table.c[name].type) for name in names]
    binary = all(types)
    statement = (f"COPY {_quoted(conn.dialect, table)} ({_column_list(conn.dialect, names)}) FROM STDIN"
                 + (" (FORMAT binary)" if binary else ""))
    dbapi: Any = conn.connection.dbapi_connection  # psycopg's (PostgreSQL only): cursor().copy()
    try:
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            if binary:
                copy.set_types(types)
            for row in values:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error) from exc


def _binary_copy_type(column_type: sa.types.TypeEngine[Any]) -> str | None:
    """The PostgreSQL type psycopg dumps a column's (processed) values as in a binary ``COPY``; None: unknown."""
    if isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.DateTime):
        return "timestamptz" if column_type.timezone else "timestamp"
    for kind, name in _BINARY_COPY_TYPES:
        if isinstance(column_type, kind):
            return name
    return None


#: (SQLAlchemy type, PostgreSQL type); the first match counts (a BigInteger is an Integer too).
_BINARY_COPY_TYPES: tuple[tuple[type, str], ...] = (
    (sa.BigInteger, "int8"), (sa.SmallInteger, "int2"), (sa.Integer, "int4"), (sa.String, "text"),
    (sa.LargeBinary, "bytea"), (sa.Date, "date"), (sa.JSON, "json"))


def copy_row_with_blob(conn: Connection, table: sa.Table, values: dict[str, Any], blob_column: str, blob: bytes,
                       piece: int = 1024 * 1024) -> None:
    """Insert one row on PostgreSQL with ``blob`` (bytea) sent in pieces: binary ``COPY`` written by hand, so
    that the blob is never copied whole (a bound parameter costs psycopg/libpq two copies of it).

    ``values``: the other columns (text, integer, aware datetime or None).
    """
    names = list(values)
    statement = (f"COPY {_quoted(conn.dialect, table)} ({_column_list(conn.dialect, [*names, blob_column])}) "
                 "FROM STDIN (FORMAT binary)")
    head = bytearray(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!iih", 0, 0, len(names) + 1))
    for name in names:
        head += _binary_field(table.c[name], values[name])
    head += struct.pack("!i", len(blob))
    view = memoryview(blob)
    dbapi: Any = conn.connection.dbapi_connection  # psycopg's (PostgreSQL only): cursor().copy()
    try:
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(bytes(head))
            for start in range(0, len(blob), piece):
                copy.write(view[start:start + piece])
            copy.write(struct.pack("!h", -1))
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error) from exc


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _binary_field(column: sa.Column[Any], value: Any) -> bytes:
    """One field of PostgreSQL's binary COPY format (length-prefixed; -1 for NULL)."""
    if value is None:
        return struct.pack("!i", -1)
    if isinstance(value, str):
        data = value.encode()
    elif isinstance(value, bytes):
        data = value
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} for {column.name}")
        delta = value - _PG_EPOCH
        data = struct.pack("!q", (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)
    elif isinstance(value, int):
        data = struct.pack("!q" if isinstance(column.type, sa.BigInteger) else "!i", value)
    else:
        raise TypeError(f"no binary COPY encoding for {type(value).__name__} ({column.name})")
    return struct.pack("!i", len(data)) + data


def _quoted(dialect: Dialect, table: sa.Table) -> str:
    return dialect.identifier_preparer.format_table(table)


def _column_list(dialect: Dialect, names: Sequence[str]) -> str:
    quote = dialect.identifier_preparer.quote
    return ", ".join(quote(name) for name in names)
