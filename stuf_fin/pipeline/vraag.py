"""The vrdLv01 handler: question → one query for the complete vorderingen → vrdLa01 (docs/vraag.md).

Called by the pipeline inside a read-only transaction; raises :class:`StufFout` for a Fo02.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.engine import Connection

from stuf_fin.config import Settings
from stuf_fin.fin.vraag.antwoord import STUF0002, antwoord_object, vrd_la01
from stuf_fin.fin.vraag.query import Startpunt, Voorwaarde, Zoekvraag
from stuf_fin.fin.vraag.scope import lees_scope
from stuf_fin.fin.vraag.selectie import lees_selectie
from stuf_fin.fin.vraag.vraagbericht import Vraag, lees_vraag
from stuf_fin.namespaces import BG, FIN, STUF, XSI_NIL
from stuf_fin.store import vraag as vraag_store
from stuf_fin.stuf.fouten import StufFout
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, eigen_systeem

F, S = f"{{{FIN}}}", f"{{{STUF}}}"
_NNP_ID = (F + "heeftAlsVorderendeOrganisatie", F + "gerelateerde", f"{{{BG}}}inn.nnpId")


def verstrek_vorderingstatus(conn: Connection, message: etree._Element, settings: Settings, *,
                             zichtbare_tsas: frozenset[str] | None = None,
                             stuurgegevens: Stuurgegevens | None = None) -> etree._Element:
    """Answer a ``FIN:vrdLv01`` (schema-valid) with a ``FIN:vrdLa01`` built from the store.

    ``zichtbare_tsas``: the ``tsa`` values the asking client may see (None: all); other vorderingen
    are left out of every answer as if they did not exist.  ``stuurgegevens``: the question's, when read already.
    """
    vraag = lees_vraag(message, stuurgegevens)
    gevraagd = lees_scope(vraag.scope, settings.default_scope)
    selectie = lees_selectie(vraag.gelijk)
    zoekvraag = selectie.zoekvraag
    zoekvraag.sortering = 0 if zoekvraag.sleutel is not None else vraag.sortering
    zoekvraag.zichtbare_tsas = zichtbare_tsas
    if vraag.start is not None:
        zoekvraag.na = _startpunt(conn, vraag, zichtbare_tsas)
    maximum = min(vraag.maximum_aantal, settings.max_results)
    gevonden = vraag_store.zoek_vorderingen(conn, zoekvraag, maximum + 1)
    if not gevonden and selectie.op_vorderingnummer and vraag.start is None and settings.not_found_fault:
        raise StufFout("StUF064", _niet_gevonden(zoekvraag))
    meldingen = [m for m in (selectie.melding(), STUF0002 if len(gevonden) > maximum else None) if m]
    objecten = [antwoord_object(v, gevraagd) for v in gevonden[:maximum]]
    return vrd_la01(vraag.stuurgegevens, eigen_systeem(settings), meldingen, objecten)


def _niet_gevonden(zoekvraag: Zoekvraag) -> str:
    if zoekvraag.sleutel is not None:
        return f"geen vordering met sleutel {zoekvraag.sleutel}"
    nummer = next(v.waarde for v in zoekvraag.voorwaarden if v.kolom == "vorderingnummer")
    return f"geen vordering gevonden met vorderingnummer {nummer}"


def _tekst(parent: etree._Element, *pad: str) -> str | None:
    el: etree._Element | None = parent
    for tag in pad:
        el = el.find(tag) if el is not None else None
    if el is None or el.get(XSI_NIL) in ("true", "1"):
        return None
    return "".join(el.itertext())


def _startpunt(conn: Connection, vraag: Vraag, zichtbare_tsas: frozenset[str] | None) -> Startpunt:
    """The object a follow-up question continues after: by our key (``StUF:sleutelOntvangend``, the
    ``StUF:sleutelVerzendend`` of our answer), else by vorderingnummer (+ tsa, + organisatie)."""
    start = vraag.start
    assert start is not None
    zoekvraag = Zoekvraag(zichtbare_tsas=zichtbare_tsas)
    sleutel = start.get(S + "sleutelOntvangend")
    if sleutel is not None:
        zoekvraag.sleutel = sleutel
    else:
        for kolom, waarde in (("vorderingnummer", _tekst(start, F + "vorderingnummer")),
                              ("tsa", _tekst(start, F + "tsa")), ("organisatie_nnp_id", _tekst(start, *_NNP_ID))):
            if waarde is not None:
                zoekvraag.voorwaarden.append(Voorwaarde(kolom, waarde))
    ids = vraag_store.zoek_ids(conn, zoekvraag, 2) if sleutel is not None or zoekvraag.voorwaarden else []
    punt = vraag_store.startpunt(conn, ids) if len(ids) == 1 else None
    if punt is None:
        raise StufFout("StUF058", "start: het startobject is niet eenduidig te vinden; neem in start/object "
                                  "StUF:sleutelOntvangend over uit StUF:sleutelVerzendend van het laatst ontvangen "
                                  "object")
    return punt
