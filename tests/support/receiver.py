"""A real StUF receiver over HTTP on 127.0.0.1, for the outbound tests.

It validates what it receives, keeps the StUF016 memory of a StUF end node (an identical resend gets the earlier
Bv03 again and is not processed twice; a different message with a used referentienummer gets Fo03 StUF016), and
answers each request as scripted: ``bv03`` (the default), ``fo03-client``, ``fo03-server``, ``http500``,
``http503``, ``drop`` (processed, but the connection is closed without an answer: a lost Bv03), ``hold``
(waits until :meth:`Receiver.release`, then answers Bv03), ``slow:<seconds>`` (answers Bv03 late).  It can
also refuse connections (:meth:`Receiver.down` / :meth:`Receiver.up`).  Everything received is recorded.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from stuf_fin import envelope
from stuf_fin.schema.validator import get_validator, summarize
from stuf_fin.stuf import answers
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import Systeem, read_stuurgegevens

OWN = Systeem("1900", "ONTVANGER")
FAULTS = {"fo03-client": StufFault("StUF013", "zender onbekend (test)"),
          "fo03-server": StufFault("StUF058", "tijdelijk niet beschikbaar (test)")}


@dataclass(frozen=True)
class Received:
    """One request as received."""

    operation: str  # local name of the Body's message element
    soap_action: str
    headers: dict[str, str]
    message: bytes  # the message element, exclusive canonical XML
    digest: str  # SHA-256 of ``message``: what "identical" means
    zender: str
    ontvanger: str
    referentienummer: str
    tijdstip_bericht: str
    answer: str  # Bv03, Bv03 (again), Fo03 StUF058, http503, drop, ...


def _fault(fault: StufFault, request: Any) -> bytes:
    return envelope.wrap(envelope.fault(answers.fo03(request, fault, OWN), fault.plek, fault.omschrijving))


class Receiver:
    def __init__(self, validate: bool = True):
        self.validator = get_validator(None) if validate else None
        self.script: list[str] = []
        self.default = "bv03"
        self.received: list[Received] = []
        self.processed: list[Received] = []  # accepted for the first time (Bv03), in order
        self._memory: dict[tuple[str, str], tuple[str, bytes]] = {}
        self._lock = threading.Lock()
        self.held = threading.Event()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + "/VerstrekVorderingOfVerantwoording"

    # -- control -------------------------------------------------------------------------------------------
    def answer(self, *modes: str) -> None:
        """Answer the next requests with ``modes``, in order; then with :attr:`default`."""
        with self._lock:
            self.script.extend(modes)

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that went away (killed worker, time-out) is part of the tests

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self.release()
        self.down()

    # -- queries -------------------------------------------------------------------------------------------
    def received_for(self, referentienummer: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.referentienummer == referentienummer]

    def processed_refs(self) -> list[str]:
        with self._lock:
            return [r.referentienummer for r in self.processed]

    # -- one request ---------------------------------------------------------------------------------------
    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        body = http.rfile.read(int(http.headers.get("Content-Length", 0)))
        message = envelope.body_element(etree.fromstring(body))
        sg = read_stuurgegevens(message)
        canonical = etree.tostring(message, method="c14n", exclusive=True)
        with self._lock:
            mode = self.script.pop(0) if self.script else self.default
        record = dict(operation=etree.QName(message).localname, soap_action=http.headers.get("SOAPAction", ""),
                      headers=dict(http.headers.items()), message=canonical,
                      digest=hashlib.sha256(canonical).hexdigest(), zender=str(sg.zender or ""),
                      ontvanger=str(sg.ontvanger or ""), referentienummer=sg.referentienummer,
                      tijdstip_bericht=sg.tijdstip_bericht)
        if mode.startswith("slow:"):
            time.sleep(float(mode[5:]))
        if mode == "hold":
            self.held.set()
            self._release.wait(120)
        status, answer, label = self._answer(mode, message, sg, record)
        with self._lock:
            self.received.append(Received(**record, answer=label))
        if mode == "drop":
            http.close_connection = True
            http.connection.shutdown(socket.SHUT_RDWR)
            return
        http.send_response(status)
        http.send_header("Content-Type", "text/xml; charset=utf-8")
        http.send_header("Content-Length", str(len(answer)))
        http.end_headers()
        http.wfile.write(answer)

    def _answer(self, mode: str, message: Any, sg: Any, record: dict) -> tuple[int, bytes, str]:
        if mode in ("http500", "http503"):
            return int(mode[4:]), b"unavailable", mode
        if mode in FAULTS:
            return 500, _fault(FAULTS[mode], sg), f"Fo03 {FAULTS[mode].code}"
        issues = self.validator.validate(message) if self.validator is not None else []
        if issues:
            return 500, _fault(StufFault("StUF055", summarize(issues)), sg), "Fo03 StUF055"
        key = (record["zender"], sg.referentienummer)
        with self._lock:
            earlier = self._memory.get(key)
            if earlier is None:
                bv03 = envelope.wrap(answers.bv03(sg, OWN))
                self._memory[key] = (record["digest"], bv03)
                self.processed.append(Received(**record, answer="Bv03"))
                return 200, bv03, "drop" if mode == "drop" else "Bv03"
        if earlier[0] != record["digest"]:
            return 500, _fault(StufFault("StUF016", f"referentienummer {sg.referentienummer} al gebruikt"), sg), \
                "Fo03 StUF016"
        return 200, earlier[1], "Bv03 (again)"


