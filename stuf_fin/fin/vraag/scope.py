"""``scope/object`` → what each answer object contains (StUF 03.01 §6.3.3).

* elements in ``scope/object``: exactly those, down to the elements named inside groups and relations;
* ``StUF:scope`` (without content, else Fo02 StUF097): ``alles``, ``allesZonderMetagegevens``,
  ``allesMaarKerngegevensGerelateerden``, ``allesZonderMetagegevensMaarKerngegevensGerelateerden``,
  ``kerngegevens``;
* no scope, or an empty ``scope/object``: the ``default_scope`` setting (default ``alles``).

Kerngegevens: of a vordering ``vorderingnummer``, ``tsa`` and the vorderende organisatie (the key, NOTES
§5); of a gerelateerde the elements of its ``*-kerngegevens`` type in the schema (NPS, NNP, ZAK, OEH).
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from stuf_fin.config import SCOPE_WAARDEN
from stuf_fin.fin.vraag.projectie import HEEL, Alles, Gevraagd, Kern, Scope
from stuf_fin.namespaces import BG, FIN, STUF, ZKN
from stuf_fin.stuf.fouten import StufFout

F, S = f"{{{FIN}}}", f"{{{STUF}}}"
SCOPE = S + "scope"
#: The kerngegevens type of the gerelateerde of each VRD relation.
_KERN_TYPE = {
    F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": f"{{{BG}}}NPS-kerngegevens",
    F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": f"{{{BG}}}NNP-kerngegevens",
    F + "heeftAlsVorderendeOrganisatie": f"{{{BG}}}NNP-kerngegevens",
    F + "isOntstaanInZaak": f"{{{ZKN}}}ZAK-kerngegevens",
    F + "isOpgelegdDoorOrganisatischeEenheid": f"{{{ZKN}}}OEH-kerngegevens",
}


@cache
def kern_van_gerelateerde(relatie: str) -> Gevraagd | None:
    """The kerngegevens of the gerelateerde of VRD relation ``relatie`` (None: not a VRD relation)."""
    if relatie == F + "heeftBetrekkingOpVordering":
        return vordering_kern()
    ref = _KERN_TYPE.get(relatie)
    return Kern.van_type(ref) if ref else None


@cache
def vordering_kern() -> Kern:
    """vorderingnummer, tsa and the kerngegevens of the vorderende organisatie."""
    organisatie = Kern({F + "gerelateerde": kern_van_gerelateerde(F + "heeftAlsVorderendeOrganisatie") or HEEL})
    return Kern({F + "vorderingnummer": HEEL, F + "tsa": HEEL, F + "heeftAlsVorderendeOrganisatie": organisatie})


def scope_van_waarde(waarde: str) -> Gevraagd:
    """The meaning of a ``StUF:scope`` value (one of :data:`SCOPE_WAARDEN`)."""
    if waarde not in SCOPE_WAARDEN:
        raise ValueError(f"geen StUF:scope-waarde: {waarde!r}")
    if waarde == "kerngegevens":
        return vordering_kern()
    zonder = "ZonderMetagegevens" in waarde
    kern = kern_van_gerelateerde if "KerngegevensGerelateerden" in waarde else None
    if not zonder and kern is None:
        return HEEL
    return Alles(zonder, kern)


def lees_scope(scope_object: etree._Element | None, standaard: str) -> Gevraagd:
    """What the answer objects contain; StUF097 when ``StUF:scope`` comes with content."""
    if scope_object is None:
        return scope_van_waarde(standaard)
    inhoud = any(isinstance(c.tag, str) for c in scope_object)
    waarde = scope_object.get(SCOPE)
    if waarde is not None:
        if inhoud:
            raise StufFout("StUF097", f"scope/object heeft StUF:scope=\"{waarde}\" en ook elementen")
        return scope_van_waarde(waarde)
    return Scope(scope_object) if inhoud else scope_van_waarde(standaard)
