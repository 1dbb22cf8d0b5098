"""The consumer side: an HTTP server on ``--listen HOST:PORT`` that plays the counterpart's two StUF-FIN ports
(``…/VerstrekVorderingOfVerantwoording``, ``…/BeantwoordVraag``) for the system under test.

A consumer scenario hands the listener a :class:`Counterpart`: the operations it waits for and how it answers
them.  Everything else that arrives is out of turn and gets a Fo03/Fo02 StUF046 plek ``server`` ("not now"), so
that a sender that retries delivers it again later.  ``GET /`` tells what the runner is waiting for (JSON), for
an operator who cannot see the terminal, and for scripts.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from stuf_fin.envelope import fault, wrap
from stuf_fin.selftest.checks import Arrival, read_arrival
from stuf_fin.selftest.results import Exchange
from stuf_fin.stuf import answers
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.operations import PORT_VRAAG
from stuf_fin.stuf.stuurgegevens import Systeem

MAX_BODY = 64 * 1024 * 1024


@dataclass
class Reply:
    """What the listener answers: HTTP status, the SOAP envelope, and a label for the report."""

    status: int
    body: bytes
    label: str


def answer(message: etree._Element) -> Reply:
    return Reply(200, wrap(message), etree.QName(message).localname.removesuffix("Bericht"))


def refuse(arrival: Arrival, error: StufFault, own: Systeem) -> Reply:
    """A Fo03 (Di01 port) or Fo02 (vraag port) inside a SOAP Fault, HTTP 500."""
    if arrival.path.rstrip("/").endswith(PORT_VRAAG):
        stuf = answers.fo02(error)
    else:
        stuf = answers.fo03(arrival.stuurgegevens, error, own)
    return Reply(500, wrap(fault(stuf, error.plek, error.omschrijving)),
                 f"{etree.QName(stuf).localname.removesuffix('Bericht')} {error.code}")


@dataclass
class Received:
    """An arrival with the listener's answer, handed to the waiting scenario."""

    arrival: Arrival
    reply: Reply
    exchange: Exchange
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Counterpart:
    """What the current consumer scenario waits for, and how it answers (called in the HTTP thread)."""

    scenario: int
    waiting_for: str  # for the operator: "a Di01-verstrekVordering"
    operations: set[str]  # local names of the message elements it takes
    respond: Callable[[Arrival], tuple[Reply, list[str], list[str]]]  # -> reply, problems, notes
    received: queue.Queue[Received] = field(default_factory=queue.Queue)


class Listener:
    def __init__(self, host: str, port: int, own: Systeem,
                 on_unexpected: Callable[[Exchange], None] | None = None):
        self.own = own
        self.on_unexpected = on_unexpected
        self._counterpart: Counterpart | None = None
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "stuf-fin-selftest"

            def do_POST(self) -> None:
                listener._post(self)

            def do_GET(self) -> None:
                listener._get(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sender that went away is its own business

        self._server = Server((host, port), Handler)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """The URL to give the system under test (the machine's name when listening on every address)."""
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else str(self.host)
        return f"http://{host if ':' not in host else f'[{host}]'}:{self.port}"

    def serve(self, counterpart: Counterpart | None) -> None:
        """Play ``counterpart`` from now on (``None``: nothing is expected)."""
        with self._lock:
            self._counterpart = counterpart

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- HTTP ---------------------------------------------------------------------------------------------------
    def _get(self, http: BaseHTTPRequestHandler) -> None:
        with self._lock:
            c = self._counterpart
        status = {"waiting": None} if c is None else {"waiting": {"scenario": c.scenario, "for": c.waiting_for,
                                                                  "operations": sorted(c.operations)}}
        self._send(http, Reply(200, json.dumps(status).encode(), ""), "application/json")

    def _post(self, http: BaseHTTPRequestHandler) -> None:
        at = datetime.now(UTC)
        length = int(http.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(http, Reply(413, b"too large", ""), "text/plain")
            return
        body = http.rfile.read(length)
        arrival = read_arrival(http.path, dict(http.headers.items()), body, at)
        with self._lock:
            counterpart = self._counterpart
        if counterpart is not None and arrival.operation_name in counterpart.operations:
            reply, problems, notes = counterpart.respond(arrival)
            exchange = self._exchange(arrival, reply)
            counterpart.received.put(Received(arrival, reply, exchange, problems, notes))
        else:
            reply = self._out_of_turn(arrival, counterpart)
            exchange = self._exchange(arrival, reply)
            if self.on_unexpected is not None:
                self.on_unexpected(exchange)
        self._send(http, reply, "text/xml; charset=utf-8")

    def _out_of_turn(self, arrival: Arrival, counterpart: Counterpart | None) -> Reply:
        waiting = f"scenario {counterpart.scenario} waits for {counterpart.waiting_for}" if counterpart else \
            "no scenario is waiting for a message"
        if arrival.message is None:
            return Reply(400, arrival.problem.encode(), "HTTP 400")
        return refuse(arrival, StufFault("StUF046", f"stuf-fin selftest: {arrival.operation_name} not expected now "
                                        f"({waiting}); send it again later"), self.own)

    @staticmethod
    def _exchange(arrival: Arrival, reply: Reply) -> Exchange:
        request = etree.tostring(arrival.message) if arrival.message is not None else arrival.body
        return Exchange("received", arrival.path, arrival.soap_action, request, reply.body, reply.status,
                        note=f"answered {reply.label}", at=arrival.at)

    @staticmethod
    def _send(http: BaseHTTPRequestHandler, reply: Reply, content_type: str) -> None:
        http.send_response(reply.status)
        http.send_header("Content-Type", content_type)
        http.send_header("Content-Length", str(len(reply.body)))
        http.end_headers()
        http.wfile.write(reply.body)
