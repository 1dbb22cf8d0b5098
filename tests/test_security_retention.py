"""Archive retention: ``stuf-fin archive purge`` empties old message contents, keeps the audit rows and
the StUF016 memory (SQLite and PostgreSQL through the ``store`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from stuf_fin.cli import main
from stuf_fin.security.retention import purge
from stuf_fin.store import archive
from stuf_fin.store.tables import bericht
from stuf_fin.stuf.stuurgegevens import Systeem

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ZENDER = Systeem("0363", "TSA01")


def _message(store, days_ago: int, outcome: str | None, remember: bool = False, referentienummer: str = "r") -> int:
    with store.begin() as conn:
        bericht_id = archive.archive(conn, port="VerstrekVorderingOfVerantwoording",
                                     operation="Di01-verstrekVordering", request=b"<bsn>111222333</bsn>",
                                     received_at=NOW - timedelta(days=days_ago), zender=ZENDER,
                                     referentienummer=referentienummer, authenticated_identity="tsa")
        if outcome:
            archive.set_reply(conn, bericht_id, b"<" + outcome.encode() + b"/>", outcome,
                              answered_at=NOW - timedelta(days=days_ago))
        if remember:
            assert archive.claim(conn, "VerstrekVorderingOfVerantwoording", ZENDER, referentienummer, "hash",
                                 bericht_id) is None
    return bericht_id


def _row(store, bericht_id: int):
    with store.begin() as conn:
        return conn.execute(sa.select(bericht).where(bericht.c.id == bericht_id)).one()


def test_purge_keeps_audit_rows_and_the_stuf016_memory(store):
    accepted = _message(store, 40, "Bv03", remember=True, referentienummer="accepted")
    refused = _message(store, 40, "Fo03", referentienummer="refused")
    pending = _message(store, 40, None, referentienummer="pending")
    recent = _message(store, 5, "Bv03", remember=True, referentienummer="recent")

    assert purge(store, 30, now=NOW, dry_run=True).requests == 2
    result = purge(store, 30, now=NOW)
    assert (result.requests, result.replies) == (2, 1)

    row = _row(store, accepted)
    assert row.request == b"" and row.reply == b"<Bv03/>"  # the earlier answer to an identical resend
    assert row.authenticated_identity == "tsa" and row.referentienummer == "accepted" and row.outcome == "Bv03"
    assert _row(store, refused).request == b"" and _row(store, refused).reply is None
    assert _row(store, pending).request == b"<bsn>111222333</bsn>"  # not answered yet: left alone
    assert _row(store, recent).request == b"<bsn>111222333</bsn>"
    with store.begin() as conn:  # StUF016 still works for the purged message
        assert archive.find_accepted(conn, "VerstrekVorderingOfVerantwoording", ZENDER, "accepted") == archive.Prior(
            "hash", accepted, b"<Bv03/>")
    assert purge(store, 30, now=NOW).requests == 0  # idempotent


def test_purge_command(store, capsys):
    _message(store, 500, "Bv03")
    url = store.url.render_as_string(hide_password=False)
    assert main(["archive", "purge", "--database-url", url]) == 2  # no retention configured
    assert "retention_days" in capsys.readouterr().err
    assert main(["archive", "purge", "--older-than", "400", "--dry-run", "--database-url", url]) == 0
    assert "would empty 1 archived request(s)" in capsys.readouterr().out
    assert main(["archive", "purge", "--older-than", "400", "--database-url", url]) == 0
    assert "emptied 1 archived request(s)" in capsys.readouterr().out
