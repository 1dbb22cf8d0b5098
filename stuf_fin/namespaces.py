"""XML namespaces of the StUF-FIN wire format (one place, used by every layer)."""

STUF = "http://www.egem.nl/StUF/StUF0301"
FIN = "http://www.egem.nl/StUF/sector/fin/0310"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
ZKN = "http://www.egem.nl/StUF/sector/zkn/0310"
GML = "http://www.opengis.net/gml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

#: Prefixes used in everything we write and in error messages.
PREFIXES = {"StUF": STUF, "FIN": FIN, "BG": BG, "ZKN": ZKN, "gml": GML, "xsi": XSI}


def q(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def prefixed(clark: str) -> str:
    """``{FIN-namespace}vordering`` -> ``FIN:vordering`` for messages meant for people."""
    for prefix, uri in PREFIXES.items():
        clark = clark.replace(f"{{{uri}}}", f"{prefix}:")
    return clark
