"""Latency: single-vordering Di01 messages from 16 concurrent clients, p50/p99 per request.

    python -m bench.latency --db sqlite --clients 16 --messages 50

Each client sends its messages one after another on its own keep-alive connection (closed loop), so
with 16 clients 16 requests are in flight all the time.  The floor is the raw pipeline per message
(:mod:`bench.floor`), one at a time in one process, on the same messages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench import common
from bench.client import post_all
from bench.databases import KINDS, fresh_database
from bench.floor import run_floor
from bench.server import start_server

TARGET_P99_MS = 50.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"p50 {percentile(ms, 50):6.1f} ms  p90 {percentile(ms, 90):6.1f} ms  p99 {percentile(ms, 99):6.1f} ms  "
            f"max {max(ms):6.1f} ms  mean {statistics.fmean(ms):6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--messages", type=int, default=50, help="messages per client (default 50)")
    parser.add_argument("--workers", type=int, default=1, help="stuf-fin serve --workers (default 1)")
    args = parser.parse_args(argv)

    print(common.header("latency: single-vordering Di01 from concurrent clients"))
    total = args.clients * args.messages
    warm = common.vordering_messages(1, args.clients * 5, prefix="LATWARM")
    bodies = common.vordering_messages(1, total, prefix="LAT")
    print(f"{args.clients} clients x {args.messages} messages of 1 vordering "
          f"({len(bodies[0]):,} bytes each); server --workers {args.workers}")
    kinds = KINDS if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        workdir = Path(tmp)
        for kind in kinds:
            with fresh_database(kind, workdir) as url:
                floor = run_floor(bodies, url)
            with fresh_database(kind, workdir) as url:
                server = start_server(workdir, url, workers=args.workers, timeout=120)
                try:
                    post_all(server.host, server.port, warm, concurrency=args.clients)
                    run = post_all(server.host, server.port, bodies, concurrency=args.clients)
                finally:
                    server.stop()
            latencies = [r.seconds for r in run.replies]
            p99 = percentile(latencies, 99) * 1000
            print(f"\n## {kind}")
            print(f"floor (one process, one at a time): {summary(floor.per_message)}")
            print(f"HTTP, {args.clients} clients:          {summary(latencies)}")
            print(f"throughput {len(run.replies) / run.wall:,.0f} messages/s; {len(run.failures)} failed; "
                  f"p99 {'meets' if p99 <= TARGET_P99_MS else 'misses'} the target of {TARGET_P99_MS:.0f} ms")
    print(f"\nload average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
