"""bench/floor.py, the raw floor of the benchmarks: it must really do the work it stands for (parse, validate,
extract, store in one transaction, answer), or every ratio printed against it is meaningless.  No timing here."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree

from bench import floor
from bench import vraag as v
from bench.client import post_all
from bench.server import REPOSITORY, start_floor
from bench.targets import FLOOR, stored_vorderingen
from stuf_fin.namespaces import SOAP_ENV, STUF, F
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g


def _post(app: floor.FloorApp, path: str, *bodies: bytes) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as client:
            return [await client.post(path, content=body) for body in bodies]
    return asyncio.run(go())


def _message_of(response: httpx.Response) -> etree._Element:
    """The Body's child of an answer, which must be schema-valid (the gateway's built-in set)."""
    assert response.status_code == 200, response.text
    message = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")[0]
    assert get_validator().validate(message) == []
    return message


def _rows(url: str, table: sa.Table) -> list[sa.Row]:
    engine = floor.engine_for(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(table)))
    finally:
        engine.dispose()


@pytest.fixture
def app(database_url: str):
    floor.create_tables(database_url)
    application = floor.FloorApp(database_url)
    yield application
    application.executor.shutdown()
    application.floor.dispose()


def test_floor_stores_every_vordering_and_regel_and_answers_a_valid_bv03(app: floor.FloorApp,
                                                                         database_url: str) -> None:
    specs = [g.random_vordering(random.Random(7), i, prefix="FLOOR") for i in range(3)]
    data = g.soap(g.di01_vordering(specs, referentienummer="FLOOR-REF-1"))
    sent = etree.fromstring(data).find(f".//{F}Di01-verstrekVordering")

    bv03 = _message_of(*_post(app, "/VerstrekVorderingOfVerantwoording", data))

    assert bv03.tag == f"{{{STUF}}}Bv03Bericht"
    assert bv03.findtext(f"{{{STUF}}}stuurgegevens/{{{STUF}}}crossRefnummer") == "FLOOR-REF-1"
    assert [r.referentienummer for r in _rows(database_url, floor.floor_bericht)] == ["FLOOR-REF-1"]
    objects = [lk[-1] for lk in sent.iterfind(f"{F}vrdLk01")]
    stored = sorted(_rows(database_url, floor.floor_vordering), key=lambda r: r.volgnummer)
    assert [(r.vorderingnummer, r.tsa, r.totaal_incl_btw, str(r.vervaldatum)) for r in stored] == [
        (o.findtext(F + "vorderingnummer"), o.findtext(F + "tsa"), int(o.findtext(F + "totaalbedragInclBTW")),
         o.findtext(F + "vervaldatum")) for o in objects]
    assert [etree.fromstring(r.object_xml).findtext(F + "vorderingnummer") for r in stored] == [
        o.findtext(F + "vorderingnummer") for o in objects]
    regels = _rows(database_url, floor.floor_regel)
    sent_regels = [(r.findtext(F + "bedragInclBTW"), r.findtext(F + "vorderingcode"))
                   for o in objects for r in o.iterfind(F + "vorderingsregel")]
    assert sorted((str(r.bedrag_incl_btw), r.vorderingcode) for r in regels) == sorted(sent_regels)


def test_floor_refuses_an_invalid_message_and_a_second_referentienummer_and_stores_nothing_of_them(
        app: floor.FloorApp, database_url: str) -> None:
    rng = random.Random(8)
    good = g.soap(g.di01_vordering([g.random_vordering(rng, 0, prefix="ONE")], referentienummer="SAME"))
    again = g.soap(g.di01_vordering([g.random_vordering(rng, 1, prefix="TWO")], referentienummer="SAME"))
    invalid = good.replace(b"<FIN:tsa>", b"<FIN:onbekend>x</FIN:onbekend><FIN:tsa>").replace(b"SAME", b"OTHER")

    answers = _post(app, "/VerstrekVorderingOfVerantwoording", good, invalid, again)

    assert [a.status_code for a in answers] == [200, 500, 500]
    assert "invalid" in answers[1].text
    assert [r.vorderingnummer for r in _rows(database_url, floor.floor_vordering)] == ["ONE00000000"]
    assert [r.referentienummer for r in _rows(database_url, floor.floor_bericht)] == ["SAME"]


def test_floor_answers_vrdLv01_by_vorderingnummer_with_the_stored_object(app: floor.FloorApp,
                                                                         database_url: str) -> None:
    v.load_floor(database_url, 12, log=lambda _: None)
    asked = [v.bench_vorderingnummer(i) for i in (0, 11)] + ["NIET0000001"]

    answers = [_message_of(a) for a in _post(
        app, "/BeantwoordVraag", *(g.soap(v.vrdLv01([v.field("vorderingnummer", n)])) for n in asked))]

    found = [[o.findtext(F + "vorderingnummer") for o in a.iterfind(f"{F}antwoord/{F}object")] for a in answers]
    assert found == [[asked[0]], [asked[1]], []]


def test_floor_serves_over_http_under_uvicorn_with_wal_and_synchronous_full(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    bodies = [g.soap(g.di01_vordering([g.random_vordering(random.Random(i), i, prefix="HTTP")],
                                      referentienummer=f"HTTP-{i}")) for i in range(6)]
    server = start_floor(tmp_path, url)
    try:
        run = post_all(server.host, server.port, bodies, concurrency=3)
    finally:
        server.stop()
    assert len(run.replies) == 6 and run.failures == []
    assert stored_vorderingen(FLOOR, url) == 6
    durability = floor.engine_for(url)
    try:
        with durability.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
    finally:
        durability.dispose()


def test_floor_runs_none_of_the_gateways_code(tmp_path: Path) -> None:
    check = (f"import sys, bench.floor; app = bench.floor.FloorApp('sqlite:///{tmp_path / 'f.db'}'); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'stuf_fin'))")
    result = subprocess.run([sys.executable, "-c", check], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
