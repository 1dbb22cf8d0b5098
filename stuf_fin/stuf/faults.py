"""StUF fault codes (StUF 03.01 Tabel 4.1) and the exception that carries one.

Every layer raises :class:`StufFault` (or an exception the pipeline maps to one);
the SOAP layer turns it into a Fo02/Fo03 inside a SOAP Fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from stuf_fin.errors import DETAILS_MAX, StufFinError

#: code -> (plek, omschrijving) as StUF 03.01 defines them.
CATALOGUE: dict[str, tuple[str, str]] = {
    "StUF001": ("server", "Versie StUF niet ondersteund"),
    "StUF010": ("client", "Combinatie van ontvangende organisatie, applicatie en administratie onbekend"),
    "StUF013": ("client", "Combinatie van zendende organisatie, applicatie en administratie onbekend"),
    "StUF016": ("client", "Combinatie zender en referentienummer niet uniek"),
    "StUF019": ("client", "TijdstipBericht niet groter dan voorgaand TijdstipBericht van zender"),
    "StUF022": ("client", "Berichtcode onbekend"),
    "StUF025": ("server", "Berichtcode niet ondersteund"),
    "StUF028": ("client", "Entiteittype onbekend binnen sectormodel"),
    "StUF034": ("client", "Functie onbekend binnen sectormodel"),
    "StUF040": ("server", "Combinatie van berichtcode, entiteittype en functie niet ondersteund"),
    "StUF043": ("client", "Crossreferentienummer niet bekend"),
    "StUF046": ("server", "Opslaan bericht niet mogelijk"),
    "StUF049": ("server", "Proces voor afhandelen synchroon bericht niet beschikbaar"),
    "StUF052": ("client", "Het zendende systeem is niet geautoriseerd voor de gevraagde combinatie van "
                          "berichtcode, entiteittype en functie"),
    "StUF055": ("client", "Berichtbody is niet conform schema in sectormodel"),
    "StUF058": ("server", "Proces voor afhandelen bericht geeft fout"),
    "StUF064": ("server", "Object niet gevonden"),
    "StUF088": ("client", "Meer dan één sleutel gespecificeerd als selectiecriterium"),
    "StUF091": ("client", "Een sleutel en andere elementen gespecificeerd als selectiecriterium"),
    "StUF094": ("server", "Ontvangend systeem registreert sleutel in het verzendende systeem niet"),
    "StUF097": ("client", "Zowel StUF:scope attribuut als inhoud in scope element aanwezig"),
    "StUF133": ("server", "Sortering niet ondersteund"),
    "StUF960": ("server", "Het antwoordende systeem is niet in staat het verzoek af te handelen binnen de "
                          "connection time out"),
}

OMSCHRIJVING_MAX = 200


@dataclass
class StufFault(StufFinError):
    """A StUF fault to answer with (as Fo02 or Fo03, depending on the port)."""

    code: str
    details: str = ""
    plek: str = ""
    omschrijving: str = ""

    def __post_init__(self) -> None:
        plek, omschrijving = CATALOGUE.get(self.code, ("server", "Fout"))
        self.plek = self.plek or plek
        self.omschrijving = (self.omschrijving or omschrijving)[:OMSCHRIJVING_MAX]
        self.details = (self.details or "")[:DETAILS_MAX]
        super().__init__(f"{self.code} {self.omschrijving}: {self.details}")
