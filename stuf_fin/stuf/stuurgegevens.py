"""Reading StUF ``stuurgegevens`` (control data) from a message element."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.namespaces import STUF

_S = f"{{{STUF}}}"


@dataclass(frozen=True)
class Systeem:
    """A StUF address: organisatie, applicatie, administratie, gebruiker ("" when absent)."""

    organisatie: str = ""
    applicatie: str = ""
    administratie: str = ""
    gebruiker: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.organisatie, self.applicatie, self.administratie, self.gebruiker) if p)

    @classmethod
    def from_element(cls, el: etree._Element | None) -> Systeem | None:
        if el is None:
            return None
        return cls(*(_text(el.find(_S + name)) for name in ("organisatie", "applicatie", "administratie",
                                                              "gebruiker")))


def gateway_systeem(settings: Settings) -> Systeem | None:
    """The gateway's own Systeem (its ``organisatie`` and ``applicatie`` settings); None without an applicatie."""
    return Systeem(settings.organisatie or "", settings.applicatie) if settings.applicatie else None


@dataclass(frozen=True)
class Stuurgegevens:
    """The stuurgegevens of a received message, as far as they are present."""

    berichtcode: str = ""
    zender: Systeem | None = None
    ontvanger: Systeem | None = None
    referentienummer: str = ""
    tijdstip_bericht: str = ""
    cross_refnummer: str = ""
    entiteittype: str = ""
    functie: str = ""


def read_stuurgegevens(message: etree._Element) -> Stuurgegevens:
    """The stuurgegevens of any StUF message (the first child named ``stuurgegevens``).

    Works on schema-invalid messages too: missing parts stay empty.
    """
    sg = next((c for c in message if isinstance(c.tag, str) and etree.QName(c).localname == "stuurgegevens"),
              None)
    if sg is None:
        return Stuurgegevens()
    return Stuurgegevens(
        berichtcode=_text(sg.find(_S + "berichtcode")),
        zender=Systeem.from_element(sg.find(_S + "zender")),
        ontvanger=Systeem.from_element(sg.find(_S + "ontvanger")),
        referentienummer=_text(sg.find(_S + "referentienummer")),
        tijdstip_bericht=_text(sg.find(_S + "tijdstipBericht")),
        cross_refnummer=_text(sg.find(_S + "crossRefnummer")),
        entiteittype=_text(sg.find(_S + "entiteittype")),
        functie=_text(sg.find(_S + "functie")),
    )


def _text(el: etree._Element | None) -> str:
    return (el.text or "") if el is not None else ""
