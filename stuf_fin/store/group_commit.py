"""Group commit on SQLite: the writing transactions of concurrent messages committed together, one fsync for many.

SQLite has one writer at a time and each commit syncs the WAL.  With sixteen senders every message queued for the
process's write lock, and the lock's holder was slowed down by the other request threads it shared the GIL with.
While a :class:`GroupCommit` runs (SQLite in WAL mode, started and stopped with the app's lifespan), a message's
writing work (a function of an open connection) is handed to its one writer thread, which takes the write lock,
runs the waiting works one after another in one transaction, each inside a savepoint of its own, and commits
them together.  A work that raises is rolled back to its savepoint alone and its exception is raised in its own
request thread; the others are not affected.  Each request thread gets its result only after the commit that holds
its work has returned, so a Bv03 still leaves only once its message is durable; a failed commit fails every work
of that transaction.  A work that has not started within the store's ``timeout`` is withdrawn (the sender gets
"database unavailable" and nothing of it is stored); one that has started is waited for.

Without the thread (command-line tools, tests that do not start it, PostgreSQL) :meth:`GroupCommit.run` is a
plain transaction of :meth:`stuf_fin.store.db.Store.begin`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.store.driver_select import driver_execute

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.store")
T = TypeVar("T")
#: At most this many works in one transaction.
MAX_BATCH = 64
_STOP = object()


class _Work:
    __slots__ = ("done", "error", "function", "lock", "result", "started", "withdrawn")

    def __init__(self, function: Callable[[Connection], Any]):
        self.function = function
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = False
        self.withdrawn = False
        self.done = threading.Event()
        self.lock = threading.Lock()

    def start(self) -> bool:
        """Called by the writer: False when the request thread has withdrawn the work."""
        with self.lock:
            if self.withdrawn:
                return False
            self.started = True
            return True

    def withdraw(self) -> bool:
        """Called by the request thread: True when the work had not started (and now never will)."""
        with self.lock:
            if self.started:
                return False
            self.withdrawn = True
            return True


class GroupCommit:
    """One writer thread for a SQLite store; ``start()``/``stop()`` with the app's lifespan."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH):
        self.store = store
        self.max_batch = max_batch
        self.pending: queue.SimpleQueue[Any] = queue.SimpleQueue()  # _Work, or _STOP
        self.thread: threading.Thread | None = None
        self.transactions = 0  # committed transactions (for tests and the curious)
        self.works = 0  # works committed in them

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name="stuf-group-commit", daemon=True)
            self.thread.start()
            self.store.group_commit = self

    def stop(self) -> None:
        if self.thread is not None:
            if self.store.group_commit is self:
                self.store.group_commit = None
            self.pending.put(_STOP)
            self.thread.join()
            self.thread = None
            log.info("group commit stopped: %d message(s) in %d transaction(s)", self.works, self.transactions)

    def run(self, function: Callable[[Connection], T]) -> T:
        """``function(conn)`` in a writing transaction; its result once that transaction is committed."""
        if self.thread is None:
            with self.store.begin() as conn:
                return function(conn)
        work = _Work(function)
        self.pending.put(work)
        if not work.done.wait(self.store.timeout) and work.withdraw():
            raise sa.exc.TimeoutError(f"no turn to write to the database within {self.store.timeout:g} s")
        work.done.wait()
        if work.error is not None:
            raise work.error
        result: T = work.result  # function's
        return result

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self.pending.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    more = self.pending.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                    break
                batch.append(more)
            self._commit([w for w in batch if w.start()])

    def _commit(self, batch: list[_Work]) -> None:
        if not batch:
            return
        try:
            with self.store.begin() as conn:
                for work in batch:
                    driver_execute(conn, "SAVEPOINT work", ())
                    try:
                        work.result = work.function(conn)
                    except BaseException as exc:  # the work's own failure (a StUF fault, a business error, …)
                        driver_execute(conn, "ROLLBACK TO work", ())
                        work.error = exc
                    driver_execute(conn, "RELEASE work", ())
        except BaseException as exc:  # begin or commit failed: nothing of this transaction is stored
            log.error("group commit of %d message(s) failed: %s", len(batch), " ".join(str(exc).split())[:300])
            for work in batch:
                work.error = exc
        else:
            self.transactions += 1
            self.works += sum(work.error is None for work in batch)
        for work in batch:
            work.done.set()
