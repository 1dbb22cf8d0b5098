"""Bulk ingest: the gateway and the raw floor over HTTP, on the same messages, in one run.

    python -m bench.ingest --db both --messages 20 --concurrency 1                        # 20 x 1,000
    python -m bench.ingest --db postgresql --messages 100 --concurrency 4 --workers 2 --rounds 1   # 100,000

The gateway (``stuf-fin serve``) and the floor (:mod:`bench.floor`, the same uvicorn, the same ``--workers``)
get the same messages from the same number of senders, each run on a fresh database and a fresh server,
alternating floor/gateway and gateway/floor per round.  Printed: vorderingen per second of every run, the mean
per server and the ratio gateway/floor (target: at least 0.70).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import common
from bench.client import post_all
from bench.databases import KINDS, server_version
from bench.targets import FLOOR, GATEWAY, alternating, serving, stored_vorderingen
from stuf_fin.selftest.generator import di01_vordering, random_vordering, soap

TARGET_RATIO = 0.70


@dataclass
class Result:
    seconds: float
    vorderingen: int
    failures: int

    @property
    def per_second(self) -> float:
        return self.vorderingen / self.seconds


def warm_up_message() -> bytes:
    """One vordering with numbers of its own (the first request of a fresh server is not timed)."""
    return soap(di01_vordering([random_vordering(random.Random(0), 0, prefix="WARM")], referentienummer="WARM-UP"))


def run_once(target: str, kind: str, bodies: list[bytes], per_message: int, concurrency: int, workers: int,
             workdir: Path) -> Result:
    with serving(target, kind, workdir, workers=workers) as (server, url):
        warm = post_all(server.host, server.port, [warm_up_message()])
        if warm.failures:
            raise RuntimeError(f"{target} warm-up failed: {warm.failures[0].body[:500]!r}\n{server.log()[-2000:]}")
        run = post_all(server.host, server.port, bodies, concurrency=concurrency)
        stored = stored_vorderingen(target, url) - 1
    expected = per_message * len(bodies)
    if run.failures or stored != expected:
        detail = run.failures[0].body[:500] if run.failures else b""
        print(f"  WARNING {target}: {len(run.failures)} failed answers, {stored} of {expected} vorderingen stored "
              f"{detail!r}")
    return Result(run.wall, stored, len(run.failures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="both")
    parser.add_argument("--vorderingen", type=int, default=1000, help="vorderingen per message (default 1000)")
    parser.add_argument("--messages", type=int, default=20, help="messages (default 20)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1], help="senders (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each server (default 1)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each server per sender count (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(common.header("bulk ingest: gateway vs raw floor over HTTP"))
    bodies = common.vordering_messages(args.vorderingen, args.messages, seed=args.seed)
    size = sum(map(len, bodies)) / len(bodies)
    print(f"messages: {len(bodies)} of {args.vorderingen:,} vorderingen, {size / 1e6:.1f} MB each "
          f"({size / args.vorderingen / 1e3:.1f} KB per vordering); "
          f"--workers {args.workers}; {args.rounds} rounds")
    rows = []
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        workdir = Path(tmp)
        for kind in KINDS if args.db == "both" else (args.db,):
            print(f"\n## {kind} ({server_version(kind)})")
            for senders in args.concurrency:
                results: dict[str, list[Result]] = {GATEWAY: [], FLOOR: []}
                for r, target in alternating(args.rounds):
                    result = run_once(target, kind, bodies, args.vorderingen, senders, args.workers, workdir)
                    results[target].append(result)
                    print(f"round {r + 1} {target:<8} {senders} senders: {result.vorderingen:,} in "
                          f"{result.seconds:.2f} s = {result.per_second:,.0f} vorderingen/s; {result.failures} "
                          f"failed (load {common.load_average()})")
                mean = {t: statistics.fmean(x.per_second for x in rs) for t, rs in results.items()}
                seconds = {t: statistics.fmean(x.seconds for x in rs) for t, rs in results.items()}
                ratio = mean[GATEWAY] / mean[FLOOR]
                print(f"mean      gateway {mean[GATEWAY]:,.0f}/s ({seconds[GATEWAY]:.1f} s), floor "
                      f"{mean[FLOOR]:,.0f}/s ({seconds[FLOOR]:.1f} s); ratio {ratio:.2f} (target >= {TARGET_RATIO})")
                rows.append(f"| {len(bodies)} x {args.vorderingen:,} vorderingen, {senders} sender(s), --workers "
                            f"{args.workers}, {kind} | {mean[GATEWAY]:,.0f} vorderingen/s ({seconds[GATEWAY]:.1f} s)"
                            f" | {mean[FLOOR]:,.0f} vorderingen/s ({seconds[FLOOR]:.1f} s) | **{ratio:.2f}** |")
    print("\n| workload | gateway | raw floor | ratio |\n|---|---|---|---|\n" + "\n".join(rows))
    print(f"\nload average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
