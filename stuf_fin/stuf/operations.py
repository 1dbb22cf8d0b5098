"""The operations of the two official StUF-FIN ports (the WSDLs' portTypes)."""

from __future__ import annotations

from dataclasses import dataclass

from stuf_fin.namespaces import FIN, STUF

PORT_KENNISGEVING = "VerstrekVorderingOfVerantwoording"
PORT_VRAAG = "BeantwoordVraag"


@dataclass(frozen=True)
class Operation:
    """One WSDL operation: the body element it receives and what it means in StUF terms."""

    name: str
    port: str
    element: str  # Clark name of the message element in the SOAP Body
    soap_action: str
    berichtcode: str
    entiteittype: str = ""
    functie: str = ""

    @property
    def foutbericht(self) -> str:
        """Fo03 on the asynchronous (Di01) port, Fo02 on the synchronous vraag port."""
        return "Fo02" if self.port == PORT_VRAAG else "Fo03"


def _fin(name: str, port: str, berichtcode: str, entiteittype: str = "", functie: str = "") -> Operation:
    return Operation(name, port, f"{{{FIN}}}{name}", f"{FIN}/{name}", berichtcode, entiteittype, functie)


OPERATIONS: tuple[Operation, ...] = (
    _fin("Di01-verstrekVordering", PORT_KENNISGEVING, "Di01", "VRD", "verstrekVordering"),
    _fin("Di01-verstrekVorderingStatusWijziging", PORT_KENNISGEVING, "Di01", "VRD",
         "verstrekVorderngStatusWijzigng"),
    _fin("Di01-verstrekFinancieleVerantwoording", PORT_KENNISGEVING, "Di01", "FVW", "verstrekFinVerantwoording"),
    Operation("Bv03", PORT_KENNISGEVING, f"{{{STUF}}}Bv03Bericht", f"{STUF}/Bv03", "Bv03"),
    Operation("Fo03", PORT_KENNISGEVING, f"{{{STUF}}}Fo03Bericht", f"{STUF}/Fo03", "Fo03"),
    _fin("vrdLv01", PORT_VRAAG, "Lv01", "VRD"),
)

PORTS = (PORT_KENNISGEVING, PORT_VRAAG)


def by_element(port: str) -> dict[str, Operation]:
    """The operations of ``port`` by the Clark name of their body element."""
    return {op.element: op for op in OPERATIONS if op.port == port}
