"""Operator actions on the outbox (``stuf-fin outbox retry``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.outbound import messages, outbox
from stuf_fin.outbound.routing import Routing
from stuf_fin.schema.parsing import parse_bytes
from stuf_fin.stuf import answers


def needs_new_reference(row: sa.Row[*tuple[Any, ...]]) -> bool:
    """A dead letter refused by the receiver as our fault (plek client) is fixed and sent as a *new* message
    (StUF 03.01 §4.4); one given up on for server or transport trouble is sent again unchanged."""
    return bool(row.state == outbox.DEAD and row.fault_plek == "client")


def retry(conn: Connection, row: sa.Row[*tuple[Any, ...]], routing: Routing, *, new_reference: bool | None = None,
          now: datetime | None = None) -> str:
    """Queue ``row`` again for delivery now; returns what was done.  A dead letter starts over (attempts and
    age); a pending row just stops waiting.  ``new_reference`` None: :func:`needs_new_reference`."""
    now = now or datetime.now(UTC)
    if row.state == outbox.DELIVERED:
        raise ValueError(f"outbox {row.id} was delivered ({row.outcome}) and is not sent again")
    values: dict[str, Any] = {"state": outbox.PENDING, "next_attempt_at": now, "claimed_by": None,
                              "claimed_until": None, "finished_at": None}
    if row.state == outbox.DEAD:
        values.update(attempts=0, created_at=now)
    done = "queued again unchanged" if row.state == outbox.DEAD else "sent at the next round"
    if new_reference if new_reference is not None else needs_new_reference(row):
        route = routing.get(row.route)
        referentienummer, tijdstip_bericht = answers.new_referentienummer(), messages.moment()
        stored = outbox.get(conn, row.id)
        assert stored is not None  # the row being retried
        message = messages.restamp(parse_bytes(stored.message).getroot(),
                                   referentienummer=referentienummer, tijdstip_bericht=tijdstip_bericht,
                                   zender=route.zender if route else None, ontvanger=route.ontvanger if route else None)
        values.update(message=messages.to_bytes(message), referentienummer=referentienummer,
                      tijdstip_bericht=tijdstip_bericht)
        done = f"queued again as a new message (referentienummer {referentienummer}, was {row.referentienummer})"
    outbox.update(conn, row.id, **values)
    return done
