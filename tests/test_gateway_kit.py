"""The official test messages against a real gateway: compliance scenarios 4, 5, 9-11, 13, 14 (NOTES §8).

Needs the official kit (skipped with a reason otherwise).  Numbers are made unique per test so that the
scenarios do not depend on each other.
"""

from __future__ import annotations

import re
import uuid

import pytest
from lxml import etree

from stuf_fin.namespaces import FIN, STUF
from tests.support.kit import kit_message, requires_kit, with_unique_ids
from tests.support.server import start_server
from tests.support.soap import post

pytestmark = requires_kit

DI01 = [
    "Di01-verstrekVordering-min.xml",
    "Di01-verstrekVordering-max.xml",
    "Di01-verstrekFinancieleVerantwoording-min.xml",
    "Di01-verstrekFinancieleVerantwoording-max.xml",
]


@pytest.fixture(scope="module")
def lenient(tmp_path_factory):
    """A gateway that accepts a vervaldatum in the past (the official max vordering has 1957-08-13)."""
    server = start_server(tmp_path_factory.mktemp("kit-lenient"), env={"STUF_FIN_REJECT_PAST_VERVALDATUM": "false"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("kit-strict"))
    yield server
    server.stop()


def suffix() -> str:
    return uuid.uuid4().hex[:8]


@pytest.mark.parametrize("name", DI01)
def test_official_di01_message_gets_a_bv03(lenient, name):  # scenarios 1, 7, 9 (Di01 steps), 13
    reply = post(lenient.url, with_unique_ids(kit_message(name), suffix()))
    assert reply.status == 200, reply.text
    assert reply.message.tag == f"{{{STUF}}}Bv03Bericht"


def test_scenario_4_status_changes_min_then_max(lenient):
    s = suffix()
    assert post(lenient.url, with_unique_ids(kit_message("Di01-verstrekVordering-max.xml"), s)).status == 200
    for name in ("Di01-verstrekVorderingStatusWijziging-min.xml", "Di01-verstrekVorderingStatusWijziging-max.xml"):
        reply = post(lenient.url, with_unique_ids(kit_message(name), s))
        assert reply.status == 200 and reply.message.tag == f"{{{STUF}}}Bv03Bericht", reply.text


def test_scenario_5_status_change_for_an_unknown_vordering(lenient):
    root = etree.fromstring(with_unique_ids(kit_message("Di01-verstrekVorderingStatusWijziging-min.xml"), suffix()))
    for el in root.iter(f"{{{FIN}}}vorderingnummer"):
        el.text = "KING00000000-" + suffix()
    reply = post(lenient.url, root)
    assert reply.is_fault and reply.code == "StUF058"
    assert "KING00000000" in reply.details


def again_in_a_new_message(server, name: str):
    """Send an official message, then the same objects again under a new referentienummer; the message (with
    its unique numbers) and the answer to the second sending."""
    first = with_unique_ids(kit_message(name), suffix())
    assert post(server.url, first).status == 200
    root = etree.fromstring(first)
    root.find(f".//{{{STUF}}}referentienummer").text = "nieuw-" + suffix()
    return root, post(server.url, root)


def test_scenario_10_same_vordering_twice(lenient):
    root, reply = again_in_a_new_message(lenient, "Di01-verstrekVordering-min.xml")
    assert reply.is_fault and reply.code == "StUF058"
    assert root.findtext(f".//{{{FIN}}}vorderingnummer").startswith("KING00009999")
    assert root.findtext(f".//{{{FIN}}}vorderingnummer") in reply.details


def test_scenario_11_vervaldatum_in_the_past_is_refused_by_default(strict):
    reply = post(strict.url, with_unique_ids(kit_message("Di01-verstrekVordering-max.xml"), suffix()))
    assert reply.is_fault and reply.code == "StUF058"
    assert "1957-08-13" in reply.details


def test_scenario_14_verantwoording_already_processed(lenient):
    root, reply = again_in_a_new_message(lenient, "Di01-verstrekFinancieleVerantwoording-min.xml")
    assert reply.is_fault and reply.code == "StUF058"
    number = root.findtext(f".//{{{FIN}}}verantwoordingsnummer")  # the official "a", made unique
    assert re.search(rf"verantwoording {re.escape(number)}\b.* is al eerder aangeleverd", reply.details), \
        reply.details


def test_official_vordering_and_verantwoording_may_share_a_referentienummer(lenient):
    """The official min vordering and min verantwoording both use 1234567890 from STP: two end nodes."""
    s = suffix()
    vordering = with_unique_ids(kit_message("Di01-verstrekVordering-min.xml"), s)
    verantwoording = with_unique_ids(kit_message("Di01-verstrekFinancieleVerantwoording-min.xml"), s)
    assert post(lenient.url, vordering).status == 200
    assert post(lenient.url, verantwoording).status == 200
