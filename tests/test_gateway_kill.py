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
from support.polling import wait_for
from support.server import SOAP_ACTIONS, start_server

from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie, vordering, vorderingsregel

GROOT = 10_000
KLEIN = 8  # per group, two groups


@dataclass
class Bericht:
    """A message sent, what it holds, and what the sender saw."""

    referentienummer: str
    body: bytes
    vorderingnummers: set[str]
    regels: int
    answer: str = "none"  # "Bv03", "fault" or "lost" (the connection died without a whole answer)
    sent: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


def _bericht(referentienummer: str, specs: list[g.VorderingSpec]) -> Bericht:
    return Bericht(referentienummer, g.soap(g.di01_vordering(specs, referentienummer=referentienummer)),
                   {s.vorderingnummer for s in specs}, sum(len(s.regels) for s in specs))


@pytest.fixture(scope="module")
def large_bericht() -> Bericht:
    rng = random.Random(15)
    return _bericht("KILL-GROOT", [g.random_vordering(rng, n, prefix="KILLG") for n in range(GROOT)])


@pytest.fixture
def groot(large_bericht: Bericht) -> Bericht:
    """The large message (generated once), not sent yet."""
    return Bericht(large_bericht.referentienummer, large_bericht.body, large_bericht.vorderingnummers,
                   large_bericht.regels)


def _klein(group: str) -> list[Bericht]:
    rng = random.Random(group)
    return [_bericht(f"KILL-{group}-{n}", [g.random_vordering(rng, n, prefix=f"KILL{group}")]) for n in range(KLEIN)]


def _send(port: int, bericht: Bericht) -> None:
    """POST on a connection of its own; the answer as the sender saw it (nothing complete: ``lost``)."""
    action = SOAP_ACTIONS["Di01-verstrekVordering"]
    head = (f"POST /VerstrekVorderingOfVerantwoording HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{action}\"\r\n"
            f"Content-Length: {len(bericht.body)}\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(head + bericht.body)
            bericht.sent.set()
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
        bericht.answer = "Bv03" if ok else "fault"
    except OSError:
        bericht.answer = "lost"
    finally:
        bericht.sent.set()
        bericht.done.set()


def _start(port: int, berichten: list[Bericht]) -> None:
    for b in berichten:
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


def _stored(store: Store, bericht_: Bericht) -> tuple[int, int, int]:
    """(archive rows that accepted it, claims, vorderingen) of a message; its vorderingen must be whole."""
    with store.begin(write=False) as conn:
        accepted = conn.execute(sa.select(sa.func.count()).select_from(bericht).where(
            bericht.c.referentienummer == bericht_.referentienummer, bericht.c.outcome == "Bv03",
            bericht.c.resend_of.is_(None))).scalar_one()  # (an identical resend is archived as its own row)
        claims = conn.execute(sa.select(sa.func.count()).select_from(ontvangen_referentie).where(
            ontvangen_referentie.c.referentienummer == bericht_.referentienummer)).scalar_one()
        numbers = set(conn.execute(sa.select(vordering.c.vorderingnummer)).scalars()) & bericht_.vorderingnummers
        regels = conn.execute(sa.select(sa.func.count()).select_from(vorderingsregel.join(vordering)).where(
            vordering.c.vorderingnummer.in_(sorted(numbers)))).scalar_one() if numbers else 0
    if numbers:
        assert numbers == bericht_.vorderingnummers and regels == bericht_.regels, bericht_.referentienummer
    return accepted, claims, len(numbers)


def test_sigkill_stores_nothing_partial_and_loses_no_acknowledged_message(tmp_path: Path, database_url: str,
                                                                          groot: Bericht) -> None:
    voor, during = _klein("A"), _klein("B")
    store = Store(database_url)
    server = start_server(tmp_path, database_url, timeout=120)
    try:
        _start(server.port, voor)
        for b in voor:
            assert b.done.wait(60) and b.answer == "Bv03"
        _start(server.port, [groot])
        wait_for(lambda: _transaction_open(store, database_url) or groot.done.is_set(),
                 "the large message's transaction", timeout=120)
        eerst, dan = during[:KLEIN // 2], during[KLEIN // 2:]
        _start(server.port, eerst)
        if not store.is_sqlite:  # PostgreSQL: they commit while the large one is being stored
            wait_for(lambda: any(b.answer == "Bv03" for b in eerst) or groot.done.is_set(), "a Bv03", timeout=60)
        _start(server.port, dan)
        for b in during:
            assert b.sent.wait(30)
        assert not groot.done.is_set(), (  # else nothing was in flight
            f"the large message was answered before the kill: {groot.answer}\n{server.log()[-3000:]}")
        os.kill(server.pid, signal.SIGKILL)
        server.process.wait(30)
        for b in [groot, *during]:
            assert b.done.wait(30)
    finally:
        server.stop()

    assert groot.answer == "lost"
    for b in [groot, *voor, *during]:
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
        again = [b for b in [*voor, *during] if b.answer != "Bv03"]
        for b in again:
            b.done.clear()
        _start(server.port, again)
        for b in again:
            assert b.done.wait(60) and b.answer == "Bv03", b.referentienummer
    finally:
        server.stop()
    for b in [*voor, *during]:
        assert _stored(store, b) == (1, 1, 1)
    store.dispose()
