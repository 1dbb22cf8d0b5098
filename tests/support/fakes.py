"""Deliberately wrong StUF-FIN providers, for testing that ``stuf-fin selftest`` fails the right scenarios.

Modes: ``bv03`` (a correct-looking Bv03 to everything, vrdLv01 included), ``invalid-la01`` (Di01 handled right,
every vrdLv01 answered with a vrdLa01 that fails the schema: ``indicatorVervolgvraag`` in its parameters, which
FIN prohibits), ``wrong-crossref`` (a Bv03 whose crossRefnummer is not the question's referentienummer),
``silent`` (reads the request and never answers until closed).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from stuf_fin.envelope import body_element, wrap
from stuf_fin.namespaces import FIN, STUF, F, S
from stuf_fin.stuf import answers
from stuf_fin.stuf.stuurgegevens import Systeem, read_stuurgegevens

OWN = Systeem("1900", "FAKE")
MODES = ("bv03", "invalid-la01", "wrong-crossref", "silent")


class FakeProvider:
    def __init__(self, mode: str):
        assert mode in MODES, mode
        self.mode = mode
        self.requests = 0
        self._closed = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests += 1
                if fake.mode == "silent":
                    fake._closed.wait(120)
                    return
                answer = fake.answer(body_element(etree.fromstring(body)))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, message: etree._Element) -> bytes:
        sg = read_stuurgegevens(message)
        if self.mode == "invalid-la01" and etree.QName(message).localname == "vrdLv01":
            la01 = etree.Element(F + "vrdLa01", nsmap={"FIN": FIN, "StUF": STUF})
            stuurgegevens = etree.SubElement(la01, F + "stuurgegevens")
            etree.SubElement(stuurgegevens, S + "berichtcode").text = "La01"
            etree.SubElement(stuurgegevens, S + "entiteittype").text = "VRD"
            parameters = etree.SubElement(la01, F + "parameters")
            etree.SubElement(parameters, S + "indicatorVervolgvraag").text = "false"
            return wrap(la01)
        bv03 = answers.bv03(sg, OWN)
        if self.mode == "wrong-crossref":
            bv03.find(f"{S}stuurgegevens/{S}crossRefnummer").text = "FAKE-" + sg.referentienummer[:30]
        return wrap(bv03)

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
