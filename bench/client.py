"""A lean HTTP/1.1 client for the benchmarks: asyncio, keep-alive, N concurrent senders.

The client shares the machine with the server, so it must cost as little CPU as possible:
no HTTP library, each sender one connection, the bodies prepared before the clock starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from stuf_fin.selftest.generator import FIN

PORT_PATH = "/VerstrekVorderingOfVerantwoording"
SOAP_ACTION = f"{FIN}/Di01-verstrekVordering"


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float  # from the first byte sent to the last byte received


@dataclass
class Run:
    wall: float  # seconds from the first request to the last answer
    replies: list[Reply] = field(default_factory=list)
    expect: bytes = b"Bv03Bericht"  # in every good answer

    @property
    def failures(self) -> list[Reply]:
        return [r for r in self.replies if r.status != 200 or self.expect not in r.body]

    @property
    def per_second(self) -> float:
        return len(self.replies) / self.wall


def _request(host: str, port: int, body: bytes, path: str, soap_action: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f'SOAPAction: "{soap_action}"\r\nContent-Length: {len(body)}\r\n\r\n')
    return head.encode("latin-1") + body


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _sender(host: str, port: int, queue: asyncio.Queue, replies: list[Reply], path: str,
                  soap_action: str) -> None:
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    try:
        while True:
            try:
                body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            writer.write(_request(host, port, body, path, soap_action))
            await writer.drain()
            status, answer = await _read_reply(reader)
            replies.append(Reply(status, answer, time.perf_counter() - start))
    finally:
        writer.close()


async def _post_all(host: str, port: int, bodies: Sequence[bytes], concurrency: int, path: str,
                    soap_action: str, expect: bytes) -> Run:
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    replies: list[Reply] = []
    start = time.perf_counter()
    await asyncio.gather(*(_sender(host, port, queue, replies, path, soap_action) for _ in range(concurrency)))
    return Run(time.perf_counter() - start, replies, expect)


def post_all(host: str, port: int, bodies: Sequence[bytes], *, concurrency: int = 1, path: str = PORT_PATH,
             soap_action: str = SOAP_ACTION, expect: bytes = b"Bv03Bericht") -> Run:
    """POST every body (SOAP envelopes) with ``concurrency`` senders, each on its own connection; an answer
    is good when it is HTTP 200 and holds ``expect``."""
    return asyncio.run(_post_all(host, port, bodies, concurrency, path, soap_action, expect))
