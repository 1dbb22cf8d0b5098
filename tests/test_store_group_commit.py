"""SQLite group commit: concurrent works committed together, each failure rolled back alone, results only after
the commit, a work that cannot start in time withdrawn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from stuf_fin.store import archive
from stuf_fin.store.db import Store
from stuf_fin.store.group_commit import GroupCommit
from stuf_fin.store.tables import bericht


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}", timeout=5)
    store.upgrade()
    yield store
    store.dispose()


def _archive(referentienummer: str):
    def work(conn: sa.Connection) -> int:
        return archive.archive(conn, port="p", operation="o", request=b"<x/>", received_at=datetime.now(UTC),
                               referentienummer=referentienummer)
    return work


class _Counting:
    """The writer's queue, counting what was put in it."""

    def __init__(self, inner) -> None:
        self.inner, self.puts = inner, 0

    def put(self, item) -> None:
        self.puts += 1
        self.inner.put(item)

    def get(self, *args):
        return self.inner.get(*args)

    def get_nowait(self):
        return self.inner.get_nowait()


def _stored(store: Store) -> list[str]:
    with store.begin(write=False) as conn:
        return sorted(conn.execute(sa.select(bericht.c.referentienummer)).scalars())


def test_concurrent_works_share_transactions_and_a_failing_one_is_rolled_back_alone(sqlite_store: Store) -> None:
    group = GroupCommit(sqlite_store)
    group.start()
    assert sqlite_store.group_commit is group
    errors: dict[int, BaseException] = {}
    ids: dict[int, int] = {}
    gate = threading.Barrier(32)

    def send(n: int) -> None:
        gate.wait()
        try:
            if n % 8 == 3:  # archives its row, then fails: nothing of it may remain
                def failing(conn: sa.Connection) -> None:
                    _archive(f"FOUT{n:02d}")(conn)
                    raise ValueError(f"work {n} refused")
                sqlite_store.write(failing)
            else:
                ids[n] = sqlite_store.write(_archive(f"OK{n:02d}"))
        except BaseException as exc:
            errors[n] = exc

    queued = _Counting(group.pending)
    group.pending = queued
    with sqlite_store.begin():  # hold the writer back (it waits for its turn to write) until all 32 are queued
        threads = [threading.Thread(target=send, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        while queued.puts < 32:
            threading.Event().wait(0.01)
    for t in threads:
        t.join()
    group.stop()

    assert sorted(errors) == [n for n in range(32) if n % 8 == 3]
    assert all(isinstance(e, ValueError) and str(e) == f"work {n} refused" for n, e in errors.items())
    assert _stored(sqlite_store) == sorted(f"OK{n:02d}" for n in range(32) if n % 8 != 3)
    assert len(set(ids.values())) == 28
    assert group.works == 28 and group.transactions < 28  # several messages per commit


def test_the_result_comes_after_the_commit_and_a_failed_commit_fails_every_work(sqlite_store: Store,
                                                                                  monkeypatch) -> None:
    group = GroupCommit(sqlite_store)
    group.start()
    try:
        seen_before_result: list[list[str]] = []

        def work(conn: sa.Connection) -> str:
            _archive("EERST")(conn)
            return "klaar"

        assert sqlite_store.write(work) == "klaar"
        seen_before_result.append(_stored(sqlite_store))  # another connection sees it: committed
        assert seen_before_result == [["EERST"]]

        def broken_commit(self, *args, **kwargs):
            raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))
        monkeypatch.setattr(sa.engine.Transaction, "commit", broken_commit)
        with pytest.raises(sa.exc.OperationalError, match="disk I/O error"):
            sqlite_store.write(_archive("NOOIT"))
    finally:
        monkeypatch.undo()
        group.stop()
    assert _stored(sqlite_store) == ["EERST"]


def test_a_work_that_cannot_start_in_time_is_withdrawn_and_never_runs(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}", timeout=0.5)
    store.upgrade()
    group = GroupCommit(store)
    group.start()
    release, busy = threading.Event(), threading.Event()

    def slow(conn: sa.Connection) -> int:  # holds the writer thread longer than the store's timeout
        busy.set()
        release.wait(10)
        return _archive("TRAAG")(conn)

    try:
        first = threading.Thread(target=store.write, args=(slow,))
        first.start()
        busy.wait(5)
        with pytest.raises(sa.exc.TimeoutError):
            store.write(_archive("TELAAT"))  # queued behind the slow one: not started within 0.5 s
        release.set()
        first.join()
        assert store.write(_archive("DAARNA")) > 0
    finally:
        release.set()
        group.stop()
        store.dispose()
    assert _stored(store) == ["DAARNA", "TRAAG"]


def test_without_the_thread_a_write_is_a_plain_transaction(sqlite_store: Store) -> None:
    assert sqlite_store.group_commit is None
    assert sqlite_store.write(_archive("ALLEEN")) > 0
    assert _stored(sqlite_store) == ["ALLEEN"]
