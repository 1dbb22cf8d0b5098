"""Where a 1,000-vordering Di01 goes, step by step, in the gateway and in the raw floor (in process, no HTTP).

    python -m bench.stages                          # SQLite and PostgreSQL, 16 messages of 1,000 vorderingen
    python -m bench.stages --db sqlite --messages 30

The gateway's own steps are called one by one, as its Di01 path calls them (parse and validation, the StUF016
fingerprint, the reader, the business rules, and in one transaction the archive row, the key check, the rows, the
bulk inserts, the archived request and the commit); the floor's are :mod:`bench.floor`'s own functions.  Each on a
fresh database, alternating per message, the same messages.  Printed per step: thread CPU (min and median) and wall
time (median) in ms; the first message is left out (warm-up).  For the ratios that count use ``bench.ingest``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common, floor
from bench.databases import KINDS, fresh_database
from stuf_fin.envelope import BODY
from stuf_fin.fin import reader, rules
from stuf_fin.schema.parsing import ParseLimits
from stuf_fin.schema.streaming import body_hash
from stuf_fin.schema.validator import get_validator
from stuf_fin.store import archive, bulk
from stuf_fin.store import vorderingen as repo
from stuf_fin.store.db import Store, reserve_ids
from stuf_fin.store.tables import vordering


class Stages:
    """Thread CPU and wall time per named step."""

    def __init__(self) -> None:
        self.times: dict[str, list[tuple[float, float]]] = {}
        self._commit = 0.0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        cpu, wall = time.thread_time(), time.perf_counter()
        yield
        self.times.setdefault(name, []).append(((time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))

    def start_commit(self) -> None:
        """Called last inside a transaction: :meth:`end_commit` after it measures the commit (wall only)."""
        self._commit = time.perf_counter()

    def end_commit(self, name: str) -> None:
        self.times.setdefault(name, []).append((0.0, (time.perf_counter() - self._commit) * 1000))

    def timed(self, name: str, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.step(name):
            return f(*args, **kwargs)

    def rows(self) -> list[str]:
        lines = []
        for name, values in self.times.items():
            values = values[1:] or values
            cpu = [v[0] for v in values]
            lines.append(f"  {name:44} cpu {min(cpu):6.1f} / {statistics.median(cpu):6.1f}   "
                         f"wall {statistics.median(v[1] for v in values):6.1f}")
        return lines


def gateway_message(s: Stages, store: Store, data: bytes) -> None:
    validator = get_validator(None)
    with s.step("gateway: total"):
        root = s.timed("gateway: parse + validation", validator.parse, data, ParseLimits()).root
        message = root.find(BODY)[0]
        digest = s.timed("gateway: StUF016 fingerprint", body_hash, data)
        vorderingen = s.timed("gateway: reader", reader.vorderingen, message)
        received = datetime.now(UTC)
        day = rules.day_of_receipt(received)
        s.timed("gateway: business rules", lambda: [rules.check_vordering(v, day) for v in vorderingen])
        with s.step("gateway: transaction"):
            with store.begin() as conn:
                bericht_id = s.timed("gateway:   archive row", archive.archive, conn, port="p", operation="o",
                                     request=data, received_at=received, content_hash=digest, defer=True)
                s.timed("gateway:   key check", repo.existing_keys, conn, [v.sleutel for v in vorderingen])
                ids = reserve_ids(conn, vordering, len(vorderingen))
                rows = s.timed("gateway:   rows", repo.vordering_rows, vorderingen, ids, bericht_id=bericht_id,
                               received_at=received)
                with s.step("gateway:   bulk inserts"):
                    for r in rows:
                        bulk.insert_values(conn, r.table, r.columns, r.values)
                s.timed("gateway:   archived request", archive.fill_request, conn, bericht_id, data)
                s.start_commit()
            s.end_commit("gateway:   commit")


def floor_message(s: Stages, work: floor.Floor, data: bytes, n: int) -> None:
    with s.step("floor: total"):
        message = s.timed("floor: parse + validation", floor.parse_and_validate, data)
        with s.step("floor: transaction"):
            with work.transaction() as conn:
                bericht_id = conn.execute(floor.INSERT_BERICHT, {
                    "referentienummer": f"stages-{n}", "ontvangen_op": datetime.now(UTC)}).inserted_primary_key[0]
                vorderingen, regel_rows = s.timed("floor:   extract", floor.extract, message, bericht_id)
                with s.step("floor:   inserts"):
                    conn.execute(floor.INSERT_VORDERING, vorderingen)
                    conn.execute(floor.INSERT_REGEL, regel_rows)
                s.start_commit()
            s.end_commit("floor:   commit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="both")
    parser.add_argument("--messages", type=int, default=16, help="messages of 1,000 vorderingen (default 16)")
    args = parser.parse_args(argv)
    print(common.header("stages of a 1,000-vordering Di01, gateway and floor, in process"))
    bodies = common.vordering_messages(1000, 20, seed=1) if args.messages <= 20 else common.vordering_messages(
        1000, 100, seed=1)
    bodies = bodies[:args.messages]
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        for kind in KINDS if args.db == "both" else (args.db,):
            s = Stages()
            with fresh_database(kind, Path(tmp)) as gateway_url, fresh_database(kind, Path(tmp), migrate=False) as url:
                store = Store(gateway_url)
                floor.create_tables(url)
                work = floor.Floor(url)
                try:
                    for n, data in enumerate(bodies):
                        if n % 2:
                            floor_message(s, work, data, n)
                            gateway_message(s, store, data)
                        else:
                            gateway_message(s, store, data)
                            floor_message(s, work, data, n)
                finally:
                    work.dispose()
                    store.dispose()
            print(f"\n## {kind}: {len(bodies)} messages; ms per message: thread CPU min / median, wall median")
            print("\n".join(s.rows()))
    print(f"\nload average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
