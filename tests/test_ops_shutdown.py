"""SIGTERM (``docker stop``, systemd, Kubernetes) stops ``stuf-fin serve`` cleanly: a request in flight is still
answered and stored, the outbox worker stops, and the process exits with 0 instead of dying by the signal.

docker/check does the same to the container (``docker stop``); this is the part that needs no engine."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.selftest import generator as g
from tests.support.polling import wait_for
from tests.support.server import SOAP_ACTIONS, start_server

ROUTES = """
[outbound.inningssysteem]
url = "http://127.0.0.1:9/VerstrekVorderingOfVerantwoording"
ontvanger = "1900/INNING"
zender = "1900/STUFFIN"
"""


def _unread_bytes(server_port: int, client_port: int) -> int | None:
    """Bytes of this connection still waiting in the server's socket (``/proc/net/tcp``), None: no such socket."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return int(queues.split(":")[1], 16)
    return None


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp to see what was read")
@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_answers_the_request_in_flight_stops_the_outbox_worker_and_exits_0(tmp_path, workers):
    (tmp_path / "outbound.toml").write_text(ROUTES)
    server = start_server(tmp_path, workers=workers, env={"STUF_FIN_OUTBOUND_FILE": str(tmp_path / "outbound.toml"),
                                                          "STUF_FIN_LOG_FORMAT": "text"})
    try:
        body = g.soap(g.di01_vordering(1))
        head = (f"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{SOAP_ACTIONS['Di01-verstrekVordering']}\"\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        client.sendall(head + body[:200])  # the request is in flight: headers and part of the body received
        client_port = client.getsockname()[1]
        wait_for(lambda: _unread_bytes(server.port, client_port) == 0, "the server read the request's start", 30,
                 interval=0.02)

        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: server.log().count("Shutting down") == workers, "every worker process shutting down", 30,
                 interval=0.02)
        client.sendall(body[200:])
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        client.close()

        assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
        envelope = etree.fromstring(answer.split(b"\r\n\r\n", 1)[1])
        assert etree.QName(envelope[0][0]).localname == "Bv03Bericht"
        assert server.process.wait(30) == 0, server.log()
        log = server.log()
        assert log.count("outbox worker stopped") == workers, log
        assert "stuf_fin.serve: stopped" in log, log
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM vordering")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar() == 1
        engine.dispose()
    finally:
        server.stop()
