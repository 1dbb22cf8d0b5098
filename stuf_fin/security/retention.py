"""Retention of the message archive: ``stuf-fin archive purge``.

Purging empties the *contents* of archived messages (the raw request, which holds BSNs, addresses
and amounts, and every reply except a Bv03 the StUF016 memory still points at); it keeps the row
with zender, ontvanger, referentienummer, operation, outcome, fault code, authenticated identity and
times as the audit trail.  The StUF016 memory (``ontvangen_referentie``: zender, referentienummer,
content hash and the earlier Bv03) is kept, so an identical resend after the purge still gets its earlier
Bv03 and a different message with a used referentienummer still gets StUF016: a message remembered by its
quick fingerprint (the hash of its body, ``stuf_fin.schema.streaming.body_hash``) is first remembered by its exact
one, computed from the request about to be emptied, so that purging never changes an answer.  Messages
without an answer yet (``answered_at`` empty, e.g. outbound messages still being delivered) are left
alone.  The FIN records themselves (vorderingen, verantwoordingen) are not archive and are not purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from stuf_fin.store.db import Store

PURGED = b""  # what a purged request column holds (the column is NOT NULL)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    requests: int  # archived messages whose raw request was emptied
    replies: int  # replies removed


def purge(store: Store, older_than_days: int, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
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
            def count(where: sa.ColumnElement[bool]) -> int:
                return conn.execute(sa.select(sa.func.count()).select_from(bericht).where(where)).scalar_one()

            return PurgeResult(cutoff, count(with_request), count(with_reply))
        _remember_exact_fingerprints(conn, with_request)
        requests = conn.execute(sa.update(bericht).where(with_request).values(request=PURGED)).rowcount
        replies = conn.execute(sa.update(bericht).where(with_reply).values(reply=None)).rowcount
    return PurgeResult(cutoff, requests, replies)


def _remember_exact_fingerprints(conn: Connection, with_request: sa.ColumnElement[bool]) -> None:
    """The StUF016 memory of the messages ``with_request`` that holds their quick fingerprint gets their exact one,
    computed from the request (``stuf_fin.pipeline.Pipeline.same_content`` compares it after the purge)."""
    from stuf_fin.schema.streaming import BODY_HASH, content_hash_of
    from stuf_fin.store.archive import request_of
    from stuf_fin.store.tables import bericht, ontvangen_referentie

    r = ontvangen_referentie.c
    quick = conn.execute(sa.select(r.id, r.bericht_id).join(bericht, bericht.c.id == r.bericht_id).where(
        with_request, r.content_hash.startswith(BODY_HASH, autoescape=True))).all()
    for memory_id, bericht_id in quick:
        exact = content_hash_of(request_of(conn, bericht_id))
        conn.execute(sa.update(ontvangen_referentie).where(r.id == memory_id).values(content_hash=exact))
