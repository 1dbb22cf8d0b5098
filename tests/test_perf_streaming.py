"""Large messages as a stream (stuf_fin.schema.streaming): the same answers, rows and fingerprint as the
ordinary way, all-or-nothing across batches, and schema errors still located."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.fin import reader
from stuf_fin.namespaces import SOAP_ENV, STUF, F
from stuf_fin.pipeline import Pipeline, handlers
from stuf_fin.pipeline.pipeline import content_hash
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes
from stuf_fin.schema.streaming import body_hash, content_hash_of, read_head, validate_stream
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g
from stuf_fin.soap.server import PortServer, SoapRequest
from stuf_fin.soap.services import port_server
from stuf_fin.store import archive
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, vordering, vorderingsregel
from stuf_fin.stuf.operations import PORT_KENNISGEVING


def _specs(n: int, seed: int = 1) -> list[g.VorderingSpec]:
    rng, prefix = random.Random(seed), f"S{uuid.uuid4().hex[:10]}"
    return [g.random_vordering(rng, i, prefix=prefix) for i in range(n)]


def _envelope(specs: list[g.VorderingSpec], ref: str | None = None, header: bool = False) -> bytes:
    data = g.soap(g.di01_vordering(specs, referentienummer=ref or uuid.uuid4().hex))
    if header:
        root = etree.fromstring(data)
        header_el = etree.Element(f"{{{SOAP_ENV}}}Header")
        etree.SubElement(header_el, "{urn:test}trace").text = "x"
        root.insert(0, header_el)
        data = etree.tostring(root)
    return data


def _second_message(data: bytes) -> bytes:
    """The envelope with a second element in its Body."""
    root = etree.fromstring(data)
    etree.SubElement(root.find(f"{{{SOAP_ENV}}}Body"), F + "vrdLk01")
    return etree.tostring(root)


def _gateway(store: Store, stream_min_bytes: int):
    settings = Settings(database_url=str(store.url), stream_min_bytes=stream_min_bytes,
                        reject_past_vervaldatum=True)
    pipeline = Pipeline(settings, get_validator(), store, handlers.HANDLERS)
    return port_server(PORT_KENNISGEVING, pipeline, ParseLimits())


def _post(server: PortServer, data: bytes) -> tuple[int, etree._Element]:
    status, payload = server.handle(SoapRequest(data))
    body = etree.fromstring(payload).find(f"{{{SOAP_ENV}}}Body")[0]
    return status, body.find("detail")[0] if body.tag == f"{{{SOAP_ENV}}}Fault" else body


def _details(answer: etree._Element) -> str:
    return answer.findtext(f"{{{STUF}}}body/{{{STUF}}}details") or ""


def _count(store: Store, table: sa.Table) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _rows(store: Store) -> list[tuple]:
    """Stored vorderingen and regels without ids and receipt moments."""
    with store.begin(write=False) as conn:
        v = [tuple(r._mapping[c] for c in r._mapping if c not in ("id", "bericht_id", "ontvangen_op"))
             for r in conn.execute(sa.select(vordering).order_by(vordering.c.vorderingnummer))]
        r = [tuple(x._mapping[c] for c in x._mapping if c not in ("id", "vordering_id"))
             for x in conn.execute(sa.select(vorderingsregel, vordering.c.vorderingnummer)
                                   .join(vordering).order_by(vordering.c.vorderingnummer,
                                                             vorderingsregel.c.volgnummer))]
    return v + r


@pytest.mark.parametrize("header", [False, True])
def test_fingerprint_is_the_same_streamed_or_as_a_tree(header: bool) -> None:
    data = _envelope(_specs(5), header=header)
    message = read_head(data)[-1][0]
    assert [c.tag for c in message] == [F + "stuurgegevens"]
    stream = validate_stream(data, message, get_validator(), F + "vrdLk01")
    assert stream is not None and stream.objects == 5
    assert content_hash_of(data) == content_hash(parse_bytes(data).getroot()[-1][0])


def test_invalid_or_broken_requests_are_not_streamed() -> None:
    data = _envelope(_specs(3))
    message = read_head(data)[-1][0]
    validator = get_validator()
    invalid = data.replace(b"<FIN:valutacode>EUR<", b"<FIN:valutacode>EURO<", 1)
    issues = validate_stream(invalid, message, validator, F + "vrdLk01")  # its first errors, located
    assert issues and all(i.path.endswith("/FIN:object/FIN:valutacode") and not i.near for i in issues)
    assert "EURO" in str(issues)
    issues = validate_stream(_second_message(data), message, validator, F + "vrdLk01")
    assert issues and "vrdLk01" in str(issues)
    with pytest.raises(XmlInputError):
        validate_stream(data[: len(data) - 40], message, validator, F + "vrdLk01")


def test_a_streamed_message_is_stored_exactly_like_an_ordinary_one(store: Store, tmp_path) -> None:
    specs = _specs(7)
    ref = uuid.uuid4().hex
    data = _envelope(specs, ref)
    status, answer = _post(_gateway(store, stream_min_bytes=1), data)
    assert status == 200 and answer.tag == f"{{{STUF}}}Bv03Bericht", etree.tostring(answer)
    streamed = _rows(store)
    with store.begin(write=False) as conn:
        row = conn.execute(sa.select(bericht.c.request, bericht.c.content_hash, bericht.c.outcome)).one()
    assert row.request == data and row.outcome == "Bv03"
    assert row.content_hash == body_hash(data)

    other = Store(f"sqlite:///{tmp_path / 'dom.db'}")
    other.upgrade()
    try:
        status, answer = _post(_gateway(other, stream_min_bytes=0), data)
        assert status == 200 and answer.tag == f"{{{STUF}}}Bv03Bericht"
        assert _rows(other) == streamed and len(streamed) > 7
    finally:
        other.dispose()


def test_an_identical_resend_of_a_streamed_message_gets_the_same_bv03(store: Store) -> None:
    data = _envelope(_specs(3))
    first = _post(_gateway(store, stream_min_bytes=1), data)
    again = _post(_gateway(store, stream_min_bytes=0), data)  # the ordinary way finds the same fingerprint
    assert first[0] == again[0] == 200
    assert etree.tostring(first[1]) == etree.tostring(again[1])
    assert _count(store, vordering) == 3


def test_all_or_nothing_across_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "BATCH", 2)
    monkeypatch.setattr(reader.vordering_batches, "__defaults__", (2,))
    specs = _specs(7)
    specs[5] = dataclasses.replace(specs[5], vorderingnummer=specs[1].vorderingnummer, tsa=specs[1].tsa,
                                   organisatie_nnp_id=specs[1].organisatie_nnp_id)  # batch 3 repeats batch 1
    specs[6] = dataclasses.replace(specs[6], totaalbedrag_incl_btw=specs[6].totaalbedrag_incl_btw + 1)
    status, answer = _post(_gateway(store, stream_min_bytes=1), _envelope(specs))
    assert status == 500 and answer.findtext(f"{{{STUF}}}body/{{{STUF}}}code") == "StUF058"
    details = _details(answer)
    assert f"{specs[1].vorderingnummer}" in details and "komt meer dan eens voor" in details
    assert specs[6].vorderingnummer in details
    assert _count(store, vordering) == 0 and _count(store, vorderingsregel) == 0
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(bericht.c.outcome)).scalar_one() == "Fo03"


def test_a_schema_error_in_a_large_message_is_located(store: Store) -> None:
    data = _envelope(_specs(4)).replace(b"<FIN:valutacode>EUR<", b"<FIN:valutacode>EURO<", 1)
    status, answer = _post(_gateway(store, stream_min_bytes=1), data)
    assert status == 500 and answer.findtext(f"{{{STUF}}}body/{{{STUF}}}code") == "StUF055"
    assert "line " in _details(answer) and "valutacode" in _details(answer)
    assert _count(store, vordering) == 0


def test_large_requests_are_archived_whole(store: Store) -> None:
    data = b"<x>" + bytes(range(256)) * (3 * archive.BLOB_CHUNK // 256) + b"</x>"
    moment = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with store.begin() as conn:
        direct = archive.archive(conn, port="p", operation="o", request=data, received_at=moment,
                                 referentienummer="r", authenticated_identity=None)
        later = archive.archive(conn, port="p", operation="o", request=data, received_at=moment,
                                referentienummer="r", defer=True)
        archive.set_reply(conn, later, b"<antwoord/>", "Bv03")
        archive.fill_request(conn, later, data)
        answered = archive.archive(conn, port="p", operation="o", request=data, received_at=moment,  # answer known
                                   referentienummer="r", defer=True, reply=b"<Bv03/>", outcome="Bv03",
                                   answered_at=moment)
        archive.fill_request(conn, answered, data)
    with store.begin(write=False) as conn:
        rows = {r.id: r for r in conn.execute(sa.select(bericht))}
    for bericht_id in (direct, later, answered):
        r = rows[bericht_id]
        assert r.request == data and r.received_at == moment and r.referentienummer == "r"
        assert r.port == "p" and r.authenticated_identity is None and r.zender_applicatie == ""
    assert rows[later].reply == b"<antwoord/>"
    assert (rows[answered].reply, rows[answered].outcome, rows[answered].answered_at) == (b"<Bv03/>", "Bv03", moment)


def _code(answer: etree._Element) -> str | None:
    return answer.findtext(f"{{{STUF}}}body/{{{STUF}}}code")


@pytest.mark.parametrize("case", ["doctype", "not-xml", "two-messages", "other-port", "no-envelope"])
def test_a_large_request_that_cannot_be_streamed_gets_the_ordinary_answer(store: Store, case: str) -> None:
    good = _envelope(_specs(2))
    bad = {
        "doctype": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + good.split(b"?>", 1)[1],
        "not-xml": good[: len(good) // 2],
        "two-messages": _second_message(good),
        "other-port": g.soap(g.vrdLv01("1")),
        "no-envelope": g.di01_vordering(_specs(1)),
    }[case]
    answers = [_post(_gateway(store, stream_min_bytes=minimum), bad) for minimum in (1, 0)]
    assert answers[0][0] == answers[1][0] == 500
    assert _code(answers[0][1]) == _code(answers[1][1]) is not None
    assert _count(store, vordering) == 0
