"""The console's store queries on SQLite and PostgreSQL: keyset paging, filters, the answer statistics, reads with a
time limit, and (SQLite) that the searches use the message-log indexes."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.pipeline import handlers
from stuf_fin.pipeline.handlers import Receipt
from stuf_fin.selftest import generator as g
from stuf_fin.store import archive, message_log, message_stats
from stuf_fin.store.db import QueryTimeout, Store
from stuf_fin.store.message_log import Cursor, Search
from stuf_fin.store.tables import bericht_stats
from stuf_fin.stuf.stuurgegevens import Systeem

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPERATIONS = ("Di01-verstrekVordering", "vrdLv01", "Di01-verstrekVorderingStatusWijziging")


def _archive(store: Store, n: int, seed: int = 1) -> list[tuple[datetime, int, str, str]]:
    """``n`` answered messages with many equal receive times; returns (received_at, id, operation, outcome)."""
    rng = random.Random(seed)
    made = []
    with store.begin() as conn:
        for i in range(n):
            received = T0 + timedelta(seconds=rng.randint(0, n // 4))  # about four messages per second: ties
            operation = rng.choice(OPERATIONS)
            outcome = "La01" if operation == "vrdLv01" else rng.choice(["Bv03", "Bv03", "Fo03"])
            fault = "StUF055" if outcome == "Fo03" else None
            bericht_id = archive.archive(conn, port="p", operation=operation, request=b"<x/>", received_at=received,
                                         zender=Systeem("1900", rng.choice(["APPA", "APPB"])),
                                         referentienummer=f"R{i}")
            answered = received + timedelta(milliseconds=rng.randint(1, 400))
            archive.set_reply(conn, bericht_id, b"<a/>", outcome, fault, answered_at=answered)
            store.answers.add(operation=operation, outcome=outcome, fault_code=fault, received_at=received,
                              answered_at=answered)  # as the pipeline counts each answer it gives
            made.append((received, bericht_id, operation, outcome))
    return made


def _newest_first(made, keep=lambda m: True) -> list[int]:
    return [bid for received, bid, *_ in sorted((m for m in made if keep(m)), key=lambda m: (m[0], m[1]),
                                                 reverse=True)]


def _walk_older(store: Store, search: Search, limit: int) -> tuple[list[int], list[message_log.Page]]:
    seen, pages, after = [], [], None
    while True:
        with store.read(10) as conn:
            page = message_log.search(conn, search, limit=limit, after=after)
        pages.append(page)
        seen += [r.id for r in page.rows]
        if page.older is None:
            return seen, pages
        after = page.older


def test_keyset_paging_visits_every_message_once_in_order_both_ways(store: Store) -> None:
    made = _archive(store, 230)
    seen, pages = _walk_older(store, Search(), 17)
    assert seen == _newest_first(made)
    assert pages[0].newer is None and all(p.newer is not None for p in pages[1:])
    # and back up again from the oldest page: newer pages in the same order
    back, before = [], pages[-1].newer
    while before is not None:
        with store.read(10) as conn:
            page = message_log.search(conn, Search(), limit=17, before=before)
        back = [r.id for r in page.rows] + back
        before = page.newer
    assert back + [r.id for r in pages[-1].rows] == seen


@pytest.mark.parametrize("field", ["operation", "outcome", "zender"])
def test_filtered_pages_hold_exactly_the_matching_messages(store: Store, field: str) -> None:
    made = _archive(store, 150, seed=2)
    if field == "operation":
        search, keep = Search(operation="vrdLv01"), (lambda m: m[2] == "vrdLv01")
    elif field == "outcome":
        search, keep = Search(outcome="Fo03", fault_code="StUF055"), (lambda m: m[3] == "Fo03")
    else:
        with store.read(10) as conn:
            apps = dict(conn.execute(sa.text("SELECT id, zender_applicatie FROM bericht")).all())
        search, keep = Search(zender_organisatie="1900", zender_applicatie="APPB"), (lambda m: apps[m[1]] == "APPB")
    seen, _ = _walk_older(store, search, 11)
    assert seen == _newest_first(made, keep) and seen


def test_time_range_and_referentienummer(store: Store) -> None:
    made = _archive(store, 80, seed=3)
    start, end = T0 + timedelta(seconds=5), T0 + timedelta(seconds=12)
    seen, _ = _walk_older(store, Search(received_from=start, received_until=end), 7)
    assert seen == _newest_first(made, lambda m: start <= m[0] < end)
    with store.read(10) as conn:
        assert [r.id for r in message_log.search(conn, Search(referentienummer="R17")).rows] == [made[17][1]]


def test_a_cursor_survives_its_token_and_nonsense_is_refused() -> None:
    cursor = Cursor(T0 + timedelta(microseconds=123), 42)
    assert Cursor.parse(cursor.token()) == cursor
    assert Cursor.parse("not a cursor") is None and Cursor.parse("") is None


def test_messages_of_a_vorderingnummer_created_changed_and_returned(store: Store) -> None:
    rng = random.Random(9)
    specs = [g.random_vordering(rng, i, prefix="MLOG-") for i in range(2)]
    context = Receipt(T0, None, Settings())
    with store.begin() as conn:
        created = archive.archive(conn, port="p", operation="Di01-verstrekVordering", request=b"<x/>", received_at=T0)
        handlers.verstrek_vordering(conn, etree.fromstring(g.di01_vordering(specs)),
                                      Receipt(T0, created, Settings()))
        changed = archive.archive(conn, port="p", operation="Di01-verstrekVorderingStatusWijziging",
                                  request=b"<x/>", received_at=T0)
        handlers.verstrek_status_wijziging(conn, etree.fromstring(g.di01_statuswijziging(
            [g.status_for(specs[0], "BET")])), Receipt(T0, changed, Settings()))
        vid = conn.execute(sa.text("SELECT id FROM vordering WHERE vorderingnummer = 'MLOG-00000000'")).scalar()
        [question] = archive.archive_answered(conn, [(  # an id that is not stored is left out
            {"port": "q", "operation": "vrdLv01", "request": b"<x/>", "received_at": T0}, [vid, 10**9, vid])])
        other = archive.archive(conn, port="p", operation="Di01-verstrekVordering", request=b"<x/>", received_at=T0)
    del context
    with store.read(10) as conn:
        assert message_log.message_ids_of_vorderingnummer(conn, "MLOG-00000000") == [created, changed, question]
        assert message_log.message_ids_of_vorderingnummer(conn, "MLOG-00000001") == [created]
        assert [r.id for r in message_log.search(conn, Search(vorderingnummer="MLOG-00000000")).rows] == [
            question, changed, created]
        assert message_log.search(conn, Search(vorderingnummer="NOPE")).rows == []
        assert [r.vorderingnummer for r in message_log.vorderingen_created(conn, created)] == [
            "MLOG-00000000", "MLOG-00000001"]
        assert [(r.vorderingnummer, r.new_status) for r in message_log.vorderingen_changed(conn, changed)] == [
            ("MLOG-00000000", "BET")]
        assert [r.vorderingnummer for r in message_log.vorderingen_returned(conn, question)] == ["MLOG-00000000"]
        assert [r.id for r in message_log.questions_returning(conn, vid)] == [question]
        assert message_log.vorderingen_created(conn, other) == []


def test_every_counted_answer_is_written_with_its_handling_time(store: Store) -> None:
    made = _archive(store, 60, seed=4)
    assert store.answers.pending == 60
    store.answers.flush(store)
    assert store.answers.pending == 0
    with store.read(10) as conn:
        tallies = message_stats.tallies(conn, T0 - timedelta(minutes=10))
        per_key = {(t.operation, t.outcome, t.fault_code): t.histogram.messages for t in tallies}
    expected: dict[tuple[str, str, str], int] = {}
    for _, _, operation, outcome in made:
        key = (operation, outcome, "StUF055" if outcome == "Fo03" else "")
        expected[key] = expected.get(key, 0) + 1
    assert per_key == expected
    total = message_stats.Histogram()
    for t in tallies:
        total.add(t.histogram.counts, t.histogram.messages, t.histogram.total_ms)
    assert total.messages == 60 and 0 < total.percentile(50) <= total.percentile(99) <= 500

    with store.begin() as conn:  # rebuilding from the archive gives the same rows (by answered_at)
        assert message_stats.rebuild(conn, T0 - timedelta(days=1)) == 60
    with store.read(10) as conn:
        rebuilt = message_stats.tallies(conn, T0 - timedelta(days=1))
        assert {(t.operation, t.outcome, t.fault_code): t.histogram.messages for t in rebuilt} == expected
        assert conn.execute(sa.select(sa.func.sum(bericht_stats.c.messages))).scalar() == 60


def test_counts_that_cannot_be_written_wait_for_the_next_flush(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'leeg.db'}")  # no tables yet: the flush fails
    try:
        for ms in (3, 30, 300):
            store.answers.add(operation="vrdLv01", outcome="La01", fault_code=None, received_at=T0,
                              answered_at=T0 + timedelta(milliseconds=ms))
        with pytest.raises(sa.exc.OperationalError):
            store.answers.flush(store)
        assert store.answers.pending == 3
        store.upgrade()
        store.answers.flush(store)
        assert store.answers.pending == 0
        with store.read(10) as conn:
            [tally] = message_stats.tallies(conn, T0 - timedelta(minutes=10))
        assert (tally.operation, tally.histogram.messages, tally.histogram.total_ms) == ("vrdLv01", 3, 333)
    finally:
        store.dispose()


def test_windows_count_the_answers_recorded_in_them(store: Store) -> None:
    now = datetime.now(UTC)
    with store.begin() as conn:
        for age, ms, fault in ((timedelta(minutes=20), 3, None), (timedelta(hours=5), 40, "StUF058"),
                               (timedelta(days=3), 700, None), (timedelta(days=3), 70_000, None),
                               (timedelta(days=9), 1, None)):
            message_stats.count_answer(conn, operation="Di01-verstrekVordering", outcome="Fo03" if fault else "Bv03",
                                       fault_code=fault, received_at=now, answered_at=now + timedelta(milliseconds=ms),
                                       recorded_at=now - age)
    with store.read(10) as conn:
        counts = [sum(t.histogram.messages for t in message_stats.tallies(conn, now - span))
                  for span in (timedelta(hours=1), timedelta(days=1), timedelta(days=7))]
        week_ok = next(t.histogram for t in message_stats.tallies(conn, now - timedelta(days=7)) if t.outcome == "Bv03")
    assert counts == [1, 2, 4]
    assert (week_ok.messages, week_ok.overflow, week_ok.total_ms) == (3, 1, 3 + 700 + 70_000)


def test_histogram_percentiles() -> None:
    h = message_stats.Histogram()
    h.add([0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 11, 0)  # ten in (5, 10] ms, one beyond 60 s
    assert h.percentile(50) == pytest.approx(5 + 5 * 5.5 / 10)
    assert h.percentile(99) == float("inf")
    assert message_stats.Histogram().percentile(50) is None


def test_a_read_stops_at_its_time_limit_and_the_connection_stays_usable(store: Store) -> None:
    slow = ("SELECT pg_sleep(5)" if not store.is_sqlite else
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT max(i) FROM n")
    begin = time.monotonic()
    with pytest.raises(QueryTimeout), store.read(0.2) as conn:
        conn.exec_driver_sql(slow).all()
    assert time.monotonic() - begin < 4  # stopped, not finished (the statement alone takes longer)
    for _ in range(3):  # the pooled connection works again, without the old limit
        with store.read(10) as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_the_message_log_searches_use_their_indexes_on_sqlite(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.upgrade()
    captured: list[tuple] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: captured.append((a[2], a[3])))

    def plan_of_last(conn: sa.Connection) -> str:
        """SQLite's plan for the last statement sent (with its parameters)."""
        return " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + captured[-1][0],
                                                              captured[-1][1]))
    try:
        _archive(store, 50)
        after = Cursor(T0, 10)
        for search in (Search(), Search(operation="vrdLv01"), Search(outcome="Fo03"), Search(fault_code="StUF055"),
                       Search(zender_organisatie="1900", zender_applicatie="APPA"), Search(referentienummer="R1"),
                       Search(cross_refnummer="X"), Search(received_from=T0, received_until=T0 + timedelta(1))):
            with store.read(10) as conn:
                message_log.search(conn, search, after=after)
                plan = plan_of_last(conn)
            assert "USING INDEX ix_bericht_" in plan or "USING COVERING INDEX ix_bericht_" in plan, (search, plan)
            assert "SCAN bericht" not in plan.replace("SCAN bericht USING", ""), (search, plan)
        # with several filters the rarest leads: a fault code before a zender, a referentienummer before both
        for search, index in ((Search(zender_applicatie="APPA", fault_code="StUF055"), "ix_bericht_fault_code"),
                              (Search(zender_applicatie="APPA", operation="vrdLv01", referentienummer="R1"),
                               "ix_bericht_referentienummer"),
                              (Search(operation="vrdLv01", zender_applicatie="APPA"), "ix_bericht_zender_applicatie"),
                              (Search(outcome="Fo03", operation="vrdLv01"), "ix_bericht_outcome")):
            with store.read(10) as conn:
                message_log.search(conn, search)
                plan = plan_of_last(conn)
            assert index in plan, (search, plan)
        with store.read(10) as conn:  # the resends of a message: by its referentienummer
            row = message_log.message(conn, 1, 10)
            message_log.resends(conn, row)
            plan = plan_of_last(conn)
        assert "ix_bericht_referentienummer" in plan, plan
    finally:
        store.dispose()
