"""The two servers every comparing benchmark measures in the same run: the gateway (``stuf-fin serve``) and
the raw floor (:mod:`bench.floor`), each on a fresh database behind its own uvicorn, and the order in which
their runs alternate so that load on the machine hits both alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench.databases import fresh_database
from bench.server import Server, start_floor, start_server
from stuf_fin.store.db import normalise_url

GATEWAY, FLOOR = "gateway", "floor"
#: The table holding one row per stored vordering.
VORDERING_TABLE = {GATEWAY: "vordering", FLOOR: "floor_vordering"}


@contextmanager
def serving(target: str, kind: str, workdir: Path, *, workers: int = 1) -> Iterator[tuple[Server, str]]:
    """``target`` (gateway or floor) serving a fresh ``kind`` database; yields the server and the database URL.
    The server is stopped and the database removed at exit."""
    with fresh_database(kind, workdir, migrate=target == GATEWAY) as url:
        if target == GATEWAY:
            server = start_server(workdir, url, workers=workers, timeout=120)
        else:
            server = start_floor(workdir, url, workers=workers, timeout=120)
        try:
            yield server, url
        finally:
            server.stop()


def stored_vorderingen(target: str, url: str) -> int:
    """How many vorderingen ``target`` holds in the database at ``url``."""
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {VORDERING_TABLE[target]}").scalar_one()
    finally:
        engine.dispose()


def alternating(rounds: int) -> Iterator[tuple[int, str]]:
    """(round, target) pairs: floor then gateway in even rounds, gateway then floor in odd ones."""
    for r in range(rounds):
        for target in ((FLOOR, GATEWAY) if r % 2 == 0 else (GATEWAY, FLOOR)):
            yield r, target
