"""Hostile input over real HTTP: each request gets a SOAP Fault or a 4xx quickly, the server's memory
stays bounded, and it keeps answering normal requests."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.kit import requires_kit
from tests.support.security import Answer, body_of, post, vordering
from tests.support.server import start_server

pytestmark = requires_kit

MAX_BODY = 1024 * 1024
ENV = {"STUF_FIN_MAX_BODY_BYTES": str(MAX_BODY), "STUF_FIN_READ_TIMEOUT": "3", "STUF_FIN_HEADER_TIMEOUT": "2"}
ANSWER_WITHIN = 30.0  # seconds: "answers at all", not a performance bound
ENV_OPEN = b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
ENV_CLOSE = b"</SOAP-ENV:Body></SOAP-ENV:Envelope>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("hostile"), env=ENV)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def listener():
    """A TCP port that would notice an external-entity fetch."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        sock.setblocking(False)
        yield sock


def _dtd(internal: bytes, body: bytes) -> bytes:
    return b'<?xml version="1.0"?>\n<!DOCTYPE SOAP-ENV:Envelope [' + internal + b"]>" + ENV_OPEN + body + ENV_CLOSE


def _valid() -> bytes:
    return vordering("0363", "STP01")


def corpus(listener_port: int) -> dict[str, bytes]:
    valid = _valid()
    message = body_of(valid)
    laughs = b'<!ENTITY lol0 "lol">' + b"".join(
        b"<!ENTITY lol%d \"%s\">" % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(1, 10))
    return {
        "xxe-file": _dtd(b'<!ENTITY xxe SYSTEM "file:///etc/passwd">', b"<x>&xxe;</x>"),
        "xxe-url": _dtd(b'<!ENTITY xxe SYSTEM "http://127.0.0.1:%d/xxe">' % listener_port, b"<x>&xxe;</x>"),
        "xxe-parameter-entity": _dtd(b'<!ENTITY %% p SYSTEM "http://127.0.0.1:%d/dtd"> %%p;' % listener_port, b"<x/>"),
        "billion-laughs": _dtd(laughs, b"<x>&lol9;</x>"),
        "quadratic-blowup": _dtd(b'<!ENTITY a "' + b"A" * 50_000 + b'">', b"<x>" + b"&a;" * 20_000 + b"</x>"),
        # a DOCTYPE beyond the parser's quick prolog scan: refused after parsing, entities never expanded
        "billion-laughs-after-long-prolog": b"<!--" + b"x" * 70_000 + b"-->" + _dtd(laughs, b"<x>&lol9;</x>")[21:],
        "deep-nesting": ENV_OPEN + b"<a>" * 10_000 + b"</a>" * 10_000 + ENV_CLOSE,
        "xinclude": ENV_OPEN + b'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"'
                               b' parse="text"/></x>' + ENV_CLOSE,
        "invalid-utf8": valid.replace(b"<FIN:algemeneFactuuromschrijving>test",
                                      b"<FIN:algemeneFactuuromschrijving>te\xff\xfe\xc0st"),
        "illegal-character-reference": valid.replace(b">test<", b">te&#x1;st<"),
        "illegal-control-byte": valid.replace(b">test<", b">te\x01st<"),
        "declared-utf16-sent-utf8": b'<?xml version="1.0" encoding="UTF-16"?>' + ENV_OPEN + message + ENV_CLOSE,
        "unknown-encoding": b'<?xml version="1.0" encoding="x-klingon"?>' + ENV_OPEN + message + ENV_CLOSE,
        "empty": b"",
        "whitespace": b"  \n ",
        "truncated": valid[: len(valid) // 2],
        "not-xml": b'{"vordering": true}',
        "no-envelope": message,
        "over-the-limit": ENV_OPEN + b"<!--" + b"x" * (MAX_BODY + 10) + b"-->" + message + ENV_CLOSE,
    }


def _fault_or_4xx(answer: Answer) -> bool:
    if 400 <= answer.status < 500:
        return True
    return answer.status == 500 and answer.reply is not None and answer.reply.is_fault


@requires_kit
def test_hostile_corpus(server, listener):
    before = server.rss()
    for name, data in corpus(listener.getsockname()[1]).items():
        answer = post(server.url, data, timeout=ANSWER_WITHIN)
        assert _fault_or_4xx(answer), f"{name}: {answer.status} {answer.text[:300]}"
        assert "Traceback" not in answer.text and "root:x:0" not in answer.text, name
        if answer.status == 500:
            assert answer.code in ("StUF055", "StUF022"), f"{name}: {answer.code} {answer.text[:300]}"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing tried to fetch an external entity
    assert server.rss() - before < 200 * 1024 * 1024
    assert post(server.url, _valid()).berichtcode == "Bv03"  # and it still works


def test_over_the_limit_is_413(server):
    data = ENV_OPEN + b"<!--" + b"x" * (MAX_BODY + 10) + b"-->" + ENV_CLOSE
    assert post(server.url, data).status == 413


def _raw(server) -> socket.socket:
    address = urlsplit(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=ANSWER_WITHIN)
    return sock


def test_slow_request_head_is_cut_off_while_others_are_served(server):
    with _raw(server) as slow, _raw(server) as idle:
        slow.sendall(b"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: x\r\nContent-Ty")
        assert httpx.get(server.url + "/health", timeout=ANSWER_WITHIN).status_code == 200
        assert post(server.url, _valid()).berichtcode == "Bv03"
        assert slow.recv(1024) == b""  # closed by the server (header_timeout)
        assert idle.recv(1024) == b""  # a connection that never sends anything is closed too


def test_slow_body_gets_408(server):
    with _raw(server) as slow:
        slow.sendall(b"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                     b"Content-Length: 1000\r\n\r\n<SOAP-ENV:Envelope")
        assert slow.recv(1024).startswith(b"HTTP/1.1 408")


def test_many_requests_on_a_kept_alive_connection_are_not_cut_off(server):
    with httpx.Client() as client:
        for _ in range(3):
            assert client.get(server.url + "/health").status_code == 200
