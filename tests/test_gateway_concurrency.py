"""The same message twice at the same moment (a sender that retried while its first attempt was in flight):
both get the same Bv03, the message is stored once and archived as one accepted message and one resend, on
SQLite and PostgreSQL, with one process, several workers and several replicas on one database.  A reused
referentienummer with other content is still StUF016, a known object under a new referentienummer StUF058, for
all three Di01 operations, also when the two arrive together."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from bench.faults import identical_pairs, outcome, simultaneous_pairs
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie, verantwoording, vordering, vorderingstatus
from tests.support.server import Server, start_server
from tests.support.soap import Reply, checked

PAIRS = 30


@dataclass
class Deployment:
    urls: list[str]
    store: Store


def _deploy(tmp_path: Path, url: str, *, workers: int = 1, replicas: int = 1) -> Iterator[Deployment]:
    servers: list[Server] = []
    store = Store(url)
    try:
        for _ in range(replicas):
            servers.append(start_server(tmp_path, url, workers=workers))
        yield Deployment([s.url for s in servers], store)
    finally:
        for server in servers:
            server.stop()
        store.dispose()


@pytest.fixture(params=[("sqlite", 1, 1), ("sqlite", 2, 1), ("postgresql", 1, 1), ("postgresql", 2, 1),
                        ("postgresql", 1, 2)],
                ids=["sqlite", "sqlite-2-workers", "postgresql", "postgresql-2-workers", "postgresql-2-replicas"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    kind, workers, replicas = request.param
    url = request.getfixturevalue("postgres_url") if kind == "postgresql" else f"sqlite:///{tmp_path / 'gateway.db'}"
    yield from _deploy(tmp_path, url, workers=workers, replicas=replicas)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One gateway per database for the module's tests (each test uses its own numbers)."""
    tmp_path = tmp_path_factory.mktemp("gateway")
    url = request.getfixturevalue("module_postgres_url") if request.param == "postgresql" else \
        f"sqlite:///{tmp_path / 'gateway.db'}"
    yield from _deploy(tmp_path, url)


def _reply(answer: tuple[int, bytes]) -> Reply:
    """An answer as :class:`Reply`, checked like every answer in the tests (schema, SOAP Fault form)."""
    status, body = answer
    return checked(Reply(status, etree.fromstring(body), body.decode()))


def _archived(store: Store, referentienummer: str) -> list[sa.Row]:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(bericht.c.id, bericht.c.outcome, bericht.c.fault_code, bericht.c.resend_of)
                            .where(bericht.c.referentienummer == referentienummer).order_by(bericht.c.id)).all()


def _count(store: Store, table: sa.Table, *where: sa.ColumnElement) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def _accepted_and_resend(store: Store, referentienummer: str) -> bool:
    """The archive holds one accepted message and one resend of it, and no fault."""
    rows = _archived(store, referentienummer)
    return (len(rows) == 2 and [r.outcome for r in rows] == ["Bv03", "Bv03"]
            and sorted((r.resend_of is not None) for r in rows) == [False, True]
            and next(r.resend_of for r in rows if r.resend_of) == next(r.id for r in rows if not r.resend_of))


def test_identical_pairs_get_the_same_bv03_and_are_stored_once(deployment: Deployment) -> None:
    run = uuid.uuid4().hex[:8]
    specs = [g.random_vordering(random.Random(i), i, prefix=f"P{run}-") for i in range(PAIRS)]
    refs = [f"P{run}{i:04d}" for i in range(PAIRS)]
    bodies = [g.soap(g.di01_vordering([spec], referentienummer=ref)) for spec, ref in zip(specs, refs, strict=True)]

    pairs = identical_pairs(deployment.urls, bodies)

    outcomes = [(outcome(a), outcome(b)) for a, b in pairs]
    assert outcomes == [("Bv03", "Bv03")] * PAIRS
    for first, second in pairs:
        _reply(first), _reply(second)
    assert [a == b for a, b in pairs] == [True] * PAIRS  # the same Bv03, byte for byte
    store = deployment.store
    assert [_count(store, vordering, vordering.c.vorderingnummer == s.vorderingnummer) for s in specs] == [1] * PAIRS
    assert [_count(store, ontvangen_referentie, ontvangen_referentie.c.referentienummer == r) for r in refs] == \
        [1] * PAIRS
    assert [_accepted_and_resend(store, ref) for ref in refs] == [True] * PAIRS


def _status_change(spec: g.VorderingSpec, status: str, ref: str) -> bytes:
    return g.soap(g.di01_statuswijziging([g.status_for(spec, status)], referentienummer=ref))


def test_identical_status_changes_and_verantwoordingen_are_applied_once(gateway: Deployment) -> None:
    run, n = uuid.uuid4().hex[:8], 5
    specs = [g.random_vordering(random.Random(i), i, prefix=f"S{run}-") for i in range(n)]
    for spec in specs:
        assert outcome(identical_pairs(gateway.urls, [g.soap(g.di01_vordering([spec]))])[0][0]) == "Bv03"
    status_refs = [f"S{run}{i:03d}" for i in range(n)]
    fvws = [g.random_verantwoording(random.Random(i), i, prefix=f"F{run}-") for i in range(n)]
    fvw_refs = [f"F{run}{i:03d}" for i in range(n)]

    pairs = identical_pairs(gateway.urls, [
        *(_status_change(spec, "BET", ref) for spec, ref in zip(specs, status_refs, strict=True)),
        *(g.soap(g.di01_financiele_verantwoording([f], referentienummer=r)) for f, r in zip(fvws, fvw_refs,
                                                                                             strict=True))])

    assert [(outcome(a), outcome(b), a == b) for a, b in pairs] == [("Bv03", "Bv03", True)] * (2 * n)
    store = gateway.store
    with store.begin(write=False) as conn:
        ids = [conn.execute(sa.select(vordering.c.id).where(vordering.c.vorderingnummer == s.vorderingnummer))
               .scalar_one() for s in specs]
    changes = [_count(store, vorderingstatus, vorderingstatus.c.vordering_id == i,
                      vorderingstatus.c.bron == "statuswijziging") for i in ids]
    assert changes == [1] * n
    assert [_count(store, verantwoording, verantwoording.c.verantwoordingsnummer == f.verantwoordingsnummer)
            for f in fvws] == [1] * n
    assert [_accepted_and_resend(store, ref) for ref in status_refs + fvw_refs] == [True] * (2 * n)


def _sent_together(gateway: Deployment, first: bytes, second: bytes) -> list[Reply]:
    """Two messages POSTed at the same moment; their answers, Bv03 first."""
    answers = simultaneous_pairs(gateway.urls, [(first, second)])[0]
    return sorted((_reply(a) for a in answers), key=lambda r: r.is_fault)


OPERATIONS = ["vordering", "statuswijziging", "verantwoording"]


def _two_messages(gateway: Deployment, operation: str, run: str, *, same_ref: bool) -> tuple[bytes, bytes, str]:
    """Two messages of ``operation``: with ``same_ref`` the same referentienummer and other content, else
    other referentienummers and the same object; and the object's number (named by a StUF058)."""
    rng = random.Random(run)
    ref_a, ref_b = f"A{run}", (f"A{run}" if same_ref else f"B{run}")
    if operation == "vordering":
        spec, other = (g.random_vordering(rng, i, prefix=f"D{run}-") for i in range(2))
        return (g.soap(g.di01_vordering([spec], referentienummer=ref_a)),
                g.soap(g.di01_vordering([other if same_ref else spec], referentienummer=ref_b)), spec.vorderingnummer)
    if operation == "verantwoording":
        fvw, other = (g.random_verantwoording(rng, i, prefix=f"D{run}-") for i in range(2))
        return (g.soap(g.di01_financiele_verantwoording([fvw], referentienummer=ref_a)),
                g.soap(g.di01_financiele_verantwoording([other if same_ref else fvw], referentienummer=ref_b)),
                fvw.verantwoordingsnummer)
    spec = g.random_vordering(rng, 0, prefix=f"D{run}-")
    assert outcome(identical_pairs(gateway.urls, [g.soap(g.di01_vordering([spec]))])[0][0]) == "Bv03"
    return _status_change(spec, "BET", ref_a), _status_change(spec, "INV" if same_ref else "BET", ref_b), \
        spec.vorderingnummer


@pytest.mark.parametrize("operation", OPERATIONS)
def test_same_referentienummer_with_other_content_is_stuf016_also_when_sent_together(
        gateway: Deployment, operation: str) -> None:
    run = uuid.uuid4().hex[:10]
    first, second, _ = _two_messages(gateway, operation, run, same_ref=True)
    accepted, refused = _sent_together(gateway, first, second)
    assert not accepted.is_fault and accepted.message.tag.endswith("Bv03Bericht")
    assert (refused.code, refused.body.findtext("faultcode")) == ("StUF016", "SOAP-ENV:Client")
    rows = _archived(gateway.store, f"A{run}")
    assert sorted((r.outcome, r.fault_code, r.resend_of) for r in rows) == [("Bv03", None, None),
                                                                              ("Fo03", "StUF016", None)]
    # both again: the accepted one is an identical resend now, the other is still refused
    assert [r.code for r in _sent_together(gateway, first, second)] == [None, "StUF016"]


@pytest.mark.parametrize("operation", ["vordering", "verantwoording"])
def test_a_stored_object_under_a_new_referentienummer_is_stuf058_naming_it_also_when_sent_together(
        gateway: Deployment, operation: str) -> None:
    run = uuid.uuid4().hex[:10]
    first, second, number = _two_messages(gateway, operation, run, same_ref=False)
    accepted, refused = _sent_together(gateway, first, second)
    assert not accepted.is_fault
    assert refused.code == "StUF058" and number in refused.details
    table, column = (vordering, vordering.c.vorderingnummer) if operation == "vordering" else \
        (verantwoording, verantwoording.c.verantwoordingsnummer)
    assert _count(gateway.store, table, column == number) == 1
    assert [r.code for r in _sent_together(gateway, first, second)] == [None, "StUF058"]  # and again
    assert _count(gateway.store, table, column == number) == 1


def test_a_status_change_for_an_unknown_vordering_is_stuf058_naming_it(gateway: Deployment) -> None:
    run = uuid.uuid4().hex[:10]
    unknown = g.random_vordering(random.Random(run), 0, prefix=f"U{run}-")  # never sent
    replies = _sent_together(gateway, _status_change(unknown, "BET", f"U{run}"), _status_change(unknown, "BET",
                                                                                                 f"U{run}"))
    assert [(r.code, unknown.vorderingnummer in r.details) for r in replies] == [("StUF058", True)] * 2
    # refused messages leave no claim: the same referentienummer may come again (StUF 03.01 §4.4)
    assert _count(gateway.store, ontvangen_referentie, ontvangen_referentie.c.referentienummer == f"U{run}") == 0
