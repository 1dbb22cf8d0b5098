"""Which accepted inbound messages cause which outbound messages; queued in the inbound transaction.

=======================================  ==========================================  ==========================
accepted inbound message                 queued outbound message                     route
=======================================  ==========================================  ==========================
``Di01-verstrekVordering``               one ``Di01-verstrekVordering`` with all     ``inningssysteem``
                                         its vorderingen (per batch of a streamed
                                         large message)
``Di01-verstrekVorderingStatusWijziging`` one ``Di01-verstrekVorderingStatusWijziging``  ``tsa:<tsa>`` of the stored
                                         per vordering, with its changes in order    vordering
``Di01-verstrekFinancieleVerantwoording`` one ``Di01-verstrekFinancieleVerantwoording``  ``financiele_administratie``
                                         with all its verantwoordingen
=======================================  ==========================================  ==========================

Nothing is queued for a message answered with a Fo03 (its transaction is rolled back), for a route that is not
configured, for vrdLv01 or for a Bv03/Fo03 received (those settle our own outbound messages:
:mod:`stuf_fin.outbound.correlation`).  The objects are written back from the domain objects
(:mod:`stuf_fin.fin.writer`), exactly as received; the stuurgegevens are ours: the route's zender and
ontvanger, a new referentienummer and tijdstipBericht.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.engine import Connection

from stuf_fin.fin import writer
from stuf_fin.fin.model import StatusWijziging, Verantwoording, Vordering
from stuf_fin.outbound import messages, outbox
from stuf_fin.outbound.routing import FINANCIELE_ADMINISTRATIE, INNINGSSYSTEEM, Route, Routing
from stuf_fin.store.db import chunks
from stuf_fin.store.tables import vordering
from stuf_fin.stuf import answers

log = logging.getLogger("stuf_fin.outbound")


class Outgoing:
    """The outbox side of the Di01 handlers (:class:`stuf_fin.pipeline.handlers.Outgoing`)."""

    def __init__(self, routing: Routing):
        self.routing = routing

    def vorderingen_received(self, conn: Connection, bericht_id: int | None, vorderingen: list[Vordering]) -> None:
        route = self.routing.get(INNINGSSYSTEEM)
        if route is not None and vorderingen:
            self._queue(conn, bericht_id, route, "Di01-verstrekVordering", [
                messages.kennisgeving("vrdLk01", "VRD", writer.vordering_element(v)) for v in vorderingen])

    def status_changed(self, conn: Connection, bericht_id: int | None,
                       statuswijzigingen: list[tuple[int, StatusWijziging]]) -> None:
        if not any(name.startswith("tsa:") for name in self.routing.routes):
            return
        per_vordering: dict[int, list[StatusWijziging]] = {}
        for vid, change in statuswijzigingen:
            per_vordering.setdefault(vid, []).append(change)
        tsas = _tsas(conn, list(per_vordering))
        for vid, changes in per_vordering.items():
            route = self.routing.tsa(tsas[vid])
            if route is None:
                log.debug("no route for tsa %r: status change of vordering %s not sent on", tsas[vid], vid)
                continue
            self._queue(conn, bericht_id, route, "Di01-verstrekVorderingStatusWijziging", [
                messages.kennisgeving("vrdLk01", "VRD", writer.statuswijziging_element(w)) for w in changes],
                vordering_id=vid)

    def verantwoordingen_received(self, conn: Connection, bericht_id: int | None,
                                  verantwoordingen: list[Verantwoording]) -> None:
        route = self.routing.get(FINANCIELE_ADMINISTRATIE)
        if route is not None and verantwoordingen:
            self._queue(conn, bericht_id, route, "Di01-verstrekFinancieleVerantwoording", [
                messages.kennisgeving("fvwLk01", "FVW", writer.verantwoording_element(f))
                for f in verantwoordingen])

    def _queue(self, conn: Connection, bericht_id: int | None, route: Route, operation: str,
               kennisgevingen: list[etree._Element], vordering_id: int | None = None) -> None:
        """Queue one message.  Ordering (the ``volgorde`` column): the whole route when it asks for it; else per
        vordering for status changes, none for new vorderingen and verantwoordingen (each is sent once)."""
        if route.ordering == "route":
            ordering_group: str | None = route.name
        else:
            ordering_group = f"{route.name}|vordering {vordering_id}" if vordering_id is not None else None
        referentienummer, tijdstip_bericht = answers.new_referentienummer(), messages.moment()
        message = messages.di01(operation, kennisgevingen, zender=route.zender, ontvanger=route.ontvanger,
                                referentienummer=referentienummer, tijdstip_bericht=tijdstip_bericht)
        outbox.enqueue(conn, route=route.name, operation=operation, message=messages.to_bytes(message),
                       referentienummer=referentienummer, tijdstip_bericht=tijdstip_bericht,
                       now=datetime.now(UTC), ordering_group=ordering_group, bericht_id=bericht_id)


def _tsas(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The ``tsa`` of stored vorderingen by id (the route: a status change found by vorderingnummer alone may
    name another tsa than the vordering has)."""
    found: dict[int, str] = {}
    for chunk in chunks(ids):
        stmt = sa.select(vordering.c.id, vordering.c.tsa).where(vordering.c.id.in_(chunk))
        found.update((vid, tsa) for vid, tsa in conn.execute(stmt))
    return found
