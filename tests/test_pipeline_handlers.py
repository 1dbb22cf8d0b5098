"""The Di01 handlers inside the caller's transaction (scenarios 5, 10, 11, 14 and all-or-nothing)."""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.errors import DETAILS_MAX
from stuf_fin.fin.errors import BusinessError
from stuf_fin.pipeline import handlers
from stuf_fin.schema import parse_bytes
from stuf_fin.selftest import generator as g
from stuf_fin.store import archive
from stuf_fin.store import vorderingen as repo
from stuf_fin.store.db import Store
from stuf_fin.store.tables import boeking, verantwoording, vordering, vorderingsregel, vorderingstatus

NOW = datetime.now(UTC)
TODAY = date.today()


def _message(data: bytes) -> etree._Element:
    return parse_bytes(data).getroot()


def _process(store: Store, handler, data: bytes, settings: Settings | None = None) -> list[str]:
    """Archive and handle one message in one transaction, as the pipeline does."""
    with store.begin() as conn:
        bericht_id = archive.archive(conn, port="VerstrekVorderingOfVerantwoording", operation="Di01",
                                     request=data, received_at=NOW)
        return handler(conn, _message(data), handlers.Receipt(NOW, bericht_id, settings or Settings()))


def _count(store: Store, table: sa.Table) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _specs(n: int, seed: int = 1) -> list[g.VorderingSpec]:
    rng = random.Random(seed)
    return [g.random_vordering(rng, i, today=TODAY) for i in range(n)]


def test_vorderingen_are_stored_with_their_message(store: Store) -> None:
    _process(store, handlers.verstrek_vordering, g.di01_vordering(_specs(12)))
    with store.begin(write=False) as conn:
        rows = conn.execute(sa.select(vordering.c.bericht_id, vordering.c.ontvangen_op)).all()
    assert len(rows) == 12 and {r.bericht_id for r in rows} != {None} and {r.ontvangen_op for r in rows} == {NOW}


def test_scenario_10_a_known_vordering_is_refused(store: Store) -> None:
    specs = _specs(2)
    _process(store, handlers.verstrek_vordering, g.di01_vordering(specs))
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_vordering, g.di01_vordering(specs[1:]))
    assert f"vordering {specs[1].vorderingnummer}" in raised.value.details and "al eerder" in raised.value.details
    assert _count(store, vordering) == 2


def test_all_or_nothing_when_the_third_vordering_is_a_duplicate(store: Store) -> None:
    earlier = _specs(1, seed=5)[0]
    _process(store, handlers.verstrek_vordering, g.di01_vordering([earlier]))
    new = _specs(2, seed=6)
    for i, spec in enumerate(new):
        spec.vorderingnummer = f"NIEUW{i}"
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_vordering, g.di01_vordering([*new, earlier]))
    assert earlier.vorderingnummer in raised.value.details and "NIEUW" not in raised.value.details
    assert _count(store, vordering) == 1 and _count(store, vorderingsregel) == len(earlier.regels)
    with store.begin(write=False) as conn:
        assert repo.find_by_vorderingnummer(conn, "NIEUW0") == []


def test_the_same_key_twice_in_one_message_is_refused(store: Store) -> None:
    spec = _specs(1)[0]
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_vordering, g.di01_vordering([spec, spec]))
    assert "meer dan eens" in raised.value.details and spec.vorderingnummer in raised.value.details
    assert _count(store, vordering) == 0


def test_same_number_for_another_organisation_or_tsa_is_another_vordering(store: Store) -> None:
    spec = _specs(1)[0]
    other = [dataclasses.replace(spec, organisatie_nnp_id="" if spec.organisatie_nnp_id else "001234560"),
             dataclasses.replace(spec, tsa=spec.tsa + "-2")]
    _process(store, handlers.verstrek_vordering, g.di01_vordering([spec, *other]))
    assert _count(store, vordering) == 3


def test_scenario_11_past_vervaldatum_is_refused_by_default(store: Store) -> None:
    spec = dataclasses.replace(_specs(1)[0], indicator_factuur_uitgestuurd="J", factuurdatum=date(2020, 1, 1),
                               vervaldatum=date(2020, 2, 1))
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_vordering, g.di01_vordering([spec]))
    assert "vervaldatum 2020-02-01" in raised.value.details and spec.vorderingnummer in raised.value.details
    warnings = _process(store, handlers.verstrek_vordering, g.di01_vordering([spec]),
                        Settings(reject_past_vervaldatum=False))
    assert any("vervaldatum 2020-02-01" in w for w in warnings) and _count(store, vordering) == 1


def test_every_refused_vordering_is_named_within_1000_characters(store: Store) -> None:
    specs = _specs(60)
    for spec in specs:
        spec.totaalbedrag_incl_btw += 1
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_vordering, g.di01_vordering(specs))
    assert len(raised.value.details) <= DETAILS_MAX
    assert specs[0].vorderingnummer in raised.value.details and raised.value.details.endswith("meer)")


def test_a_concurrently_stored_key_becomes_a_business_error(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The unique index is the last line: a key stored after our check still gives a BusinessError naming it
    (no savepoint: the caller rolls the whole message back, and nothing of it is stored)."""
    spec, other = _specs(2)
    _process(store, handlers.verstrek_vordering, g.di01_vordering([spec]))
    real, calls = repo.existing_keys, []

    def misses_the_first_time(conn: sa.Connection, keys: list) -> set:  # the first check misses it ...
        calls.append(keys)
        return set() if len(calls) == 1 else real(conn, keys)

    monkeypatch.setattr(repo, "existing_keys", misses_the_first_time)
    with pytest.raises(BusinessError) as raised, store.begin() as conn:
        handlers.verstrek_vordering(conn, _message(g.di01_vordering([spec, other])),
                                    handlers.Receipt(NOW, None, Settings()))
    assert spec.vorderingnummer in raised.value.details
    # SQLite looks the keys up again under its write lock; PostgreSQL's failed statement ended the transaction
    assert len(calls) == (2 if store.is_sqlite else 1)
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(vordering)).scalar_one() == 1


def test_one_vordering_is_checked_by_its_insert_and_a_stored_key_leaves_nothing(store: Store) -> None:
    """A message of one vordering skips the key lookup: the insert refuses a stored key, and neither the vordering
    nor its regels or status are stored a second time."""
    spec = _specs(1)[0]
    _process(store, handlers.verstrek_vordering, g.di01_vordering([spec]))
    with store.begin(write=False) as conn:
        before = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                  for t in (vordering, vorderingsregel, vorderingstatus)}
    assert before["vordering"] == 1 and before["vorderingsregel"] >= 1
    with pytest.raises(BusinessError) as raised, store.begin() as conn:
        handlers.verstrek_vordering(conn, _message(g.di01_vordering([spec])), handlers.Receipt(NOW, None, Settings()))
        assert {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (vordering, vorderingsregel, vorderingstatus)} == before  # before the rollback, too
    assert f"{spec.vorderingnummer}" in raised.value.details and "al eerder aangeleverd" in raised.value.details


def test_warnings_are_returned_not_raised(store: Store) -> None:
    spec = _specs(1)[0]
    spec.debiteur = None
    spec.gerelateerde_vorderingnummer = "ONBEKEND-1"
    warnings = _process(store, handlers.verstrek_vordering, g.di01_vordering([spec]))
    assert any("geen debiteur" in w for w in warnings)
    assert any("onbekende vordering ONBEKEND-1" in w for w in warnings)


def test_official_max_is_accepted_with_the_setting_off_and_refused_with_it_on(store: Store, fin_kit: Path) -> None:
    data = (fin_kit / "testberichten" / "Di01-verstrekVordering-max.xml").read_bytes()
    with pytest.raises(BusinessError):
        _process(store, handlers.verstrek_vordering, data)
    _process(store, handlers.verstrek_vordering, data, Settings(reject_past_vervaldatum=False))
    min_data = (fin_kit / "testberichten" / "Di01-verstrekVordering-min.xml").read_bytes()
    _process(store, handlers.verstrek_vordering, min_data)  # same number, empty organisation: another key
    assert _count(store, vordering) == 3


# -- status changes ---------------------------------------------------------------------------------------

def test_status_change_updates_the_current_status_and_history(store: Store) -> None:
    specs = _specs(3)
    _process(store, handlers.verstrek_vordering, g.di01_vordering(specs))
    status_changes = [g.status_for(specs[0], "VRS"), g.status_for(specs[2], "BET", paid=500)]
    assert _process(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging(status_changes)) == []
    with store.begin(write=False) as conn:
        for spec, expected in ((specs[0], "VRS"), (specs[2], "BET"), (specs[1], None)):
            vid = repo.find_vordering(conn, spec.organisatie_nnp_id, spec.tsa, spec.vorderingnummer)
            status = repo.load_vordering(conn, vid).vorderingstatus
            assert (status.status if status else None) == (expected or (spec.status.status if spec.status else None))
            history = repo.status_history(conn, vid)
            assert [h.source for h in history][-1:] == (["statuswijziging"] if expected else [])
            assert all(h.bericht_id is not None for h in history)
    assert _count(store, vorderingstatus) == 2 + sum(1 for s in specs if s.status)


def test_scenario_5_unknown_vordering_refuses_the_whole_message(store: Store) -> None:
    specs = _specs(1)
    _process(store, handlers.verstrek_vordering, g.di01_vordering(specs))
    unknown = dataclasses.replace(g.status_for(specs[0], "BET"), vorderingnummer="KING00000000")
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_status_wijziging,
                 g.di01_statuswijziging([g.status_for(specs[0], "BET"), unknown]))
    assert "vordering KING00000000" in raised.value.details and "onbekend" in raised.value.details
    assert _count(store, vorderingstatus) == sum(1 for s in specs if s.status)


def test_status_change_falls_back_to_a_unique_vorderingnummer(store: Store, fin_kit: Path) -> None:
    """The official status messages name tsa "a"; the vordering was sent with another tsa."""
    _process(store, handlers.verstrek_vordering,
             (fin_kit / "testberichten" / "Di01-verstrekVordering-min.xml").read_bytes())
    warnings = _process(store, handlers.verstrek_status_wijziging,
                        (fin_kit / "testberichten" / "Di01-verstrekVorderingStatusWijziging-min.xml").read_bytes())
    assert any("niet op de volledige sleutel" in w for w in warnings)
    with store.begin(write=False) as conn:
        (vid,) = repo.find_by_vorderingnummer(conn, "KING00009999")
        assert repo.load_vordering(conn, vid).vorderingstatus.status == "VRS"


def test_status_change_refuses_an_ambiguous_vorderingnummer(store: Store) -> None:
    spec = _specs(1)[0]
    _process(store, handlers.verstrek_vordering,
             g.di01_vordering([spec, dataclasses.replace(spec, tsa="ANDERE-TSA")]))
    status_change = dataclasses.replace(g.status_for(spec), tsa="DERDE-TSA")
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_status_wijziging, g.di01_statuswijziging([status_change]))
    assert "niet eenduidig" in raised.value.details


# -- verantwoordingen ---------------------------------------------------------------------------------------

def test_scenario_13_and_14_verantwoording_then_the_same_again(store: Store) -> None:
    specs = [g.random_verantwoording(random.Random(1), i) for i in range(3)]
    _process(store, handlers.verstrek_financiele_verantwoording, g.di01_financiele_verantwoording(specs))
    assert _count(store, verantwoording) == 3
    boekingen = _count(store, boeking)
    assert boekingen == sum(len(s.boekingen) for s in specs)
    new = g.random_verantwoording(random.Random(2), 99)
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_financiele_verantwoording,
                 g.di01_financiele_verantwoording([new, specs[1]]))
    assert re.search(rf"verantwoording {specs[1].verantwoordingsnummer}\b.* is al eerder aangeleverd",
                     raised.value.details), raised.value.details
    assert new.verantwoordingsnummer not in raised.value.details
    assert _count(store, verantwoording) == 3 and _count(store, boeking) == boekingen


def test_official_verantwoordingen(store: Store, fin_kit: Path) -> None:
    for name in ("Di01-verstrekFinancieleVerantwoording-min.xml", "Di01-verstrekFinancieleVerantwoording-max.xml"):
        _process(store, handlers.verstrek_financiele_verantwoording,
                 (fin_kit / "testberichten" / name).read_bytes())
    with pytest.raises(BusinessError) as raised:
        _process(store, handlers.verstrek_financiele_verantwoording,
                 (fin_kit / "testberichten" / "Di01-verstrekFinancieleVerantwoording-max.xml").read_bytes())
    for number in ("1234567890", "0987654321"):  # the max message's two verantwoordingen, both refused
        assert re.search(rf"verantwoording {number}\b.* is al eerder aangeleverd", raised.value.details), number
    assert _count(store, verantwoording) == 3


def test_the_gateway_dispatches_each_operation_to_its_handler(tmp_path: Path) -> None:
    """The table the running gateway uses (``app.build``): every operation of both ports, each to its own
    handler."""
    from stuf_fin.app import build
    from stuf_fin.outbound import correlation
    from stuf_fin.pipeline.vraag import verstrek_vorderingstatus
    from stuf_fin.stuf.operations import OPERATIONS

    gateway = build(Settings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}"))
    try:
        table, vraag_handler = gateway.pipeline.handlers, gateway.pipeline.vraag_handler
    finally:
        gateway.store.dispose()
        gateway.executor.shutdown()
    assert {*table, "vrdLv01"} == {op.name for op in OPERATIONS}
    assert table == {
        "Di01-verstrekVordering": handlers.verstrek_vordering,
        "Di01-verstrekVorderingStatusWijziging": handlers.verstrek_status_wijziging,
        "Di01-verstrekFinancieleVerantwoording": handlers.verstrek_financiele_verantwoording,
        "Bv03": correlation.receive_bv03,
        "Fo03": correlation.receive_fo03,
    }
    assert vraag_handler is verstrek_vorderingstatus
