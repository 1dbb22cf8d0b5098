"""XML namespaces the gateway reads and writes (one place, used by every layer): StUF-FIN's wire format, XML
Schema, SOAP 1.1 and its WSDL binding, and WS-Security."""

# StUF 03.01 and its sector models
STUF = "http://www.egem.nl/StUF/StUF0301"
FIN = "http://www.egem.nl/StUF/sector/fin/0310"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
ZKN = "http://www.egem.nl/StUF/sector/zkn/0310"
GML = "http://www.opengis.net/gml"
# XML Schema
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
# SOAP 1.1, its HTTP transport and its WSDL 1.1 binding; SOAP 1.2 only to recognise (and refuse) it
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_HTTP = "http://schemas.xmlsoap.org/soap/http"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
# WS-Security 1.0: the header elements, wsu:Created, and the URIs of the UsernameToken profile
_WSS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-"
WSSE = _WSS + "wssecurity-secext-1.0.xsd"
WSU = _WSS + "wssecurity-utility-1.0.xsd"
WSS_SOAP_MESSAGE_SECURITY = _WSS + "soap-message-security-1.0"
WSS_USERNAME_TOKEN = _WSS + "username-token-profile-1.0"

#: Prefixes used in everything we write and in error messages.
PREFIXES = {"StUF": STUF, "FIN": FIN, "BG": BG, "ZKN": ZKN, "gml": GML, "xsi": XSI}


def q(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


#: Clark prefixes of the two namespaces nearly every module builds names in: ``F + "vordering"`` is
#: ``{http://www.egem.nl/StUF/sector/fin/0310}vordering``.  Other namespaces: :func:`q`.
S = q(STUF, "")
F = q(FIN, "")

#: ``xsi:nil``, the attribute of an element that is empty on purpose.
XSI_NIL = q(XSI, "nil")

#: The identifying elements of a gerelateerde in the BG and ZKN sector models: a natuurlijk persoon's BSN, a
#: niet-natuurlijk persoon's id (a debiteur, a vorderende organisatie), a zaak's or organisatorische eenheid's.
BG_BSN = q(BG, "inp.bsn")
BG_NNP_ID = q(BG, "inn.nnpId")
ZKN_IDENTIFICATIE = q(ZKN, "identificatie")


def prefixed(clark: str) -> str:
    """``{FIN-namespace}vordering`` -> ``FIN:vordering`` for messages meant for people."""
    for prefix, uri in PREFIXES.items():
        clark = clark.replace(f"{{{uri}}}", f"{prefix}:")
    return clark
