"""Memory: peak RSS of ``stuf-fin serve`` while it handles one ~100 MB Di01 message.

    python -m bench.memory --db both --vorderingen 27000      # ~104 MB (target: peak <= 3x that)

The server's VmHWM (``/proc/<pid>/status``) is read before and after the message; the peak is the
whole process's high-water mark (its idle size included).  No floor server here: the yardstick is the message
itself (the body has to be held once to be archived as received); target: peak <= 3x the message size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import common
from bench.client import post_all
from bench.databases import KINDS, server_version
from bench.ingest import warm_up_message
from bench.targets import GATEWAY, serving, stored_vorderingen

TARGET_FACTOR = 3.0
MB = 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=(*KINDS, "both"), default="both")
    parser.add_argument("--vorderingen", type=int, default=27000, help="vorderingen in the message (default 27000,"
                                                                        " about 104 MB)")
    parser.add_argument("--file", type=Path, help="post this message instead of a generated one")
    args = parser.parse_args(argv)

    print(common.header("memory: peak RSS of stuf-fin serve during one large message"))
    if args.file:
        body = common.read_messages(args.file.parent) if args.file.is_dir() else [args.file.read_bytes()]
        body = body[0]
    else:
        body = common.vordering_messages(args.vorderingen, 1, prefix="BIG")[0]
    size = len(body)
    print(f"message: {size / MB:.1f} MB ({size:,} bytes); target peak <= {TARGET_FACTOR:.0f}x = "
          f"{TARGET_FACTOR * size / MB:.0f} MB")
    kinds = KINDS if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        workdir = Path(tmp)
        for kind in kinds:
            with serving(GATEWAY, kind, workdir) as (server, url):
                post_all(server.host, server.port, [warm_up_message()])
                idle = server.rss()
                idle_peak = server.peak_rss()
                start = time.perf_counter()
                run = post_all(server.host, server.port, [body])
                seconds = time.perf_counter() - start
                peak = server.peak_rss()
                after = server.rss()
                stored = stored_vorderingen(GATEWAY, url) - 1
            reply = run.replies[0]
            outcome = "Bv03" if not run.failures else f"HTTP {reply.status}: {reply.body[:300]!r}"
            print(f"\n## {kind} ({server_version(kind)})\nanswer: {outcome} in {seconds:.1f} s; {stored:,} "
                  f"vorderingen stored ({stored / seconds:,.0f}/s)")
            print(f"RSS idle (after warm-up): {idle / MB:.0f} MB (its peak so far {idle_peak / MB:.0f} MB); "
                  f"after the message: {after / MB:.0f} MB")
            print(f"peak RSS: {peak / MB:.0f} MB = {peak / size:.2f}x the message "
                  f"({'meets' if peak <= TARGET_FACTOR * size else 'misses'} the target of {TARGET_FACTOR:.0f}x); "
                  f"above idle: {(peak - idle) / MB:.0f} MB = {(peak - idle) / size:.2f}x")
    print(f"\nload average at end: {common.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
