"""Bv03 and Fo03 received on the Di01 port: answers to messages this gateway sent, correlated by
``crossRefnummer`` = our referentienummer (StUF 03.01 §4.3-4.4; intermediaries send a Fo03, or a Bv03 of
the end node, asynchronously).

- Bv03 → the message is delivered.
- Fo03 plek ``client`` → dead letter; plek ``server`` → sent again (unchanged) after a backoff, unless it
  is a dead letter already.
- A crossRefnummer that belongs to no message of ours → Fo03 StUF043 (a soort-3 check, before the Bv03).

Both are pipeline handlers (``(conn, message, context) -> warnings``), run in the transaction that archives
the received message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.engine import Connection

from stuf_fin.outbound import outbox
from stuf_fin.outbound.policy import Policy
from stuf_fin.schema.streaming import Stream, whole
from stuf_fin.stuf.answers import read_fault
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import read_stuurgegevens

if TYPE_CHECKING:
    from stuf_fin.pipeline.handlers import Receipt

WORKER = "asynchroon"


def _row(conn: Connection, message: etree._Element) -> sa.Row[*tuple[Any, ...]]:
    cross = read_stuurgegevens(message).cross_refnummer
    row = outbox.by_referentienummer(conn, cross) if cross else None
    if row is None:
        raise StufFault("StUF043", f"crossRefnummer {cross!r} hoort bij geen bericht dat deze gateway verstuurde")
    return row


def _attempt(conn: Connection, row: sa.Row[*tuple[Any, ...]], now: datetime, result: str, outcome: str,
             **fault: Any) -> None:
    outbox.record_attempt(conn, outbox_id=row.id, attempt=row.attempts, worker=WORKER, started_at=now,
                          duration_ms=0, result=result, outcome=outcome, **fault)


def receive_bv03(conn: Connection, message: etree._Element | Stream, context: Receipt) -> list[str]:
    """A Bv03 for a message we sent: delivered."""
    message = whole(message)
    row, now = _row(conn, message), datetime.now(UTC)
    _attempt(conn, row, now, "delivered", "Bv03")
    if row.state == outbox.DELIVERED:
        return []
    outbox.update(conn, row.id, state=outbox.DELIVERED, outcome="Bv03", reply=etree.tostring(message),
                  finished_at=now, claimed_by=None, claimed_until=None, fault_code=None, fault_plek=None,
                  last_error=None)
    return [f"outbound {row.referentienummer} ({row.state}) delivered: Bv03 received asynchronously"] \
        if row.state == outbox.DEAD else []


def receive_fo03(conn: Connection, message: etree._Element | Stream, context: Receipt) -> list[str]:
    """A Fo03 for a message we sent: dead letter (plek client) or sent again later (plek server)."""
    message = whole(message)
    row, now = _row(conn, message), datetime.now(UTC)
    received = read_fault(message)
    code, plek, omschrijving, details = received.code, received.plek, received.omschrijving, received.details
    reason = f"Fo03 {code} ({plek}) received asynchronously: {omschrijving}" + (f" — {details}" if details else "")
    fault = {"fault_code": code[:16] or None, "fault_plek": plek or None, "detail": reason}
    common = {"outcome": "Fo03", "fault_code": code[:16] or None, "fault_plek": plek or None, "last_error": reason,
              "reply": etree.tostring(message), "claimed_by": None, "claimed_until": None}
    if plek == "client":
        _attempt(conn, row, now, "dead_letter", "Fo03", **fault)
        outbox.update(conn, row.id, state=outbox.DEAD, finished_at=now, **common)
    elif row.state != outbox.DEAD:
        _attempt(conn, row, now, "retry", "Fo03", **fault)
        delay = Policy.from_settings(context.settings).delay(max(row.attempts, 1))
        outbox.update(conn, row.id, state=outbox.PENDING, finished_at=None, next_attempt_at=now + delay, **common)
    else:
        _attempt(conn, row, now, "dead_letter", "Fo03", **fault)
    return []
