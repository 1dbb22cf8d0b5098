"""Retention of the message archive: ``stuf-fin archive purge``.

Purging empties the *contents* of archived messages (the raw request, which holds BSNs, addresses
and amounts, and every reply except a Bv03 the StUF016 memory still points at); it keeps the row
with zender, ontvanger, referentienummer, operation, outcome, fault code, authenticated identity and
times as the audit trail.  The StUF016 memory (``ontvangen_referentie``: zender, referentienummer,
content hash and the earlier Bv03) is not touched, so an identical resend after the purge still gets
its earlier Bv03 and a different message with a used referentienummer still gets StUF016.  Messages
without an answer yet (``answered_at`` empty, e.g. outbound messages still being delivered) are left
alone.  The FIN records themselves (vorderingen, verantwoordingen) are not archive and are not purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

PURGED = b""  # what a purged request column holds (the column is NOT NULL)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    requests: int  # archived messages whose raw request was emptied
    replies: int  # replies removed


def purge(store: Any, older_than_days: int, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Empty the contents of archived messages received more than ``older_than_days`` days ago."""
    from stuf_fin.store.tables import bericht, ontvangen_referentie

    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    b = bericht.c
    due = sa.and_(b.received_at < cutoff, b.answered_at.is_not(None))
    remembered = sa.select(ontvangen_referentie.c.bericht_id).where(ontvangen_referentie.c.bericht_id == b.id)
    with_request = sa.and_(due, b.request != PURGED)
    with_reply = sa.and_(due, b.reply.is_not(None), ~sa.exists(remembered))
    with store.begin() as conn:
        if dry_run:
            def count(where: Any) -> int:
                return conn.execute(sa.select(sa.func.count()).select_from(bericht).where(where)).scalar_one()

            return PurgeResult(cutoff, count(with_request), count(with_reply))
        requests = conn.execute(sa.update(bericht).where(with_request).values(request=PURGED)).rowcount
        replies = conn.execute(sa.update(bericht).where(with_reply).values(reply=None)).rowcount
    return PurgeResult(cutoff, requests, replies)
