"""SQLite's WAL checkpoints in a background thread, not in the commit of a message.

In WAL mode SQLite copies the pages of committed transactions back into the database file (a checkpoint) once the
WAL holds more than ``wal_autocheckpoint`` pages, and by default the commit that crosses that line does it: for a
1,000-vordering message (some 8 MB of pages) that is every commit, about a third of its commit time (the copy and an
fsync of the database file), while the sender waits for its Bv03.

While a :class:`WalCheckpointer` runs (started and stopped with the app's lifespan), each writing transaction of the
store signals it after its commit, and its thread runs a ``PASSIVE`` checkpoint on a connection of its own (not
one of the store's pool): it
never blocks a reader or writer, and SQLite releases the GIL while it copies.  Connections keep a far higher
``wal_autocheckpoint`` (:data:`~stuf_fin.store.db.SQLITE_AUTOCHECKPOINT_PAGES`) as a backstop, so the WAL stays
bounded also without this thread (command-line tools, tests) or when it falls behind.  Durability is unchanged: a
transaction is durable when its commit has synced the WAL; a checkpoint only moves committed pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stuf_fin.store.db import Store

log = logging.getLogger("stuf_fin.store")


class WalCheckpointer:
    """``start()``/``stop()`` with the app's lifespan; :meth:`signal` after a commit (any thread)."""

    def __init__(self, store: Store):
        self.store = store
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0  # completed runs (for tests and the curious)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stuf-wal-checkpoint", daemon=True)
        self._thread.start()
        self.store.checkpointer = self

    @property
    def running(self) -> bool:
        """Started and not stopped since."""
        return self._thread is not None

    def signal(self) -> None:
        """A transaction was committed: checkpoint soon."""
        self._wake.set()

    def stop(self) -> None:
        if self._thread is None:
            return
        if self.store.checkpointer is self:
            self.store.checkpointer = None
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        self._thread = None

    def _connect(self) -> sqlite3.Connection:
        """A connection of its own, outside the store's pool (which the request threads need), in autocommit mode."""
        args, kwargs = self.store.engine.dialect.create_connect_args(self.store.url)
        kwargs.update(check_same_thread=False, isolation_level=None, timeout=self.store.timeout)
        return sqlite3.connect(args[0], **kwargs)  # (SQLite's connect args: the file name)

    def _run(self) -> None:
        try:
            connection = self._connect()
        except sqlite3.Error as exc:  # the commits' backstop checkpoints still run
            log.warning("no background WAL checkpoints: %s", exc)
            return
        failed = False
        try:
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                    failed = False
                except Exception as exc:  # the commits' backstop checkpoints still run; say so once
                    if not failed:
                        log.warning("background WAL checkpoint failed: %s", exc)
                    failed = True
        finally:
            connection.close()
