"""The schema release in use, over HTTP (needs the kit): a real ``stuf-fin serve`` on the built-in set (which
follows release 1.00.04), on ``--schema-dir`` vng-1.00.04 and on ``--schema-dir`` vng-1.00.03.

* A vrdLv01 whose scope asks for ``<FIN:debiteurnummer xsi:nil="true"/>`` (the StUF 03.01 way to ask for a
  scope element), in either debiteur relation, gets a vrdLa01 with the stored vordering and its debiteurnummer
  under 1.00.04 and the built-in set, and Fo02 StUF055 under 1.00.03, as each release says.
* A Di01 from a 1.00.04 sender with a nil debiteurnummer is stored (Fo03 StUF055 under 1.00.03), and the
  answers about it stay valid under both releases: every answer is checked against the built-in set and both
  releases (``support/soap.py``).
* The release in use is named in the start-up log line, ``/ready``, the ``stuf_fin_schema_info`` metric and
  ``stuf-fin config check``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from lxml import etree

from bench import vraag as v
from stuf_fin.namespaces import XSI_NIL, F, S
from stuf_fin.selftest import generator as g
from tests.support.kit import RELEASES, requires_kit
from tests.support.ops import scrape, value
from tests.support.soap import post
from tests.support.vraag import gateway, objects

pytestmark = requires_kit

NPS_DEBITEUR = "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur"
NNP_DEBITEUR = "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur"
ENTITEITTYPE = {NPS_DEBITEUR: "VRDNPSDEB", NNP_DEBITEUR: "VRDNNPDEB"}
#: schema choice -> (STUF_FIN_SCHEMA_DIR or None, the release named, patch, text of the description)
CHOICES = {
    "builtin": (None, "1.00.04", "27", "follows VNG release 1.00.04 (StUF patch 27)"),
    "1.00.04": (RELEASES["1.00.04"], "1.00.04", "27", "VNG release 1.00.04, StUF patch 27 of 2017-07-01"),
    "1.00.03": (RELEASES["1.00.03"], "1.00.03", "24", "VNG release 1.00.03, StUF patch 24 of 2016-04-01"),
}


@dataclass
class Stored:
    url: str
    log: str
    choice: str
    persoon: str  # vorderingnummer: NPS debiteur with debiteurnummer D-NPS-1
    bedrijf: str  # NNP debiteur with debiteurnummer D-NNP-2
    without: str  # NPS debiteur without debiteurnummer


def _vorderingen(prefix: str) -> list[g.VorderingSpec]:
    rng = random.Random(11)
    specs = [g.random_vordering(rng, i, prefix=prefix, today=date(2025, 3, 1)) for i in range(3)]
    persoon = g.PersoonSpec("111222333", "Jan", "J.", "", "Jansen", "M", "19700101", "Kerkstraat", 1, None,
                            "1234AB", "Utrecht")
    specs[0].debiteur = g.DebiteurSpec(persoon, "D-NPS-1")
    specs[1].debiteur = g.DebiteurSpec(g.NnpSpec("004567891", "Bakkerij Van Veen", "besloten vennootschap"),
                                       "D-NNP-2")
    specs[2].debiteur = g.DebiteurSpec(persoon, None)
    return specs


@pytest.fixture(scope="module", params=list(CHOICES))
def stored(request, tmp_path_factory) -> Iterator[Stored]:
    folder = CHOICES[request.param][0]
    env = {"STUF_FIN_REJECT_PAST_VERVALDATUM": "false"}
    if folder is not None:
        env["STUF_FIN_SCHEMA_DIR"] = str(folder)
    with gateway("sqlite", tmp_path_factory.mktemp(f"release-{request.param}"), **env) as server:
        specs = _vorderingen(f"R{uuid.uuid4().hex[:6]}-")
        reply = post(server.url, g.di01_vordering(specs))
        assert not reply.is_fault, reply.text
        yield Stored(server.url, server.log(), request.param, *(s.vorderingnummer for s in specs))


def nil_scope(relation: str, *, nil: bool = True) -> etree._Element:
    """scope/object asking for the vorderingnummer and the debiteurnummer of ``relation``, with xsi:nil (1.00.04)
    or as an empty element (the way 1.00.03 allows)."""
    return v.scope_object(v.field("vorderingnummer", nil=True),
                          v.group(relation, v.field("debiteurnummer", nil=nil), entiteittype=ENTITEITTYPE[relation]))


def ask(stored: Stored, number: str, scope: etree._Element):
    return post(stored.url, v.vrdLv01([v.field("vorderingnummer", number)], scope=scope))


def the_relation(reply, number: str, relation: str) -> etree._Element:
    assert not reply.is_fault, reply.text
    [obj] = objects(reply.message)
    assert obj.findtext(F + "vorderingnummer") == number
    [el] = obj.findall(F + relation)
    return el


# -- the nil scope ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("relation", "which", "debiteurnummer"), [(NPS_DEBITEUR, "persoon", "D-NPS-1"),
                                                                  (NNP_DEBITEUR, "bedrijf", "D-NNP-2")])
def test_a_nil_debiteurnummer_scope_gets_the_stored_debiteurnummer_or_stuf055_under_1_00_03(
        stored: Stored, relation: str, which: str, debiteurnummer: str) -> None:
    number = getattr(stored, which)
    reply = ask(stored, number, nil_scope(relation))
    if stored.choice == "1.00.03":
        assert reply.is_fault and reply.message.tag == f"{{{S[1:-1]}}}Fo02Bericht", reply.text
        assert reply.code == "StUF055" and "debiteurnummer" in reply.details and "nillable" in reply.details
        return
    el = the_relation(reply, number, relation)
    assert el.get(S + "entiteittype") == ENTITEITTYPE[relation]
    assert [(c.tag, c.text, c.get(XSI_NIL)) for c in el] == [(F + "debiteurnummer", debiteurnummer, None)]


@pytest.mark.parametrize(("relation", "which", "debiteurnummer"), [(NPS_DEBITEUR, "persoon", "D-NPS-1"),
                                                                  (NNP_DEBITEUR, "bedrijf", "D-NNP-2")])
def test_the_1_00_03_way_to_ask_for_the_debiteurnummer_works_under_every_release(
        stored: Stored, relation: str, which: str, debiteurnummer: str) -> None:
    number = getattr(stored, which)
    el = the_relation(ask(stored, number, nil_scope(relation, nil=False)), number, relation)
    assert [(c.tag, c.text) for c in el] == [(F + "debiteurnummer", debiteurnummer)]


def test_a_debiteur_without_debiteurnummer_is_answered_without_a_nil_one(stored: Stored) -> None:
    """A requested element without a value is normally answered as xsi:nil; not the debiteurnummer, which 1.00.03
    does not let be nil: the answer must be valid under both releases (checked in ``post``)."""
    for nil in (True, False):
        if nil and stored.choice == "1.00.03":
            continue
        el = the_relation(ask(stored, stored.without, nil_scope(NPS_DEBITEUR, nil=nil)), stored.without, NPS_DEBITEUR)
        assert el.find(F + "debiteurnummer") is None


# -- a Di01 with a nil debiteurnummer --------------------------------------------------------------------------

def di01_with_nil_debiteurnummer(number: str) -> bytes:
    spec = g.random_vordering(random.Random(5), 0, prefix=number, today=date(2025, 3, 1))
    spec.debiteur = g.DebiteurSpec(g.NnpSpec("002564440", "Marktkramen De Vries B.V.", "besloten vennootschap"),
                                   None)
    root = etree.fromstring(g.di01_vordering([spec]))
    [relation] = root.iter(F + NNP_DEBITEUR)
    nil = etree.Element(F + "debiteurnummer", {XSI_NIL: "true", S + "noValue": "geenWaarde"})
    relation.find(F + "gerelateerde").addnext(nil)
    return etree.tostring(root)


def test_a_di01_with_a_nil_debiteurnummer_is_stored_and_answered_validly_under_both_releases(
        stored: Stored) -> None:
    number = f"NIL{uuid.uuid4().hex[:8]}"
    reply = post(stored.url, di01_with_nil_debiteurnummer(number))
    if stored.choice == "1.00.03":
        assert reply.is_fault and reply.code == "StUF055" and "nillable" in reply.details, reply.text
        return
    assert reply.stuurgegeven("berichtcode") == "Bv03", reply.text
    [vorderingnummer] = [el.text for el in etree.fromstring(di01_with_nil_debiteurnummer(number)).iter(
        F + "vorderingnummer")]
    for scope in ("alles", nil_scope(NNP_DEBITEUR)):
        el = the_relation(ask(stored, vorderingnummer, scope), vorderingnummer, NNP_DEBITEUR)
        assert el.find(F + "debiteurnummer") is None  # the stored nil is left out: 1.00.03 would refuse it


# -- the release in use is named ---------------------------------------------------------------------------------

def test_the_release_in_use_is_named_in_the_log_ready_and_metrics(stored: Stored) -> None:
    folder, release, patch, text = CHOICES[stored.choice]
    kind = "builtin" if folder is None else "official"
    started = [line for line in stored.log.splitlines() if "database migrated; listening on" in line]
    assert len(started) == 1 and f"schemas: {kind} (" in started[0] and text in started[0], stored.log
    ready = httpx.get(stored.url + "/ready", timeout=10).json()
    assert ready["schemas"].startswith(f"{kind} (") and ready["schemas"].endswith(text)
    samples = scrape(stored.url)
    [labels] = [dict(ls) for name, ls in samples if name == "stuf_fin_schema_info"]
    assert labels["kind"] == kind and (labels["release"], labels["patch"]) == (release, patch)
    assert value(samples, "stuf_fin_schema_info", **labels) == 1


@pytest.mark.parametrize("choice", list(CHOICES))
def test_config_check_names_the_release(choice: str, tmp_path) -> None:
    folder, _, _, text = CHOICES[choice]
    environment = {k: val for k, val in os.environ.items() if not k.startswith("STUF_FIN_")}
    environment["STUF_FIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.db'}"
    if folder is not None:
        environment["STUF_FIN_SCHEMA_DIR"] = str(folder)
    result = subprocess.run([sys.executable, "-m", "stuf_fin", "config", "check"], env=environment, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    [line] = [line for line in result.stdout.splitlines() if "schemas:" in line]
    assert line.startswith("ok") and text in line, result.stdout + result.stderr


def test_a_nil_debiteurnummer_selects_vorderingen_without_one(stored: Stored) -> None:
    """``gelijk`` with ``<FIN:debiteurnummer xsi:nil="true" StUF:noValue="geenWaarde"/>`` (valid since 1.00.04):
    the vorderingen whose debiteur has no debiteurnummer."""
    without_value = v.group(NPS_DEBITEUR, v.field("debiteurnummer", nil=True, no_value="geenWaarde"),
                            entiteittype=ENTITEITTYPE[NPS_DEBITEUR])
    for number, found in ((stored.without, True), (stored.persoon, False)):
        reply = post(stored.url, v.vrdLv01([v.field("vorderingnummer", number), without_value], scope="kerngegevens"))
        if stored.choice == "1.00.03":
            assert reply.is_fault and reply.code == "StUF055", reply.text
        elif found:
            assert [o.findtext(F + "vorderingnummer") for o in objects(reply.message)] == [number], reply.text
        else:  # a question by vorderingnummer that finds nothing: Fo02 StUF064 (not_found_fault, the default)
            assert reply.is_fault and reply.code == "StUF064", reply.text
