"""stuf_fin.selftest.generator: every message it makes is schema-valid, and its data is internally consistent."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.fin.rules import iban_valid
from stuf_fin.namespaces import SOAP_ENV, F
from stuf_fin.schema import SchemaLoadError, get_validator, parse_bytes
from stuf_fin.selftest import generator as g


def _messages(seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    specs = [g.random_vordering(rng, i) for i in range(150)]
    return [
        ("vordering", g.di01_vordering(specs)),
        ("vordering-1", g.di01_vordering(1, rng=rng, start=1000)),
        ("status", g.di01_statuswijziging([g.status_for(s, status) for s, status in
                                           zip(specs[:20], ["ONV", "VRW", "VRS", "BET", "INV"] * 4, strict=True)])),
        ("verantwoording", g.di01_financiele_verantwoording(25, rng=rng)),
        ("vrdLv01", g.vrdLv01("GEN00000001")),
        ("vrdLv01-tsa", g.vrdLv01("GEN00000001", tsa="BELASTINGEN", sortering=1, maximum_aantal=10)),
        ("vrdLv01-kaal", g.vrdLv01(None, scope=None, zender=None, ontvanger=None)),
        ("vrdLv01-kerngegevens", g.vrdLv01("X", scope="kerngegevens")),
        *_selftest_messages(rng),
    ]


def _selftest_messages(rng: random.Random) -> list[tuple[str, bytes]]:
    """The minimal and maximal messages of ``stuf-fin selftest``."""
    minimal = g.minimal_vordering("MIN-1", "SELFTEST")
    maximal = g.maximal_vordering("MAX-1", "SELFTEST", rng=rng, gerelateerde_vorderingnummer="MIN-1",
                                  sleutel_verzendend="k1")
    old, new = g.StatusSpec("VRW", "2025-01-01T10:00:00Z", 0, 0, "oud"), g.StatusSpec("BET", "2025-01-02T10:00:00Z")
    return [
        ("vordering-min", g.di01_vordering([minimal])),
        ("vordering-max", g.di01_vordering([maximal])),
        ("status-max", g.di01_statuswijziging([g.StatusWijzigingSpec("MAX-1", "SELFTEST", "001234560", new,
                                                                     previous=old, metagegevens=True)])),
        ("verantwoording-min", g.di01_financiele_verantwoording([g.minimal_verantwoording("123456789")])),
        ("verantwoording-max", g.di01_financiele_verantwoording([g.maximal_verantwoording("123456780", rng=rng)])),
        ("vrdLv01-status", g.vrdLv01("MIN-1", scope=g.status_scope())),
        ("vrdLa01-max", g.vrdLa01([g.answer_object(maximal)])),
        ("vrdLa01-leeg", g.vrdLa01([])),
    ]


def test_the_maximal_vordering_fills_every_optional_element() -> None:
    obj = g.vordering_element(g.maximal_vordering("MAX-1", "T", gerelateerde_vorderingnummer="MIN-1",
                                                  sleutel_verzendend="k"))
    names = {etree.QName(c).localname for c in obj}
    assert names >= {"factuurnummer", "factuurdatum", "vervaldatum", "taaknummer", "totaalregelsBTW",
                     "automatischeIncasso", "invorderingsSchema", "vorderingstatus", "tijdvakGeldigheid",
                     "extraElementen", "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur", "isOntstaanInZaak",
                     "heeftBetrekkingOpVordering", "isOpgelegdDoorOrganisatischeEenheid"}
    assert obj.find(f"{F}vervaldatum").text > date.today().isoformat()
    minimal = {etree.QName(c).localname for c in g.vordering_element(g.minimal_vordering("MIN-1", "T"))}
    assert not minimal & {"factuurnummer", "vervaldatum", "automatischeIncasso", "vorderingstatus", "isOntstaanInZaak"}


def _validate(validator, messages: list[tuple[str, bytes]]) -> None:
    assert messages
    for name, data in messages:
        issues = validator.validate(parse_bytes(data))
        assert issues == [], f"{name}: {issues[:3]}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_messages_are_valid_against_the_official_schemas(official_schema_dir: Path, seed: int) -> None:
    _validate(get_validator(official_schema_dir), _messages(seed))


def test_generated_messages_are_valid_against_the_builtin_schemas() -> None:
    try:
        validator = get_validator()
    except SchemaLoadError as exc:
        pytest.skip(f"built-in schemas (xsd/fin0310.xsd) not usable yet: {str(exc)[:200]}")
    _validate(validator, _messages(4))


def test_random_vorderingen_vary_and_are_consistent() -> None:
    rng = random.Random(11)
    today = date(2025, 6, 1)
    specs = [g.random_vordering(rng, i, today=today) for i in range(400)]
    assert len({s.vorderingnummer for s in specs}) == 400
    kinds = {type(s.debiteur.who).__name__ for s in specs if s.debiteur}
    assert kinds == {"PersoonSpec", "NnpSpec"}
    assert any(s.debiteur is None for s in specs)
    assert {len(s.regels) for s in specs} == {1, 2, 3}
    assert {s.invorderingsregime for s in specs} == {None, "EV", "TV"}
    assert any(s.incasso for s in specs) and any(s.totaalregels_btw for s in specs)
    assert any(s.zaak_identificatie for s in specs) and any(s.organisatie_nnp_id == "" for s in specs)
    for s in specs:
        assert s.totaalbedrag_excl_btw == sum(r.bedrag_excl_btw for r in s.regels)
        assert s.totaalbedrag_btw == sum(r.bedrag_btw for r in s.regels)
        assert s.totaalbedrag_incl_btw == sum(r.bedrag_incl_btw for r in s.regels)
        for category, amount in s.totaalregels_btw:
            assert amount == sum(r.bedrag_btw for r in s.regels if r.btw_categorie == category)
        if s.indicator_factuur_uitgestuurd == "J":
            assert s.factuurdatum is not None and s.vervaldatum is not None
        assert s.vervaldatum is None or s.vervaldatum >= today
        if s.incasso:
            assert iban_valid(s.incasso.iban)
        if s.zaak_identificatie:
            assert 5 <= len(s.zaak_identificatie) <= 40
        if s.debiteur and isinstance(s.debiteur.who, g.PersoonSpec):
            bsn = s.debiteur.who.bsn
            assert sum(int(c) * w for c, w in zip(bsn, [9, 8, 7, 6, 5, 4, 3, 2, -1], strict=True)) % 11 == 0


def test_the_same_seed_gives_the_same_data() -> None:
    a = [g.random_vordering(random.Random(5), i, today=date(2025, 1, 1)) for i in range(3)]
    b = [g.random_vordering(random.Random(5), i, today=date(2025, 1, 1)) for i in range(3)]
    assert a == b


def test_command_writes_the_requested_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert g.main(["--vorderingen", "4", "--messages", "3", "--out", str(tmp_path / "uit"), "--seed", "2"]) == 0
    files = sorted((tmp_path / "uit").iterdir())
    assert [f.name for f in files] == [f"di01-vordering-00000{i}.xml" for i in range(3)]
    numbers = set()
    for f in files:
        root = etree.fromstring(f.read_bytes())
        assert root.tag == F + "Di01-verstrekVordering"
        objects = root.findall(f"{F}vrdLk01/{F}object")
        assert len(objects) == 4
        numbers.update(o.findtext(F + "vorderingnummer") for o in objects)
    assert len(numbers) == 12  # unique over all messages
    assert "3 vordering message(s)" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--kind", "--soort"])  # --soort: the old name, still accepted
@pytest.mark.parametrize("kind", ["status", "verantwoording"])
def test_command_other_kinds_in_soap(tmp_path: Path, kind: str, option: str) -> None:
    g.main(["--vorderingen", "2", "--messages", "1", "--out", str(tmp_path), option, kind, "--soap"])
    root = etree.fromstring((tmp_path / f"di01-{kind}-000000.xml").read_bytes())
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    body = root[0][0]
    assert etree.QName(body).localname == {"status": "Di01-verstrekVorderingStatusWijziging",
                                           "verantwoording": "Di01-verstrekFinancieleVerantwoording"}[kind]
    assert len(body) == 3  # stuurgegevens + 2 kennisgevingen
