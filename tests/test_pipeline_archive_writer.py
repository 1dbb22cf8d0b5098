"""The archive writer for answered questions: nothing is ever dropped, started or not, full or not."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from stuf_fin.pipeline.archive_writer import ArchiveWriter


class FakeStore:
    """Records which thread wrote what, and in how many transactions."""

    def __init__(self, fail: bool = False):
        self.rows: list[tuple[str, int]] = []
        self.transactions = 0
        self.fail = fail

    @contextmanager
    def begin(self):
        self.transactions += 1
        if self.fail:
            raise RuntimeError("database down")
        yield self


def writer_of(n: int):
    def write(conn: FakeStore) -> None:
        conn.rows.append((threading.current_thread().name, n))
    return write


def test_not_started_writes_at_once_in_the_callers_thread():
    store = FakeStore()
    ArchiveWriter(store).write(writer_of(1))
    assert store.rows == [(threading.current_thread().name, 1)]


def test_started_writes_in_the_background_and_stop_drains_everything():
    store = FakeStore()
    writer = ArchiveWriter(store, per_transaction=10)
    writer.start()
    for n in range(95):
        writer.write(writer_of(n))
    writer.stop()
    assert [n for _, n in store.rows] == list(range(95))
    assert {name for name, _ in store.rows} == {"stuf-archive"}
    assert store.transactions < 95  # several rows per transaction


def test_a_full_queue_writes_in_the_callers_thread():
    store = FakeStore()
    blocker = threading.Event()
    writer = ArchiveWriter(store, max_pending=1, per_transaction=1)
    writer.start()
    writer.write(lambda conn: blocker.wait(10))  # occupies the thread
    writer.write(writer_of(1))  # waits in the queue ... (or is taken at once; then the next one waits)
    writer.write(writer_of(2))
    writer.write(writer_of(3))
    caller = threading.current_thread().name
    assert any(name == caller for name, _ in store.rows)  # at least one did not fit and was written at once
    blocker.set()
    writer.stop()
    assert sorted(n for _, n in store.rows) == [1, 2, 3]


def test_a_failing_write_is_logged_not_raised(caplog):
    store = FakeStore(fail=True)
    with caplog.at_level(logging.ERROR, logger="stuf_fin.archief"):
        ArchiveWriter(store).write(writer_of(1))
    assert "could not archive 1 answered question" in caplog.text


def test_write_many_gets_the_items_of_one_transaction_together():
    store = FakeStore()
    writer = ArchiveWriter(store, per_transaction=10, write_many=lambda conn, items: conn.rows.append(tuple(items)))
    writer.start()
    for n in range(25):
        writer.write(n)
    writer.stop()
    assert len(store.rows) == store.transactions  # one call per transaction
    assert [n for batch in store.rows for n in batch] == list(range(25))
    assert max(len(batch) for batch in store.rows) <= 10
