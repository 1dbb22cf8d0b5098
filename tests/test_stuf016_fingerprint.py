"""StUF016 with quick fingerprints (``stuf_fin.schema.streaming.body_hash``): a resend is recognised by its content,
as with exact fingerprints alone — whatever its envelope and serialization, whether it is read whole or as a stream,
whether the earlier message was remembered by an exact fingerprint (an earlier release) or its request was purged.
SQLite and PostgreSQL through the ``store`` fixture."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.namespaces import SOAP_ENV, STUF
from stuf_fin.pipeline import Pipeline, handlers
from stuf_fin.pipeline.pipeline import content_hash
from stuf_fin.schema.parsing import ParseLimits, parse_bytes
from stuf_fin.schema.streaming import BODY_HASH, body_hash, content_hash_of
from stuf_fin.schema.validator import get_validator
from stuf_fin.security.retention import purge
from stuf_fin.selftest import generator as g
from stuf_fin.soap.server import SoapRequest
from stuf_fin.soap.services import port_server
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie, vordering
from stuf_fin.stuf.operations import PORT_KENNISGEVING


def _specs(seed: int) -> list[g.VorderingSpec]:
    rng, prefix = random.Random(seed), f"Q{uuid.uuid4().hex[:10]}"
    return [g.random_vordering(rng, i, prefix=prefix) for i in range(3)]


def _post(store: Store, data: bytes, stream_min_bytes: int = 0) -> tuple[int, etree._Element]:
    settings = Settings(database_url=str(store.url), stream_min_bytes=stream_min_bytes)
    server = port_server(PORT_KENNISGEVING, Pipeline(settings, get_validator(), store, handlers.HANDLERS),
                         ParseLimits())
    status, payload = server.handle(SoapRequest(data))
    body = etree.fromstring(payload).find(f"{{{SOAP_ENV}}}Body")[0]
    return status, body.find("detail")[0] if body.tag == f"{{{SOAP_ENV}}}Fault" else body


def _reserialized(data: bytes) -> bytes:
    """The same message in another envelope: a SOAP Header, blanks inside tags, namespaces declared elsewhere."""
    message = etree.fromstring(data).find(f"{{{SOAP_ENV}}}Body")[0]
    header = etree.Element(f"{{{SOAP_ENV}}}Header", nsmap={"t": "urn:test"})
    etree.SubElement(header, "{urn:test}trace").text = "retry 2"
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})  # other prefix, no FIN/StUF here
    envelope.append(header)
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    body.append(etree.fromstring(etree.tostring(message)))  # declares its namespaces itself
    return etree.tostring(envelope).replace(b' StUF:entiteittype="VRD"', b'  StUF:entiteittype = "VRD" ')


def _message(data: bytes) -> etree._Element:
    return parse_bytes(data).getroot().find(f"{{{SOAP_ENV}}}Body")[0]


def _count(store: Store, table: sa.Table) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _is_bv03(answer: tuple[int, etree._Element]) -> bool:
    return answer[0] == 200 and answer[1].tag == f"{{{STUF}}}Bv03Bericht"


def _stuf016(answer: tuple[int, etree._Element]) -> bool:
    return answer[0] == 500 and answer[1].findtext(f"{{{STUF}}}body/{{{STUF}}}code") == "StUF016"


def test_the_reserialized_message_differs_in_bytes_not_in_content() -> None:
    data = g.soap(g.di01_vordering(_specs(1), referentienummer="r"))
    again = _reserialized(data)
    assert again != data and body_hash(again) != body_hash(data)
    assert content_hash(_message(again)) == content_hash(_message(data)) == content_hash_of(again)


@pytest.mark.parametrize("stream_min_bytes", [0, 1], ids=["whole", "streamed"])
def test_a_resend_in_another_envelope_gets_the_earlier_bv03(store: Store, stream_min_bytes: int) -> None:
    ref = uuid.uuid4().hex
    data = g.soap(g.di01_vordering(_specs(2), referentienummer=ref))
    first = _post(store, data, stream_min_bytes)
    again = _post(store, _reserialized(data), stream_min_bytes)
    assert _is_bv03(first) and _is_bv03(again)
    assert etree.tostring(again[1]) == etree.tostring(first[1])  # the same Bv03, byte for byte
    assert _count(store, vordering) == 3
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(ontvangen_referentie.c.content_hash)).scalar_one() == body_hash(data)

    other = g.soap(g.di01_vordering(_specs(3), referentienummer=ref))
    assert _stuf016(_post(store, other, stream_min_bytes))


def test_a_message_remembered_by_its_exact_fingerprint_is_still_recognised(store: Store) -> None:
    """Messages accepted by a release before quick fingerprints: their memory holds the exact one."""
    ref = uuid.uuid4().hex
    data = g.soap(g.di01_vordering(_specs(4), referentienummer=ref))
    first = _post(store, data)
    with store.begin() as conn:
        conn.execute(sa.update(ontvangen_referentie).values(content_hash=content_hash(_message(data))))
    for resend in (data, _reserialized(data)):
        again = _post(store, resend)
        assert _is_bv03(again) and etree.tostring(again[1]) == etree.tostring(first[1])
    assert _stuf016(_post(store, g.soap(g.di01_vordering(_specs(5), referentienummer=ref))))
    assert _count(store, vordering) == 3


def test_purging_keeps_the_answer_to_a_resend(store: Store) -> None:
    ref = uuid.uuid4().hex
    data = g.soap(g.di01_vordering(_specs(6), referentienummer=ref))
    first = _post(store, data)
    assert purge(store, 1, now=datetime.now(UTC) + timedelta(days=2)).requests == 1
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(bericht.c.request)).scalar_one() == b""
        remembered = conn.execute(sa.select(ontvangen_referentie.c.content_hash)).scalar_one()
    assert remembered == content_hash(_message(data)) and not remembered.startswith(BODY_HASH)
    again = _post(store, _reserialized(data))
    assert _is_bv03(again) and etree.tostring(again[1]) == etree.tostring(first[1])
    assert _stuf016(_post(store, g.soap(g.di01_vordering(_specs(7), referentienummer=ref))))
