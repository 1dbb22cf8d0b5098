"""Bulk ingest: the raw floor and the gateway end to end over HTTP, on the same messages, in one run.

    python -m bench.ingest --db sqlite --vorderingen 1000 --messages 20 --concurrency 1 2 4
    python -m bench.ingest --db postgresql --messages 100 --concurrency 2      # 100,000 vorderingen

The floor (:mod:`bench.floor`) runs before and after the HTTP runs, each time on a fresh database;
its mean is the reference.  Every HTTP run gets a fresh database and a fresh ``stuf-fin serve``.
Printed: vorderingen per second and the ratio to the floor (target: at least 0.70).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench import common
from bench.client import post_all
from bench.databases import KINDS, fresh_database
from bench.floor import run_floor
from bench.server import start_server
from stuf_fin.selftest.generator import di01_vordering, random_vordering, soap
from stuf_fin.store.db import Store

TARGET_RATIO = 0.70


@dataclass
class HttpResult:
    concurrency: int
    seconds: float
    vorderingen: int
    failures: int

    @property
    def per_second(self) -> float:
        return self.vorderingen / self.seconds


def warm_up_message() -> bytes:
    """One vordering with numbers of its own (the first request of a fresh server is not timed)."""
    import random

    return soap(di01_vordering([random_vordering(random.Random(0), 0, prefix="WARM")], referentienummer="WARM-UP"))


def stored_vorderingen(database_url: str) -> int:
    store = Store(database_url)
    try:
        with store.begin(schrijven=False) as conn:
            return conn.execute(sa.text("SELECT count(*) FROM vordering")).scalar_one()
    finally:
        store.dispose()


def run_http(kind: str, bodies: list[bytes], per_message: int, concurrency: int, workers: int,
             workdir: Path) -> HttpResult:
    with fresh_database(kind, workdir) as url:
        server = start_server(workdir, url, workers=workers, timeout=120)
        try:
            warm = post_all(server.host, server.port, [warm_up_message()])
            if warm.failures:
                raise RuntimeError(f"warm-up failed: {warm.failures[0].body[:500]!r}\n{server.log()[-2000:]}")
            run = post_all(server.host, server.port, bodies, concurrency=concurrency)
        finally:
            server.stop()
        stored = stored_vorderingen(url) - 1
    expected = per_message * len(bodies)
    if run.failures or stored != expected:
        detail = run.failures[0].body[:500] if run.failures else b""
        print(f"  WARNING: {len(run.failures)} failed answers, {stored} of {expected} vorderingen stored {detail!r}")
    return HttpResult(concurrency, run.wall, stored, len(run.failures))


def run_floor_once(kind: str, bodies: list[bytes], workdir: Path):
    with fresh_database(kind, workdir) as url:
        return run_floor(bodies, url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="sqlite")
    parser.add_argument("--vorderingen", type=int, default=1000, help="vorderingen per message (default 1000)")
    parser.add_argument("--messages", type=int, default=20, help="messages (default 20)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4], help="senders (default 1 2 4)")
    parser.add_argument("--workers", type=int, default=1, help="stuf-fin serve --workers (default 1)")
    parser.add_argument("--files", type=Path, help="post these *.xml files instead of generated ones")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor (HTTP figures only)")
    args = parser.parse_args(argv)

    print(common.header("bulk ingest: raw floor vs stuf-fin serve over HTTP"))
    bodies = common.read_messages(args.files) if args.files else common.vordering_messages(
        args.vorderingen, args.messages, seed=args.seed)
    per_message = args.vorderingen if not args.files else None
    print(f"messages: {len(bodies)} of {args.vorderingen if per_message else '?'} vorderingen, "
          f"{sum(map(len, bodies)) / len(bodies) / 1e6:.1f} MB each; server --workers {args.workers}")
    kinds = KINDS if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        workdir = Path(tmp)
        for kind in kinds:
            floors = [] if args.no_floor else [run_floor_once(kind, bodies, workdir)]
            if per_message is None and floors:
                per_message = floors[0].vorderingen // len(bodies)
            results = [run_http(kind, bodies, per_message or args.vorderingen, c, args.workers, workdir)
                       for c in args.concurrency]
            if not args.no_floor:
                floors.append(run_floor_once(kind, bodies, workdir))
            print(f"\n## {kind}")
            if floors:
                floor_rate = sum(f.per_second for f in floors) / len(floors)
                print("floor runs: " + ", ".join(f"{f.vorderingen} in {f.seconds:.2f} s = {f.per_second:,.0f}/s"
                                                 for f in floors) + f"; reference {floor_rate:,.0f} vorderingen/s")
            print(f"{'senders':>7} {'vorderingen':>11} {'seconds':>8} {'vord/s':>8} {'ratio':>6} {'failed':>6}")
            for r in results:
                ratio = f"{r.per_second / floor_rate:.2f}" if floors else "-"
                print(f"{r.concurrency:>7} {r.vorderingen:>11} {r.seconds:>8.2f} {r.per_second:>8,.0f} "
                      f"{ratio:>6} {r.failures:>6}")
    print(f"\nload average at end: {common.load_average()}; target ratio >= {TARGET_RATIO:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
