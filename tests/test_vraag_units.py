"""The vrdLv01 building blocks without HTTP: schema knowledge, selection parsing, scope, and a generated
check that every projection of every kind of stored vordering onto any valid scope is a valid vrdLa01."""

from __future__ import annotations

import copy
import random

import pytest
from lxml import etree

from bench import vraag as v
from stuf_fin.fin import reader
from stuf_fin.fin.vraag.antwoord import answer_object, vrd_la01
from stuf_fin.fin.vraag.projection import Scope
from stuf_fin.fin.vraag.query import Condition, GroupCondition
from stuf_fin.fin.vraag.schema_facts import schema_facts
from stuf_fin.fin.vraag.scope import read_scope, scope_of_value
from stuf_fin.fin.vraag.selection import read_selection
from stuf_fin.namespaces import FIN, STUF, F, S
from stuf_fin.schema.validator import get_validator
from stuf_fin.selftest import generator as g
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem
from tests.support.kit import kit_message, requires_kit, with_unique_ids
from tests.support.vraag import assert_valid

# -- schema knowledge ------------------------------------------------------------------------------------------

def test_children_of_the_answer_object_in_schema_order():
    children = schema_facts().children(F + "VRD-antwoord")
    assert [etree.QName(k.tag).localname for k in children] == v.ELEMENT_ORDER
    assert all(k.nillable for k in children if etree.QName(k.tag).namespace == FIN)
    debiteur = [k for k in children if "Debiteur" in k.tag]
    assert debiteur[0].clashes_with(debiteur[1]) and not debiteur[0].clashes_with(children[0])


def test_novalue_and_entiteittype_from_the_schema():
    facts = schema_facts()
    assert facts.has_novalue(F + "Vorderingnummer-e")
    assert not facts.has_novalue(F + "VorderingstatusGrp")  # groups: only xsi:nil
    assert facts.has_novalue(F + "VRDZAK-antwoord") and facts.entiteittype(F + "VRDZAK-antwoord") == "VRDZAK"
    assert not facts.has_novalue(F + "VRD-vraagSelectie")  # prohibited there
    assert facts.children("{urn:nergens}Onbekend") is None


# -- selection ---------------------------------------------------------------------------------------------------

def _gelijk(*criteria: etree._Element, sleutel: dict[str, str] | None = None) -> etree._Element:
    return etree.fromstring(v.vrdLv01(list(criteria), sleutel=sleutel)).find(F + "gelijk")


def test_selection_criteria():
    selection = read_selection(_gelijk(
        v.field("vorderingnummer", "A1"), v.field("taaknummer", "T", exact=False),
        v.field("factuurnummer", nil=True, no_value="geenWaarde"), v.field("vervaldatum", "2025-04-01+01:00"),
        v.group("vorderingsregel", v.field("bedragExclBTW", "+0100"), v.field("vorderingcode", "OZB")),
        v.group("vorderingstatus", v.field("status", "BET")), v.debiteur_bsn("111222333")))
    query = selection.query
    assert set(query.conditions) == {
        Condition("vorderingnummer", "A1"), Condition("taaknummer", "T", "begint"),
        Condition("factuurnummer", operator="leeg"), Condition("vervaldatum", __import__("datetime").date(2025, 4, 1)),
        Condition("status", "BET"), Condition("debiteur_bsn", "111222333"), Condition("debiteur_soort", "NPS")}
    assert query.groups == [GroupCondition("vorderingsregel", (Condition("bedrag_excl_btw", 100),
                                                               Condition("vorderingcode", "OZB")))]
    assert selection.by_vorderingnummer and selection.ignored == [] and selection.melding() is None


def test_ignored_criteria_are_named_and_the_melding_fits():
    lang = [v.field("totaalbedragBTW", 1, exact=False), v.field("creatiedatum", "2025-01-01", exact=False),
            v.field("factuurnummer", nil=True), v.field("taaknummer", nil=True, no_value="vastgesteldOnbekend"),
            v.field("valutacode", nil=True, no_value="waardeOnbekend")]
    selection = read_selection(_gelijk(*lang))
    assert selection.ignored == ["factuurnummer", "creatiedatum", "totaalbedragBTW", "taaknummer"]
    assert selection.melding() == "StUF0001: factuurnummer creatiedatum totaalbedragBTW taaknummer"
    assert selection.query.conditions == [] and not selection.by_vorderingnummer
    wide = v.group("wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", v.group(
        "gerelateerde", *(v.field(name, "x" * 20, ns=v.B) for name in (
            "geslachtsnaam", "voorvoegselGeslachtsnaam", "voorletters", "voornamen", "geslachtsnaamPartner",
            "voorvoegselGeslachtsnaamPartner", "voornamenAanschrijving", "geslachtsnaamAanschrijving")),
        *(v.field(name, "x", ns=v.B) for name in ("inp.geboorteplaats",)), v.group(
            "verblijfsadres", *(v.field(name, "x", ns=v.B) for name in (
                "wpl.woonplaatsNaam", "gor.openbareRuimteNaam", "gor.straatnaam", "aoa.huisnummertoevoeging",
                "inp.locatiebeschrijving")), ns=v.B), entiteittype="NPS"), entiteittype="VRDNPSDEB")
    melding = read_selection(_gelijk(wide)).melding()
    assert melding.startswith("StUF0001: geslachtsnaam voorvoegselGeslachtsnaam") and len(melding) <= 250


@pytest.mark.parametrize(("sleutel", "criteria", "code"), [
    ({"sleutelOntvangend": "1", "sleutelGegevensbeheer": "2"}, False, "StUF088"),
    ({"sleutelOntvangend": "1"}, True, "StUF091"),
    ({"sleutelGegevensbeheer": "2"}, False, "StUF094")])
def test_key_errors(sleutel, criteria, code):
    with pytest.raises(StufFault) as raised:
        read_selection(_gelijk(*([v.field("tsa", "X")] if criteria else []), sleutel=sleutel))
    assert raised.value.code == code


def test_our_key_is_a_lookup():
    selection = read_selection(_gelijk(sleutel={"sleutelOntvangend": "42"}))
    assert selection.query.sleutel == "42" and selection.by_vorderingnummer


# -- scope ----------------------------------------------------------------------------------------------------

def test_scope_attribute_and_content_is_stuf097():
    obj = v.scope_object(v.field("vorderingnummer"))
    obj.set(S + "scope", "kerngegevens")
    with pytest.raises(StufFault) as raised:
        read_scope(obj, "alles")
    assert raised.value.code == "StUF097" and raised.value.plek == "client"


def test_no_or_empty_scope_is_the_default():
    assert read_scope(None, "kerngegevens") is scope_of_value("kerngegevens")
    assert read_scope(v.scope_object(), "kerngegevens") is scope_of_value("kerngegevens")
    assert isinstance(read_scope(v.scope_object(v.field("tsa")), "kerngegevens"), Scope)
    with pytest.raises(ValueError):
        scope_of_value("alle")


# -- every projection is valid ---------------------------------------------------------------------------------

def _vorderingen() -> list:
    rng = random.Random(99)
    specs = [g.random_vordering(rng, i) for i in range(40)]
    vorderingen = reader.vorderingen(etree.fromstring(g.di01_vordering(specs)))
    for size in ("max", "min"):
        kit_vorderingen = with_unique_ids(kit_message(f"Di01-verstrekVordering-{size}.xml"), "-x")
        vorderingen += reader.vorderingen(etree.fromstring(kit_vorderingen))
    for n, vordering in enumerate(vorderingen, 1):
        vordering.id = n
    return vorderingen


def _part(scope: etree._Element, rng: random.Random, chance: float) -> etree._Element:
    """``scope`` with a random part of its elements left out (never a relation's required gerelateerde, and
    StUF metadata whole or not at all)."""
    part = copy.deepcopy(scope)

    def prune(el: etree._Element) -> None:
        for child in [c for c in el if isinstance(c.tag, str)]:
            if rng.random() > chance and etree.QName(child).localname != "gerelateerde":
                el.remove(child)
            elif etree.QName(child).namespace != STUF:  # StUF metadata: whole or not at all
                prune(child)
    prune(part)
    return part


@requires_kit
def test_every_projection_is_a_valid_vrdla01(odd_vordering_message):
    vorderingen = _vorderingen() + reader.vorderingen(etree.fromstring(odd_vordering_message))
    vorderingen[-1].id = 999
    complete = etree.fromstring(kit_message("vrdLv01-max.xml")).find(f"{F}scope/{F}object")
    validator = get_validator(None)
    rng = random.Random(7)
    checked = 0
    for attempt in range(150):
        scope = _part(complete, rng, 0.5 + (attempt % 5) / 10)
        vraag = etree.fromstring(v.vrdLv01(None, scope=scope))
        if validator.validate(vraag):  # a required element was left out: not a valid question
            continue
        objects = [answer_object(vordering, Scope(scope)) for vordering in rng.sample(vorderingen, 3)]
        assert_valid(vrd_la01(Stuurgegevens(zender=Systeem(applicatie="TST")), None, ["StUF0002: x"], objects))
        checked += 1
    for value in ("alles", "allesZonderMetagegevens", "allesMaarKerngegevensGerelateerden",
                  "allesZonderMetagegevensMaarKerngegevensGerelateerden", "kerngegevens"):
        assert_valid(vrd_la01(Stuurgegevens(), None, [], [answer_object(vordering, scope_of_value(value))
                                                          for vordering in vorderingen]))
    assert checked > 50


def _paths(ref, depth: int, path: tuple[str, ...] = ()) -> dict:
    facts = schema_facts()
    result = {}
    if depth:
        for kind in facts.children(ref) or ():
            sub = (*path, kind.tag)
            result[sub] = kind
            result.update(_paths(kind.type, depth - 1, sub))
    return result


def test_whatever_a_di01_vordering_carries_fits_the_answer_object():
    """``alles`` returns the stored relations as received: every element a Di01 vordering may hold is
    declared in VRD-antwoord at the same place, and nothing the answer requires is optional there."""
    kennisgeving = _paths(F + "VRD-verstrekVordering", 7)
    antwoord = _paths(F + "VRD-antwoord", 7)
    assert len(kennisgeving) > 10_000
    assert [p for p in kennisgeving if p not in antwoord] == []
    assert [p for p, k in antwoord.items() if k.required and p[:-1] in kennisgeving
            and not (p in kennisgeving and kennisgeving[p].required)] == []
