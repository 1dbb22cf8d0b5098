"""Which WSGI→ASGI adapter serves spyne best: our own (``stuf_fin/app.py``: the body read once, the WSGI call
in a thread pool) or ``a2wsgi.WSGIMiddleware``.  Both drive the same spyne application, in process through
``httpx.ASGITransport`` so that only the adapters differ; printed: messages per second and p50/p99.

    python -m bench.adapter [--small 400] [--large 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import header, load_average, vordering_messages
from stuf_fin.configure import load_settings
from stuf_fin.store.db import Store

PORT = "/VerstrekVorderingOfVerantwoording"
ACTION = {"SOAPAction": '"http://www.egem.nl/StUF/sector/fin/0310/Di01-verstrekVordering"'}


def gateways(folder: Path):
    """Our gateway, and the same spyne port behind a2wsgi, each on its own fresh SQLite file."""
    from a2wsgi import WSGIMiddleware

    from stuf_fin.app import build

    apps = {}
    for name in ("own", "a2wsgi"):
        url = f"sqlite:///{folder / f'{name}.db'}"
        Store(url).upgrade()
        settings = load_settings({"database_url": url, "outbound_worker": False, "log_level": "WARNING"},
                                 environ={})
        gateway = build(settings)
        apps[name] = gateway if name == "own" else WSGIMiddleware(gateway.ports[PORT], workers=settings.threads)
    return apps


async def drive(app, bodies: list[bytes], concurrency: int) -> list[float]:
    timings: list[float] = []
    queue = list(reversed(bodies))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 timeout=600) as client:
        async def sender() -> None:
            while queue:
                body = queue.pop()
                start = time.perf_counter()
                response = await client.post(PORT, content=body, headers=ACTION)
                timings.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise RuntimeError(response.text[:500])
        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return timings


def report(name: str, timings: list[float], seconds: float) -> str:
    ms = sorted(t * 1000 for t in timings)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (f"{name:<8} {len(ms) / seconds:8.1f} msg/s   p50 {statistics.median(ms):8.1f} ms   "
            f"p99 {p99:8.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adapter", description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=400, help="single-vordering messages (default 400)")
    parser.add_argument("--large", type=int, default=4, help="1,000-vordering messages (default 4)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the gateway's warnings about the generated data are not measured
    print(header("WSGI→ASGI adapter: our own vs a2wsgi (same spyne application, in process)"))
    with tempfile.TemporaryDirectory() as tmp:
        apps = gateways(Path(tmp))
        for label, size, count in (("1 vordering", 1, args.small), ("1,000 vorderingen", 1000, args.large)):
            print(f"\n## {count} messages of {label}, {args.concurrency} concurrent senders")
            for name, app in apps.items():
                bodies = vordering_messages(size, count, seed=7, prefix=f"ADAPTER{size}")
                start = time.perf_counter()
                timings = asyncio.run(drive(app, bodies, args.concurrency))
                print(report(name, timings, time.perf_counter() - start))
    print(f"\nload average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
