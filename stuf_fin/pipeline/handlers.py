"""The three Di01 handlers, called by the message pipeline inside one open transaction.

Each reads the message, applies the business rules, checks keys and stores everything, or raises
:class:`~stuf_fin.fin.errors.BusinessError` naming every refused object.  They never commit or roll
back: the caller's transaction makes a message all-or-nothing.  They return warnings for the log.
:data:`HANDLERS` is the gateway's table of handlers, with the vrdLv01 handler of :mod:`stuf_fin.pipeline.vraag`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol, TypeVar

from lxml import etree
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from stuf_fin.config import Settings
from stuf_fin.fin import reader, rules
from stuf_fin.fin.errors import BusinessError, summarize
from stuf_fin.fin.model import (
    StatusWijziging,
    Verantwoording,
    VerantwoordingSleutel,
    Vordering,
    VorderingSleutel,
)
from stuf_fin.schema.streaming import Stream, whole
from stuf_fin.store import vorderingen as vorderingen_repo
from stuf_fin.store.db import is_unique_violation
from stuf_fin.store.verantwoordingen import existing_verantwoordingen, insert_verantwoordingen
from stuf_fin.stuf.stuurgegevens import Stuurgegevens

log = logging.getLogger("stuf_fin.pipeline")
K = TypeVar("K", VorderingSleutel, VerantwoordingSleutel)


class Outgoing(Protocol):
    """Queues the outbound messages an accepted message causes, in the handler's transaction
    (implemented by :class:`stuf_fin.outbound.triggers.Outgoing`)."""

    def vorderingen_received(self, conn: Connection, bericht_id: int | None, vorderingen: list[Vordering]
                             ) -> None: ...

    def status_changed(self, conn: Connection, bericht_id: int | None,
                       statuswijzigingen: list[tuple[int, StatusWijziging]]) -> None: ...

    def verantwoordingen_received(self, conn: Connection, bericht_id: int | None,
                                  verantwoordingen: list[Verantwoording]) -> None: ...


@dataclass(frozen=True)
class Receipt:
    """The circumstances of a received message."""

    received_at: datetime  # aware
    bericht_id: int | None  # the archived message (table bericht)
    settings: Settings
    outgoing: Outgoing | None = None  # outbound messages to queue (None: nothing is sent on)


class KennisgevingHandler(Protocol):
    """A handler of a Di01, Bv03 or Fo03 received (:data:`HANDLERS`, and the outbound package's Bv03/Fo03):
    stores what the message causes inside the caller's transaction and returns warnings for the log."""

    def __call__(self, conn: Connection, message: etree._Element | Stream, context: Receipt, /) -> list[str]: ...


class VraagHandler(Protocol):
    """The handler of a vrdLv01 (:func:`stuf_fin.pipeline.vraag.verstrek_vorderingstatus`): the vrdLa01."""

    def __call__(self, conn: Connection, message: etree._Element, settings: Settings, /, *,
                 visible_tsas: frozenset[str] | None = None,
                 stuurgegevens: Stuurgegevens | None = None) -> etree._Element: ...


def _key_faults(keys: list[K], known: set[K], seen: set[K] | None = None) -> list[str]:
    """Reasons for keys that occur twice in the message or are stored already, in message order
    (``seen``: the keys of earlier batches of the same message; updated)."""
    faults, seen = [], set() if seen is None else seen
    for key in keys:
        if key in seen:
            faults.append(f"{key} komt meer dan eens voor in dit bericht")
        elif key in known:
            faults.append(f"{key} is al eerder aangeleverd")
        seen.add(key)
    return faults


def _store(conn: Connection, save: Callable[[], object], keys: list[K],
           existing: Callable[[], set[K]]) -> None:
    """Insert; a key that a concurrent message stored meanwhile becomes a BusinessError.

    No savepoint: a refused key refuses the whole message, so the caller's transaction is rolled back anyway.
    On SQLite the keys were checked under the write lock and only this message can have stored them; on
    PostgreSQL the failed statement ends the transaction, so the keys cannot be looked up again to name them.
    """
    try:
        save()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        faults = _key_faults(keys, existing()) if conn.dialect.name == "sqlite" else []
        raise BusinessError(summarize(faults or [
            "een sleutel is zojuist door een ander bericht aangeleverd (een van: "
            + ", ".join(str(k) for k in keys[:5]) + (" …)" if len(keys) > 5 else ")")])) from None


def verstrek_vordering(conn: Connection, message: etree._Element | Stream, context: Receipt) -> list[str]:
    """``Di01-verstrekVordering``: store every vordering, or none.

    A large message comes as a validated :class:`~stuf_fin.schema.streaming.Stream` and is read and stored in
    batches inside the caller's transaction; after the first refused object nothing more is stored, the
    rest is still checked (every refused object is named) and the BusinessError rolls everything back.
    """
    received = rules.day_of_receipt(context.received_at)
    findings = rules.Findings()
    seen: set[VorderingSleutel] = set()
    numbers: set[str] = set()
    related: dict[str, Vordering] = {}
    for vorderingen in reader.vordering_batches(message):
        for v in vorderingen:
            findings += rules.check_vordering(
                v, received, reject_past_vervaldatum=context.settings.reject_past_vervaldatum)
        keys = [v.sleutel for v in vorderingen]
        numbers.update(v.vorderingnummer for v in vorderingen)
        related.update((v.gerelateerde_vordering.vorderingnummer, v) for v in vorderingen
                           if v.gerelateerde_vordering is not None and v.gerelateerde_vordering.vorderingnummer)
        if len(vorderingen) == 1 and not seen and not findings.errors:  # the common message: one vordering
            seen.add(keys[0])
            if vorderingen_repo.insert_new_vordering(conn, vorderingen[0], bericht_id=context.bericht_id,
                                                     received_at=context.received_at) is None:
                findings.errors.append(f"{keys[0]} is al eerder aangeleverd")
                continue
        else:
            findings.errors += _key_faults(keys, vorderingen_repo.existing_keys(conn, keys), seen)
            if findings.errors:
                continue
            _store(conn, partial(vorderingen_repo.insert_vorderingen, conn, vorderingen,
                                 bericht_id=context.bericht_id, received_at=context.received_at),
                   keys, partial(vorderingen_repo.existing_keys, conn, keys))
        if context.outgoing is not None:
            context.outgoing.vorderingen_received(conn, context.bericht_id, vorderingen)
    if findings.errors:
        raise BusinessError(summarize(findings.errors))
    if related:
        known = vorderingen_repo.known_vorderingnummers(conn, related) | numbers
        findings.warnings += [
            f"{v.sleutel}: heeftBetrekkingOpVordering verwijst naar onbekende vordering {number}"
            for number, v in related.items() if number not in known]
    return findings.warnings


def verstrek_status_wijziging(conn: Connection, message: etree._Element | Stream, context: Receipt) -> list[str]:
    """``Di01-verstrekVorderingStatusWijziging``: the last object of each vrdLk01 is the new status.

    A vordering is found by its key (organisatie, tsa, vorderingnummer); failing that, by its
    vorderingnummer alone when exactly one vordering has it (the TSA may identify a vordering by its
    number, NOTES §5; the official examples send a different tsa), with a warning.
    """
    statuswijzigingen = reader.statuswijzigingen(whole(message))
    findings = rules.Findings()
    found = vorderingen_repo.find_vorderingen(conn, [w.sleutel for w in statuswijzigingen])
    targets: list[tuple[int, StatusWijziging]] = []
    for w in statuswijzigingen:
        findings += rules.check_status(w.vorderingstatus, w.sleutel)
        vid = found.get(w.sleutel)
        if vid is None:
            candidates = vorderingen_repo.find_by_vorderingnummer(conn, w.vorderingnummer)
            if len(candidates) == 1:
                vid = candidates[0]
                findings.warnings.append(
                    f"{w.sleutel}: niet op de volledige sleutel gevonden; de enige vordering met "
                    f"vorderingnummer {w.vorderingnummer} krijgt de status")
            elif candidates:
                findings.errors.append(f"{w.sleutel} is onbekend en vorderingnummer {w.vorderingnummer} "
                                       f"is niet eenduidig ({len(candidates)} vorderingen)")
            else:
                findings.errors.append(f"{w.sleutel} is onbekend")
        if vid is not None:  # else a fault: nothing is stored
            targets.append((vid, w))
    if findings.errors:
        raise BusinessError(summarize(findings.errors))
    for vid, w in targets:
        vorderingen_repo.add_status(conn, vid, w.vorderingstatus, bericht_id=context.bericht_id,
                                    received_at=context.received_at)
    if context.outgoing is not None:  # after add_status: the vordering rows are locked, so ids follow commit order
        context.outgoing.status_changed(conn, context.bericht_id, targets)
    return findings.warnings


def verstrek_financiele_verantwoording(conn: Connection, message: etree._Element | Stream, context: Receipt
                                       ) -> list[str]:
    """``Di01-verstrekFinancieleVerantwoording``: store every verantwoording, or none."""
    verantwoordingen = reader.verantwoordingen(whole(message))
    findings = rules.Findings()
    for fvw in verantwoordingen:
        findings += rules.check_verantwoording(fvw)
    keys = [f.sleutel for f in verantwoordingen]
    findings.errors += _key_faults(keys, existing_verantwoordingen(conn, keys))
    if findings.errors:
        raise BusinessError(summarize(findings.errors))
    _store(conn, lambda: insert_verantwoordingen(conn, verantwoordingen, bericht_id=context.bericht_id,
                                                 received_at=context.received_at),
           keys, lambda: existing_verantwoordingen(conn, keys))
    if context.outgoing is not None:
        context.outgoing.verantwoordingen_received(conn, context.bericht_id, verantwoordingen)
    return findings.warnings


#: The Di01 handlers by operation name (:attr:`stuf_fin.stuf.operations.Operation.name`), the one table of them;
#: ``stuf_fin.app.build`` adds the outbound package's Bv03/Fo03 handlers and hands the vrdLv01 handler
#: (:func:`stuf_fin.pipeline.vraag.verstrek_vorderingstatus`, a :class:`VraagHandler`) to the pipeline beside it.
HANDLERS: dict[str, KennisgevingHandler] = {
    "Di01-verstrekVordering": verstrek_vordering,
    "Di01-verstrekVorderingStatusWijziging": verstrek_status_wijziging,
    "Di01-verstrekFinancieleVerantwoording": verstrek_financiele_verantwoording,
}
