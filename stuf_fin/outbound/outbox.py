"""The outbox tables (``outbox``, ``outbox_attempt``): queue, claim, finish, inspect.

A row is ``pending`` until it is ``delivered`` or ``dead`` (a dead letter).  A worker claims pending rows for
a while (``claimed_by`` = a fresh claim token, ``claimed_until`` = the lease): on PostgreSQL with ``FOR UPDATE
SKIP LOCKED``, on SQLite under the database write lock (``BEGIN IMMEDIATE``).  A claim whose worker died runs
out and the row is claimed again.  Every finishing update names the claim, so a worker that lost its claim
changes nothing.  Rows with the same ``volgorde`` go out one at a time, in id order: only the oldest pending
row of a group can be claimed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.ops.metrics import OutboxState
from stuf_fin.store.db import chunks
from stuf_fin.store.tables import outbox, outbox_attempt

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATES = (PENDING, DELIVERED, DEAD)
o = outbox.c

#: The columns shown in listings (not the message and reply bytes).
SUMMARY = (o.id, o.created_at, o.route, o.operation, o.volgorde, o.referentienummer, o.tijdstip_bericht, o.state,
           o.attempts, o.next_attempt_at, o.claimed_until, o.last_attempt_at, o.outcome, o.fault_code, o.fault_plek,
           o.last_error, o.finished_at, o.bericht_id)


def enqueue(conn: Connection, *, route: str, operation: str, message: bytes, referentienummer: str,
            tijdstip_bericht: str, now: datetime, ordering_group: str | None = None,
            bericht_id: int | None = None) -> int:
    """Queue one message for delivery (inside the caller's transaction); returns its id.  ``ordering_group``: the
    ``volgorde`` column (rows with the same one go out one at a time, in id order)."""
    values = {"route": route, "operation": operation, "message": message, "referentienummer": referentienummer,
              "tijdstip_bericht": tijdstip_bericht, "volgorde": ordering_group, "bericht_id": bericht_id,
              "created_at": now, "next_attempt_at": now, "state": PENDING, "attempts": 0}
    row_id: int = conn.execute(sa.insert(outbox).values(values).returning(o.id)).scalar_one()
    return row_id


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether a row may be due (a cheap read first, so that an idle worker does not take SQLite's write lock)."""
    stmt = sa.select(o.id).where(o.state == PENDING, o.next_attempt_at <= now,
                                 sa.or_(o.claimed_until.is_(None), o.claimed_until < now)).limit(1)
    return conn.execute(stmt).first() is not None


def claim(conn: Connection, *, now: datetime, limit: int, lease: float) -> tuple[str, list[sa.Row[*tuple[Any, ...]]]]:
    """Claim up to ``limit`` due rows for ``lease`` seconds: (claim token, rows with every column).

    Due: pending, its next attempt reached, not claimed (or the claim ran out), and no older pending row
    in its ``volgorde``.  Claiming counts an attempt, so a message that kills its worker still runs out
    of attempts.
    """
    earlier = outbox.alias("earlier")
    blocked = sa.exists().where(earlier.c.volgorde == o.volgorde, earlier.c.id < o.id, earlier.c.state == PENDING)
    stmt = (sa.select(o.id)
            .where(o.state == PENDING, o.next_attempt_at <= now,
                   sa.or_(o.claimed_until.is_(None), o.claimed_until < now), ~blocked)
            .order_by(o.id).limit(limit))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=outbox)
    ids = list(conn.execute(stmt).scalars())
    token = uuid.uuid4().hex
    if not ids:
        return token, []
    conn.execute(sa.update(outbox).where(o.id.in_(ids)).values(
        claimed_by=token, claimed_until=now + timedelta(seconds=lease), attempts=o.attempts + 1,
        last_attempt_at=now))
    return token, list(conn.execute(sa.select(outbox).where(o.id.in_(ids)).order_by(o.id)))


def finish(conn: Connection, row_id: int, token: str, **values: Any) -> bool:
    """Record the outcome of a claimed row and release the claim; False when the claim was lost meanwhile
    (it ran out and another worker took the row, or an operator or an asynchronous answer changed it)."""
    result = conn.execute(sa.update(outbox).where(o.id == row_id, o.claimed_by == token, o.state == PENDING)
                          .values(claimed_by=None, claimed_until=None, **values))
    return result.rowcount == 1


def record_attempt(conn: Connection, *, outbox_id: int, attempt: int, worker: str, started_at: datetime,
                   duration_ms: int, result: str, outcome: str, http_status: int | None = None,
                   fault_code: str | None = None, fault_plek: str | None = None, detail: str | None = None) -> None:
    conn.execute(sa.insert(outbox_attempt).values(
        outbox_id=outbox_id, attempt=attempt, worker=worker[:200], started_at=started_at, duration_ms=duration_ms,
        result=result, outcome=outcome[:16], http_status=http_status, fault_code=(fault_code or None) and
        fault_code[:16], fault_plek=fault_plek, detail=(detail or None) and detail[:2000]))


def by_referentienummer(conn: Connection, referentienummer: str) -> sa.Row[*tuple[Any, ...]] | None:
    return conn.execute(sa.select(outbox).where(o.referentienummer == referentienummer)).first()


def get(conn: Connection, row_id: int) -> sa.Row[*tuple[Any, ...]] | None:
    return conn.execute(sa.select(outbox).where(o.id == row_id)).first()


def with_heads(conn: Connection, row_id: int, head: int) -> sa.Row[*tuple[Any, ...]] | None:
    """:data:`SUMMARY` of one row with the sizes and the first ``head`` bytes of its message and last reply
    (``message_size``, ``message_head``, ``reply_size``, ``reply_head``): a large message is never read whole."""
    return conn.execute(sa.select(
        *SUMMARY, sa.func.length(o.message).label("message_size"), sa.func.substr(o.message, 1, head)
        .label("message_head"), sa.func.length(o.reply).label("reply_size"),
        sa.func.substr(o.reply, 1, head).label("reply_head")).where(o.id == row_id)).first()


def update(conn: Connection, row_id: int, **values: Any) -> None:
    conn.execute(sa.update(outbox).where(o.id == row_id).values(**values))


def rows(conn: Connection, *, states: Iterable[str] = STATES, route: str | None = None, limit: int = 100,
         newest_first: bool = False) -> list[sa.Row[*tuple[Any, ...]]]:
    """Summaries (:data:`SUMMARY`) of rows in ``states``, optionally of one route."""
    stmt = sa.select(*SUMMARY).where(o.state.in_(list(states)))
    if route:
        stmt = stmt.where(o.route == route)
    return list(conn.execute(stmt.order_by(o.id.desc() if newest_first else o.id).limit(limit)))


def attempts(conn: Connection, outbox_id: int) -> list[sa.Row[*tuple[Any, ...]]]:
    a = outbox_attempt.c
    return list(conn.execute(sa.select(outbox_attempt).where(a.outbox_id == outbox_id).order_by(a.id)))


def page(conn: Connection, state: str, *, route: str | None = None, limit: int = 50,
         before_id: int | None = None) -> list[sa.Row[*tuple[Any, ...]]]:
    """Summaries of the newest rows in ``state`` (of ``route``), those older than ``before_id`` (keyset paging)."""
    stmt = sa.select(*SUMMARY).where(o.state == state)
    if route:
        stmt = stmt.where(o.route == route)
    if before_id is not None:
        stmt = stmt.where(o.id < before_id)
    return list(conn.execute(stmt.order_by(o.id.desc()).limit(limit)))


def attempts_of(conn: Connection, outbox_ids: list[int]) -> dict[int, list[sa.Row[*tuple[Any, ...]]]]:
    """The delivery attempts of these rows, oldest first, by row."""
    a = outbox_attempt.c
    found: dict[int, list[sa.Row[*tuple[Any, ...]]]] = {i: [] for i in outbox_ids}
    for chunk in chunks(outbox_ids):
        for row in conn.execute(sa.select(outbox_attempt).where(a.outbox_id.in_(chunk)).order_by(a.id)):
            found[row.outbox_id].append(row)
    return found


def caused_by(conn: Connection, bericht_ids: list[int], vordering_id: int | None = None,
              limit: int = 200) -> list[sa.Row[*tuple[Any, ...]]]:
    """Summaries of the rows queued by these inbound messages, oldest first; with ``vordering_id`` only those
    about that vordering (or not about one vordering: a new vordering's forward, a route in strict order)."""
    if not bericht_ids:
        return []
    stmt = sa.select(*SUMMARY).where(o.bericht_id.in_(bericht_ids))
    if vordering_id is not None:
        stmt = stmt.where(sa.or_(o.volgorde.is_(None), o.volgorde.endswith(f"|vordering {vordering_id}"),
                                 ~o.volgorde.contains("|vordering ")))
    return list(conn.execute(stmt.order_by(o.id).limit(limit)))


def oldest_pending(conn: Connection) -> datetime | None:
    """When the oldest waiting row was queued (None: nothing waits)."""
    return conn.execute(sa.select(sa.func.min(o.created_at)).where(o.state == PENDING)).scalar()


@dataclass(frozen=True)
class RouteState:
    """One route as the outbox shows it."""

    route: str
    pending: int
    dead: int
    last_delivered: datetime | None


def route_states(conn: Connection, routes: Iterable[str]) -> list[RouteState]:
    """Waiting and dead rows and the last delivery of each route (the configured ``routes`` and any route that
    still has waiting or dead rows); each figure is one indexed lookup, never a count of delivered rows."""
    waiting: dict[tuple[str, str], int] = {
        (route, state): n for route, state, n in conn.execute(
            sa.select(o.route, o.state, sa.func.count()).where(o.state.in_([PENDING, DEAD]))
            .group_by(o.route, o.state))}
    names = sorted(set(routes) | {route for route, _ in waiting})
    last = sa.select(sa.func.max(o.finished_at)).where(o.route == sa.bindparam("r"), o.state == DELIVERED)
    return [RouteState(name, waiting.get((name, PENDING), 0), waiting.get((name, DEAD), 0),
                       conn.execute(last, {"r": name}).scalar()) for name in names]


@dataclass(frozen=True)
class OutboxCounts:
    """Rows per state and the age of the oldest pending one (``stuf-fin outbox list`` header, metrics)."""

    per_state: dict[str, int]
    oldest_pending: datetime | None


def outbox_counts(conn: Connection) -> OutboxCounts:
    counts = {state: 0 for state in STATES}
    counts.update({state: n for state, n in conn.execute(
        sa.select(o.state, sa.func.count()).group_by(o.state))})
    oldest = conn.execute(sa.select(sa.func.min(o.created_at)).where(o.state == PENDING)).scalar()
    return OutboxCounts(counts, oldest)


def outbox_state(conn: Connection, now: datetime | None = None) -> OutboxState:
    """The metrics reader (:func:`stuf_fin.ops.metrics.register_outbox_reader`)."""
    t = outbox_counts(conn)
    age = ((now or datetime.now(UTC)) - t.oldest_pending).total_seconds() if t.oldest_pending else 0.0
    return OutboxState(backlog=t.per_state[PENDING], oldest_age_seconds=max(age, 0.0), dead_letters=t.per_state[DEAD])


def purge(conn: Connection, before: datetime, *, dry_run: bool = False) -> int:
    """Delete delivered messages finished before ``before`` (with their attempts); dead letters and pending
    messages stay.  Returns how many (would) go."""
    done = sa.and_(o.state == DELIVERED, o.finished_at < before)
    if dry_run:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox).where(done)).scalar_one()
    ids = sa.select(o.id).where(done).scalar_subquery()
    conn.execute(sa.delete(outbox_attempt).where(outbox_attempt.c.outbox_id.in_(ids)))
    return conn.execute(sa.delete(outbox).where(done)).rowcount

