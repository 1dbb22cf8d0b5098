"""Faults under load (docs/operator.md): reproduce each of the three and print the figures, against this
code or another checkout (``STUF_FIN_BENCH_SERVER_CODE=<folder>`` runs the server from there).

    python -m bench.faults race --db postgresql --workers 2      # 30 identical pairs sent at the same moment
    python -m bench.faults race --db postgresql --replicas 2     # ... each pair to two processes, one database
    python -m bench.faults memory                                # hostile bodies: peak RSS against the body
    python -m bench.faults hang                                  # a database that stops answering

``race`` counts the answers per pair (two Bv03 is right; a Bv03 and a Fo03 StUF058 is the fault).
``memory`` posts bodies built to blow up a validator (200,000 undeclared attributes on one element, ...) and
reads the server's peak RSS from ``/proc``.  ``hang`` puts a TCP proxy between the gateway and PostgreSQL,
stops it forwarding (connections stay open) and times the answers to a few messages and to ``/ready``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import httpx

from bench import common
from bench.databases import KINDS, fresh_database
from bench.server import Server, start_server
from stuf_fin.selftest import generator as g

PORT_PATH = "/VerstrekVorderingOfVerantwoording"
_CODE = re.compile(rb"<StUF:code>([^<]+)</StUF:code>")

Answer = tuple[int, bytes]  # HTTP status, body


def outcome(answer: Answer) -> str:
    """``Bv03`` (``La01``), the fault code of a Fo03 (Fo02), or the HTTP status."""
    status, body = answer
    if status == 200 and b"Bv03Bericht" in body:
        return "Bv03"
    if status == 200 and b"vrdLa01" in body:
        return "La01"
    code = _CODE.search(body)
    return code.group(1).decode() if code else f"HTTP {status}"


_OPERATION = re.compile(rb"<FIN:(Di01-[A-Za-z]+|vrdLv01)[\s>]")


def soap_action(body: bytes) -> str:
    """The SOAPAction of a FIN message (from the first FIN message element in it; none found: empty)."""
    name = _OPERATION.search(body)
    return f'"{g.FIN}/{name.group(1).decode()}"' if name else '""'


def port_path(body: bytes) -> str:
    """The port a FIN message goes to: the vraag port for a vrdLv01, else the Di01 port."""
    name = _OPERATION.search(body)
    return "/BeantwoordVraag" if name and name.group(1) == b"vrdLv01" else PORT_PATH


def simultaneous_pairs(urls: Sequence[str], pairs: Sequence[tuple[bytes, bytes]], *, timeout: float = 120
                       ) -> list[tuple[Answer, Answer]]:
    """Each pair of bodies POSTed at the same moment, one pair after the other.

    Each of the two senders has its own kept-alive connection, opened and used before the first pair, and the
    two wait for each other at a barrier before each POST; with two ``urls`` the first body goes to the first
    and the second body to the second (two replicas on one database).
    """
    targets = [urls[0], urls[-1]]
    clients = [httpx.Client(timeout=timeout) for _ in targets]
    barrier = threading.Barrier(2)
    try:
        for client, url in zip(clients, targets, strict=True):
            client.get(url + "/health")

        def send(side: int, body: bytes) -> Answer:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action(body)}
            barrier.wait()
            response = clients[side].post(targets[side] + PORT_PATH, content=body, headers=headers)
            return response.status_code, response.content

        answers = []
        with ThreadPoolExecutor(2) as pool:
            for first, second in pairs:
                a, b = pool.map(send, (0, 1), (first, second))
                answers.append((a, b))
        return answers
    finally:
        for client in clients:
            client.close()


def identical_pairs(urls: Sequence[str], bodies: Sequence[bytes], *, timeout: float = 120
                    ) -> list[tuple[Answer, Answer]]:
    """Each body POSTed twice at the same moment (:func:`simultaneous_pairs`)."""
    return simultaneous_pairs(urls, [(body, body) for body in bodies], timeout=timeout)


def vordering_bodies(n: int, prefix: str = "RACE") -> list[bytes]:
    """``n`` single-vordering messages, each with its own vordering and referentienummer."""
    run = uuid.uuid4().hex[:8]
    return [g.soap(g.di01_vordering([g.random_vordering(random.Random(i), i, prefix=f"{prefix}{run}-")],
                                    referentienummer=f"{prefix}{run}{i:04d}")) for i in range(n)]


# -- race ---------------------------------------------------------------------------------------------------

def race(args: argparse.Namespace) -> int:
    print(common.header(f"faults: {args.pairs} identical pairs, {args.db}, {args.replicas} process(es) "
                        f"x {args.workers} worker(s)"))
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp, fresh_database(args.db, Path(tmp)) as url:
        servers = [start_server(Path(tmp), url, workers=args.workers) for _ in range(args.replicas)]
        try:
            pairs = identical_pairs([s.url for s in servers], vordering_bodies(args.pairs))
        finally:
            for server in servers:
                server.stop()
    counts = Counter(" + ".join(sorted((outcome(a), outcome(b)))) for a, b in pairs)
    same = sum(1 for a, b in pairs if a == b)
    for kind, n in counts.most_common():
        print(f"{n:3d} of {len(pairs)} pairs: {kind}")
    print(f"{same} of {len(pairs)} pairs got byte-identical answers")
    print(f"load average at end: {common.load_average()}")
    return 0


# -- memory -------------------------------------------------------------------------------------------------

MB = 1_000_000


@cache
def hostile_bodies(attributes: int = 200_000, elements: int = 100_000) -> dict[str, bytes]:
    """Bodies that cost a validator far more than their size (each about 1-3 MB)."""
    base = g.soap(g.di01_vordering([g.random_vordering(random.Random(1), 1, prefix="HOSTILE-")]))
    start = base.index(b"<FIN:object") + len(b"<FIN:object")
    regel = base.index(b"<FIN:vorderingsregel")
    vrd_end = base.index(b"</FIN:vrdLk01>") + len(b"</FIN:vrdLk01>")
    return {
        f"{attributes:,} undeclared attributes on one element":
            base[:start] + b"".join(b' a%d="1"' % i for i in range(attributes)) + base[start:],
        f"{elements:,} empty vrdLk01 (3 errors each)": base[:vrd_end] + b"<FIN:vrdLk01/>" * elements + base[vrd_end:],
        f"{elements:,} empty vorderingsregels": base[:regel] + b"<FIN:vorderingsregel/>" * elements + base[regel:],
        f"{attributes // 4:,} namespace declarations on one element":
            base[:start] + b"".join(b' xmlns:n%d="urn:n%d"' % (i, i) for i in range(attributes // 4)) + base[start:],
        "40 elements with names of 50,000 characters":
            base[:regel] + (b"<FIN:x" + b"y" * 49_990 + b"/>") * 40 + base[regel:],
        "2,000 times 250 nested unknown elements": base[:regel] + (b"<x>" * 250 + b"</x>" * 250) * 2000 + base[regel:],
    }


def memory(args: argparse.Namespace) -> int:
    print(common.header("faults: peak RSS of stuf-fin serve for hostile bodies (each in a fresh server)"))
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp:
        for name, body in hostile_bodies().items():
            server = start_server(Path(tmp), env={"STUF_FIN_LOG_LEVEL": "WARNING"})
            try:
                post(server, vordering_bodies(1, "WARM")[0])
                idle = server.rss()
                server.reset_peak()
                started = time.perf_counter()
                answer = post(server, body)
                seconds = time.perf_counter() - started
                peak, after = server.peak_rss(), server.rss()
            finally:
                server.stop()
            print(f"\n## {name}\nbody {len(body) / MB:.2f} MB -> {outcome(answer)} in {seconds:.2f} s")
            print(f"RSS idle {idle / MB:.0f} MB, peak {peak / MB:.0f} MB (+{(peak - idle) / MB:.0f} MB = "
                  f"{(peak - idle) / len(body):.1f}x the body), after {after / MB:.0f} MB")
    print(f"\nload average at end: {common.load_average()}")
    return 0


def post(server: Server, body: bytes, timeout: float = 300) -> Answer:
    """One body to ``server`` on its port (SOAPAction from the body): the answer's status and bytes."""
    response = httpx.post(server.url + port_path(body), content=body, timeout=timeout,
                          headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action(body)})
    return response.status_code, response.content


# -- hang ---------------------------------------------------------------------------------------------------

def _timed(fn, *args) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        result = fn(*args)
    except httpx.TimeoutException:
        result = "no answer"
    return time.perf_counter() - started, result


def hang(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from bench.tcpproxy import TcpProxy

    print(common.header("faults: PostgreSQL stops answering (a TCP proxy holds everything, connections open)"))
    env = {"STUF_FIN_METRICS_DB_INTERVAL": "0", "STUF_FIN_LOG_LEVEL": "WARNING"}
    if args.database_timeout:
        env["STUF_FIN_DATABASE_TIMEOUT"] = str(args.database_timeout)
    bodies = vordering_bodies(1 + args.concurrent, "HANG")
    with tempfile.TemporaryDirectory(prefix="stuf-fin-bench-") as tmp, \
            fresh_database("postgresql", Path(tmp)) as url:
        target = make_url(url)
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            server = start_server(Path(tmp), proxied, env=env)
            try:
                print(f"warm-up: {outcome(post(server, vordering_bodies(1, 'WARM')[0]))}")
                proxy.blackhole()
                print(f"database black-holed; client time-out {args.client_timeout:g} s")
                seconds, answer = _timed(post, server, bodies[0], args.client_timeout)
                print(f"message 1: {answer if isinstance(answer, str) else outcome(answer)} after {seconds:.1f} s")
                with ThreadPoolExecutor(args.concurrent) as pool:
                    timed = list(pool.map(lambda b: _timed(post, server, b, args.client_timeout), bodies[1:]))
                for n, (seconds, answer) in enumerate(timed, 2):
                    print(f"message {n}: {answer if isinstance(answer, str) else outcome(answer)} after "
                          f"{seconds:.1f} s (sent together with {args.concurrent - 1} other(s))")
                seconds, ready = _timed(lambda: httpx.get(server.url + "/ready", timeout=args.client_timeout)
                                        .status_code)
                print(f"/ready: {ready} after {seconds:.1f} s")
                proxy.restore()
                started = time.perf_counter()
                while time.perf_counter() - started < args.client_timeout:
                    try:
                        if httpx.get(server.url + "/ready", timeout=args.client_timeout).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.2)
                print(f"forwarding again; /ready 200 after {time.perf_counter() - started:.1f} s")
                resent = [outcome(post(server, body)) for body in bodies]
                print(f"every message resent: {', '.join(resent)}")
            finally:
                server.stop()
    print(f"load average at end: {common.load_average()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="fault", required=True)
    p = sub.add_parser("race", help="identical messages sent at the same moment")
    p.add_argument("--db", choices=KINDS, default="sqlite")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--replicas", type=int, default=1, help="stuf-fin serve processes on the one database")
    p.add_argument("--pairs", type=int, default=30)
    p.set_defaults(run=race)
    p = sub.add_parser("memory", help="hostile bodies: peak RSS")
    p.set_defaults(run=memory)
    p = sub.add_parser("hang", help="PostgreSQL stops answering, connections stay open")
    p.add_argument("--database-timeout", type=float, help="the gateway's database_timeout (default: its own)")
    p.add_argument("--client-timeout", type=float, default=120, help="seconds a client waits for an answer")
    p.add_argument("--concurrent", type=int, default=2, help="messages sent together after the first")
    p.set_defaults(run=hang)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
