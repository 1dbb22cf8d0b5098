"""CPU of the gateway per Di01 through its SOAP port handler, in process (thread CPU: not disturbed by the machine's
load as wall time is; the unit the bulk work of issue 15 was measured in).

    python -m bench.cpu                                   # SQLite, 19 messages of 1,000 vorderingen
    python -m bench.cpu --db postgresql --messages 10
    python -m bench.cpu --profile /tmp/cpu.prof           # and a cProfile (thread CPU) of the same calls

The gateway is built as ``stuf-fin serve`` builds it (``stuf_fin.app.build``, default settings, so a 3.9 MB message
is read whole: streaming starts at ``stream_min_bytes``) with its background services running, except the SQLite
group commit, so that the message's transaction runs in the calling thread and is counted.  Each message is
``gateway.ports[path].handle(SoapRequest(body))``; printed: thread CPU per message (min, median, mean and each),
the first message left out (warm-up).  Compare two revisions by running both, alternating, e.g. with
``PYTHONPATH=<a checkout of the other revision>``.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import common
from bench.databases import KINDS, fresh_database
from stuf_fin.app import build
from stuf_fin.config import Settings
from stuf_fin.soap.server import SoapRequest
from stuf_fin.store.group_commit import GroupCommit
from stuf_fin.stuf.operations import PORT_KENNISGEVING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=KINDS, default="sqlite")
    parser.add_argument("--vorderingen", type=int, default=1000, help="vorderingen per message (default 1000)")
    parser.add_argument("--messages", type=int, default=19, help="messages measured, after one warm-up (default 19)")
    parser.add_argument("--profile", type=Path, help="also write a cProfile (thread CPU) of the measured calls here")
    args = parser.parse_args(argv)

    logging.disable(logging.WARNING)  # the business-rule warnings of generated data, one line per message
    print(common.header("CPU per Di01 through the SOAP port handler, in process"))
    bodies = common.vordering_messages(args.vorderingen, args.messages + 1, seed=1)
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    cpu = []
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp, fresh_database(args.db, Path(tmp)) as url:
        gateway = build(Settings(database_url=url))
        port = gateway.ports[f"/{PORT_KENNISGEVING}"]
        services = [s for s in gateway.background if not isinstance(s, GroupCommit)]
        for service in services:
            service.start()
        try:
            for n, body in enumerate(bodies):
                if profile is not None and n:
                    profile.enable()
                start = time.thread_time()
                status, answer = port.handle(SoapRequest(body))
                cpu.append((time.thread_time() - start) * 1000)
                if profile is not None:
                    profile.disable()
                if status != 200:
                    raise RuntimeError(f"message {n}: HTTP {status}: {answer[:500]!r}")
        finally:
            for service in services:
                service.stop()
            gateway.store.dispose()
    cpu = cpu[1:]
    print(f"{args.db}: {len(cpu)} messages of {args.vorderingen:,} vorderingen ({len(bodies[0]) / 1e6:.1f} MB); "
          f"thread CPU ms per message: min {min(cpu):.1f}, median {statistics.median(cpu):.1f}, "
          f"mean {statistics.fmean(cpu):.1f}")
    print("each: " + " ".join(f"{c:.0f}" for c in cpu))
    if profile is not None:
        profile.dump_stats(args.profile)
        print(f"profile: {args.profile}")
    print(f"load average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
