"""The vrdLv01 handler: question → one query for the complete vorderingen → vrdLa01 (docs/vraag.md).

Called by the pipeline inside a read-only transaction; raises :class:`StufFault` for a Fo02.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.engine import Connection

from stuf_fin.config import Settings
from stuf_fin.fin.reader import value_at
from stuf_fin.fin.vraag.antwoord import STUF0002, answer_object, vrd_la01
from stuf_fin.fin.vraag.query import Condition, Query, ResumePoint
from stuf_fin.fin.vraag.scope import read_scope
from stuf_fin.fin.vraag.selection import read_selection
from stuf_fin.fin.vraag.vraagbericht import Vraag, read_vraag
from stuf_fin.namespaces import BG_NNP_ID, F, S
from stuf_fin.store import vraag as vraag_store
from stuf_fin.stuf.faults import StufFault
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, gateway_systeem

_NNP_ID = (F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde", BG_NNP_ID)


def verstrek_vorderingstatus(conn: Connection, message: etree._Element, settings: Settings, *,
                             visible_tsas: frozenset[str] | None = None,
                             stuurgegevens: Stuurgegevens | None = None) -> etree._Element:
    """Answer a ``FIN:vrdLv01`` (schema-valid) with a ``FIN:vrdLa01`` built from the store.

    ``visible_tsas``: the ``tsa`` values the asking client may see (None: all); other vorderingen
    are left out of every answer as if they did not exist.  ``stuurgegevens``: the question's, when read already.
    """
    vraag = read_vraag(message, stuurgegevens)
    wanted = read_scope(vraag.scope, settings.default_scope)
    selection = read_selection(vraag.gelijk)
    query = selection.query
    query.sortering = 0 if query.sleutel is not None else vraag.sortering
    query.visible_tsas = visible_tsas
    if vraag.start is not None:
        query.after = _start_point(conn, vraag, visible_tsas)
    maximum = min(vraag.maximum_aantal, settings.max_results)
    found = vraag_store.search_vorderingen(conn, query, maximum + 1)
    if not found and selection.by_vorderingnummer and vraag.start is None and settings.not_found_fault:
        raise StufFault("StUF064", _not_found(query))
    meldingen = [m for m in (selection.melding(), STUF0002 if len(found) > maximum else None) if m]
    objects = [answer_object(v, wanted) for v in found[:maximum]]
    return vrd_la01(vraag.stuurgegevens, gateway_systeem(settings), meldingen, objects)


def _not_found(query: Query) -> str:
    if query.sleutel is not None:
        return f"geen vordering met sleutel {query.sleutel}"
    number = next(v.value for v in query.conditions if v.column == "vorderingnummer")
    return f"geen vordering gevonden met vorderingnummer {number}"


def _start_point(conn: Connection, vraag: Vraag, visible_tsas: frozenset[str] | None) -> ResumePoint:
    """The object a follow-up question continues after: by our key (``StUF:sleutelOntvangend``, the
    ``StUF:sleutelVerzendend`` of our answer), else by vorderingnummer (+ tsa, + organisatie)."""
    start = vraag.start
    assert start is not None
    query = Query(visible_tsas=visible_tsas)
    sleutel = start.get(S + "sleutelOntvangend")
    if sleutel is not None:
        query.sleutel = sleutel
    else:
        for column, value in (("vorderingnummer", value_at(start, F + "vorderingnummer")),
                              ("tsa", value_at(start, F + "tsa")), ("organisatie_nnp_id", value_at(start, *_NNP_ID))):
            if value is not None:
                query.conditions.append(Condition(column, value))
    ids = vraag_store.search_ids(conn, query, 2) if sleutel is not None or query.conditions else []
    point = vraag_store.resume_point(conn, ids) if len(ids) == 1 else None
    if point is None:
        raise StufFault("StUF058", "start: het startobject is niet eenduidig te vinden; neem in start/object "
                                  "StUF:sleutelOntvangend over uit StUF:sleutelVerzendend van het laatst ontvangen "
                                  "object")
    return point
