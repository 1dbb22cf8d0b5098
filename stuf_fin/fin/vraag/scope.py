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

from stuf_fin.config import SCOPE_VALUES
from stuf_fin.fin.vraag.projection import WHOLE, Alles, Kern, Scope, Wanted
from stuf_fin.namespaces import BG, ZKN, F, S, q
from stuf_fin.stuf.faults import StufFault

SCOPE = S + "scope"
#: The kerngegevens type of the gerelateerde of each VRD relation.
_KERN_TYPE = {
    F + "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur": q(BG, "NPS-kerngegevens"),
    F + "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur": q(BG, "NNP-kerngegevens"),
    F + "heeftAlsVorderendeOrganisatie": q(BG, "NNP-kerngegevens"),
    F + "isOntstaanInZaak": q(ZKN, "ZAK-kerngegevens"),
    F + "isOpgelegdDoorOrganisatischeEenheid": q(ZKN, "OEH-kerngegevens"),
}


@cache
def kern_of_gerelateerde(relatie: str) -> Wanted | None:
    """The kerngegevens of the gerelateerde of VRD relation ``relatie`` (None: not a VRD relation)."""
    if relatie == F + "heeftBetrekkingOpVordering":
        return vordering_kern()
    ref = _KERN_TYPE.get(relatie)
    return Kern.of_type(ref) if ref else None


@cache
def vordering_kern() -> Kern:
    """vorderingnummer, tsa and the kerngegevens of the vorderende organisatie."""
    organisatie = Kern({F + "gerelateerde": kern_of_gerelateerde(F + "heeftAlsVorderendeOrganisatie") or WHOLE})
    return Kern({F + "vorderingnummer": WHOLE, F + "tsa": WHOLE, F + "heeftAlsVorderendeOrganisatie": organisatie})


def scope_of_value(value: str) -> Wanted:
    """The meaning of a ``StUF:scope`` value (one of :data:`SCOPE_VALUES`)."""
    if value not in SCOPE_VALUES:
        raise ValueError(f"geen StUF:scope-waarde: {value!r}")
    if value == "kerngegevens":
        return vordering_kern()
    without = "ZonderMetagegevens" in value
    kern = kern_of_gerelateerde if "KerngegevensGerelateerden" in value else None
    if not without and kern is None:
        return WHOLE
    return Alles(without, kern)


def read_scope(scope_object: etree._Element | None, default: str) -> Wanted:
    """What the answer objects contain; StUF097 when ``StUF:scope`` comes with content."""
    if scope_object is None:
        return scope_of_value(default)
    content = any(isinstance(c.tag, str) for c in scope_object)
    value = scope_object.get(SCOPE)
    if value is not None:
        if content:
            raise StufFault("StUF097", f"scope/object heeft StUF:scope=\"{value}\" en ook elementen")
        return scope_of_value(value)
    return Scope(scope_object) if content else scope_of_value(default)
