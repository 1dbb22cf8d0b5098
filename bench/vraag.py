"""vrdLv01 messages, and the vrdLv01 latency benchmark (docs/benchmarks.md).

Builders (also used by the tests; like :mod:`stuf_fin.selftest.generator` they share no code with ``stuf_fin``)::

    vrdLv01([field("vorderingnummer", "GEN00000001")], scope="alles")
    vrdLv01([field("tsa", "BELASTINGEN"), group("vorderingstatus", field("status", "BET"))], sortering=1)
    vrdLv01([debiteur_bsn("123456782")], scope=scope_object(field("vorderingnummer"), ...))

Benchmark::

    python -m bench.vraag --database sqlite --vorderingen 1000000 [--requests 2000] [--clients 1,16]
    python -m bench.vraag --database postgresql://postgres@127.0.0.1:5432/test --vorderingen 1000000

It loads the vorderingen with the store's bulk insert (once per database file or PostgreSQL schema; later runs
reuse them), starts ``stuf-fin serve``, and measures three questions (by vorderingnummer, by debiteur bsn, by
tsa + status) for 1 and for 16 concurrent clients over HTTP (:mod:`bench.client`), with the bare SQL of the id
query and of the whole store read (the vorderingen with their child rows) measured in the same run.  The raw floor
(:mod:`bench.floor`, the same uvicorn) holds the same number of vorderingen in its own table (the stored XML of
each object, loaded once as well) and answers the vorderingnummer question: parse, validate, one indexed
SELECT through the driver, a fixed vrdLa01 around the stored XML.  Gateway and floor runs alternate.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from bench import common
from bench.client import post_all
from bench.server import start_floor, start_server
from stuf_fin.namespaces import BG, FIN, XSI_NIL, ZKN, F, S, q
from stuf_fin.selftest import generator as g

B, Z = q(BG, ""), q(ZKN, "")
SOAP_ACTION = f"{FIN}/vrdLv01"

#: The order of the top-level elements of ``gelijk``/``scope/object`` (VRD-vraagSelectie, VRD-vraagScope).
ELEMENT_ORDER = [
    "vorderingnummer", "factuurnummer", "creatiedatum", "factuurdatum", "vervaldatum", "tsa",
    "indicatorFactuurUitgestuurd", "algemeneFactuuromschrijving", "valutacode", "totaalbedragExclBTW",
    "totaalbedragBTW", "totaalbedragInclBTW", "taaknummer", "indicatorPubliekrechtelijk", "vorderingsregel",
    "totaalregelsBTW", "automatischeIncasso", "invorderingsSchema", "vorderingstatus", "tijdvakGeldigheid",
    "tijdstipRegistratie", "extraElementen", "wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur",
    "wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur", "heeftAlsVorderendeOrganisatie", "isOntstaanInZaak",
    "heeftBetrekkingOpVordering", "isOpgelegdDoorOrganisatischeEenheid"]


# -- builders ------------------------------------------------------------------------------------------------

def field(name: str, value: object = None, *, ns: str = F, nil: bool = False, no_value: str | None = None,
          exact: bool | None = None) -> etree._Element:
    """A simple element (FIN by default); ``nil``/``no_value``/``exact`` set the StUF attributes."""
    el = etree.Element(ns + name, nsmap=g.NSMAP)
    if value is not None:
        el.text = value.isoformat() if isinstance(value, date) else str(value)
    if nil:
        el.set(XSI_NIL, "true")
    if no_value:
        el.set(S + "noValue", no_value)
    if exact is not None:
        el.set(S + "exact", "true" if exact else "false")
    return el


def group(name: str, *children: etree._Element, ns: str = F, **attributes: str) -> etree._Element:
    """A group or relation element holding ``children`` (attributes: StUF names, e.g. entiteittype)."""
    el = etree.Element(ns + name, {S + k: v for k, v in attributes.items()}, nsmap=g.NSMAP)
    el.extend(children)
    return el


def debiteur_bsn(bsn: str, **kw) -> etree._Element:
    return group("wordtBetaaldDoorNatuurlijkPersoonAlsDebiteur",
                 group("gerelateerde", field("inp.bsn", bsn, ns=B, **kw), entiteittype="NPS"), entiteittype="VRDNPSDEB")


def debiteur_nnp(nnp_id: str) -> etree._Element:
    return group("wordtBetaaldDoorNietNatuurlijkPersoonAlsDebiteur",
                 group("gerelateerde", field("inn.nnpId", nnp_id, ns=B), entiteittype="NNP"), entiteittype="VRDNNPDEB")


def debiteurnummer(number: str, natural: bool = True) -> etree._Element:
    name = "wordtBetaaldDoor" + ("" if natural else "Niet") + "NatuurlijkPersoonAlsDebiteur"
    return group(name, field("debiteurnummer", number), entiteittype="VRDNPSDEB" if natural else "VRDNNPDEB")


def organisatie(nnp_id: str) -> etree._Element:
    return group("heeftAlsVorderendeOrganisatie",
                 group("gerelateerde", field("inn.nnpId", nnp_id, ns=B), entiteittype="NNP"), entiteittype="VRDNNPVOR")


def zaak(identificatie: str) -> etree._Element:
    return group("isOntstaanInZaak", group("gerelateerde", field("identificatie", identificatie, ns=Z),
                                           entiteittype="ZAK"), entiteittype="VRDZAK")


def _order(children: Iterable[etree._Element]) -> list[etree._Element]:
    def position(el: etree._Element) -> int:
        name = etree.QName(el).localname
        return ELEMENT_ORDER.index(name) if name in ELEMENT_ORDER else len(ELEMENT_ORDER)
    return sorted(children, key=position)


def scope_object(*children: etree._Element) -> etree._Element:
    """A ``scope/object`` asking for ``children`` (put in schema order)."""
    obj = etree.Element(F + "object", {S + "entiteittype": "VRD"}, nsmap=g.NSMAP)
    obj.extend(_order(children))
    return obj


def vrdLv01(gelijk: list[etree._Element] | None = None, *, scope: str | etree._Element | None = "alles",
            sortering: int = 0, maximum_aantal: int | None = None, start: etree._Element | None = None,
            sleutel: dict[str, str] | None = None, zender: g.Systeem | None = g.ZENDER,
            ontvanger: g.Systeem | None = g.ONTVANGER) -> bytes:
    """A ``FIN:vrdLv01``.  ``gelijk``: its elements (ordered here); ``scope``: a ``StUF:scope`` value or a
    ``scope_object``; ``start``: a ``FIN:object`` for a follow-up; ``sleutel``: key attributes on gelijk
    (e.g. ``{"sleutelOntvangend": "12"}``)."""
    root = etree.Element(F + "vrdLv01", nsmap=g.NSMAP)
    sg = etree.SubElement(root, F + "stuurgegevens")
    etree.SubElement(sg, S + "berichtcode").text = "Lv01"
    for tag, systeem in (("zender", zender), ("ontvanger", ontvanger)):
        if systeem is not None:
            el = etree.SubElement(sg, S + tag)
            for name in ("organisatie", "applicatie", "administratie", "gebruiker"):
                if getattr(systeem, name):
                    etree.SubElement(el, S + name).text = getattr(systeem, name)
    etree.SubElement(sg, S + "entiteittype").text = "VRD"
    parameters = etree.SubElement(root, F + "parameters")
    etree.SubElement(parameters, S + "sortering").text = str(sortering)
    if maximum_aantal is not None:
        etree.SubElement(parameters, S + "maximumAantal").text = str(maximum_aantal)
    if gelijk is not None or sleutel:
        el = etree.SubElement(root, F + "gelijk", {S + "entiteittype": "VRD"})
        for name, value in (sleutel or {}).items():
            el.set(S + name, value)
        el.extend(_order(gelijk or []))
    if scope is not None:
        scope_el = etree.SubElement(root, F + "scope")
        if isinstance(scope, str):
            etree.SubElement(scope_el, F + "object", {S + "entiteittype": "VRD", S + "scope": scope})
        else:
            scope_el.append(scope)
    if start is not None:
        etree.SubElement(root, F + "start").append(start)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


# -- benchmark: data -----------------------------------------------------------------------------------------

BENCH_TSAS = ("BELASTINGEN", "VERGUNNINGEN", "PARKEREN", "SPORT", "MARKTEN")
BENCH_STATUSES = ("ONV", "VRW", "VRS", "BET", "INV", "OVE")
TEMPLATE_COUNT = 500  # distinct generated vorderingen the bench data is made from
PER_BSN = 3  # vorderingen per natural person


def bench_bsn(n: int) -> str:
    """The ``n``-th number passing the 11-test (deterministic, 9 digits)."""
    candidate = 100_000_000 + n * 11
    while True:
        digits = [int(c) for c in f"{candidate:09d}"]
        if sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0:
            return f"{candidate:09d}"
        candidate += 1


def bench_vorderingnummer(i: int) -> str:
    return f"BENCH{i:09d}"


def bench_tsa(i: int) -> str:
    return BENCH_TSAS[i % len(BENCH_TSAS)]


def bench_status(i: int) -> str:
    return BENCH_STATUSES[(i // len(BENCH_TSAS)) % len(BENCH_STATUSES)]


def _template_message() -> bytes:
    """A Di01 of the generated vorderingen (natural-person debiteur) the bench data is made from."""
    rng = random.Random(2025)
    specs = []
    for i in range(TEMPLATE_COUNT):
        spec = g.random_vordering(rng, i, prefix="SJABLOON", today=date(2025, 3, 1))
        spec.debiteur = g.DebiteurSpec(g.random_persoon(rng), f"D{i:06d}")
        specs.append(spec)
    return g.di01_vordering(specs)


def _templates() -> list:
    """The template vorderingen, read by the gateway's own reader."""
    from stuf_fin.fin import reader

    return reader.vorderingen(etree.fromstring(_template_message()))


def load_floor(database_url: str, count: int, *, batch: int = 10_000, log: Callable[[str], None] = print) -> None:
    """Store ``count`` vorderingen (BENCH000000000 …, the tsa of the gateway's data) in the floor's own table:
    each row the template object's XML with its number and tsa, as a vrdLa01 answer object (without the
    kennisgeving's ``StUF:verwerkingssoort``)."""
    from bench import floor

    floor.create_tables(database_url)
    engine = floor.engine_for(database_url)
    objects = []
    for lk01 in etree.fromstring(_template_message()).iterchildren(floor.VRDLK01):
        obj = lk01.find(floor.OBJECT)
        for el in obj.iter():
            el.attrib.pop(S + "verwerkingssoort", None)
        objects.append((obj, etree.tostring(obj)))
    begin = time.perf_counter()
    try:
        with engine.begin() as conn:
            conn.execute(floor.INSERT_BERICHT, {"id": 1, "referentienummer": "BENCH-LOAD",
                                                "ontvangen_op": datetime.now(UTC)})
        for start in range(0, count, batch):
            rows = []
            for i in range(start, min(start + batch, count)):
                obj, xml = objects[i % len(objects)]
                number, tsa = obj.findtext(F + "vorderingnummer"), obj.findtext(F + "tsa")
                xml = xml.replace(f">{number}<".encode(), f">{bench_vorderingnummer(i)}<".encode(), 1).replace(
                    f"<FIN:tsa>{tsa}<".encode(), f"<FIN:tsa>{bench_tsa(i)}<".encode(), 1)
                rows.append({"bericht_id": 1, "volgnummer": i + 1, "vorderingnummer": bench_vorderingnummer(i),
                             "tsa": bench_tsa(i), "vervaldatum": None, "totaal_excl_btw": None, "totaal_btw": None,
                             "totaal_incl_btw": None, "object_xml": xml})
            with engine.begin() as conn:
                conn.execute(floor.INSERT_VORDERING, rows)
            done = start + len(rows)
            if done % 100_000 < batch or done == count:
                log(f"  {done:>9,} floor rows stored ({time.perf_counter() - begin:,.0f} s)")
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE floor_vordering")
    finally:
        engine.dispose()


def count_floor(database_url: str) -> int:
    from bench import floor

    floor.create_tables(database_url)
    engine = floor.engine_for(database_url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM floor_vordering").scalar_one()
    finally:
        engine.dispose()


def load(database_url: str, count: int, *, batch: int = 5000, log: Callable[[str], None] = print) -> None:
    """Store ``count`` vorderingen (BENCH000000000 …) with the store's bulk insert, in batches."""
    import copy

    from stuf_fin.fin.model import Debiteur, Vorderingstatus
    from stuf_fin.store.db import Store
    from stuf_fin.store.vorderingen import insert_vorderingen

    store = Store(database_url)
    store.upgrade()
    templates = _templates()
    now = datetime.now(UTC)
    begin = time.perf_counter()
    for start in range(0, count, batch):
        batch_rows = []
        for i in range(start, min(start + batch, count)):
            template = templates[i % len(templates)]
            vordering = copy.copy(template)
            vordering.vorderingnummer, vordering.tsa = bench_vorderingnummer(i), bench_tsa(i)
            d = template.debiteur
            bsn = bench_bsn(i // PER_BSN)
            vordering.debiteur = Debiteur(d.xml.replace(d.bsn.encode(), bsn.encode()), soort="NPS", bsn=bsn,
                                          debiteurnummer=d.debiteurnummer)
            seconds = i % 86400
            vordering.vorderingstatus = Vorderingstatus(
                bench_status(i), f"2025-03-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z",
                totaal_betaald=0)
            batch_rows.append(vordering)
        with store.begin() as conn:
            insert_vorderingen(conn, batch_rows, bericht_id=None, received_at=now)
        done = start + len(batch_rows)
        if done % 100_000 < batch or done == count:
            log(f"  {done:>9,} vorderingen stored ({time.perf_counter() - begin:,.0f} s)")
    store.dispose()


def count_stored(database_url: str) -> int:
    import sqlalchemy as sa

    from stuf_fin.store.db import Store
    from stuf_fin.store.tables import vordering

    store = Store(database_url)
    store.upgrade()
    try:
        with store.begin(write=False) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(vordering)).scalar_one()
    finally:
        store.dispose()


def analyse(database_url: str) -> None:
    """PostgreSQL: ``ANALYZE`` the loaded tables.  Without statistics (autovacuum off, or right after a bulk
    load) the planner takes ``ORDER BY id LIMIT`` over the primary key for a vorderingnummer lookup: ~1 s."""
    from stuf_fin.store.db import Store

    store = Store(database_url)
    try:
        if not store.is_sqlite:
            with store.begin() as conn:
                conn.exec_driver_sql("ANALYZE vordering, vorderingsregel, btw_totaalregel, termijn")
    finally:
        store.dispose()


# -- benchmark: questions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionKind:
    name: str
    message: Callable[[random.Random, int], bytes]  # (rng, number of stored vorderingen) → vrdLv01
    query: Callable[[random.Random, int], object]  # the same selection as a store Query


def _query(**values: str):
    from stuf_fin.fin.vraag.query import Condition, Query

    return Query([Condition(column, value) for column, value in values.items()])


def question_kinds(scope: str) -> list[QuestionKind]:
    def pick(rng: random.Random, n: int) -> int:
        return rng.randrange(n)

    return [
        QuestionKind("vorderingnummer",
                     lambda rng, n: vrdLv01([field("vorderingnummer", bench_vorderingnummer(pick(rng, n)))],
                                            scope=scope),
                     lambda rng, n: _query(vorderingnummer=bench_vorderingnummer(pick(rng, n)))),
        QuestionKind("debiteur bsn",
                     lambda rng, n: vrdLv01([debiteur_bsn(bench_bsn(pick(rng, n) // PER_BSN))], scope=scope),
                     lambda rng, n: _query(debiteur_bsn=bench_bsn(pick(rng, n) // PER_BSN))),
        QuestionKind("tsa + status",
                     lambda rng, n: vrdLv01([field("tsa", bench_tsa(i := pick(rng, n))),
                                             group("vorderingstatus", field("status", bench_status(i)))], scope=scope),
                     lambda rng, n: _query(tsa=bench_tsa(i := pick(rng, n)), status=bench_status(i))),
    ]


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) in milliseconds of values in seconds."""
    return common.percentile(values, p) * 1000


def measure_http(host: str, port: int, kind: QuestionKind, count: int, clients: int, n: int,
                 seed: int) -> tuple[list[float], float]:
    """Latencies (s) of ``count`` questions from ``clients`` closed-loop clients (one connection each), and
    the questions per second."""
    rng = random.Random(seed)
    messages = [g.soap(kind.message(rng, n)) for _ in range(count)]
    run = post_all(host, port, messages, concurrency=clients, path="/BeantwoordVraag", soap_action=SOAP_ACTION,
                   expect=b"vrdLa01")
    if run.failures:
        raise RuntimeError(f"{len(run.failures)} questions failed, e.g. {run.failures[0].body[:300]!r}")
    return [r.seconds for r in run.replies], run.per_second


def measure_sql(
    database_url: str, kind: QuestionKind, count: int, n: int, seed: int
) -> tuple[list[float], list[float]]:
    """Latencies (s) of the bare id query (DBAPI cursor, SQL compiled once per question) and of the whole
    store read (the complete vorderingen through the store), for the same kind of question."""
    from stuf_fin.store.db import Store
    from stuf_fin.store.vraag import search_stmt, search_vorderingen

    store = Store(database_url)
    rng = random.Random(seed)
    bare, store_reads = [], []
    try:
        with store.engine.connect() as conn:
            dialect = conn.dialect
            driver = conn.connection.driver_connection
            for _ in range(count):
                query = kind.query(rng, n)
                compiled = search_stmt(query, 16).compile(dialect=dialect)
                sql, params = str(compiled), compiled.params
                if dialect.paramstyle == "qmark":
                    params = tuple(compiled.params[k] for k in compiled.positiontup)
                cursor = driver.cursor()
                begin = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                bare.append(time.perf_counter() - begin)
                cursor.close()
                query = kind.query(rng, n)
                begin = time.perf_counter()
                with store.begin(write=False) as c:
                    search_vorderingen(c, query, 16)
                store_reads.append(time.perf_counter() - begin)
                driver.rollback()
    finally:
        store.dispose()
    return bare, store_reads


# -- benchmark: server and main ----------------------------------------------------------------------------

def database_url(database: str, workdir: Path, count: int, prefix: str = "") -> str:
    """The kept database of the data: a SQLite file in ``workdir`` or a PostgreSQL schema (``prefix``: the
    floor's own)."""
    if database == "sqlite":
        return f"sqlite:///{workdir / f'{prefix}vraag-{count}.db'}"
    import sqlalchemy as sa

    from stuf_fin.store.db import normalise_url

    schema = f"bench_{prefix.replace('-', '_')}vraag_{count}"
    engine = sa.create_engine(normalise_url(database))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    engine.dispose()
    return normalise_url(database).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vraag", description="vrdLv01 latency benchmark")
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL (a schema is made there)")
    parser.add_argument("--vorderingen", type=int, default=1_000_000, help="stored vorderingen (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=2000, help="questions per kind and client count")
    parser.add_argument("--clients", default="1,16", help="concurrent client counts (default 1,16)")
    parser.add_argument("--scope", default="alles", help="StUF:scope of the questions (default alles)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/stuf-fin-bench-vraag"),
                        help="SQLite files and server logs (default /tmp/stuf-fin-bench-vraag)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load-only", action="store_true", help="store the vorderingen, measure nothing")
    parser.add_argument("--no-floor", action="store_true", help="without the raw floor (no floor data either)")
    parser.add_argument("--questions", default="vorderingnummer,debiteur bsn,tsa + status",
                        help="which questions (comma-separated; default all three)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = args.workdir.resolve()
    url = database_url(args.database, workdir, args.vorderingen)
    stored = count_stored(url)
    if stored not in (0, args.vorderingen):
        parser.error(f"{url} holds {stored} vorderingen, not {args.vorderingen}: remove it first")
    if stored == 0:
        print(f"loading {args.vorderingen:,} vorderingen into {args.database} …")
        load(url, args.vorderingen)
    analyse(url)
    floor_url = None if args.no_floor else database_url(args.database, workdir, args.vorderingen, "floor-")
    if floor_url:
        stored = count_floor(floor_url)
        if stored not in (0, args.vorderingen):
            parser.error(f"{floor_url} holds {stored} floor rows, not {args.vorderingen}: remove it first")
        if stored == 0:
            print(f"loading {args.vorderingen:,} vorderingen into the floor's table …")
            load_floor(floor_url, args.vorderingen)
    if args.load_only:
        return 0
    servers = {"gateway": start_server(workdir, url, timeout=60, env={"STUF_FIN_LOG_FORMAT": "json",
                                                                      "STUF_FIN_METRICS_DB_INTERVAL": "3600"})}
    if floor_url:
        servers["floor"] = start_floor(workdir, floor_url)
    print(common.header("vrdLv01 latency: gateway vs raw floor"))
    print(f"database: {database_version(url)}")
    print(f"\n{args.vorderingen:,} vorderingen, {args.database.split('@')[-1]}, scope {args.scope}, "
          f"{args.requests} questions per row; latency in ms")
    print(f"{'question':<16} {'server':>8} {'clients':>7} {'p50':>7} {'p99':>7} {'max':>7} {'q/s':>7}")
    rows = []
    client_counts = [int(c) for c in args.clients.split(",")]
    try:
        for kind in (s for s in question_kinds(args.scope) if s.name in args.questions.split(",")):
            targets = [t for t in servers if t == "gateway" or kind.name == "vorderingnummer"]
            for target in targets:  # warm up, with as many clients as measured (each opens its own connections)
                server = servers[target]
                measure_http(server.host, server.port, kind, 20 * max(client_counts), max(client_counts),
                             args.vorderingen, args.seed + 99)
            bare, store_reads = measure_sql(url, kind, min(args.requests, 2000), args.vorderingen, args.seed)
            for name, times in (("sql", bare), ("store", store_reads)):
                print(f"{kind.name:<16} {name:>8} {'':>7} {percentile(times, 50):7.2f} {percentile(times, 99):7.2f} "
                      f"{max(times) * 1000:7.2f} {'':>7}")
            for k, clients in enumerate(client_counts):
                measured = {}
                for target in targets if k % 2 == 0 else reversed(targets):
                    server = servers[target]
                    times, per_second = measure_http(server.host, server.port, kind, args.requests, clients,
                                                     args.vorderingen, args.seed + clients)
                    measured[target] = (percentile(times, 50), percentile(times, 99), per_second)
                    print(f"{kind.name:<16} {target:>8} {clients:>7} {measured[target][0]:7.2f} "
                          f"{measured[target][1]:7.2f} {max(times) * 1000:7.2f} {per_second:7.0f}")
                if "floor" in measured:
                    cell = {t: f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {qs:,.0f} q/s"
                            for t, (p50, p99, qs) in measured.items()}
                    rows.append(f"| vrdLv01 by vorderingnummer at {args.vorderingen:,}, {clients} client(s), "
                                f"{'sqlite' if url.startswith('sqlite') else 'postgresql'} | {cell['gateway']} | "
                                f"{cell['floor']} | **{measured['gateway'][2] / measured['floor'][2]:.2f}** |")
    finally:
        for server in servers.values():
            server.stop()
    if rows:
        print("\n| workload | gateway | raw floor | ratio (q/s) |\n|---|---|---|---|\n" + "\n".join(rows))
    print(f"\nload average at end: {common.load_average()}")
    return 0


def database_version(database_url: str) -> str:
    """``SQLite 3.40.1`` or ``PostgreSQL 15.20``."""
    import sqlite3

    import sqlalchemy as sa

    from stuf_fin.store.db import Store

    store = Store(database_url)
    try:
        with store.begin(write=False) as conn:
            return f"SQLite {sqlite3.sqlite_version}" if store.is_sqlite else conn.execute(
                sa.text("SHOW server_version")).scalar_one().split(" ")[0].join(("PostgreSQL ", ""))
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
