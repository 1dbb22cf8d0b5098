"""Fixtures for the FIN domain and store tests: the official kit, and a fresh database per test.

``store`` runs every test on a SQLite file and on the real PostgreSQL (``$STUF_FIN_TEST_POSTGRES_URL``,
default ``postgresql://postgres@127.0.0.1:5432/test``), each test in its own schema.  When
PostgreSQL cannot be reached the PostgreSQL variants fail, unless that variable is ``skip``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `bench` lives at the top of the repository
    sys.path.insert(0, str(REPO))

from stuf_fin.namespaces import F, S  # noqa: E402
from stuf_fin.selftest import generator as g  # noqa: E402
from stuf_fin.store.db import Store  # noqa: E402
from tests.support.kit import KIT, KIT_MESSAGES, OFFICIAL_SCHEMAS  # noqa: E402
from tests.support.postgres import fresh_postgres_schema  # noqa: E402


@pytest.fixture(scope="session")
def fin_kit() -> Path:
    """The official StUF-FIN kit folder (skips when it is not on this machine)."""
    if not KIT_MESSAGES.is_dir():
        pytest.skip(f"needs the official StUF-FIN kit at {KIT} (set STUF_FIN_KIT to its folder)")
    return KIT


@pytest.fixture(scope="session")
def official_schema_dir(fin_kit: Path) -> Path:
    """The official release the built-in set follows (1.00.04)."""
    return OFFICIAL_SCHEMAS


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of the test PostgreSQL with a fresh, empty schema first in the search_path."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """Like ``postgres_url``, one schema for a whole test module (e.g. for a gateway the module shares)."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def proxied_postgres(postgres_url: str) -> Iterator[tuple[str, Any]]:
    """(URL of ``postgres_url`` through a TCP proxy the test can cut or black-hole, the proxy)."""
    from sqlalchemy.engine import make_url

    from bench.tcpproxy import TcpProxy

    url = make_url(postgres_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (not migrated): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stuf-fin.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated, empty store on each database."""
    s = Store(database_url)
    s.upgrade()
    try:
        yield s
    finally:
        s.dispose()


def tree_differences(a: etree._Element, b: etree._Element, path: str = "") -> list[str]:
    """Differences between two element trees: tags, attributes, text of leaves (exact), children.

    Whitespace between elements and comments are not content and are ignored.
    """
    path = f"{path}/{etree.QName(a).localname}"
    if a.tag != b.tag:
        return [f"{path}: tag {a.tag} != {b.tag}"]
    found = []
    if dict(a.attrib) != dict(b.attrib):
        found.append(f"{path}: attributes {dict(a.attrib)} != {dict(b.attrib)}")
    kids_a = [c for c in a if isinstance(c.tag, str)]
    kids_b = [c for c in b if isinstance(c.tag, str)]
    if not kids_a and not kids_b:
        if "".join(a.itertext()) != "".join(b.itertext()):
            found.append(f"{path}: text {''.join(a.itertext())!r} != {''.join(b.itertext())!r}")
        return found
    if len(kids_a) != len(kids_b):
        names = [[etree.QName(c).localname for c in kids] for kids in (kids_a, kids_b)]
        return [*found, f"{path}: children {names[0]} != {names[1]}"]
    for x, y in zip(kids_a, kids_b, strict=True):
        found += tree_differences(x, y, path)
    return found


@pytest.fixture
def xml_differences():
    """``tree_differences(a, b)``: the ways two element trees differ (empty when equal)."""
    return tree_differences


NO_VALUE = S + "noValue"


@pytest.fixture
def odd_vordering_message() -> bytes:
    """A vordering with nil values, attributes, a comment, odd lexical forms and a year after 9999."""
    spec = g.random_vordering(random.Random(1), 7, today=date(2025, 3, 1))
    spec.regels = spec.regels[:1]
    spec.totaalregels_btw = [(spec.regels[0].btw_categorie, spec.regels[0].bedrag_btw)]
    spec.factuurnummer, spec.taaknummer, spec.indicator_factuur_uitgestuurd = "F1", "T1", "N"
    spec.factuurdatum, spec.vervaldatum = date(2025, 3, 2), date(2025, 4, 1)
    spec.incasso = g.IncassoSpec("MK", date(2024, 1, 1), g.iban(random.Random(1), "RABO"), "RABONL2U")
    spec.invorderingsregime, spec.termijnen = "TV", [g.TermijnSpec(date(2025, 5, 1), 100, date(2025, 5, 15))]
    spec.status = g.StatusSpec("ONV", "2025-03-01T10:00:00", opmerkingen="x")
    spec.debiteur = g.DebiteurSpec(g.NnpSpec("001234560", "Bedrijf", "bv"))
    spec.sleutel_verzendend = "abc"
    root = etree.fromstring(g.di01_vordering([spec], referentienummer="r1", tijdstip="20250301"))
    obj = next(root.iter(F + "object"))

    def field(name: str, parent: etree._Element = obj) -> etree._Element:
        return parent.find(F + name)

    nil = {f"{{{g.XSI}}}nil": "true", NO_VALUE: "geenWaarde"}
    factuurnummer = field("factuurnummer")
    factuurnummer.text = None
    factuurnummer.attrib.update(nil)
    field("factuurdatum").text = "12345-06-07"
    field("vervaldatum").text = "2025-04-01+01:00"
    field("creatiedatum").text = "2025-02-27Z"
    field("taaknummer").text = ""
    omschrijving = field("algemeneFactuuromschrijving")
    omschrijving.text = "Heffing "
    omschrijving.append(etree.Comment(" intern "))
    omschrijving[0].tail = " 2025"
    field("totaalbedragBTW").text = "+" + field("totaalbedragBTW").text
    field("eenheid", field("vorderingsregel")).set(S + "exact", "false")
    totaalregel = field("totaalregelsBTW")
    for child in list(totaalregel):
        totaalregel.remove(child)
    totaalregel.set(f"{{{g.XSI}}}nil", "true")  # a group takes no StUF:noValue
    bic = field("bic", field("automatischeIncasso"))
    bic.text = None
    bic.attrib.update({f"{{{g.XSI}}}nil": "true", NO_VALUE: "waardeOnbekend"})
    opmerkingen = field("opmerkingen", field("vorderingstatus"))
    opmerkingen.text = None
    opmerkingen.set(f"{{{g.XSI}}}nil", "true")
    debiteur = field("wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur")
    for child in list(debiteur):
        debiteur.remove(child)
    debiteur.attrib.update({f"{{{g.XSI}}}nil": "true", NO_VALUE: "waardeOnbekend"})
    return etree.tostring(root)
