"""Reading StUF ``stuurgegevens`` (control data) from a message element, and a StUF Systeem as configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.errors import StufFinError
from stuf_fin.namespaces import S

#: The parts of a StUF Systeem, in the order of the schema (and of the ``zender_*``/``ontvanger_*`` columns),
#: each with the longest value StUF allows in it.
SYSTEEM_MAX = {"organisatie": 200, "applicatie": 50, "administratie": 50, "gebruiker": 100}
SYSTEEM_PARTS = tuple(SYSTEEM_MAX)


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
        return cls(*(_text(el.find(S + part)) for part in SYSTEEM_PARTS))


def gateway_systeem(settings: Settings) -> Systeem | None:
    """The gateway's own Systeem (its ``organisatie`` and ``applicatie`` settings); None without an applicatie."""
    return Systeem(settings.organisatie or "", settings.applicatie) if settings.applicatie else None


class SysteemSettingError(StufFinError, ValueError):
    """A Systeem given in the settings or on the command line is unusable; the message says where."""


_CONFIGURABLE = SYSTEEM_PARTS[:3]  # a configured Systeem names no gebruiker


def systeem_setting(value: Any, what: str) -> tuple[Systeem, bool]:
    """A Systeem as configured, ``"organisatie/applicatie[/administratie]"`` or a table with those keys, checked
    like a StUF Systeem (applicatie 3-50 characters, organisatie at most 200, administratie at most 50); and
    whether it names an administratie.  ``what`` names the setting in the :class:`SysteemSettingError`."""
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) not in (2, 3):
            raise SysteemSettingError(f"{what} {value!r} is not \"organisatie/applicatie[/administratie]\"")
        value = dict(zip(_CONFIGURABLE, parts, strict=False))
    if (not isinstance(value, dict) or set(value) - set(_CONFIGURABLE)
            or not all(isinstance(v, str) for v in value.values())):
        raise SysteemSettingError(f"{what} {value!r} must be \"organisatie/applicatie[/administratie]\" or a table "
                                  "of strings: organisatie, applicatie and optionally administratie")
    systeem = Systeem(value.get("organisatie", ""), value.get("applicatie", ""), value.get("administratie", ""))
    too_long = any(len(getattr(systeem, part)) > SYSTEEM_MAX[part] for part in _CONFIGURABLE)
    if len(systeem.applicatie) < 3 or too_long:
        raise SysteemSettingError(f"{what} {value!r}: applicatie must be 3-50 characters, organisatie at most 200, "
                                  "administratie at most 50 (StUF Systeem)")
    return systeem, "administratie" in value


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
        berichtcode=_text(sg.find(S + "berichtcode")),
        zender=Systeem.from_element(sg.find(S + "zender")),
        ontvanger=Systeem.from_element(sg.find(S + "ontvanger")),
        referentienummer=_text(sg.find(S + "referentienummer")),
        tijdstip_bericht=_text(sg.find(S + "tijdstipBericht")),
        cross_refnummer=_text(sg.find(S + "crossRefnummer")),
        entiteittype=_text(sg.find(S + "entiteittype")),
        functie=_text(sg.find(S + "functie")),
    )


def _text(el: etree._Element | None) -> str:
    return (el.text or "") if el is not None else ""
