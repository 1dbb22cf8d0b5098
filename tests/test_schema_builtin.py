"""The built-in schema set (xsd/) on its own: it compiles offline, accepts what we send, and reports
what it rejects with a line, an element path and a short message.  No official kit needed."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from lxml import etree

from stuf_fin.envelope import body_element
from stuf_fin.errors import DETAILS_MAX
from stuf_fin.namespaces import FIN, XS
from stuf_fin.schema import SchemaIssue, get_validator, parse_bytes, summarize
from stuf_fin.schema.loader import BUILTIN_ENTRY, MESSAGE_ELEMENTS, builtin_dir
from stuf_fin.schema.validator import MAX_ISSUES
from stuf_fin.selftest import generator as g

DATA = Path(__file__).parent / "data" / "schema"
XSD = builtin_dir()
WSDL = "http://schemas.xmlsoap.org/wsdl/"


def validate(data: bytes, limit: int = MAX_ISSUES) -> list[SchemaIssue]:
    return get_validator().validate(body_element(parse_bytes(data).getroot()), limit=limit)


def pretty(data: bytes) -> bytes:
    """One element per line, so that a test knows the line of every element."""
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(data, parser), pretty_print=True, xml_declaration=True,
                          encoding="UTF-8")


def line_of(data: bytes, needle: bytes) -> int:
    return data[:data.index(needle)].count(b"\n") + 1


# -- the set itself ---------------------------------------------------------------------------------------

def test_builtin_set_compiles_from_its_entry_with_no_network_and_no_resolver() -> None:
    entry = XSD / BUILTIN_ENTRY
    etree.XMLSchema(file=str(entry))
    offline = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)  # and no resolvers
    schema = etree.XMLSchema(etree.parse(str(entry), offline))
    assert schema.validate(etree.fromstring(g.di01_vordering(1, rng=random.Random(5))))


def test_builtin_files_only_refer_to_each_other_one_document_per_namespace() -> None:
    files = sorted(XSD.glob("*.xsd")) + sorted(XSD.glob("*.wsdl"))
    assert {p.name for p in files} >= {BUILTIN_ENTRY, "stuf0301.xsd", "bg0310.xsd", "zkn0310.xsd", "gml.xsd",
                                       "xlink.xsd", "stuf0301.wsdl", "fin0310_beantwoordVraag.wsdl",
                                       "fin0310_verstrekVorderingOfVerantwoording.wsdl"}
    document_of: dict[str, set[str]] = {}
    for path in files:
        root = etree.parse(str(path)).getroot()
        for node in root.iter(f"{{{XS}}}import", f"{{{XS}}}include", f"{{{WSDL}}}import"):
            location = node.get("schemaLocation") or node.get("location")
            assert location and "/" not in location and ":" not in location, f"{path.name}: {location}"
            assert (XSD / location).is_file(), f"{path.name} refers to missing {location}"
            if node.tag == f"{{{XS}}}import":
                document_of.setdefault(node.get("namespace"), set()).add(location)
    several = {ns: files for ns, files in document_of.items() if len(files) > 1}
    assert not several, f"a namespace imported from several documents (libxml2 keeps only the first): {several}"


def test_builtin_set_declares_the_eight_message_elements() -> None:
    declared = set()
    for path in XSD.glob("*.xsd"):
        root = etree.parse(str(path)).getroot()
        declared |= {(root.get("targetNamespace"), el.get("name")) for el in root.iterchildren(f"{{{XS}}}element")}
    assert set(MESSAGE_ELEMENTS) <= declared


# -- what we send is valid --------------------------------------------------------------------------------

def generated(seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    specs = [g.random_vordering(rng, i) for i in range(40)]
    return {
        "vordering-1": g.di01_vordering(1, rng=rng, start=500),
        "vordering-40": g.di01_vordering(specs),
        "status": g.di01_statuswijziging([g.status_for(s, rng.choice(["VRW", "VRS", "BET", "INV", "OVE"]))
                                          for s in specs[:10]]),
        "verantwoording": g.di01_financiele_verantwoording(12, rng=rng),
        "vrdLv01": g.vrdLv01(specs[0].vorderingnummer, tsa=specs[0].tsa, maximum_aantal=5),
        "vrdLv01-bare": g.vrdLv01(None, scope=None, zender=None, ontvanger=None),
        "vrdLv01-envelope": g.soap(g.vrdLv01("X", scope="kerngegevens", sortering=1)),
        "vordering-envelope": g.soap(g.di01_vordering(3, rng=rng)),
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_generated_messages_are_valid(seed: int) -> None:
    for name, data in generated(seed).items():
        assert validate(data) == [], name


@pytest.mark.parametrize("path", sorted(DATA.glob("*.xml")), ids=lambda p: p.stem)
def test_hand_made_deep_messages_are_valid(path: Path) -> None:
    assert validate(path.read_bytes()) == []


# -- what is rejected is located --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vordering() -> bytes:
    """Two vorderingen, one element per line."""
    rng = random.Random(42)
    specs = [g.random_vordering(rng, i) for i in range(2)]
    for spec in specs:
        spec.incasso = g.IncassoSpec("MK-1", specs[0].creatiedatum, "NL91ABNA0417164300", None)
    data = pretty(g.di01_vordering(specs, referentienummer="ref-1", tijdstip="20250301"))
    assert validate(data) == []
    return data


def replace_nth(data: bytes, pattern: bytes, new: bytes, n: int) -> tuple[bytes, int]:
    """``data`` with the ``n``-th match of ``pattern`` replaced, and the line of that match."""
    match = list(re.finditer(pattern, data))[n - 1]
    return data[:match.start()] + new + data[match.end():], data[:match.start()].count(b"\n") + 1


@pytest.mark.parametrize(("pattern", "new", "n", "path", "fragment"), [
    (rb"<FIN:valutacode>EUR</FIN:valutacode>", b"<FIN:valutacode>XYZ</FIN:valutacode>", 2,
     "/FIN:Di01-verstrekVordering/FIN:vrdLk01[2]/FIN:object/FIN:valutacode",
     "[facet 'enumeration'] The value 'XYZ' is not an element of the set {'AED', "),
    (rb"<FIN:rekeningnummer>NL91", b"<FIN:rekeningnummer>nl91", 1,
     "/FIN:Di01-verstrekVordering/FIN:vrdLk01[1]/FIN:object/FIN:automatischeIncasso/FIN:rekeningnummer",
     "[facet 'pattern']"),
    (rb"<FIN:vorderingnummer>[^<]*<", b"<FIN:vorderingnummer>" + b"9" * 65 + b"<", 2,
     "/FIN:Di01-verstrekVordering/FIN:vrdLk01[2]/FIN:object/FIN:vorderingnummer", "[facet 'maxLength']"),
    (rb'functie="update"', b'functie="delete"', 2, "/FIN:Di01-verstrekVordering/FIN:vrdLk01[2]",
     "attribute 'functie': "),
    (rb"<FIN:totaalbedragBTW>[^<]*<", b"<FIN:totaalbedragBTW>1.5<", 1,
     "/FIN:Di01-verstrekVordering/FIN:vrdLk01[1]/FIN:object/FIN:totaalbedragBTW", "is not a valid value"),
    (rb"<StUF:functie>verstrekVordering<", b"<StUF:functie>verstrekVorderingStatus<", 1,
     "/FIN:Di01-verstrekVordering/FIN:stuurgegevens/StUF:functie", "[facet 'enumeration']"),
    (rb"<FIN:tsa>[^<]*</FIN:tsa>", b'<FIN:tsa xsi:nil="true"/>', 1,
     "/FIN:Di01-verstrekVordering/FIN:vrdLk01[1]/FIN:object/FIN:tsa", "not 'nillable'"),
])
def test_invalid_message_gives_located_short_errors(vordering: bytes, pattern: bytes, new: bytes, n: int, path: str,
                                                    fragment: str) -> None:
    data, line = replace_nth(vordering, pattern, new, n)
    issues = validate(data)
    assert len(issues) == 1, issues
    issue = issues[0]
    assert (issue.line, issue.path) == (line, path)
    assert fragment in issue.message
    assert not issue.message.startswith("Element '"), "the element is in the path, not repeated in the message"
    assert len(str(issue)) <= DETAILS_MAX


def test_missing_and_unexpected_elements_are_located(vordering: bytes) -> None:
    without_tsa = re.sub(rb"\s*<FIN:tsa>[^<]*</FIN:tsa>", b"", vordering, count=1)
    [issue] = validate(without_tsa)
    assert issue.line == line_of(without_tsa, b"<FIN:indicatorFactuurUitgestuurd>")
    assert issue.path.endswith("/FIN:vrdLk01[1]/FIN:object/FIN:indicatorFactuurUitgestuurd")
    assert "Expected is ( FIN:tsa )" in issue.message

    extra = vordering.replace(b"<StUF:functie>", b"<StUF:crossRefnummer>x</StUF:crossRefnummer>\n<StUF:functie>", 1)
    [issue] = validate(extra)
    assert issue.line == line_of(extra, b"<StUF:crossRefnummer>")
    assert issue.path == "/FIN:Di01-verstrekVordering/FIN:stuurgegevens/StUF:crossRefnummer"
    assert "This element is not expected" in issue.message


def test_errors_in_a_soap_envelope_have_lines_of_the_whole_document() -> None:
    data = pretty(g.soap(g.vrdLv01("V1", maximum_aantal=5)))
    bad = data.replace(b"<StUF:maximumAantal>5<", b"<StUF:maximumAantal>-5<")
    [issue] = validate(bad)
    assert issue.line == line_of(bad, b"<StUF:maximumAantal>") > 5
    assert issue.path == "/FIN:vrdLv01/FIN:parameters/StUF:maximumAantal"


def test_a_root_that_is_no_message_is_reported() -> None:
    [issue] = validate(b"<FIN:vrdLk01 xmlns:FIN='" + FIN.encode() + b"'/>")
    assert "No matching global declaration" in issue.message


def test_summary_of_many_errors_fits_a_stuf055_details() -> None:
    rng = random.Random(3)
    data = pretty(g.di01_vordering(300, rng=rng)).replace(b"<FIN:valutacode>EUR<", b"<FIN:valutacode>XYZ<")
    assert len(validate(data)) == MAX_ISSUES  # by default only the first few are kept
    issues = validate(data, limit=300)
    assert len(issues) == 300
    assert all(i.path.endswith("/FIN:object/FIN:valutacode") for i in issues)
    assert all(len(i.message) < 200 for i in issues), "long value sets are shortened"
    text = summarize(issues)
    assert len(text) <= DETAILS_MAX
    assert text.startswith(str(issues[0]))
    shown = text.count("line ")
    assert 1 <= shown < 300 and text.endswith(f"(+{300 - shown} more)")


def test_summary_edge_cases() -> None:
    assert summarize([]) == ""
    one = SchemaIssue(7, 3, "/FIN:vrdLv01", "x" * 5000)
    text = summarize([one])
    assert len(text) == DETAILS_MAX and text.startswith("line 7: /FIN:vrdLv01: xxx") and "…" in text
    few = [SchemaIssue(n, 1, "/a", "short") for n in range(1, 4)]
    assert summarize(few) == "line 1: /a: short; line 2: /a: short; line 3: /a: short"
    assert len(summarize(few * 200, limit=120)) <= 120
