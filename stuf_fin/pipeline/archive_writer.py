"""Archiving answered questions after the answer has gone out.

A vrdLv01 changes nothing, so its archive row (question, answer, identity) need not be in the answer's
critical path: the row is queued and written by one background thread, several rows per transaction (a
transaction waits :attr:`ArchiveWriter.linger` for more after its first: a commit writes every index page it
touched, so fewer commits are less work).
Kennisgevingen never come here — their archive row is part of the transaction of their effect.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.pipeline")

Write = Callable[["Connection"], None]  # writes one archive row on an open connection
# writes the rows of several queued items (of the type it takes) on an open connection
WriteMany = Callable[["Connection", list[Any]], object]
_STOP = object()


def _each(conn: Connection, writes: list[Write]) -> None:
    for write in writes:
        write(conn)


class ArchiveWriter:
    """A bounded queue of archive writes and the thread that performs them.

    Not started (tests, one-off tools) or queue full: the write happens at once, in the caller's thread,
    so an archive row is never dropped; ``stop()`` drains the queue before it returns.

    An item is a :data:`Write`, or whatever ``write_many`` takes: then the items of one transaction are written
    together (e.g. one bulk insert for all their rows).
    """

    def __init__(self, store: Store, max_pending: int = 1000, per_transaction: int = 50,
                 write_many: WriteMany = _each, linger: float = 0.01):
        self.store = store
        self.write_many = write_many
        self.linger = linger  # seconds a transaction waits for more items after its first (fewer commits)
        self.pending: queue.Queue[object] = queue.Queue(max_pending)
        self.per_transaction = per_transaction
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name="stuf-archive", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.pending.put(_STOP)
            self.thread.join()
            self.thread = None

    def write(self, write: object) -> None:
        """Queue one write; performed at once when the writer is not running or the queue is full."""
        if self.thread is not None:
            try:
                self.pending.put_nowait(write)
                return
            except queue.Full:
                log.warning("archive queue full: writing in the request thread")
        self._write([write])

    def _loop(self) -> None:
        while True:
            batch = [self.pending.get()]
            deadline = time.monotonic() + self.linger
            while len(batch) < self.per_transaction and batch[-1] is not _STOP:
                try:
                    batch.append(self.pending.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            stop = _STOP in batch
            self._write([s for s in batch if s is not _STOP])
            if stop:
                return

    def _write(self, writes: list[object]) -> None:
        if not writes:
            return
        try:
            with self.store.begin() as conn:
                self.write_many(conn, writes)
        except Exception:  # the answers went out; the operator must see that their archive rows did not
            log.exception("could not archive %d answered question(s)", len(writes))
