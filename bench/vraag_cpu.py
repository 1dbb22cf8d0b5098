"""CPU per vrdLv01 by vorderingnummer, in process (no HTTP, no client): issue 15 target 4.

    python -m bench.vraag_cpu --database sqlite --vorderingen 100000 [--questions 2000] [--threads 1,16]
    python -m bench.vraag_cpu --database postgresql://postgres@127.0.0.1:5432/test --vorderingen 100000
    python -m bench.vraag_cpu ... --code /path/to/other/checkout      # the same measurement of other code
    python -m bench.vraag_cpu ... --profile                           # cProfile (thread CPU) of one thread
    BENCH_PROFILE_SORT=tottime python -m bench.vraag_cpu ... --profile   # the same, by own time (default cumulative)

The gateway is built as ``stuf-fin serve`` builds it, its background services started as the lifespan starts them
(archive writer, WAL checkpointer, group commit, GC tuning, ...), and questions (scope ``alles``, random stored
numbers) are handed to the port handler directly: ``gateway.ports["/BeantwoordVraag"].handle(...)``, from 1 or
more threads.  Printed: the process's CPU time per question (every thread: the archive writer's too, which is
stopped, and so drained, inside the measurement), the minimum of ``--rounds`` rounds.  The data is that of
``bench.vraag`` (loaded once per database file or PostgreSQL schema).  CPU time is far less noisy than wall time
on a shared machine, but still grows with the machine's load: compare runs made one after another.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vraag_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL (a schema is made there)")
    parser.add_argument("--vorderingen", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=2000, help="questions per round (after 200 to warm up)")
    parser.add_argument("--threads", default="1,16", help="threads asking at once (default 1,16)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/stuf-fin-bench-vraag"))
    parser.add_argument("--code", type=Path, help="another checkout whose stuf_fin is measured")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one round of the first thread count (1 thread: asked in the main thread)")
    args = parser.parse_args(argv)
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
        for name in [m for m in sys.modules if m == "stuf_fin" or m.startswith("stuf_fin.")]:
            del sys.modules[name]
    import random

    from bench import vraag
    from stuf_fin.app import build
    from stuf_fin.config import Settings
    from stuf_fin.ops.logging import configure_logging
    from stuf_fin.selftest import generator as g
    from stuf_fin.soap.server import SoapRequest

    args.workdir.mkdir(parents=True, exist_ok=True)
    url = vraag.database_url(args.database, args.workdir.resolve(), args.vorderingen)
    if vraag.count_stored(url) == 0:
        vraag.load(url, args.vorderingen)
    vraag.analyse(url)
    settings = Settings(database_url=url, log_format="json", metrics_db_interval=3600, outbound_worker=False)
    configure_logging(settings)
    gateway = build(settings)
    for service in gateway.background:
        service.start()
    port, action = gateway.ports["/BeantwoordVraag"], f'"{vraag.SOAP_ACTION}"'
    rng = random.Random(1)

    def bodies(n: int) -> list[bytes]:
        return [g.soap(vraag.vrdLv01([vraag.field("vorderingnummer", vraag.bench_vorderingnummer(
            rng.randrange(args.vorderingen)))], scope="alles")) for _ in range(n)]

    def ask(part: list[bytes]) -> None:
        for body in part:
            status, answer = port.handle(SoapRequest(body, action, None))
            if status != 200 or b"vrdLa01" not in answer:
                raise RuntimeError(f"not a vrdLa01: {answer[:300]!r}")

    import stuf_fin
    print(f"{stuf_fin.__file__.rsplit('/stuf_fin/', 1)[0]}, {args.database.split('@')[-1]}, "
          f"{args.vorderingen:,} vorderingen: process CPU per question (ms), min of {args.rounds} rounds")
    writer = gateway.pipeline.archive_writer
    try:
        ask(bodies(200))
        for k, threads in enumerate(int(t) for t in args.threads.split(",")):
            cpu = []
            for _ in range(args.rounds):
                work = bodies(args.questions)
                writer.stop()
                writer.start()
                profile = None
                if args.profile and k == 0 and not cpu:
                    import cProfile
                    profile = cProfile.Profile(time.thread_time)
                    profile.enable()
                begin = time.process_time()
                if threads == 1:
                    ask(work)  # in this thread: the one cProfile sees
                else:
                    parts = [threading.Thread(target=ask, args=(work[i::threads],)) for i in range(threads)]
                    for t in parts:
                        t.start()
                    for t in parts:
                        t.join()
                writer.stop()  # (its rows written: part of the cost)
                cpu.append((time.process_time() - begin) / len(work) * 1000)
                if profile is not None:
                    import pstats
                    profile.disable()
                    pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(40)
            writer.start()
            print(f"  {threads:>2} thread(s): {min(cpu):.3f}  (rounds: {', '.join(f'{c:.3f}' for c in cpu)})")
    finally:
        for service in reversed(gateway.background):
            service.stop()
        gateway.store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
