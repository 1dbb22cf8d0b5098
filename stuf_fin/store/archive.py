"""The message archive (table ``bericht``) and the StUF016 memory (table ``ontvangen_referentie``).

Every message in and out is archived with its raw bytes.  Only messages answered with Bv03 are
remembered as referentienummers: a message answered with Fo03 did not happen (StUF 03.01 §4.4), so a
resend with the same referentienummer must be processed again.

A received message *claims* its referentienummer (:func:`claim`) first thing in the transaction
that stores its effect: an insert that conflicts.  On PostgreSQL an insert of a key that another, still open
transaction inserted waits for that transaction to end, so a message identical to one in flight waits for it
and then sees its answer (or, when that one rolled back, gets the claim itself); SQLite's write lock
serializes all writers.  A claim is undone with its transaction, so a message answered with Fo03 leaves none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from stuf_fin.store.bulk import copy_row_with_blob, insert_values
from stuf_fin.store.db import reserve_ids
from stuf_fin.store.driver_select import DriverSelect
from stuf_fin.store.tables import bericht, ontvangen_referentie
from stuf_fin.stuf.stuurgegevens import SYSTEEM_PARTS

if TYPE_CHECKING:
    from stuf_fin.stuf.stuurgegevens import Stuurgegevens


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


#: A request larger than this is written into SQLite last and in pieces of this size (:func:`fill_request`).
BLOB_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Prior:
    """The accepted message that holds a referentienummer already."""

    content_hash: str
    bericht_id: int
    reply: bytes  # its Bv03, as sent


def _parts(prefix: str, systeem: Systeem | None) -> dict[str, str]:
    return {f"{prefix}_{part}": (getattr(systeem, part, "") or "") if systeem is not None else ""
            for part in SYSTEEM_PARTS}


def bericht_row(*, port: str, operation: str, request: bytes, received_at: datetime, direction: str = "in",
                stuurgegevens: Stuurgegevens | None = None, zender: Systeem | None = None,
                ontvanger: Systeem | None = None,
                referentienummer: str = "", tijdstip_bericht: str = "", cross_refnummer: str = "",
                content_hash: str | None = None, authenticated_identity: str | None = None,
                reply: bytes | None = None, outcome: str | None = None,
                answered_at: datetime | None = None) -> dict[str, Any]:
    """The ``bericht`` row of a message (``request``: its raw bytes; the fields: see :func:`archive`)."""
    if stuurgegevens is not None:
        zender = zender or stuurgegevens.zender
        ontvanger = ontvanger or stuurgegevens.ontvanger
        referentienummer = referentienummer or stuurgegevens.referentienummer
        tijdstip_bericht = tijdstip_bericht or stuurgegevens.tijdstip_bericht
        cross_refnummer = cross_refnummer or stuurgegevens.cross_refnummer
    return {"port": port, "operation": operation, "direction": direction, "request": request,
            "received_at": received_at, "referentienummer": referentienummer or "",
            "tijdstip_bericht": tijdstip_bericht or "", "cross_refnummer": cross_refnummer or "",
            "content_hash": content_hash or "", "authenticated_identity": authenticated_identity,
            "reply": reply, "outcome": outcome, "answered_at": answered_at,
            **_parts("zender", zender), **_parts("ontvanger", ontvanger)}


def archive(conn: Connection, *, defer: bool = False, **fields: Any) -> int:
    """Archive a message (the fields of :func:`bericht_row`); returns the ``bericht`` id.

    ``defer``: a large request may be left for :func:`fill_request` (SQLite), which must then be called.
    ``reply``, ``outcome``, ``answered_at``: the answer, when it is known before the row is written (one insert
    instead of an insert and :func:`set_reply`).

    ``stuurgegevens`` (anything with ``zender``, ``ontvanger``, ``referentienummer``,
    ``tijdstip_bericht`` and ``cross_refnummer``) fills in the fields not given separately.
    """
    values = bericht_row(**fields)
    request = values["request"]
    if conn.dialect.name == "postgresql" and len(request) > BLOB_CHUNK:  # sent in pieces, never copied whole
        bericht_id = reserve_ids(conn, bericht, 1)[0]
        copy_row_with_blob(conn, bericht, {"id": bericht_id, **{k: v for k, v in values.items() if k != "request"}},
                           "request", request)
        return bericht_id
    if defer and _in_pieces(conn, request):
        values["request"] = b""  # written by fill_request() once the row is final
    new_id: int = conn.execute(_ARCHIVE, values).scalar_one()
    return new_id


def archive_and_claim(conn: Connection, claim_port: str, claim_zender: Systeem | None, claim_referentienummer: str,
                      content_hash: str, *, defer: bool = False, **archived: Any) -> tuple[int, Prior | None]:
    """:func:`archive` (keyword arguments ``archived``, ``content_hash`` and ``defer``) and then
    :func:`claim` of ``claim_referentienummer`` from ``claim_zender`` on ``claim_port`` for the new row.
    Returns the row's id and None when the claim is ours, else the accepted message that holds the
    referentienummer.  On PostgreSQL one statement (a data-modifying ``WITH``: one round trip) unless the request
    is sent in pieces."""
    if conn.dialect.name == "postgresql" and len(archived["request"]) <= BLOB_CHUNK:
        values = bericht_row(content_hash=content_hash, **archived)
        key = {**_claim_key(claim_port, claim_zender, claim_referentienummer), "content_hash": content_hash}
        [(bericht_id, claimed)] = _ARCHIVE_AND_CLAIM.rows(conn, {**values, **{
            f"c_{name}": value for name, value in key.items()}})
        if claimed is not None:
            return bericht_id, None
        prior = find_accepted(conn, claim_port, claim_zender, claim_referentienummer)
        if prior is not None:
            return bericht_id, prior
        # the holder went away since the claim (read committed): claim() claims again
    else:
        bericht_id = archive(conn, content_hash=content_hash, defer=defer, **archived)
    return bericht_id, claim(conn, claim_port, claim_zender, claim_referentienummer, content_hash, bericht_id)


def archive_answered(conn: Connection, vragen: Sequence[tuple[dict[str, Any], Sequence[int]]]) -> list[int]:
    """Archive answered questions; returns their ``bericht`` ids.  For each: the fields of its :func:`bericht_row`
    (answer included) and the ids of the vorderingen it returned (for the console; ids no longer stored are left
    out).  Three statements for all of them: ids reserved, one bulk insert of the rows, one insert of the links."""
    if not vragen:
        return []
    rows = [bericht_row(**fields) for fields, _ in vragen]
    ids = reserve_ids(conn, bericht, len(rows))
    names = ("id", *rows[0])
    insert_values(conn, bericht, names, [(i, *row.values()) for i, row in zip(ids, rows, strict=True)])
    pairs = [(i, v) for i, (_, returned) in zip(ids, vragen, strict=True) for v in dict.fromkeys(returned)]
    if pairs and conn.dialect.name == "postgresql":
        conn.execute(_LINKS_PG, {"b": [b for b, _ in pairs], "v": [v for _, v in pairs]})
    elif pairs:
        conn.execute(_LINKS_JSON, {"k": json.dumps(pairs)})
    return ids


_LINKS_PG = sa.text(
    "INSERT INTO returned_vordering (bericht_id, vordering_id) SELECT k.b, v.id "
    "FROM unnest(CAST(:b AS bigint[]), CAST(:v AS bigint[])) AS k(b, v) JOIN vordering AS v ON v.id = k.v")
_LINKS_JSON = sa.text(
    "INSERT INTO returned_vordering (bericht_id, vordering_id) SELECT json_extract(k.value, '$[0]'), v.id "
    "FROM json_each(:k) AS k JOIN vordering AS v ON v.id = json_extract(k.value, '$[1]')")


# Statements built once: building and hashing a new statement object costs more than running it (a small
# message runs ten of them).
_ARCHIVE = sa.insert(bericht).returning(bericht.c.id)
_SET_REPLY = sa.update(bericht).where(bericht.c.id == sa.bindparam("b_id")).values(
    reply=sa.bindparam("b_reply"), outcome=sa.bindparam("b_outcome"), fault_code=sa.bindparam("b_fault_code"),
    answered_at=sa.bindparam("b_answered_at"), resend_of=sa.bindparam("b_resend_of"))
_KEY = ("port", "zender_organisatie", "zender_applicatie", "zender_administratie", "zender_gebruiker",
        "referentienummer")
#: The claim of a referentienummer: an insert that does nothing when the key is taken (and returns no id then).
_CLAIM = {name: dialect.insert(ontvangen_referentie).on_conflict_do_nothing(
    index_elements=[ontvangen_referentie.c[k] for k in _KEY]).returning(ontvangen_referentie.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}


def _archive_and_claim_statement() -> sa.Select[Any]:
    """PostgreSQL: the ``bericht`` row inserted, then the claim of its referentienummer (parameters ``c_…``) for
    its id, doing nothing when the key is taken; selects the new row's id and the claim's id (NULL: taken)."""
    names = bericht_row(port="", operation="", request=b"", received_at=datetime.now(UTC))
    archived = sa.insert(bericht).values({name: sa.bindparam(name, type_=bericht.c[name].type) for name in names}
                                         ).returning(bericht.c.id).cte("archived")
    keys = (*_KEY, "content_hash")
    claimed = postgresql.insert(ontvangen_referentie).from_select(
        [*keys, "bericht_id"],
        sa.select(*(sa.bindparam(f"c_{k}", type_=ontvangen_referentie.c[k].type) for k in keys), archived.c.id),
    ).on_conflict_do_nothing(index_elements=[ontvangen_referentie.c[k] for k in _KEY]).returning(
        ontvangen_referentie.c.id).cte("claim")
    return sa.select(archived.c.id.label("bericht_id"), claimed.c.id.label("claim_id")).select_from(
        archived.outerjoin(claimed, sa.true()))


_ARCHIVE_AND_CLAIM = DriverSelect(_archive_and_claim_statement())  # on the driver's cursor: run per message
_ACCEPTED = (sa.select(ontvangen_referentie.c.content_hash, ontvangen_referentie.c.bericht_id, bericht.c.reply)
             .join(bericht, bericht.c.id == ontvangen_referentie.c.bericht_id)
             .where(*(ontvangen_referentie.c[k] == sa.bindparam(k) for k in _KEY)))


def _in_pieces(conn: Connection, request: bytes) -> bool:
    return conn.dialect.name == "sqlite" and len(request) > BLOB_CHUNK


def fill_request(conn: Connection, bericht_id: int, request: bytes) -> None:
    """Write a request archived with ``defer=True``; call it after the row's last update.

    SQLite copies a blob twice when it is bound and rewrites the whole row (the blob included) on every
    UPDATE.  A large request is therefore written last, into a zero-filled blob of its size, in pieces
    (incremental blob I/O): one transient copy of zeros instead of four of the request.  No-op otherwise.
    """
    if not _in_pieces(conn, request):
        return
    conn.execute(sa.update(bericht).where(bericht.c.id == bericht_id).values(request=sa.func.zeroblob(len(request))))
    raw: Any = conn.connection.driver_connection  # sqlite3's
    with raw.blobopen("bericht", "request", bericht_id) as blob:
        view = memoryview(request)
        for start in range(0, len(request), BLOB_CHUNK):
            blob.write(view[start:start + BLOB_CHUNK])


def set_reply(conn: Connection, bericht_id: int, reply: bytes, outcome: str, fault_code: str | None = None,
              answered_at: datetime | None = None, resend_of: int | None = None) -> None:
    """Record the answer to an archived message (outcome Bv03, Fo03, Fo02 or La01); ``resend_of``: the message
    is an identical resend of that accepted one, answered with its Bv03.  (The console's counts are kept apart:
    :class:`stuf_fin.store.answer_counts.AnswerCounts`.)"""
    conn.execute(_SET_REPLY, {"b_id": bericht_id, "b_reply": reply, "b_outcome": outcome, "b_fault_code": fault_code,
                             "b_answered_at": answered_at or datetime.now(UTC), "b_resend_of": resend_of})


def _claim_key(port: str, zender: Systeem | None, referentienummer: str) -> dict[str, str]:
    return {"port": port, "referentienummer": referentienummer, **_parts("zender", zender)}


def find_accepted(conn: Connection, port: str, zender: Systeem | None, referentienummer: str) -> Prior | None:
    """The accepted message with this zender and referentienummer on this port (StUF016), if any."""
    row = conn.execute(_ACCEPTED, _claim_key(port, zender, referentienummer)).first()
    return None if row is None else Prior(row.content_hash, row.bericht_id, row.reply or b"")


def claim(conn: Connection, port: str, zender: Systeem | None, referentienummer: str,
          content_hash: str, bericht_id: int) -> Prior | None:
    """Claim a referentienummer for the message archived as ``bericht_id``; None when the claim is ours, else
    the accepted message that holds it (compare its content hash: StUF016 or an identical resend).

    Call it first in the transaction of the message's effect: the claim lasts as long as that transaction
    (see the module docstring) and needs no savepoint (the conflict is not an error).
    """
    values = {**_claim_key(port, zender, referentienummer), "content_hash": content_hash, "bericht_id": bericht_id}
    for _attempt in range(3):
        if conn.execute(_CLAIM[conn.dialect.name], values).first() is not None:
            return None
        prior = find_accepted(conn, port, zender, referentienummer)
        if prior is not None:
            return prior
        # the holder went away between the two statements (PostgreSQL, read committed): claim again
    raise RuntimeError(f"referentienummer {referentienummer!r} could not be claimed")


def request_of(conn: Connection, bericht_id: int) -> bytes:
    """The archived request of a message as received (empty when purged or unknown)."""
    request = conn.execute(sa.select(bericht.c.request).where(bericht.c.id == bericht_id)).scalar()
    return bytes(request or b"")


def load_bericht(conn: Connection, bericht_id: int) -> sa.Row[*tuple[Any, ...]] | None:
    """One archived message (all columns), or None."""
    return conn.execute(sa.select(bericht).where(bericht.c.id == bericht_id)).first()
