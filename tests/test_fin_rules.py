"""Business rules (stuf_fin.fin.rules): what refuses a vordering, what only warns."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.errors import DETAILS_MAX
from stuf_fin.fin import reader, rules
from stuf_fin.fin.errors import BusinessError, summarize
from stuf_fin.fin.model import Markup, Vordering
from stuf_fin.namespaces import XSI_NIL
from stuf_fin.schema import parse_bytes
from stuf_fin.selftest import generator as g

TODAY = date(2025, 6, 1)


def _vordering(**changes) -> Vordering:
    """A consistent generated vordering (indicator J, dates set), with ``changes`` applied to its spec."""
    spec = g.random_vordering(random.Random(9), 1, today=TODAY)
    base = {"indicator_factuur_uitgestuurd": "J", "factuurnummer": None, "factuurdatum": date(2025, 5, 30),
            "vervaldatum": date(2025, 6, 30)}
    spec = dataclasses.replace(spec, **{**base, **changes})
    return reader.vorderingen(parse_bytes(g.di01_vordering([spec])).getroot())[0]


def _check(v: Vordering, **kwargs) -> rules.Findings:
    return rules.check_vordering(v, TODAY, **kwargs)


def test_a_consistent_vordering_passes() -> None:
    assert _check(_vordering()).errors == []


@pytest.mark.parametrize("vervaldatum", [date(2025, 5, 31), date(1957, 8, 13)])
def test_vervaldatum_before_the_day_of_receipt_is_refused(vervaldatum: date) -> None:
    errors = _check(_vordering(vervaldatum=vervaldatum)).errors
    assert len(errors) == 1
    assert "GEN00000001" in errors[0] and "vervaldatum" in errors[0] and vervaldatum.isoformat() in errors[0]


def test_vervaldatum_on_the_day_of_receipt_is_accepted() -> None:
    assert _check(_vordering(vervaldatum=TODAY)).errors == []


def test_past_vervaldatum_only_warns_when_the_setting_is_off() -> None:
    b = _check(_vordering(vervaldatum=date(2020, 1, 1)), reject_past_vervaldatum=False)
    assert b.errors == [] and any("vervaldatum 2020-01-01" in w for w in b.warnings)


def test_day_of_receipt_is_dutch_local_date() -> None:
    assert rules.day_of_receipt(datetime(2025, 5, 31, 22, 30, tzinfo=UTC)) == date(2025, 6, 1)  # 00:30 CEST
    assert rules.day_of_receipt(datetime(2025, 1, 31, 22, 30, tzinfo=UTC)) == date(2025, 1, 31)  # 23:30 CET


@pytest.mark.parametrize(("changes", "missing"), [
    ({"factuurdatum": None}, "factuurdatum ontbreekt"),
    ({"vervaldatum": None}, "vervaldatum ontbreekt"),
    ({"factuurdatum": None, "vervaldatum": None}, "factuurdatum en vervaldatum ontbreekt"),
])
def test_indicator_j_needs_factuurdatum_and_vervaldatum(changes: dict, missing: str) -> None:
    errors = _check(_vordering(**changes)).errors
    assert len(errors) == 1 and missing in errors[0] and "GEN00000001" in errors[0]


def test_indicator_n_needs_no_dates() -> None:
    v = _vordering(indicator_factuur_uitgestuurd="N", factuurdatum=None, vervaldatum=None)
    assert _check(v).errors == []


def test_nil_vervaldatum_counts_as_missing() -> None:
    v = _vordering()
    v.vervaldatum, v.vorm["vervaldatum"] = None, {XSI_NIL: "true"}
    assert any("vervaldatum ontbreekt" in f for f in _check(v).errors)


@pytest.mark.parametrize("attribute", ["totaalbedrag_excl_btw", "totaalbedrag_btw", "totaalbedrag_incl_btw"])
def test_totals_must_be_the_sums_of_the_regels(attribute: str) -> None:
    v = _vordering()
    setattr(v, attribute, getattr(v, attribute) + 1)
    errors = _check(v).errors
    element = {"totaalbedrag_excl_btw": "totaalbedragExclBTW", "totaalbedrag_btw": "totaalbedragBTW",
               "totaalbedrag_incl_btw": "totaalbedragInclBTW"}[attribute]
    assert len(errors) == 1 and element in errors[0] and "niet de som" in errors[0]


def test_a_nil_regel_amount_makes_the_total_uncheckable_not_wrong() -> None:
    v = _vordering()
    v.vorderingsregels[0].bedrag_btw = None
    b = _check(v)
    assert b.errors == [] and any("niet te controleren" in w for w in b.warnings)


def test_amounts_beyond_64_bits_are_refused() -> None:
    v = _vordering()
    v.vorderingsregels[0].stuks_prijs_excl_btw = 2**63
    assert any("stuksPrijsExclBTW" in f and "bereik" in f for f in _check(v).errors)


def test_official_max_oddities_are_only_warnings(fin_kit: Path) -> None:
    """NOTES §9.14: VER total vs LAA lines, aantal × prijs, bad IBAN, factuurnummer with J, btwPercentage 21."""
    message = parse_bytes((fin_kit / "testberichten" / "Di01-verstrekVordering-max.xml").read_bytes()).getroot()
    v = reader.vorderingen(message)[0]
    b = rules.check_vordering(v, date(1957, 8, 13))
    assert b.errors == []
    text = " | ".join(b.warnings)
    for expected in ("totaalregelsBTW VER", "aantal × stuksPrijsExclBTW", "geen geldig IBAN", "factuurnummer",
                     "btwPercentage 21"):
        assert expected in text
    assert rules.check_vordering(v, date(2025, 1, 1)).errors  # ... but its vervaldatum is past


def test_ev_with_termijn_vervaldatum_warns() -> None:
    v = _vordering(invorderingsregime="EV", termijnen=[g.TermijnSpec(date(2025, 7, 1), 10, date(2025, 7, 15))])
    b = _check(v)
    assert b.errors == [] and any("EV" in w for w in b.warnings)


def test_verantwoording_rules() -> None:
    spec = g.random_verantwoording(random.Random(1), 1)
    spec.boekingen = [g.BoekingSpec("GB", 100, 90, 9), g.BoekingSpec("GB2", 2**64, 2**64, 0)]
    spec.begindatum, spec.einddatum = date(2025, 2, 1), date(2025, 1, 1)
    fvw = reader.verantwoordingen(parse_bytes(g.di01_financiele_verantwoording([spec])).getroot())[0]
    b = rules.check_verantwoording(fvw)
    assert len(b.errors) == 2 and all("bereik" in f for f in b.errors)
    assert any("begindatum" in w for w in b.warnings) and any("boeking 1" in w for w in b.warnings)


@pytest.mark.parametrize(("iban", "valid"), [("NL91ABNA0417164300", True), ("NL847309983", False),
                                             ("NL91ABNA0417164301", False), ("GB82WEST12345698765432", True),
                                             ("NL9!", False)])
def test_iban(iban: str, valid: bool) -> None:
    assert rules.iban_valid(iban) is valid


def test_details_stay_within_1000_characters() -> None:
    reasons = [f"vordering {n}: " + "x" * 60 for n in range(100)]
    text = summarize(reasons)
    assert len(text) <= DETAILS_MAX and text.startswith("vordering 0:") and text.endswith("meer)")
    assert len(BusinessError("y" * 5000).details) == DETAILS_MAX
    assert summarize(["a", "b"]) == "a; b"
    first = summarize(["z" * 2000, "b"])
    assert len(first) <= DETAILS_MAX and first.endswith("(+1 meer)")


@pytest.mark.parametrize(("text", "kind", "value", "lexical"), [
    (" 2025-02-27 ", date, date(2025, 2, 27), " 2025-02-27 "),
    ("-0044-03-15", date, date.min, "-0044-03-15"),
    ("2025-02-27", date, date(2025, 2, 27), None),
    (" 42", int, 42, " 42"),
    ("-7", int, -7, None),
    ("007", int, 7, "007"),
    ("  tekst ", str, "  tekst ", None),
])
def test_values_and_their_lexical_forms(text: str, kind: type, value: object, lexical: str | None) -> None:
    vorm: Markup = {}
    el = etree.Element("x")
    el.text = text
    assert reader.read_value(el, kind, vorm, "x") == value
    assert vorm.get("x", {}).get("#text") == lexical
