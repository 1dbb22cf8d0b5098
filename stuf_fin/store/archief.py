"""The message archive (table ``bericht``) and the StUF016 memory (table ``ontvangen_referentie``).

Every message in and out is archived with its raw bytes.  Only messages answered with Bv03 are
remembered as referentienummers: a message answered with Fo03 did not happen (StUF 03.01 §4.4), so a
resend with the same referentienummer must be processed again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from stuf_fin.store.db import is_unique_violation
from stuf_fin.store.tables import bericht, ontvangen_referentie


class Systeem(Protocol):
    """A StUF zender/ontvanger ("" for absent parts); ``stuf_fin.stuf.stuurgegevens.Systeem`` fits."""

    @property
    def organisatie(self) -> str: ...
    @property
    def applicatie(self) -> str: ...
    @property
    def administratie(self) -> str: ...
    @property
    def gebruiker(self) -> str: ...


class DuplicateReferentie(Exception):
    """This zender already used this referentienummer on this port (for a message answered with Bv03)."""


def _delen(prefix: str, systeem: Systeem | None) -> dict[str, str]:
    return {f"{prefix}_{deel}": (getattr(systeem, deel, "") or "") if systeem is not None else ""
            for deel in ("organisatie", "applicatie", "administratie", "gebruiker")}


def archive(conn: Connection, *, port: str, operation: str, request: bytes, received_at: datetime,
            direction: str = "in", stuurgegevens: Any = None, zender: Systeem | None = None,
            ontvanger: Systeem | None = None, referentienummer: str = "", tijdstip_bericht: str = "",
            cross_refnummer: str = "", content_hash: str | None = None,
            authenticated_identity: str | None = None) -> int:
    """Archive a message (``request``: its raw bytes); returns the ``bericht`` id.

    ``stuurgegevens`` (anything with ``zender``, ``ontvanger``, ``referentienummer``,
    ``tijdstip_bericht`` and ``cross_refnummer``) fills in the fields not given separately.
    """
    if stuurgegevens is not None:
        zender = zender or stuurgegevens.zender
        ontvanger = ontvanger or stuurgegevens.ontvanger
        referentienummer = referentienummer or stuurgegevens.referentienummer
        tijdstip_bericht = tijdstip_bericht or stuurgegevens.tijdstip_bericht
        cross_refnummer = cross_refnummer or stuurgegevens.cross_refnummer
    values = {"port": port, "operation": operation, "direction": direction, "request": request,
              "received_at": received_at, "referentienummer": referentienummer or "",
              "tijdstip_bericht": tijdstip_bericht or "", "cross_refnummer": cross_refnummer or "",
              "content_hash": content_hash or "", "authenticated_identity": authenticated_identity,
              **_delen("zender", zender), **_delen("ontvanger", ontvanger)}
    return conn.execute(sa.insert(bericht).values(values).returning(bericht.c.id)).scalar_one()


def set_reply(conn: Connection, bericht_id: int, reply: bytes, outcome: str, fault_code: str | None = None,
              answered_at: datetime | None = None) -> None:
    """Record the answer to an archived message (outcome Bv03, Fo03, Fo02 or La01)."""
    conn.execute(sa.update(bericht).where(bericht.c.id == bericht_id).values(
        reply=reply, outcome=outcome, fault_code=fault_code, answered_at=answered_at or datetime.now(UTC)))


def _referentie(port: str, zender: Systeem | None, referentienummer: str) -> dict[str, str]:
    return {"port": port, "referentienummer": referentienummer, **_delen("zender", zender)}


def find_accepted(conn: Connection, port: str, zender: Systeem | None, referentienummer: str
                  ) -> tuple[str, bytes] | None:
    """(content hash, earlier answer) of the accepted message with this zender and referentienummer."""
    r = ontvangen_referentie.c
    stmt = (sa.select(r.content_hash, bericht.c.reply)
            .join(bericht, bericht.c.id == r.bericht_id)
            .where(*(getattr(r, k) == v for k, v in _referentie(port, zender, referentienummer).items())))
    row = conn.execute(stmt).first()
    return None if row is None else (row.content_hash, row.reply or b"")


def remember_referentie(conn: Connection, port: str, zender: Systeem | None, referentienummer: str,
                        content_hash: str, bericht_id: int) -> None:
    """Remember an accepted message; :class:`DuplicateReferentie` when the referentienummer is taken.

    Runs in a savepoint, so the caller's transaction stays usable after the duplicate (PostgreSQL).
    """
    values = {**_referentie(port, zender, referentienummer), "content_hash": content_hash,
              "bericht_id": bericht_id}
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(ontvangen_referentie).values(values))
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise DuplicateReferentie(f"referentienummer {referentienummer!r} al gebruikt") from None
        raise


def load_bericht(conn: Connection, bericht_id: int) -> sa.Row | None:
    """One archived message (all columns), or None."""
    return conn.execute(sa.select(bericht).where(bericht.c.id == bericht_id)).first()
