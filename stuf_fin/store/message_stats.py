"""Answered messages counted per 5 minutes (table ``bericht_stats``): the console's overview.

Every answer adds one to its row (5 minutes, operation, outcome, fault code), with its handling time (received →
answered) in a histogram; the gateway gathers them in memory and writes them every few seconds
(:mod:`stuf_fin.store.answer_counts`).  The overview then sums at most a few thousand rows for a week instead of
counting and sorting a million archived messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.store.tables import DURATION_BOUNDS_MS, bericht, bericht_stats

BUCKET = timedelta(minutes=5)
_KEY = ("bucket", "operation", "outcome", "fault_code")
_HISTOGRAM = tuple(f"le_{bound}" for bound in DURATION_BOUNDS_MS)
s = bericht_stats.c


def bucket_of(moment: datetime) -> datetime:
    """The start of the 5 minutes ``moment`` falls in (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def duration_ms(received_at: datetime, answered_at: datetime) -> int:
    return max(0, round((answered_at - received_at).total_seconds() * 1000))


def answer_row(operation: str, outcome: str, fault_code: str | None, received_at: datetime,
               answered_at: datetime, recorded_at: datetime | None = None) -> dict[str, Any]:
    """The row that counts one answer: in the 5 minutes of ``recorded_at`` (default: ``answered_at``)."""
    ms = duration_ms(received_at, answered_at)
    column = next((f"le_{b}" for b in DURATION_BOUNDS_MS if ms <= b), None)
    return {"bucket": bucket_of(recorded_at or answered_at), "operation": operation, "outcome": outcome,
            "fault_code": fault_code or "", "messages": 1, "duration_ms_sum": ms,
            **{c: int(c == column) for c in _HISTOGRAM}}


_ADDED = ("messages", "duration_ms_sum", *_HISTOGRAM)


def merge(rows: dict[tuple[Any, ...], dict[str, Any]], row: dict[str, Any]) -> None:
    """Add ``row`` to the row of ``rows`` with the same key (or make it that row)."""
    key = tuple(row[k] for k in _KEY)
    total = rows.get(key)
    if total is None:
        rows[key] = dict(row)
    else:
        for column in _ADDED:
            total[column] += row[column]


@cache
def _upsert(dialect: str) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(bericht_stats)
    return stmt.on_conflict_do_update(index_elements=list(_KEY),
                                      set_={c: bericht_stats.c[c] + stmt.excluded[c] for c in _ADDED})


def add_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add counted rows (:func:`answer_row`, :func:`merge`) to the table, in key order (two flushes of different
    processes take the rows' locks in the same order: no deadlock)."""
    stmt = _upsert(conn.dialect.name)
    for row in sorted(rows, key=lambda r: tuple(r[k] for k in _KEY)):
        conn.execute(stmt, row)


def count_answer(conn: Connection, *, operation: str, outcome: str, fault_code: str | None,
                 received_at: datetime, answered_at: datetime, recorded_at: datetime | None = None) -> None:
    """Add one answered message to its row (inside the caller's transaction)."""
    add_rows(conn, [answer_row(operation, outcome, fault_code, received_at, answered_at, recorded_at)])


def rebuild(conn: Connection, since: datetime) -> int:
    """Count again the archive's messages answered since ``since`` (by their ``answered_at``): for a database
    filled by other means than the gateway (the console benchmark).  Returns the number of messages."""
    conn.execute(sa.delete(bericht_stats).where(s.bucket >= bucket_of(since)))
    b = bericht.c
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    n = 0
    result = conn.execute(sa.select(b.operation, b.outcome, b.fault_code, b.received_at, b.answered_at)
                          .where(b.answered_at >= bucket_of(since), b.outcome.is_not(None))
                          .execution_options(yield_per=10_000))
    for operation, outcome, fault_code, received_at, answered_at in result:
        merge(totals, answer_row(operation, outcome, fault_code, received_at, answered_at))
        n += 1
    if totals:
        from stuf_fin.store.bulk import insert_rows

        insert_rows(conn, bericht_stats, list(totals.values()))
    return n


# -- reading ---------------------------------------------------------------------------------------------------

@dataclass
class Histogram:
    """Messages by handling time: ``counts[i]`` took at most ``DURATION_BOUNDS_MS[i]`` ms (and more than the
    bound before); ``overflow`` took longer than the last bound."""

    counts: list[int] = field(default_factory=lambda: [0] * len(DURATION_BOUNDS_MS))
    overflow: int = 0
    total_ms: int = 0

    @property
    def messages(self) -> int:
        return sum(self.counts) + self.overflow

    def add(self, counts: Iterable[int], messages: int, total_ms: int) -> None:
        counts = list(counts)
        self.counts = [a + b for a, b in zip(self.counts, counts, strict=True)]
        self.overflow += messages - sum(counts)
        self.total_ms += total_ms

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (0-100) in ms, interpolated linearly inside its bucket (as Prometheus'
        ``histogram_quantile`` does); ``inf`` when it lies beyond the last bound; None without messages."""
        total = self.messages
        if total == 0:
            return None
        rank, seen, lower = q / 100 * total, 0, 0.0
        for bound, count in zip(DURATION_BOUNDS_MS, self.counts, strict=True):
            if count and seen + count >= rank:
                return lower + (bound - lower) * (rank - seen) / count
            seen += count
            lower = float(bound)
        return float("inf")


@dataclass
class Tally:
    """Answered messages of one operation, outcome and fault code."""

    operation: str
    outcome: str
    fault_code: str
    histogram: Histogram


def tallies(conn: Connection, since: datetime) -> list[Tally]:
    """Messages answered since ``since`` (rounded down to 5 minutes), per operation, outcome and fault code."""
    sums = [sa.func.sum(s[c]) for c in ("messages", "duration_ms_sum", *_HISTOGRAM)]
    stmt = (sa.select(s.operation, s.outcome, s.fault_code, *sums).where(s.bucket >= bucket_of(since))
            .group_by(s.operation, s.outcome, s.fault_code).order_by(s.operation, s.outcome, s.fault_code))
    found = []
    for operation, outcome, fault_code, messages, total_ms, *counts in conn.execute(stmt):
        histogram = Histogram()
        histogram.add((int(c) for c in counts), int(messages), int(total_ms))
        found.append(Tally(operation, outcome, fault_code, histogram))
    return found


def timeline(conn: Connection, since: datetime, step: timedelta) -> list[tuple[datetime, int, int]]:
    """(start, answered without a fault, answered with a fault) per ``step`` (a multiple of 5 minutes) from
    ``since`` (rounded down to 5 minutes) up to now, oldest first, empty steps included."""
    start = bucket_of(since)
    faults = sa.func.sum(sa.case((s.fault_code != "", s.messages), else_=0))
    stmt = (sa.select(s.bucket, sa.func.sum(s.messages), faults).where(s.bucket >= start)
            .group_by(s.bucket))
    steps = max(1, int((datetime.now(UTC) - start) / step) + 1)
    found: list[list[Any]] = [[start + i * step, 0, 0] for i in range(steps)]
    for bucket, messages, fault in conn.execute(stmt):
        i = int((bucket - start) / step)
        if 0 <= i < steps:
            found[i][1] += int(messages) - int(fault)
            found[i][2] += int(fault)
    return [(at, ok, bad) for at, ok, bad in found]
