"""The console's answer counts (table ``bericht_stats``) gathered in memory and written every few seconds.

Counting each answer in its own transaction made every message of every replica update the same row (5 minutes,
operation, outcome): one more statement per message and, on PostgreSQL, a row lock that each transaction held
until its commit, so the commits of concurrent messages waited for each other.  :class:`AnswerCounts` adds an
answer to a row in memory (a dict under a lock: microseconds); :meth:`AnswerCounts.flush` adds the gathered rows
to the table in one transaction (:func:`stuf_fin.store.message_stats.add_rows`).  While the gateway runs,
:class:`AnswerCountFlusher` flushes every :data:`FLUSH_SECONDS` and once more when it stops; the console flushes
before it reads, so its own process's answers are always all there and another replica's within seconds.
Counts that could not be written (database unavailable) stay pending and go with the next flush; counts of a
process that is killed are lost (the archive keeps every message: ``message_stats.rebuild`` counts them again).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stuf_fin.store import message_stats

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.store")

#: Seconds between two flushes while the gateway runs.
FLUSH_SECONDS = 2.0


class AnswerCounts:
    """Answers counted in memory, per ``bericht_stats`` row; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(self, *, operation: str, outcome: str, fault_code: str | None, received_at: datetime,
            answered_at: datetime) -> None:
        """Count one answer (in the 5 minutes of ``answered_at``)."""
        row = message_stats.answer_row(operation, outcome, fault_code, received_at, answered_at)
        with self._lock:
            message_stats.merge(self._pending, row)

    @property
    def pending(self) -> int:
        """Answers counted and not yet written."""
        with self._lock:
            return sum(row["messages"] for row in self._pending.values())

    def flush(self, store: Store) -> None:
        """Write the pending counts to ``store`` in one transaction; kept for the next flush when that fails."""
        with self._lock:
            rows, self._pending = self._pending, {}
        if not rows:
            return
        try:
            with store.begin() as conn:
                message_stats.add_rows(conn, list(rows.values()))
        except Exception:
            with self._lock:
                for row in rows.values():
                    message_stats.merge(self._pending, row)
            raise


class AnswerCountFlusher:
    """Flushes a store's :class:`AnswerCounts` every :data:`FLUSH_SECONDS`; ``start()``/``stop()`` with the
    app's lifespan (``stop()`` flushes once more)."""

    def __init__(self, store: Store, interval: float = FLUSH_SECONDS):
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="stuf-answer-counts", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(self.store.timeout + self.interval)
            self._thread = None
        self._flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._flush()

    def _flush(self) -> None:
        try:
            self.store.answers.flush(self.store)
        except Exception as exc:  # the database is unavailable: the counts wait for the next flush
            log.warning("answer counts not written yet (%d pending): %s", self.store.answers.pending,
                        " ".join(str(exc).split())[:200])

