"""Our WSDLs (xsd/*.wsdl): zeep loads them from the files, from ``wsdl_for()`` and from a running gateway, and
they describe the same services, operations, soapActions and message elements as the VNG releases 1.00.03 and
1.00.04 (the FIN WSDLs of the two releases state the same facts)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import zeep
from lxml import etree
from zeep.transports import Transport

from stuf_fin.namespaces import FIN, STUF
from stuf_fin.schema.loader import builtin_dir
from stuf_fin.soap import wsdl
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG
from tests.support.kit import RELEASES, requires_kit
from tests.support.server import start_server

XSD = builtin_dir()
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
FILES = wsdl.WSDL_FILES


def fin(name: str) -> str:
    return f"{{{FIN}}}{name}"


def stuf(name: str) -> str:
    return f"{{{STUF}}}{name}"


def di01(name: str) -> tuple:
    return (f"{FIN}/{name}", (fin(name), fin(name)), (stuf("Bv03"), stuf("Bv03Bericht")),
            ("fout", stuf("Fo03"), stuf("Fo03Bericht")))


#: operation -> soapAction, (input message, element), (output message, element), (fault, message, element)
EXPECTED = {
    PORT_KENNISGEVING: {
        "Bv03": (f"{STUF}/Bv03", (stuf("Bv03"), stuf("Bv03Bericht")), (stuf("Bv03"), stuf("Bv03Bericht")),
                 ("fout", stuf("Fo03"), stuf("Fo03Bericht"))),
        "Fo03": (f"{STUF}/Fo03", (stuf("Fo03"), stuf("Fo03Bericht")), (stuf("Bv03"), stuf("Bv03Bericht")),
                 ("fout", stuf("Fo03"), stuf("Fo03Bericht"))),
        "Di01-verstrekVordering": di01("Di01-verstrekVordering"),
        "Di01-verstrekVorderingStatusWijziging": di01("Di01-verstrekVorderingStatusWijziging"),
        "Di01-verstrekFinancieleVerantwoording": di01("Di01-verstrekFinancieleVerantwoording"),
    },
    PORT_VRAAG: {
        "vrdLv01": (f"{FIN}/vrdLv01", (fin("vrdLv01"), fin("vrdLv01")), (fin("vrdLa01"), fin("vrdLa01")),
                    ("fout", stuf("Fo02"), stuf("Fo02Bericht"))),
    },
}


def describe(client: zeep.Client) -> dict:
    """service/port/binding/portType names and every operation as zeep understood it."""
    [(service_name, service)] = client.wsdl.services.items()
    [(port_name, port)] = service.ports.items()
    binding = port.binding
    operations = {}
    for name, operation in binding.all().items():
        abstract = operation.abstract

        def part(message) -> tuple[str, str]:
            [(part_name, body)] = message.parts.items()
            assert part_name == "body"
            return str(message.name), str(body.element.qname)

        [(fault_name, fault)] = abstract.fault_messages.items()
        assert operation.style == "document"
        operations[name] = (operation.soapaction, part(abstract.input_message), part(abstract.output_message),
                            (fault_name, *part(fault)))
    names = (service_name, port_name, str(binding.name), str(binding.port_type.name))
    return {"names": names, "address": port.binding_options["address"], "operations": operations}


def expected_names(port: str) -> tuple[str, str, str, str]:
    return port, port, fin(f"SOAP{port}"), fin(port)


@pytest.mark.parametrize("port", [PORT_KENNISGEVING, PORT_VRAAG])
def test_zeep_loads_our_wsdl_files(port: str) -> None:
    found = describe(zeep.Client(str(XSD / FILES[port])))
    assert found["names"] == expected_names(port)
    assert found["operations"] == EXPECTED[port]


def test_the_stuf_messages_come_from_a_stuf_wsdl() -> None:
    stuf_wsdl = etree.parse(str(XSD / "stuf0301.wsdl")).getroot()
    assert stuf_wsdl.get("targetNamespace") == STUF
    messages = {m.get("name"): [(p.get("name"), p.get("element")) for p in m] for m in stuf_wsdl.iter(
        f"{{{WSDL_NS}}}message")}
    assert messages == {"Bv03": [("body", "StUF:Bv03Bericht")], "Fo02": [("body", "StUF:Fo02Bericht")],
                        "Fo03": [("body", "StUF:Fo03Bericht")]}
    for name in FILES.values():
        root = etree.parse(str(XSD / name)).getroot()
        imports = [(i.get("namespace"), i.get("location")) for i in root.iter(f"{{{WSDL_NS}}}import")]
        assert imports == [(STUF, "stuf0301.wsdl")]
        local = {m.get("name") for m in root.iter(f"{{{WSDL_NS}}}message")}
        assert not local & {"Bv03", "Fo02", "Fo03"}, f"{name} declares StUF messages itself"


class GatewayFiles(Transport):
    """What a gateway at ``base`` would serve, from ``wsdl_for()`` and ``schema_file()``, without a server."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base
        self.loaded: list[str] = []

    def _load_remote_data(self, url: str) -> bytes:
        self.loaded.append(url)
        assert url.startswith(self.base + "/"), f"zeep asked for {url}"
        path, _, query = url[len(self.base) + 1:].partition("?")
        if query == "wsdl":
            return wsdl.wsdl_for(path, self.base)
        assert path.startswith("xsd/")
        content = wsdl.schema_file(path[4:])
        assert content is not None, f"not served: {url}"
        return content


@pytest.mark.parametrize("port", [PORT_KENNISGEVING, PORT_VRAAG])
def test_served_wsdl_loads_with_absolute_locations(port: str) -> None:
    base = "https://gateway.example.nl:8443/stuf"
    transport = GatewayFiles(base)
    found = describe(zeep.Client(f"{base}/{port}?wsdl", transport=transport))
    assert found["address"] == f"{base}/{port}"
    assert found["operations"] == EXPECTED[port]
    assert f"{base}/xsd/stuf0301.wsdl" in transport.loaded
    assert f"{base}/xsd/fin0310.xsd" in transport.loaded and f"{base}/xsd/gml.xsd" in transport.loaded


def test_schema_file_serves_only_plain_names_from_xsd() -> None:
    assert wsdl.schema_file("stuf0301.wsdl") == (XSD / "stuf0301.wsdl").read_bytes()
    assert wsdl.schema_file("bg0310-simpleTypes.xsd") == (XSD / "bg0310-simpleTypes.xsd").read_bytes()
    for name in ("../pyproject.toml", "..%2Fpyproject.toml", "/etc/passwd", "missing.xsd", "fin0310.xsd.bak", ""):
        assert wsdl.schema_file(name) is None, name


def test_zeep_loads_the_wsdls_from_a_running_gateway(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        for port in (PORT_KENNISGEVING, PORT_VRAAG):
            found = describe(zeep.Client(f"{server.url}/{port}?wsdl"))
            assert found["names"] == expected_names(port)
            assert found["address"] == f"{server.url}/{port}"
            assert found["operations"] == EXPECTED[port]
        response = httpx.get(f"{server.url}/xsd/stuf0301.wsdl", timeout=10)
        assert response.status_code == 200 and b'name="Fo02"' in response.content
    finally:
        server.stop()


# -- against the release ------------------------------------------------------------------------------------

OFFICIAL_WSDL = {
    PORT_KENNISGEVING: "fin0310/proces/fin0310_verstrekVorderingOfVerantwoording_proces.wsdl",
    PORT_VRAAG: "fin0310/vraagAntwoord/fin0310_beantwoordVraag.wsdl",
}


def facts(path: Path) -> dict:
    """Names, operations, soapActions and message parts of a WSDL and the WSDLs it imports, read as plain XML."""
    roots = [etree.parse(str(path)).getroot()]
    roots += [etree.parse(str(path.parent / i.get("location"))).getroot()
              for i in roots[0].iter(f"{{{WSDL_NS}}}import")]

    def qname(node: etree._Element, value: str) -> str:
        prefix, _, local = value.rpartition(":")
        return f"{{{node.nsmap[prefix or None]}}}{local}"

    parts = {f"{{{r.get('targetNamespace')}}}{m.get('name')}": [(p.get("name"), qname(p, p.get("element")))
                                                              for p in m.iter(f"{{{WSDL_NS}}}part")]
             for r in roots for m in r.iter(f"{{{WSDL_NS}}}message")}
    root = roots[0]
    port_type = root.find(f"{{{WSDL_NS}}}portType")
    binding = root.find(f"{{{WSDL_NS}}}binding")
    service = root.find(f"{{{WSDL_NS}}}service")
    operations = {}
    for op in port_type.iter(f"{{{WSDL_NS}}}operation"):
        messages = [(child.tag.split("}")[1], child.get("name"), qname(child, child.get("message")))
                    for child in op if child.tag in (f"{{{WSDL_NS}}}input", f"{{{WSDL_NS}}}output",
                                                     f"{{{WSDL_NS}}}fault")]
        operations[op.get("name")] = [(kind, name, message, parts[message]) for kind, name, message in messages]
    actions = {op.get("name"): op.find(f"{{{SOAP_NS}}}operation").get("soapAction")
               for op in binding.iter(f"{{{WSDL_NS}}}operation")}
    style = {b.get("style") for b in binding.iter(f"{{{SOAP_NS}}}binding")}
    uses = {b.get("use") for b in binding.iter(f"{{{SOAP_NS}}}body", f"{{{SOAP_NS}}}fault")}
    port = service.find(f"{{{WSDL_NS}}}port")
    return {"targetNamespace": root.get("targetNamespace"), "portType": port_type.get("name"),
            "binding": (binding.get("name"), qname(binding, binding.get("type")), style, uses),
            "service": (service.get("name"), port.get("name"), qname(port, port.get("binding"))),
            "operations": operations, "soapActions": actions}


@requires_kit
@pytest.mark.parametrize("release", list(RELEASES))
@pytest.mark.parametrize("port", [PORT_KENNISGEVING, PORT_VRAAG])
def test_our_wsdl_states_the_same_facts_as_the_release(port: str, release: str) -> None:
    assert facts(XSD / FILES[port]) == facts(RELEASES[release] / OFFICIAL_WSDL[port])

