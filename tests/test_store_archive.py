"""Message archive and StUF016 memory (stuf_fin.store.archive) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from stuf_fin.store import archive
from stuf_fin.store.db import Store
from stuf_fin.store.tables import bericht, ontvangen_referentie
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem
from tests.support.polling import wait_for

PORT = "VerstrekVorderingOfVerantwoording"
STP = Systeem("KING", "STP", "test", "tester")
NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _archive(conn: sa.Connection, **kwargs) -> int:
    values = {"port": PORT, "operation": "Di01-verstrekVordering", "request": b"<bericht/>", "received_at": NOW,
              "zender": STP, "referentienummer": "ref-1", "content_hash": "h1"}
    return archive.archive(conn, **{**values, **kwargs})


def test_archive_and_reply(store: Store) -> None:
    with store.begin() as conn:
        bid = archive.archive(conn, port=PORT, operation="Di01-verstrekVordering", request=b"<a>\xc3\xa9</a>",
                              received_at=NOW, stuurgegevens=Stuurgegevens(
                                  "Di01", STP, Systeem(applicatie="TTA"), "ref-9", "20250301", "cross"),
                              content_hash="abc", authenticated_identity="CN=stp")
        archive.set_reply(conn, bid, b"<Bv03/>", "Bv03", None, answered_at=NOW)
    with store.begin(write=False) as conn:
        row = archive.load_bericht(conn, bid)
    assert (row.zender_organisatie, row.zender_applicatie, row.zender_administratie, row.zender_gebruiker) == (
        "KING", "STP", "test", "tester")
    assert (row.ontvanger_organisatie, row.ontvanger_applicatie) == ("", "TTA")
    assert (row.referentienummer, row.tijdstip_bericht, row.cross_refnummer) == ("ref-9", "20250301", "cross")
    assert (row.request, row.reply, row.outcome, row.fault_code) == (b"<a>\xc3\xa9</a>", b"<Bv03/>", "Bv03", None)
    assert (row.direction, row.content_hash, row.authenticated_identity) == ("in", "abc", "CN=stp")
    assert row.received_at == NOW and row.answered_at == NOW


def test_a_message_without_stuurgegevens_is_archived_too(store: Store) -> None:
    with store.begin() as conn:
        bid = archive.archive(conn, port=PORT, operation="?", request=b"niet eens XML", received_at=NOW)
        archive.set_reply(conn, bid, b"<Fo03/>", "Fo03", "StUF055")
        row = archive.load_bericht(conn, bid)
    assert (row.zender_applicatie, row.referentienummer, row.fault_code) == ("", "", "StUF055")


def test_accepted_messages_are_found_by_zender_and_referentienummer(store: Store) -> None:
    with store.begin() as conn:
        bid = _archive(conn)
        archive.set_reply(conn, bid, b"<Bv03/>", "Bv03")
        assert archive.claim(conn, PORT, STP, "ref-1", "h1", bid) is None
    with store.begin(write=False) as conn:
        assert archive.find_accepted(conn, PORT, STP, "ref-1") == archive.Prior("h1", bid, b"<Bv03/>")
        assert archive.find_accepted(conn, PORT, STP, "ref-2") is None
        assert archive.find_accepted(conn, "BeantwoordVraag", STP, "ref-1") is None
        assert archive.find_accepted(conn, PORT, Systeem("KING", "STP", "test"), "ref-1") is None  # gebruiker differs


def test_a_taken_referentienummer_names_its_holder_and_the_transaction_stays_usable(store: Store) -> None:
    with store.begin() as conn:
        bid = _archive(conn)
        archive.set_reply(conn, bid, b"<Bv03/>", "Bv03")
        assert archive.claim(conn, PORT, STP, "ref-1", "h1", bid) is None
    with store.begin() as conn:
        second = _archive(conn, content_hash="h2")
        assert archive.claim(conn, PORT, STP, "ref-1", "h2", second) == archive.Prior("h1", bid, b"<Bv03/>")
        # the conflict is no error: the same transaction goes on, also on PostgreSQL (no savepoint needed)
        assert archive.claim(conn, PORT, STP, "ref-2", "h2", second) is None
        archive.set_reply(conn, second, b"<Bv03/>", "Bv03", resend_of=bid)
    with store.begin(write=False) as conn:
        rows = conn.execute(sa.select(ontvangen_referentie.c.referentienummer, ontvangen_referentie.c.bericht_id)
                            .order_by(ontvangen_referentie.c.id)).all()
        assert archive.load_bericht(conn, second).resend_of == bid
    assert [tuple(r) for r in rows] == [("ref-1", bid), ("ref-2", second)]


def test_a_claim_is_undone_with_its_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        assert archive.claim(conn, PORT, STP, "ref-1", "h1", _archive(conn)) is None
        raise RuntimeError("the message was answered with Fo03")
    with store.begin() as conn:
        assert archive.claim(conn, PORT, STP, "ref-1", "h2", _archive(conn)) is None


def _archive_and_claim(conn: sa.Connection, content_hash: str = "h1", referentienummer: str = "ref-1",
                       ) -> tuple[int, archive.Prior | None]:
    return archive.archive_and_claim(conn, PORT, STP, referentienummer, content_hash, port=PORT,
                                     operation="Di01-verstrekVordering", request=b"<bericht/>", received_at=NOW,
                                     zender=STP, referentienummer=referentienummer)


def test_archive_and_claim_archives_the_message_and_claims_its_referentienummer(store: Store) -> None:
    """One statement on PostgreSQL, two on SQLite: the row, its claim, and a taken key naming its holder."""
    with store.begin() as conn:
        first, earlier = _archive_and_claim(conn)
        assert earlier is None
        archive.set_reply(conn, first, b"<Bv03/>", "Bv03")
    with store.begin() as conn:
        second, earlier = _archive_and_claim(conn, content_hash="h2")
        assert earlier == archive.Prior("h1", first, b"<Bv03/>")
        third, earlier = _archive_and_claim(conn, referentienummer="ref-2")  # the transaction goes on
        assert earlier is None
    with store.begin(write=False) as conn:
        rows = conn.execute(sa.select(ontvangen_referentie.c.referentienummer, ontvangen_referentie.c.bericht_id,
                                      ontvangen_referentie.c.content_hash).order_by(ontvangen_referentie.c.id)).all()
        stored = archive.load_bericht(conn, second)
    assert [tuple(r) for r in rows] == [("ref-1", first, "h1"), ("ref-2", third, "h1")]
    assert (stored.content_hash, stored.request, stored.referentienummer, stored.zender_applicatie) == (
        "h2", b"<bericht/>", "ref-1", "STP")  # the refused message is archived all the same


def test_archive_and_claim_is_undone_with_its_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        assert _archive_and_claim(conn)[1] is None
        raise RuntimeError("the message was answered with Fo03")
    with store.begin() as conn:
        assert _archive_and_claim(conn, content_hash="h2")[1] is None
    with store.begin(write=False) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(bericht)).scalar_one() == 1


@dataclass(frozen=True)
class OtherZender:
    organisatie: str = ""
    applicatie: str = "STP"
    administratie: str = ""
    gebruiker: str = ""


def test_the_same_referentienummer_from_another_zender_or_port_is_no_duplicate(store: Store) -> None:
    with store.begin() as conn:
        bid = _archive(conn)
        assert archive.claim(conn, PORT, STP, "1234567890", "h", bid) is None
        assert archive.claim(conn, PORT, OtherZender(), "1234567890", "h", bid) is None  # any Systeem
        assert archive.claim(conn, "BeantwoordVraag", STP, "1234567890", "h", bid) is None
        assert archive.claim(conn, PORT, None, "1234567890", "h", bid) is None
        assert archive.claim(conn, PORT, OtherZender(), "1234567890", "other", bid).content_hash == "h"


def test_an_unknown_bericht_is_not_a_duplicate_but_an_error(store: Store) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        archive.claim(conn, PORT, STP, "ref-x", "h", 424242)


@pytest.mark.parametrize("with_archive", [False, True], ids=["claim", "archive-and-claim"])
@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
def test_a_claim_waits_for_the_transaction_holding_the_same_referentienummer(postgres_url: str, first_commits: bool,
                                                                             with_archive: bool) -> None:
    """PostgreSQL: the second claim of a referentienummer blocks until the first claim's transaction ends, then
    sees the accepted message (first committed) or gets the claim itself (first rolled back)."""
    store = Store(postgres_url)
    store.upgrade()
    try:
        first = store.engine.connect()
        transaction = first.begin()
        bid = _archive(first)
        assert archive.claim(first, PORT, STP, "ref-1", "h1", bid) is None
        second: dict = {}

        def claim_again() -> None:
            with store.begin() as conn:
                second["pid"] = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                second["claim"] = (_archive_and_claim(conn)[1] if with_archive else
                                   archive.claim(conn, PORT, STP, "ref-1", "h1", _archive(conn)))

        thread = threading.Thread(target=claim_again)
        thread.start()

        def second_waits_for_a_lock() -> bool:
            with store.begin(write=False) as conn:
                return "pid" in second and conn.exec_driver_sql(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %(pid)s", second).scalar() == "Lock"

        wait_for(second_waits_for_a_lock, "the second claim to wait for the first transaction")
        assert "claim" not in second
        if first_commits:
            archive.set_reply(first, bid, b"<Bv03/>", "Bv03")
            transaction.commit()
        else:
            transaction.rollback()
        first.close()
        thread.join(60)
        assert not thread.is_alive()
        assert second["claim"] == (archive.Prior("h1", bid, b"<Bv03/>") if first_commits else None)
    finally:
        store.dispose()
