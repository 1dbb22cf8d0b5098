"""SIGKILL of the server while a 10,000-vordering message and small messages are in flight (issue 15): every
message that got its Bv03 is stored completely, nothing else is stored in part, and after a restart the messages
that got no answer can be sent again and are then stored once.

The order, on SQLite and PostgreSQL: 8 small messages (answered), then the large one; once its transaction is
open (SQLite: the write lock is taken; PostgreSQL: it holds a row lock on ``vordering``), 4 more small ones
(SQLite: they wait for the write lock; PostgreSQL: they commit while the large one is still being stored, and the
test waits for the first of their Bv03s), then 4 more, and SIGKILL as soon as those are sent.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie, vordering, vorderingsregel
from tests.support.polling import wait_for
from tests.support.server import SOAP_ACTIONS, start_server

LARGE = 10_000
SMALL = 8  # per group, two groups


@dataclass
class Message:
    """A message sent, what it holds, and what the sender saw."""

    referentienummer: str
    body: bytes
    vorderingnummers: set[str]
    regels: int
    answer: str = "none"  # "Bv03", "fault" or "lost" (the connection died without a whole answer)
    sent: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


def _message(referentienummer: str, specs: list[g.VorderingSpec]) -> Message:
    return Message(referentienummer, g.soap(g.di01_vordering(specs, referentienummer=referentienummer)),
                   {s.vorderingnummer for s in specs}, sum(len(s.regels) for s in specs))


@pytest.fixture(scope="module")
def large_message() -> Message:
    rng = random.Random(15)
    return _message("KILL-GROOT", [g.random_vordering(rng, n, prefix="KILLG") for n in range(LARGE)])


@pytest.fixture
def large(large_message: Message) -> Message:
    """The large message (generated once), not sent yet."""
    return Message(large_message.referentienummer, large_message.body, large_message.vorderingnummers,
                   large_message.regels)


def _small(group: str) -> list[Message]:
    rng = random.Random(group)
    return [_message(f"KILL-{group}-{n}", [g.random_vordering(rng, n, prefix=f"KILL{group}")]) for n in range(SMALL)]


def _send(port: int, message: Message) -> None:
    """POST on a connection of its own; the answer as the sender saw it (nothing complete: ``lost``)."""
    action = SOAP_ACTIONS["Di01-verstrekVordering"]
    head = (f"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{action}\"\r\n"
            f"Content-Length: {len(message.body)}\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(head + message.body)
            message.sent.set()
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                reply += chunk
            headers, _, body = reply.partition(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in headers.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                body += chunk
        ok = headers.startswith(b"HTTP/1.1 200") and b"Bv03Bericht" in body
        message.answer = "Bv03" if ok else "fault"
    except OSError:
        message.answer = "lost"
    finally:
        message.sent.set()
        message.done.set()


def _start(port: int, messages: list[Message]) -> None:
    for b in messages:
        threading.Thread(target=_send, args=(port, b), daemon=True).start()


def _transaction_open(store: Store, database_url: str) -> bool:
    """Whether a transaction of the gateway is storing right now (after the small messages before it ended)."""
    if store.is_sqlite:
        path = database_url.removeprefix("sqlite:///")
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # database is locked: a writer holds it
            return True
        finally:
            probe.close()
    with store.begin(write=False) as conn:
        return bool(conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE relation = to_regclass('vordering') AND mode = 'RowExclusiveLock' "
            "AND granted AND pid <> pg_backend_pid()").scalar())


def _stored(store: Store, message: Message) -> tuple[int, int, int]:
    """(archive rows that accepted it, claims, vorderingen) of a message; its vorderingen must be whole."""
    with store.begin(write=False) as conn:
        accepted = conn.execute(sa.select(sa.func.count()).select_from(bericht).where(
            bericht.c.referentienummer == message.referentienummer, bericht.c.outcome == "Bv03",
            bericht.c.resend_of.is_(None))).scalar_one()  # (an identical resend is archived as its own row)
        claims = conn.execute(sa.select(sa.func.count()).select_from(ontvangen_referentie).where(
            ontvangen_referentie.c.referentienummer == message.referentienummer)).scalar_one()
        numbers = set(conn.execute(sa.select(vordering.c.vorderingnummer)).scalars()) & message.vorderingnummers
        regels = conn.execute(sa.select(sa.func.count()).select_from(vorderingsregel.join(vordering)).where(
            vordering.c.vorderingnummer.in_(sorted(numbers)))).scalar_one() if numbers else 0
    if numbers:
        assert numbers == message.vorderingnummers and regels == message.regels, message.referentienummer
    return accepted, claims, len(numbers)


def test_sigkill_stores_nothing_partial_and_loses_no_acknowledged_message(tmp_path: Path, database_url: str,
                                                                          large: Message) -> None:
    before, during = _small("A"), _small("B")
    store = Store(database_url)
    server = start_server(tmp_path, database_url, timeout=120)
    try:
        _start(server.port, before)
        for b in before:
            assert b.done.wait(60) and b.answer == "Bv03"
        _start(server.port, [large])
        wait_for(lambda: _transaction_open(store, database_url) or large.done.is_set(),
                 "the large message's transaction", timeout=120)
        first, then = during[:SMALL // 2], during[SMALL // 2:]
        _start(server.port, first)
        if not store.is_sqlite:  # PostgreSQL: they commit while the large one is being stored
            wait_for(lambda: any(b.answer == "Bv03" for b in first) or large.done.is_set(), "a Bv03", timeout=60)
        _start(server.port, then)
        for b in during:
            assert b.sent.wait(30)
        assert not large.done.is_set(), (  # else nothing was in flight
            f"the large message was answered before the kill: {large.answer}\n{server.log()[-3000:]}")
        os.kill(server.pid, signal.SIGKILL)
        server.process.wait(30)
        for b in [large, *during]:
            assert b.done.wait(30)
    finally:
        server.stop()

    assert large.answer == "lost"
    for b in [large, *before, *during]:
        archived, claims, vorderingen = _stored(store, b)
        if b.answer == "Bv03":  # acknowledged: stored completely
            assert (archived, claims, len(b.vorderingnummers)) == (1, 1, vorderingen), b.referentienummer
        else:  # not acknowledged: completely (committed just before the kill) or not at all
            assert (archived, claims) in ((0, 0), (1, 1)), b.referentienummer
            assert vorderingen == (len(b.vorderingnummers) if archived else 0), b.referentienummer
    with store.begin(write=False) as conn:  # nothing else: every vordering belongs to an accepted message
        assert conn.execute(sa.select(sa.func.count()).select_from(vordering.outerjoin(
            bericht, bericht.c.id == vordering.c.bericht_id)).where(sa.or_(
                bericht.c.outcome.is_(None), bericht.c.outcome != "Bv03"))).scalar_one() == 0

    # after a restart the messages without an answer are sent again: each is stored, once
    server = start_server(tmp_path, database_url, timeout=120)
    try:
        again = [b for b in [*before, *during] if b.answer != "Bv03"]
        for b in again:
            b.done.clear()
        _start(server.port, again)
        for b in again:
            assert b.done.wait(60) and b.answer == "Bv03", b.referentienummer
    finally:
        server.stop()
    for b in [*before, *during]:
        assert _stored(store, b) == (1, 1, 1)
    store.dispose()
