"""Small messages: single-vordering Di01 from 16 closed-loop clients, gateway vs raw floor in the same run.

    python -m bench.latency --db both --clients 16 --messages 50 --rounds 3

Each client sends its messages one after another on its own keep-alive connection (closed loop), so with
16 clients 16 requests are in flight all the time.  The gateway (``stuf-fin serve``) and the floor
(:mod:`bench.floor`, the same uvicorn) get the same messages, each run on a fresh database and a fresh server
process, alternating floor/gateway and gateway/floor per round.  Printed per run and as the median of the
rounds: messages/s, p50 and p99, and the CPU time per message of the server process and (PostgreSQL) of the local
database server's processes, from ``/proc``; the ratio is gateway/floor throughput (target ≥ 0.50; p99 ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import common
from bench.client import post_all
from bench.databases import KINDS, server_version
from bench.server import cpu_seconds, processes_cpu_seconds
from bench.targets import FLOOR, GATEWAY, alternating, serving, stored_vorderingen

TARGET_RATIO = 0.50
TARGET_P99_MS = 50.0


@dataclass
class Result:
    per_second: float
    p50: float  # ms
    p99: float  # ms
    failed: int
    cpu: float = 0.0  # ms of the server's CPU per message
    db_cpu: float = 0.0  # ms of the local PostgreSQL server's CPU per message

    def describe(self) -> str:
        db = f" + database {self.db_cpu:.2f}" if self.db_cpu else ""
        return (f"{self.per_second:,.0f} msg/s, p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms; CPU/msg "
                f"server {self.cpu:.2f}{db} ms")


def run_once(target: str, kind: str, warm: list[bytes], bodies: list[bytes], clients: int, workers: int,
             workdir: Path) -> Result:
    with serving(target, kind, workdir, workers=workers) as (server, url):
        post_all(server.host, server.port, warm, concurrency=clients)
        cpu, db_cpu = cpu_seconds(server.pid), processes_cpu_seconds("postgres") if kind == "postgresql" else 0.0
        run = post_all(server.host, server.port, bodies, concurrency=clients)
        cpu, db_cpu = cpu_seconds(server.pid) - cpu, (processes_cpu_seconds("postgres") - db_cpu) if db_cpu else 0.0
        stored = stored_vorderingen(target, url) - len(warm)
    ms = [r.seconds * 1000 for r in run.replies]
    if run.failures or stored != len(bodies):
        print(f"  WARNING {target}: {len(run.failures)} failed answers, {stored} of {len(bodies)} stored; "
              f"{run.failures[0].body[:300] if run.failures else b''!r}")
    return Result(run.per_second, common.percentile(ms, 50), common.percentile(ms, 99), len(run.failures),
                  cpu * 1000 / len(bodies), db_cpu * 1000 / len(bodies))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="both")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--messages", type=int, default=50, help="messages per client and run (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each server (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each server (default 1)")
    args = parser.parse_args(argv)

    print(common.header("small messages: single-vordering Di01, gateway vs raw floor"))
    total = args.clients * args.messages
    warm = common.vordering_messages(1, args.clients * 5, prefix="LATWARM")
    bodies = common.vordering_messages(1, total, prefix="LAT")
    print(f"{args.clients} clients x {args.messages} messages of 1 vordering ({len(bodies[0]):,} bytes each), "
          f"after {len(warm)} warm-up messages; --workers {args.workers}; {args.rounds} rounds")
    rows = []
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        workdir = Path(tmp)
        for kind in KINDS if args.db == "both" else (args.db,):
            print(f"\n## {kind} ({server_version(kind)})")
            results: dict[str, list[Result]] = {GATEWAY: [], FLOOR: []}
            for r, target in alternating(args.rounds):
                result = run_once(target, kind, warm, bodies, args.clients, args.workers, workdir)
                results[target].append(result)
                print(f"round {r + 1} {target:<8} {result.describe()}; {result.failed} failed "
                      f"(load {common.load_average()})")
            med = {t: Result(*(statistics.median(getattr(x, f) for x in rs) for f in ("per_second", "p50", "p99")),
                             sum(x.failed for x in rs), *(statistics.median(getattr(x, f) for x in rs)
                                                          for f in ("cpu", "db_cpu"))) for t, rs in results.items()}
            ratio = med[GATEWAY].per_second / med[FLOOR].per_second
            print(f"median    gateway  {med[GATEWAY].describe()}\nmedian    floor    {med[FLOOR].describe()}\n"
                  f"ratio gateway/floor {ratio:.2f} (target >= {TARGET_RATIO:.2f}); gateway p99 "
                  f"{'meets' if med[GATEWAY].p99 <= TARGET_P99_MS else 'misses'} {TARGET_P99_MS:.0f} ms")
            rows.append(f"| single-vordering Di01, {args.clients} clients, {kind} | {med[GATEWAY].describe()} | "
                        f"{med[FLOOR].describe()} | **{ratio:.2f}** |")
    print("\n| workload | gateway | raw floor | ratio |\n|---|---|---|---|\n" + "\n".join(rows))
    print(f"\nload average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
