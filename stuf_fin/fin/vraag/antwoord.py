"""Writing the ``FIN:vrdLa01``: stuurgegevens, empty ``parameters``, meldingen, ``antwoord`` with the objects.

Each object is the stored vordering (:func:`stuf_fin.fin.writer.vordering_element`: values, groups,
metadata and relations as received), made an answer object, then cut to the scope:

* ``StUF:sleutelVerzendend`` is our key (the vordering id); the keys that came with the Di01 (keys in
  the sending system) are not passed on, on the object nor in its relations;
* ``StUF:verwerkingssoort`` is dropped everywhere (prohibited in an answer);
* a stored nil ``debiteurnummer`` (allowed in a Di01 since release 1.00.04) is left out, so that the answer
  is valid under releases 1.00.03 and 1.00.04 alike (:data:`~stuf_fin.fin.vraag.projection.NIL_ONLY_SINCE_1_00_04`).
"""

from __future__ import annotations

from lxml import etree

from stuf_fin.fin import writer
from stuf_fin.fin.model import XS_TRUE, Vordering
from stuf_fin.fin.vraag.projection import NIL_ONLY_SINCE_1_00_04, Wanted, project
from stuf_fin.namespaces import PREFIXES, XSI_NIL, F, S
from stuf_fin.stuf import answers
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem

VRD_ANTWOORD = F + "VRD-antwoord"
SLEUTEL_VERZENDEND = S + "sleutelVerzendend"
#: Attributes dropped from a stored vordering to make it an answer object (see the module docstring).
_DROPPED = (S + "verwerkingssoort", S + "sleutelVerzendend", S + "sleutelOntvangend", S + "sleutelGegevensbeheer",
            S + "sleutelSynchronisatie")
STUF0002 = "StUF0002: Meer objecten gevraagd dan teruggegeven"


def answer_object(v: Vordering, wanted: Wanted) -> etree._Element:
    """One ``FIN:object`` of ``antwoord``: vordering ``v`` as far as ``wanted`` wants it."""
    complete = writer.vordering_element(v, verwerkingssoort=None)
    etree.strip_attributes(complete, *_DROPPED)
    complete.set(SLEUTEL_VERZENDEND, str(v.id))
    for parent_tag, child_tag in NIL_ONLY_SINCE_1_00_04:
        for el in complete.iterchildren(parent_tag):
            for nil in [c for c in el.iterchildren(child_tag) if c.get(XSI_NIL) in XS_TRUE]:
                el.remove(nil)
    return complete if wanted.whole else project(complete, wanted, VRD_ANTWOORD)  # (whole: a copy as is)


def returned_ids(vrd_la01: etree._Element) -> list[int]:
    """The ids of the vorderingen a vrdLa01 returns (the ``StUF:sleutelVerzendend`` of its objects)."""
    antwoord = vrd_la01.find(F + "antwoord")
    if antwoord is None:
        return []
    return [int(key) for obj in antwoord if (key := obj.get(SLEUTEL_VERZENDEND)) and key.isdigit()]


def vrd_la01(vraag: Stuurgegevens, own: Systeem | None, meldingen: list[str],
             objects: list[etree._Element]) -> etree._Element:
    """The complete answer message."""
    root = etree.Element(F + "vrdLa01", nsmap=PREFIXES)
    answers.stuurgegevens_la01(root, F + "stuurgegevens", vraag, own, "VRD")
    etree.SubElement(root, F + "parameters")  # empty: the FIN restriction allows no parameter
    for melding in meldingen:
        etree.SubElement(root, F + "melding").text = melding
    if objects:  # an empty antwoord is invalid
        antwoord = etree.SubElement(root, F + "antwoord")
        for obj in objects:
            antwoord.append(obj)
    etree.cleanup_namespaces(root, top_nsmap=PREFIXES)
    return root
