"""Which VNG release a schema folder is, as far as the headers of its schema documents say.

The VNG StUF-FIN releases do not write their own release number (1.00.03, 1.00.04) into any schema
document.  What the headers do state:

* ``xs:annotation/xs:appinfo`` of every StUF, BG and ZKN document: ``StUF:patch`` (the patch level of the
  StUF standards, e.g. ``27``) and ``StUF:patchdatum`` (``YYYYMMDD``), next to ``StUF:onderdeel`` and
  ``StUF:schemaversie``;
* ``xs:annotation/xs:documentation``: change records naming the errata they fix (``ERR0452``, and in the FIN
  entity document of 1.00.04 ``ERR489944``, the nillable ``debiteurnummer``).

:func:`read_header` collects these from every document of a release, tolerating missing, empty and
malformed values (they are ignored); :func:`recognise_release` names the release when the facts match
one we know (:data:`KNOWN_RELEASES`).  Anything else is "unknown": the folder still loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from stuf_fin.namespaces import XS

_ANNOTATION = f"{{{XS}}}annotation"
_APPINFO = f"{{{XS}}}appinfo"
_DOCUMENTATION = f"{{{XS}}}documentation"
_ERRATUM = re.compile(r"\bERR\s?-?(\d{3,})\b")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True)
class KnownRelease:
    """Header facts that identify one VNG release of the StUF-FIN schemas."""

    release: str
    patch: int
    with_errata: frozenset[str] = frozenset()
    without_errata: frozenset[str] = frozenset()


#: The releases whose folders we can name, newest first (facts read from the two official folders).
KNOWN_RELEASES = (
    KnownRelease("1.00.04", patch=27, with_errata=frozenset({"ERR489944"})),
    KnownRelease("1.00.03", patch=24, without_errata=frozenset({"ERR489944"})),
)


@dataclass(frozen=True)
class HeaderFacts:
    """What the headers of a folder's schema documents state about its version."""

    patch: int | None = None  # the highest StUF:patch
    patch_date: str | None = None  # StUF:patchdatum of that patch, as YYYY-MM-DD
    errata: frozenset[str] = field(default_factory=frozenset)  # ERRnnn named in the headers' documentation


def read_header(roots: Iterable[etree._Element]) -> HeaderFacts:
    """The header facts of the schema documents ``roots`` (their ``xs:schema`` elements)."""
    patches: list[tuple[int, str | None]] = []
    errata: set[str] = set()
    for root in roots:
        for annotation in root.iterchildren(_ANNOTATION):
            for appinfo in annotation.iterchildren(_APPINFO):
                values = {etree.QName(el).localname: (el.text or "").strip()
                          for el in appinfo.iterchildren() if isinstance(el.tag, str)}
                if values.get("patch", "").isdigit():
                    patches.append((int(values["patch"]), _date(values.get("patchdatum", ""))))
            for documentation in annotation.iterchildren(_DOCUMENTATION):
                errata.update(f"ERR{number}" for number in _ERRATUM.findall("".join(documentation.itertext())))
    if not patches:
        return HeaderFacts(errata=frozenset(errata))
    patch = max(number for number, _ in patches)
    dates = sorted(d for number, d in patches if number == patch and d)
    return HeaderFacts(patch, dates[-1] if dates else None, frozenset(errata))


def recognise_release(facts: HeaderFacts) -> str | None:
    """The known release these facts identify, or None."""
    for known in KNOWN_RELEASES:
        if (facts.patch == known.patch and known.with_errata <= facts.errata
                and not known.without_errata & facts.errata):
            return known.release
    return None


def _date(value: str) -> str | None:
    match = _DATE.match(value)
    return "-".join(match.groups()) if match else None
