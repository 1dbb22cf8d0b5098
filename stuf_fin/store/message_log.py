"""The message archive as the console reads it: search with keyset paging, one message, what it touched.

Newest first by (``received_at``, ``id``); a page continues strictly after the last row of the previous one
(:class:`Cursor`), so no query ever skips rows with ``OFFSET``.  Every filter is an exact match on an indexed
column (``migrations/versions/0004_console.py``); a vorderingnummer is first turned into the ids of the messages
that created, changed or returned its vorderingen.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.store.db import chunks
from stuf_fin.store.tables import bericht, returned_vordering, vordering, vorderingstatus
from stuf_fin.store.vorderingen import SUMMARY as SUMMARY_VORDERING
from stuf_fin.stuf.stuurgegevens import SYSTEEM_PARTS

b = bericht.c
#: Columns of a message in a list (not the request and reply bytes).
SUMMARY = (b.id, b.received_at, b.answered_at, b.port, b.operation, b.direction, b.zender_organisatie,
           b.zender_applicatie, b.zender_administratie, b.zender_gebruiker, b.ontvanger_organisatie,
           b.ontvanger_applicatie, b.ontvanger_administratie, b.ontvanger_gebruiker, b.referentienummer,
           b.tijdstip_bericht, b.cross_refnummer, b.outcome, b.fault_code, b.authenticated_identity)
#: At most this many messages of one vorderingnummer are searched (the newest of each kind).
MAX_PER_VORDERINGNUMMER = 1000


@dataclass(frozen=True)
class Search:
    """What to look for; empty fields do not restrict.  Times: ``received_from`` <= received_at < ``received_until``."""

    referentienummer: str = ""
    cross_refnummer: str = ""
    zender_organisatie: str = ""
    zender_applicatie: str = ""
    operation: str = ""
    outcome: str = ""
    fault_code: str = ""
    vorderingnummer: str = ""
    received_from: datetime | None = None
    received_until: datetime | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-first order: the (received_at, id) of a row."""

    received_at: datetime
    id: int

    def token(self) -> str:
        text = f"{self.received_at.astimezone(UTC).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        """The cursor of a :meth:`token`; None for anything else."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, _, ident = text.partition("|")
            at = datetime.fromisoformat(moment)
            return cls(at if at.tzinfo else at.replace(tzinfo=UTC), int(ident)) if ident.isdigit() else None
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class Page:
    rows: list[sa.Row[*tuple[Any, ...]]]
    older: Cursor | None  # continue after this row for older messages (None: this is the oldest page)
    newer: Cursor | None  # continue before this row for newer messages (None: this is the newest page)


def _leading(search: Search) -> str | None:
    """The filter whose index should lead: the one that narrows most by nature (faults are rare, a zender sends
    a tenth, an operation a third, a success outcome nearly everything)."""
    if search.referentienummer or search.cross_refnummer or search.vorderingnummer:
        return "referentienummer" if search.referentienummer else (
            "cross_refnummer" if search.cross_refnummer else "id")
    if search.fault_code:
        return "fault_code"
    if search.outcome in ("Fo02", "Fo03"):
        return "outcome"
    for column in ("zender_applicatie", "operation", "outcome"):
        if getattr(search, column):
            return column
    return None


def equals(conn: Connection, column: sa.Column[Any], value: str, leading: bool) -> sa.ColumnElement[bool]:
    """``column = value``; on SQLite, which has no statistics on these columns, a filter that should not lead
    is written so that its index is not used (``column || ''``): SQLite would otherwise pick any equality index
    that also gives the order, e.g. a zender's 100,000 messages to find one referentienummer."""
    if leading or conn.dialect.name != "sqlite":
        return column == value
    return column.concat("") == value


def _conditions(conn: Connection, search: Search) -> list[Any] | None:
    """The WHERE conditions of ``search``; None when nothing can match."""
    found: list[Any] = []
    leading = _leading(search)
    for column, value in (("referentienummer", search.referentienummer), ("cross_refnummer", search.cross_refnummer),
                          ("zender_organisatie", search.zender_organisatie),
                          ("zender_applicatie", search.zender_applicatie), ("operation", search.operation),
                          ("outcome", search.outcome), ("fault_code", search.fault_code)):
        if value:
            found.append(equals(conn, b[column], value, column == leading))
    if search.received_from is not None:
        found.append(b.received_at >= search.received_from)
    if search.received_until is not None:
        found.append(b.received_at < search.received_until)
    if search.vorderingnummer:
        ids = message_ids_of_vorderingnummer(conn, search.vorderingnummer)
        if not ids:
            return None
        found.append(b.id.in_(ids))
    return found


def message_ids_of_vorderingnummer(conn: Connection, vorderingnummer: str) -> list[int]:
    """The messages that created, changed or returned (vrdLv01) a vordering with this number (the newest
    :data:`MAX_PER_VORDERINGNUMMER` of each kind)."""
    v, vs, rv = vordering.c, vorderingstatus.c, returned_vordering.c
    vids = sa.select(v.id).where(v.vorderingnummer == vorderingnummer).scalar_subquery()
    ids: set[int] = set()
    for stmt in (
            sa.select(v.bericht_id).where(v.vorderingnummer == vorderingnummer, v.bericht_id.is_not(None)),
            sa.select(vs.bericht_id).where(vs.vordering_id.in_(vids), vs.bericht_id.is_not(None))
            .order_by(vs.bericht_id.desc()),
            sa.select(rv.bericht_id).where(rv.vordering_id.in_(vids)).order_by(rv.bericht_id.desc())):
        ids.update(conn.execute(stmt.limit(MAX_PER_VORDERINGNUMMER)).scalars())
    return sorted(ids)


def search(conn: Connection, search: Search, *, limit: int = 50, after: Cursor | None = None,
           before: Cursor | None = None) -> Page:
    """One page of messages matching ``search``, newest first: the newest, those older than ``after``, or
    those newer than ``before``."""
    conditions = _conditions(conn, search)
    if conditions is None:
        return Page([], None, None)
    stmt = sa.select(*SUMMARY).where(*conditions)
    if before is not None:  # newer rows: walk up from the cursor, then show them newest first
        stmt = stmt.where(b.received_at >= before.received_at,
                          sa.or_(b.received_at > before.received_at, b.id > before.id))
        rows = list(conn.execute(stmt.order_by(b.received_at, b.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit][::-1]
        return Page(rows, _cursor(rows[-1]) if rows else after, _cursor(rows[0]) if rows and more else None)
    if after is not None:
        stmt = stmt.where(b.received_at <= after.received_at,
                          sa.or_(b.received_at < after.received_at, b.id < after.id))
    rows = list(conn.execute(stmt.order_by(b.received_at.desc(), b.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _cursor(rows[-1]) if rows and more else None,
                _cursor(rows[0]) if rows and after is not None else None)


def _cursor(row: sa.Row[*tuple[Any, ...]]) -> Cursor:
    return Cursor(row.received_at, row.id)


def pages(read: Callable[[], AbstractContextManager[Connection]], search_for: Search, chunk: int = 1000
          ) -> Iterator[list[sa.Row[*tuple[Any, ...]]]]:
    """Every message matching ``search_for``, newest first, a chunk at a time; each chunk is read in its own
    transaction from ``read()`` (a context manager giving a connection), so no statement grows with the result."""
    after = None
    while True:
        with read() as conn:
            page = search(conn, search_for, limit=chunk, after=after)
        if page.rows:
            yield page.rows
        if page.older is None:
            return
        after = page.older


# -- one message -------------------------------------------------------------------------------------------------

def message(conn: Connection, bericht_id: int, head: int) -> sa.Row[*tuple[Any, ...]] | None:
    """One message's columns, with the sizes of its request and reply and their first ``head`` bytes
    (``request_head``, ``reply_head``, ``request_size``, ``reply_size``)."""
    stmt = sa.select(*SUMMARY, b.content_hash,
                     sa.func.length(b.request).label("request_size"), sa.func.length(b.reply).label("reply_size"),
                     sa.func.substr(b.request, 1, head).label("request_head"),
                     sa.func.substr(b.reply, 1, head).label("reply_head")).where(b.id == bericht_id)
    return conn.execute(stmt).first()


def body_piece(conn: Connection, bericht_id: int, column: str, start: int, size: int) -> bytes | None:
    """``size`` bytes of the request or reply (``column``) from byte ``start`` (0-based); None: no such message."""
    if column not in ("request", "reply"):
        raise ValueError(column)
    value = conn.execute(sa.select(sa.func.substr(b[column], start + 1, size)).where(b.id == bericht_id)).first()
    return None if value is None else bytes(value[0] or b"")


def body_size(conn: Connection, bericht_id: int, column: str) -> int | None:
    if column not in ("request", "reply"):
        raise ValueError(column)
    row = conn.execute(sa.select(sa.func.length(b[column])).where(b.id == bericht_id)).first()
    return None if row is None else int(row[0] or 0)


def resends(conn: Connection, row: sa.Row[*tuple[Any, ...]], limit: int = 50) -> list[sa.Row[*tuple[Any, ...]]]:
    """Other archived messages of the same operation, zender (all four parts) and referentienummer: identical
    resends and StUF016 refusals, newest first."""
    if not row.referentienummer:
        return []
    zender = (equals(conn, b[f"zender_{part}"], getattr(row, f"zender_{part}"), False) for part in SYSTEEM_PARTS)
    stmt = (sa.select(*SUMMARY).where(b.referentienummer == row.referentienummer,
                                      equals(conn, b.operation, row.operation, False), b.id != row.id, *zender)
            .order_by(b.received_at.desc(), b.id.desc()).limit(limit))
    return list(conn.execute(stmt))


_v = vordering.c


def vorderingen_created(conn: Connection, bericht_id: int, limit: int = 200) -> list[sa.Row[*tuple[Any, ...]]]:
    """Vorderingen the message stored (first ``limit``, in id order)."""
    stmt = sa.select(*SUMMARY_VORDERING).where(_v.bericht_id == bericht_id).order_by(_v.id).limit(limit)
    return list(conn.execute(stmt))


def vorderingen_changed(conn: Connection, bericht_id: int, limit: int = 200) -> list[sa.Row[*tuple[Any, ...]]]:
    """Vorderingen whose status the message changed, with the status it set (``new_status``)."""
    vs = vorderingstatus.c
    stmt = (sa.select(*SUMMARY_VORDERING, vs.status.label("new_status"), vs.datum_en_tijd.label("new_status_time"))
            .join(vorderingstatus, vs.vordering_id == _v.id)
            .where(vs.bericht_id == bericht_id, vs.bron == "statuswijziging").order_by(vs.id).limit(limit))
    return list(conn.execute(stmt))


def vorderingen_returned(conn: Connection, bericht_id: int, limit: int = 200) -> list[sa.Row[*tuple[Any, ...]]]:
    """Vorderingen a vrdLv01 returned."""
    rv = returned_vordering.c
    stmt = (sa.select(*SUMMARY_VORDERING).join(returned_vordering, rv.vordering_id == _v.id)
            .where(rv.bericht_id == bericht_id).order_by(_v.id).limit(limit))
    return list(conn.execute(stmt))


def questions_returning(conn: Connection, vordering_id: int, *, limit: int = 20,
                        before_id: int | None = None) -> list[sa.Row[*tuple[Any, ...]]]:
    """The vrdLv01 questions that returned a vordering, newest first (those archived before ``before_id``)."""
    rv = returned_vordering.c
    stmt = sa.select(*SUMMARY).join(returned_vordering, rv.bericht_id == b.id).where(rv.vordering_id == vordering_id)
    if before_id is not None:
        stmt = stmt.where(rv.bericht_id < before_id)
    return list(conn.execute(stmt.order_by(rv.bericht_id.desc()).limit(limit)))


def summaries(conn: Connection, ids: list[int]) -> dict[int, sa.Row[*tuple[Any, ...]]]:
    """Messages by id (for the messages behind a status history)."""
    found: dict[int, sa.Row[*tuple[Any, ...]]] = {}
    for chunk in chunks(ids):
        found.update((r.id, r) for r in conn.execute(sa.select(*SUMMARY).where(b.id.in_(chunk))))
    return found
