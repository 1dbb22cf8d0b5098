"""Writing the ``FIN:vrdLa01``: stuurgegevens, empty ``parameters``, meldingen, ``antwoord`` with the objects.

Each object is the stored vordering (:func:`stuf_fin.fin.schrijven.vordering_element`: values, groups,
metadata and relations as received), made an answer object, then cut to the scope:

* ``StUF:sleutelVerzendend`` is our key (the vordering id); the keys that came with the Di01 (keys in
  the sending system) are not passed on, on the object nor in its relations;
* ``StUF:verwerkingssoort`` is dropped everywhere (prohibited in an answer);
* a stored nil ``debiteurnummer`` (allowed in a Di01 since release 1.00.04) is left out, so that the answer
  is valid under releases 1.00.03 and 1.00.04 alike (:data:`~stuf_fin.fin.vraag.projectie.NIL_ONLY_SINCE_1_00_04`).
"""

from __future__ import annotations

from lxml import etree

from stuf_fin.fin import schrijven
from stuf_fin.fin.model import Vordering
from stuf_fin.fin.vraag.projectie import NIL_ONLY_SINCE_1_00_04, Gevraagd, projecteer
from stuf_fin.namespaces import FIN, PREFIXES, STUF, XSI_NIL
from stuf_fin.stuf import berichten
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

F, S = f"{{{FIN}}}", f"{{{STUF}}}"
VRD_ANTWOORD = F + "VRD-antwoord"
SLEUTEL_VERZENDEND = S + "sleutelVerzendend"
_WEG = (S + "verwerkingssoort", S + "sleutelVerzendend", S + "sleutelOntvangend", S + "sleutelGegevensbeheer",
        S + "sleutelSynchronisatie")
STUF0002 = "StUF0002: Meer objecten gevraagd dan teruggegeven"


def antwoord_object(v: Vordering, gevraagd: Gevraagd) -> etree._Element:
    """One ``FIN:object`` of ``antwoord``: vordering ``v`` as far as ``gevraagd`` wants it."""
    volledig = schrijven.vordering_element(v, verwerkingssoort=None)
    etree.strip_attributes(volledig, *_WEG)
    volledig.set(SLEUTEL_VERZENDEND, str(v.id))
    for ouder, kind in NIL_ONLY_SINCE_1_00_04:
        for el in volledig.iterchildren(ouder):
            for nil in [c for c in el.iterchildren(kind) if c.get(XSI_NIL) in ("true", "1")]:
                el.remove(nil)
    return volledig if gevraagd.heel else projecteer(volledig, gevraagd, VRD_ANTWOORD)  # (heel: a copy as is)


def returned_ids(vrd_la01: etree._Element) -> list[int]:
    """The ids of the vorderingen a vrdLa01 returns (the ``StUF:sleutelVerzendend`` of its objects)."""
    antwoord = vrd_la01.find(F + "antwoord")
    if antwoord is None:
        return []
    return [int(key) for obj in antwoord if (key := obj.get(SLEUTEL_VERZENDEND)) and key.isdigit()]


def vrd_la01(vraag: Stuurgegevens, eigen: Systeem | None, meldingen: list[str],
             objecten: list[etree._Element]) -> etree._Element:
    """The complete answer message."""
    root = etree.Element(F + "vrdLa01", nsmap=PREFIXES)
    berichten.stuurgegevens_la01(root, F + "stuurgegevens", vraag, eigen, "VRD")
    etree.SubElement(root, F + "parameters")  # empty: the FIN restriction allows no parameter
    for melding in meldingen:
        etree.SubElement(root, F + "melding").text = melding
    if objecten:  # an empty antwoord is invalid
        antwoord = etree.SubElement(root, F + "antwoord")
        for obj in objecten:
            antwoord.append(obj)
    etree.cleanup_namespaces(root, top_nsmap=PREFIXES)
    return root
