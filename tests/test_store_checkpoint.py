"""SQLite WAL checkpoints: not in a commit (below the backstop), but by the background checkpointer after it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from stuf_fin.store import archive
from stuf_fin.store.checkpoint import WalCheckpointer
from stuf_fin.store.db import SQLITE_AUTOCHECKPOINT_PAGES, Store
from stuf_fin.store.tables import bericht
from tests.support.polling import wait_for

PAGE = 4096


def _archive(store: Store, n: int) -> None:
    with store.begin() as conn:
        for _ in range(n):
            archive.archive(conn, port="p", operation="o", request=bytes(64 * 1024), received_at=datetime.now(UTC))


def test_commits_leave_the_checkpoint_to_the_background_thread(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    store = Store(f"sqlite:///{path}")
    checkpointer = WalCheckpointer(store)
    try:
        store.upgrade()
        with store.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_AUTOCHECKPOINT_PAGES
        store.engine.dispose()  # (closing the last connection checkpoints: start from an empty WAL)
        size = path.stat().st_size
        _archive(store, 80)  # some 5.3 MB: more than SQLite's default of 1,000 pages, less than the backstop
        assert Path(f"{path}-wal").stat().st_size > 1000 * PAGE
        assert path.stat().st_size == size  # the commit did not copy its pages into the database file

        checkpointer.start()
        assert store.checkpointer is checkpointer and checkpointer.running
        _archive(store, 1)
        wait_for(lambda: path.stat().st_size > size + 80 * 64 * 1024, "the background checkpoint")
        assert checkpointer.checkpoints >= 1
        with store.begin(write=False) as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(bericht)).scalar_one() == 81
    finally:
        checkpointer.stop()
        store.dispose()
    assert store.checkpointer is None and not checkpointer.running
