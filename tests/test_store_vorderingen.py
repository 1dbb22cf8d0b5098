"""Vorderingen and verantwoordingen in the store: every element back exactly, keys, status history."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from stuf_fin.fin import reader, writer
from stuf_fin.fin.model import VorderingSleutel, Vorderingstatus
from stuf_fin.namespaces import F
from stuf_fin.schema import parse_bytes
from stuf_fin.selftest import generator as g
from stuf_fin.store import vorderingen as repo
from stuf_fin.store.db import Store
from stuf_fin.store.tables import btw_totaalregel, termijn, vordering, vorderingsregel, vorderingstatus
from stuf_fin.store.verantwoordingen import (
    existing_verantwoordingen,
    find_verantwoording,
    insert_verantwoordingen,
    load_verantwoordingen,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _round_trip(store: Store, data: bytes, xml_differences) -> list:
    message = parse_bytes(data).getroot()
    was_read = reader.vorderingen(message)
    with store.begin() as conn:
        ids = repo.insert_vorderingen(conn, was_read, bericht_id=None, received_at=NOW)
    assert ids == [v.id for v in was_read] and len(set(ids)) == len(ids)
    with store.begin(write=False) as conn:
        loaded = repo.load_vorderingen(conn, ids)
    assert loaded == was_read  # every field, including vorm and the XML of relations and metadata
    assert was_read, "the message holds no vordering"
    for obj, v in zip(message.iter(F + "object"), loaded, strict=True):
        assert xml_differences(obj, writer.vordering_element(v)) == []
    return loaded


def test_generated_vorderingen_come_back_exactly(store: Store, xml_differences) -> None:
    loaded = _round_trip(store, g.di01_vordering(250, rng=random.Random(13)), xml_differences)
    assert any(v.debiteur and v.debiteur.soort == "NNP" for v in loaded)
    assert any(v.invorderingsschema and v.invorderingsschema.termijnen for v in loaded)


def test_official_messages_come_back_exactly(store: Store, fin_kit: Path, xml_differences) -> None:
    for name in ("Di01-verstrekVordering-max.xml", "Di01-verstrekVordering-min.xml"):
        _round_trip(store, (fin_kit / "testberichten" / name).read_bytes(), xml_differences)


def test_nil_values_attributes_and_odd_forms_come_back(store: Store, odd_vordering_message: bytes,
                                                      xml_differences) -> None:
    (v,) = _round_trip(store, odd_vordering_message, xml_differences)
    assert v.factuurnummer is None and v.is_nil("factuurnummer")


def test_typed_columns_for_selection(store: Store) -> None:
    rng = random.Random(2)
    specs = [g.random_vordering(rng, i) for i in range(60)]
    with store.begin() as conn:
        repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(g.di01_vordering(specs)).getroot()),
                                bericht_id=None, received_at=NOW)
        rows = {r.vorderingnummer: r for r in conn.execute(sa.select(vordering))}
    for spec in specs:
        r = rows[spec.vorderingnummer]
        assert (r.tsa, r.organisatie_nnp_id, r.creatiedatum, r.vervaldatum, r.totaalbedrag_incl_btw) == (
            spec.tsa, spec.organisatie_nnp_id, spec.creatiedatum, spec.vervaldatum, spec.totaalbedrag_incl_btw)
        who = spec.debiteur.who if spec.debiteur else None
        assert r.debiteur_bsn == (who.bsn if isinstance(who, g.PersoonSpec) else None)
        assert r.debiteur_nnp_id == (who.nnp_id if isinstance(who, g.NnpSpec) else None)
        assert r.zaak_identificatie == spec.zaak_identificatie
        assert r.status == (spec.status.status if spec.status else None)


def test_load_keeps_the_order_asked_and_skips_unknown_ids(store: Store) -> None:
    with store.begin() as conn:
        ids = repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(
            g.di01_vordering(5, rng=random.Random(1))).getroot()), bericht_id=None, received_at=NOW)
        loaded = repo.load_vorderingen(conn, [ids[3], 999_999, ids[0], ids[3]])
        assert [v.id for v in loaded] == [ids[3], ids[0]]
        assert repo.load_vordering(conn, 999_999) is None
        assert repo.load_vordering(conn, ids[1]).id == ids[1]
        assert repo.insert_vorderingen(conn, [], bericht_id=None, received_at=NOW) == []


@pytest.mark.parametrize("old_sqlite", [False, True], ids=["json", "bound-values"])
def test_key_lookups(store: Store, monkeypatch: pytest.MonkeyPatch, old_sqlite: bool) -> None:
    monkeypatch.setattr(repo, "CHUNK", 7)  # several queries per lookup
    if old_sqlite:  # SQLite before 3.38: the keys as bound values, not as JSON
        monkeypatch.setattr(repo.sqlite3, "sqlite_version_info", (3, 37, 2))
    rng = random.Random(3)
    specs = [g.random_vordering(rng, i, tsa="BELASTINGEN", organisatie_nnp_id="001234560") for i in range(20)]
    specs.append(g.random_vordering(rng, 5, tsa="PARKEREN", organisatie_nnp_id=""))  # same number, other key
    specs.append(g.random_vordering(rng, 21, tsa='Parkeren "Zuid" – €', organisatie_nnp_id="001234560"))
    with store.begin() as conn:
        repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(g.di01_vordering(specs)).getroot()),
                                bericht_id=None, received_at=NOW)
        known = [VorderingSleutel("001234560", "BELASTINGEN", f"GEN{n:08d}") for n in range(20)]
        known.append(VorderingSleutel("001234560", 'Parkeren "Zuid" – €', "GEN00000021"))
        unknown = [VorderingSleutel("", "BELASTINGEN", "GEN00000001"),
                   VorderingSleutel("001234560", "X", "GEN00000001"),
                   VorderingSleutel("001234560", "Parkeren", "GEN00000021")]
        assert repo.existing_keys(conn, known + unknown) == set(known)
        assert set(repo.find_vorderingen(conn, known)) == set(known)
        vid = repo.find_vordering(conn, "001234560", "BELASTINGEN", "GEN00000005")
        assert vid is not None and repo.find_vordering(conn, "", "BELASTINGEN", "GEN00000005") is None
        assert len(repo.find_by_vorderingnummer(conn, "GEN00000005")) == 2
        assert repo.find_by_vorderingnummer(conn, "GEN00000001") == [repo.find_vordering(
            conn, "001234560", "BELASTINGEN", "GEN00000001")]
        assert repo.known_vorderingnummers(conn, ["GEN00000019", "nope"]) == {"GEN00000019"}


def test_the_database_refuses_a_duplicate_key(store: Store) -> None:
    v = reader.vorderingen(parse_bytes(g.di01_vordering(1, rng=random.Random(1))).getroot())
    with store.begin() as conn:
        repo.insert_vorderingen(conn, v, bericht_id=None, received_at=NOW)
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(
            g.di01_vordering(1, rng=random.Random(1))).getroot()), bericht_id=None, received_at=NOW)


def test_status_history_and_current_status(store: Store) -> None:
    spec = g.random_vordering(random.Random(4), 1)
    spec.status = g.StatusSpec("ONV", "2025-03-01T08:00:00Z")
    with store.begin() as conn:
        (vid,) = repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(g.di01_vordering([spec])).getroot()),
                                         bericht_id=None, received_at=NOW)
        repo.add_status(conn, vid, Vorderingstatus("VRS", "2025-03-02T08:00:00+01:00", opmerkingen="verstuurd"),
                        bericht_id=None, received_at=NOW)
        repo.add_status(conn, vid, Vorderingstatus("BET", "2025-03-20T12:00:00Z", totaal_betaald=1234),
                        bericht_id=None, received_at=NOW)
        history = repo.status_history(conn, vid)
        current = repo.load_vordering(conn, vid).vorderingstatus
        row = conn.execute(sa.select(vordering.c.status, vordering.c.status_tijdstip)
                           .where(vordering.c.id == vid)).one()
    assert [(h.status.status, h.source) for h in history] == [("ONV", "vordering"), ("VRS", "statuswijziging"),
                                                              ("BET", "statuswijziging")]
    assert history[1].status.opmerkingen == "verstuurd" and history[2].received_at == NOW
    assert (current.status, current.totaal_betaald, current.datum_en_tijd) == ("BET", 1234, "2025-03-20T12:00:00Z")
    assert row.status == "BET" and row.status_tijdstip == datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


def test_deleting_a_vordering_removes_its_children(store: Store) -> None:
    spec = g.random_vordering(random.Random(6), 1)
    spec.status = g.StatusSpec("ONV", "2025-03-01T08:00:00Z")
    spec.invorderingsregime, spec.termijnen = "TV", [g.TermijnSpec(None, 5)]
    spec.totaalregels_btw = [("HOO", 0)]
    with store.begin() as conn:
        (vid,) = repo.insert_vorderingen(conn, reader.vorderingen(parse_bytes(g.di01_vordering([spec])).getroot()),
                                         bericht_id=None, received_at=NOW)
        children = (vorderingsregel, btw_totaalregel, termijn, vorderingstatus)
        before = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in children}
        conn.execute(sa.delete(vordering).where(vordering.c.id == vid))
        after = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in children}
    assert before == {"vorderingsregel": len(spec.regels), "btw_totaalregel": 1, "termijn": 1, "vorderingstatus": 1}
    assert after == dict.fromkeys(before, 0)


def test_verantwoordingen_come_back_exactly(store: Store, xml_differences) -> None:
    message = parse_bytes(g.di01_financiele_verantwoording(30, rng=random.Random(8))).getroot()
    was_read = reader.verantwoordingen(message)
    with store.begin() as conn:
        ids = insert_verantwoordingen(conn, was_read, bericht_id=None, received_at=NOW)
        loaded = load_verantwoordingen(conn, list(reversed(ids)))
        assert existing_verantwoordingen(conn, [f.sleutel for f in was_read]) == {f.sleutel for f in was_read}
        first = was_read[0].sleutel
        assert find_verantwoording(conn, first.organisatie, first.verantwoordingsnummer) == ids[0]
        assert find_verantwoording(conn, "nope", first.verantwoordingsnummer) is None
    assert list(reversed(loaded)) == was_read
    for obj, fvw in zip(message.iter(F + "object"), reversed(loaded), strict=True):
        assert xml_differences(obj, writer.verantwoording_element(fvw)) == []


def test_official_verantwoording_comes_back_exactly(store: Store, fin_kit: Path, xml_differences) -> None:
    for name in ("Di01-verstrekFinancieleVerantwoording-max.xml", "Di01-verstrekFinancieleVerantwoording-min.xml"):
        message = parse_bytes((fin_kit / "testberichten" / name).read_bytes()).getroot()
        was_read = reader.verantwoordingen(message)
        with store.begin() as conn:
            ids = insert_verantwoordingen(conn, was_read, bericht_id=None, received_at=NOW)
            loaded = load_verantwoordingen(conn, ids)
        assert loaded == was_read and was_read, name
        for obj, fvw in zip(message.iter(F + "object"), loaded, strict=True):
            assert xml_differences(obj, writer.verantwoording_element(fvw)) == []
