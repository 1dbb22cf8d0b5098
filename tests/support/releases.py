"""What differs between the official releases 1.00.03 and 1.00.04 for a FIN message (docs/schemas.md, "The two
releases"), as matchers on the validation issues of the side that refuses a document.

The built-in set follows 1.00.04, so a verdict difference between it and release 1.00.03 is documented when
every issue of the refusing side is explained by one of :data:`RELEASE_DIFFERENCES` whose direction fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stuf_fin.schema import SchemaIssue

NEWER, OLDER, EITHER = "1.00.04", "1.00.03", "either"


@dataclass(frozen=True)
class ReleaseDifference:
    """One documented difference: ``accepted_by`` accepts what the other release refuses with an issue at
    ``path`` (regular expression, searched) saying ``message`` (searched)."""

    name: str
    accepted_by: str  # NEWER (1.00.04 is more permissive here), OLDER, or EITHER (each accepts some)
    path: str
    message: str = ""

    def explains(self, issue: SchemaIssue) -> bool:
        return bool(re.search(self.path, issue.path) and re.search(self.message, issue.message))


RELEASE_DIFFERENCES = (
    ReleaseDifference("nil debiteurnummer (ERR489944)", NEWER,
                      r"/FIN:wordtBetaaldDoor(Niet)?NatuurlijkPersoonAlsDebiteur(\[\d+\])?/FIN:debiteurnummer(\[\d+\])?$",
                      r"^The element is not 'nillable'\.$"),
    ReleaseDifference("aanduidingInhoudingVermissing R (BG ERR0433)", NEWER, r"/BG:aanduidingInhoudingVermissing$",
                      r"^\[facet 'enumeration'\] The value 'R' is not an element of the set"),
    ReleaseDifference("zaak status selection without gerelateerde (ZKN patch 27)", NEWER,
                      r"/FIN:(gelijk|start)/.*/ZKN:heeft(\[\d+\])?(/[^/]+)?$",
                      r"Expected is \( ZKN:gerelateerde \)\.$"),
    ReleaseDifference("StUF-berichtenSet holds any elements, checked laxly (StUF ERR0452)", NEWER,
                      r"/StUF:StUF-berichtenSet(\[\d+\])?/"),
    ReleaseDifference("aanvullendeElementen has no matchable declaration (StUF ERR0459)", NEWER,
                      r"/StUF:aanvullendeElementen(\[\d+\])?(/|$)"),
    ReleaseDifference("wozWaarde in a scope has the answer type (ZKN ERR0421)", EITHER,
                      r"/FIN:scope/.*/ZKN:wozWaarde(\[\d+\])?(/|$)"),
)


def explained(builtin: list[SchemaIssue], older: list[SchemaIssue]) -> list[str] | None:
    """The documented differences behind different verdicts of the built-in set (``builtin``: its issues) and
    release 1.00.03 (``older``); None when an issue of the refusing side is not explained."""
    refusing, accepted_by = (older, NEWER) if not builtin else (builtin, OLDER)
    candidates = [d for d in RELEASE_DIFFERENCES if d.accepted_by in (accepted_by, EITHER)]
    names = []
    for issue in refusing:
        match = next((d for d in candidates if d.explains(issue)), None)
        if match is None:
            return None
        names.append(match.name)
    return sorted(set(names))
