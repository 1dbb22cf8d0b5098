"""The operations console at 1,000,000 vorderingen and 1,000,000 archived messages (docs/benchmarks.md).

    python -m bench.console --db postgresql            # seeds once (cached in a schema of its own), then measures
    python -m bench.console --db sqlite --requests 300

Seeding: the vorderingen with the vrdLv01 benchmark's loader (:func:`bench.vraag.load`, the store's bulk insert),
then the archive (``bericht``: 40 % Di01-verstrekVordering, 20 % status changes, 5 % verantwoordingen, 35 %
vrdLv01; 5 % Fo03 with a StUF code, 1 % Fo02; ten zenders; received over the last 7 days, so that the overview's
week holds all of them), each vordering linked to the Di01 that created it, 350,000 vrdLv01 results, 20,000
outbox rows with attempts (dead letters among them), and the answer statistics rebuilt from the archive
(:func:`stuf_fin.store.message_stats.rebuild`).  The database is kept (``--workdir`` / a PostgreSQL schema
``bench_console_*``) and reused by the next run; ``--fresh`` seeds again.

Measuring: ``stuf-fin serve`` with a console account on that database; each page is requested ``--requests``
times by one client over HTTP (keep-alive, HTTP Basic), after a warm-up.  Floors measured in the same run:

* ``sql``: every SELECT the page runs, captured from the page itself and replayed through the database driver
  (no SQLAlchemy, no template, no HTTP);
* ``in-process``: the page built in this process (store modules, template), no HTTP;
* ``static``: ``/console/static/console.css`` over the same server (authentication and HTTP, no database).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from bench.common import CACHE, header
from bench.server import start_server
from bench.vraag import bench_vorderingnummer, count_stored, load
from stuf_fin.selftest import generator as g

ACCOUNT = ("bench", "bench-console-password")
#: Operations by ``(message id - 1) % 20`` (so that a message's operation follows from its id).
PATTERN = (["Di01-verstrekVordering"] * 8 + ["Di01-verstrekVorderingStatusWijziging"] * 4
           + ["Di01-verstrekFinancieleVerantwoording"] + ["vrdLv01"] * 7)
ZENDERS = [("1900", app) for app in ("BELASTINGEN", "PARKEREN", "VERGUNNINGEN", "SPORT", "MARKTEN", "LEERPLICHT",
                                     "WMO", "AFVAL", "HAVEN", "INNING")]
FAULTS = [("Fo03", "StUF055"), ("Fo03", "StUF058"), ("Fo03", "StUF016"), ("Fo03", "StUF013")]
ROUTES = ("tsa:BELASTINGEN", "tsa:PARKEREN", "financiele_administratie")
AMS = ZoneInfo("Europe/Amsterdam")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


# -- seeding ---------------------------------------------------------------------------------------------------

def database_url(kind: str, workdir: Path, vorderingen: int, messages: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'console-v{vorderingen}-m{messages}.db'}"
    from stuf_fin.store.db import normalise_url

    base = os.environ.get("STUF_FIN_BENCH_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    schema = f"bench_console_v{vorderingen}_m{messages}"
    engine = sa.create_engine(normalise_url(base))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    engine.dispose()
    return normalise_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    from stuf_fin.store.db import normalise_url

    schema = sa.engine.make_url(url).query["options"].split("=", 1)[1]
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    engine.dispose()


def _templates() -> dict[str, tuple[bytes, bytes]]:
    """(request, reply) per operation, with ``REFNR`` where each message's referentienummer goes."""
    from bench import vraag

    rng = random.Random(7)
    spec = g.random_vordering(rng, 1, prefix="TPL")
    bv03 = (b'<StUF:Bv03Bericht xmlns:StUF="http://www.egem.nl/StUF/StUF0301"><StUF:stuurgegevens>'
            b"<StUF:berichtcode>Bv03</StUF:berichtcode><StUF:crossRefnummer>REFNR</StUF:crossRefnummer>"
            b"</StUF:stuurgegevens></StUF:Bv03Bericht>")
    return {
        "Di01-verstrekVordering": (g.soap(g.di01_vordering([spec], referentienummer="REFNR")), bv03),
        "Di01-verstrekVorderingStatusWijziging": (
            g.soap(g.di01_statuswijziging([g.status_for(spec, "BET")], referentienummer="REFNR")), bv03),
        "Di01-verstrekFinancieleVerantwoording": (
            g.soap(g.di01_financiele_verantwoording(1, referentienummer="REFNR")), bv03),
        "vrdLv01": (g.soap(vraag.vrdLv01([vraag.field("vorderingnummer", "BENCH000000001")])),
                    b'<FIN:vrdLa01 xmlns:FIN="http://www.egem.nl/StUF/sector/fin/0310"/>'),
    }


def _fault(code: str) -> bytes:
    return (f'<StUF:Fo03Bericht xmlns:StUF="http://www.egem.nl/StUF/StUF0301"><StUF:body><StUF:code>{code}'
            f"</StUF:code><StUF:plek>client</StUF:plek><StUF:omschrijving>bench</StUF:omschrijving>"
            f"<StUF:details>/FIN:object/FIN:valutacode</StUF:details></StUF:body></StUF:Fo03Bericht>").encode()


def message_row(k: int, start: datetime, span: float, templates: dict, rng: random.Random) -> dict:
    """Archived message ``k`` (1-based id)."""
    operation = PATTERN[(k - 1) % len(PATTERN)]
    organisatie, applicatie = ZENDERS[k % len(ZENDERS)]
    received = start + timedelta(seconds=k * span + rng.random() * span)
    took = timedelta(milliseconds=min(60_000, rng.lognormvariate(2.5, 0.9)))
    request, reply = templates[operation]
    ref = f"BENCH-{k:09d}"
    outcome, fault = ("La01", None) if operation == "vrdLv01" else ("Bv03", None)
    draw = rng.random()
    if draw < 0.05:
        outcome, fault = FAULTS[k % len(FAULTS)] if operation != "vrdLv01" else ("Fo02", "StUF064")
        reply = _fault(fault)
    elif draw < 0.06 and operation == "vrdLv01":
        outcome, fault, reply = "Fo02", "StUF064", _fault("StUF064")
    return {"id": k, "port": "BeantwoordVraag" if operation == "vrdLv01" else "VerstrekVorderingOfVerantwoording",
            "operation": operation, "direction": "in", "zender_organisatie": organisatie,
            "zender_applicatie": applicatie, "zender_administratie": "", "zender_gebruiker": "",
            "ontvanger_organisatie": "1900", "ontvanger_applicatie": "STUFFIN", "ontvanger_administratie": "",
            "ontvanger_gebruiker": "", "referentienummer": ref, "tijdstip_bericht": received.strftime("%Y%m%d%H%M%S"),
            "cross_refnummer": f"BENCH-{k - 1:09d}" if operation != "vrdLv01" and k % 9 == 0 else "",
            "content_hash": "", "request": request.replace(b"REFNR", ref.encode()),
            "reply": reply.replace(b"REFNR", ref.encode()), "outcome": outcome, "fault_code": fault,
            "authenticated_identity": applicatie.lower(), "received_at": received, "answered_at": received + took}


def seed(url: str, vorderingen: int, messages: int, log: Callable[[str], None] = print) -> None:
    """Fill an empty database (see the module docstring)."""
    from stuf_fin.store import message_stats
    from stuf_fin.store.bulk import insert_rows
    from stuf_fin.store.db import Store
    from stuf_fin.store.tables import bericht, outbox, outbox_attempt, returned_vordering, vordering

    begin = time.perf_counter()
    store = Store(url)
    store.upgrade()
    with store.begin(write=False) as conn:
        have_vorderingen = conn.execute(sa.select(sa.func.count()).select_from(vordering)).scalar_one()
        have_messages = conn.execute(sa.select(sa.func.max(bericht.c.id))).scalar() or 0
        have_outbox = conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()
    if have_vorderingen and have_messages == messages and have_outbox:
        store.dispose()
        return  # seeded by an earlier run
    if have_vorderingen != vorderingen:
        log(f"seeding {vorderingen:,} vorderingen …")
        load(url, vorderingen)
    rng = random.Random(13)
    templates = _templates()
    now = datetime.now(UTC)
    start, span = now - timedelta(days=7), timedelta(days=7).total_seconds() / messages
    if have_messages != messages:
        log(f"seeding {messages:,} archived messages … ({time.perf_counter() - begin:,.0f} s)")
        with store.begin() as conn:
            conn.execute(sa.delete(bericht))
        for first in range(1, messages + 1, 20_000):
            rows = [message_row(k, start, span, templates, rng)
                    for k in range(first, min(first + 20_000, messages + 1))]
            with store.begin() as conn:
                insert_rows(conn, bericht, rows)
            if (first - 1) % 200_000 == 0:
                log(f"  {first + len(rows) - 1:>9,} messages ({time.perf_counter() - begin:,.0f} s)")
    di01_per_cycle = PATTERN.count("Di01-verstrekVordering")
    cycles = max(1, messages // len(PATTERN))
    with store.begin() as conn:
        log(f"linking vorderingen to their messages … ({time.perf_counter() - begin:,.0f} s)")
        conn.execute(sa.text(  # vordering i: created by a Di01-verstrekVordering (ids 1-8 of every 20)
            f"UPDATE vordering SET bericht_id = {len(PATTERN)} * (((id - 1) / {di01_per_cycle}) % {cycles}) "
            f"+ ((id - 1) % {di01_per_cycle}) + 1"))
        conn.execute(sa.text("UPDATE vorderingstatus SET bericht_id = (SELECT v.bericht_id FROM vordering AS v "
                             "WHERE v.id = vorderingstatus.vordering_id)"))
    log(f"vrdLv01 results and the outbox … ({time.perf_counter() - begin:,.0f} s)")
    questions = [k for k in range(1, messages + 1) if PATTERN[(k - 1) % len(PATTERN)] == "vrdLv01"]
    for first in range(0, len(questions), 50_000):
        with store.begin() as conn:
            insert_rows(conn, returned_vordering, [{"bericht_id": k, "vordering_id": (k * 7919) % vorderingen + 1}
                                                   for k in questions[first:first + 50_000]])
    status_messages = [k for k in range(1, messages + 1) if PATTERN[(k - 1) % len(PATTERN)].endswith("Wijziging")]
    out, attempts = [], []
    for i in range(20_000):
        k = status_messages[(i * 37) % len(status_messages)]
        state = "dead" if i % 100 == 0 else ("pending" if i % 400 == 1 else "delivered")
        created = start + timedelta(seconds=k * span)
        out.append({"id": i + 1, "bericht_id": k, "created_at": created, "route": ROUTES[i % len(ROUTES)],
                    "operation": "Di01-verstrekVorderingStatusWijziging", "volgorde": None,
                    "referentienummer": f"OUT-{i:08d}", "tijdstip_bericht": created.strftime("%Y%m%d%H%M%S"),
                    "message": templates["Di01-verstrekVorderingStatusWijziging"][0], "state": state,
                    "attempts": 3 if state == "dead" else 1, "next_attempt_at": created,
                    "last_attempt_at": created, "outcome": "Bv03" if state == "delivered" else None,
                    "fault_code": None, "fault_plek": None,
                    "last_error": "transport: ConnectError: refused" if state != "delivered" else None,
                    "finished_at": created + timedelta(seconds=1) if state != "pending" else None})
        for n in range(3 if state == "dead" else 1):
            attempts.append({"outbox_id": i + 1, "attempt": n + 1, "worker": "bench", "started_at": created,
                             "duration_ms": 12, "result": "delivered" if state == "delivered" else "retry",
                             "outcome": "Bv03" if state == "delivered" else "transport", "http_status": None,
                             "fault_code": None, "fault_plek": None, "detail": None})
    with store.begin() as conn:
        insert_rows(conn, outbox, out)
        insert_rows(conn, outbox_attempt, attempts)
        log(f"answer statistics … ({time.perf_counter() - begin:,.0f} s)")
        message_stats.rebuild(conn, now - timedelta(days=8))
    if not store.is_sqlite:  # what autovacuum does after a load; SQLite runs without statistics, as in production
        with store.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()
    log(f"seeded in {time.perf_counter() - begin:,.0f} s")


# -- measuring ---------------------------------------------------------------------------------------------------

@dataclass
class PageCase:
    name: str
    path: str
    params: dict


def cases(vorderingen: int, messages: int, rng: random.Random) -> list[Callable[[], PageCase]]:
    """A page and fresh parameters per request (ids and numbers drawn at random)."""
    from stuf_fin.store.message_log import Cursor

    middle = datetime.now(UTC) - timedelta(days=3, hours=rng.random())
    return [
        lambda: PageCase("overview (day)", "/", {}),
        lambda: PageCase("overview (week)", "/", {"window": "week"}),
        lambda: PageCase("log: newest", "/messages", {}),
        lambda: PageCase("log: referentienummer", "/messages", {"ref": f"BENCH-{rng.randint(1, messages):09d}"}),
        lambda: PageCase("log: zender + fault", "/messages", {"app": rng.choice(ZENDERS)[1], "fault": "StUF058"}),
        lambda: PageCase("log: operation, page 3 days back", "/messages", {
            "operation": "vrdLv01", "after": Cursor(middle, messages).token()}),
        lambda: PageCase("log: one hour, 3 days ago", "/messages", {
            "from": (middle.astimezone(AMS)).strftime("%Y-%m-%dT%H:%M"),
            "until": (middle.astimezone(AMS) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}),
        lambda: PageCase("log: vorderingnummer", "/messages", {
            "vorderingnummer": bench_vorderingnummer(rng.randrange(vorderingen))}),
        lambda: PageCase("message detail", f"/messages/{rng.randint(1, messages)}", {}),
        lambda: PageCase("vordering search", "/vorderingen", {
            "nummer": bench_vorderingnummer(rng.randrange(vorderingen)), "list": "1"}),
        lambda: PageCase("vordering detail", f"/vorderingen/{rng.randint(1, vorderingen)}", {}),
        lambda: PageCase("outbox: dead letters", "/outbox", {"state": "dead"}),
        lambda: PageCase("outbox: delivered", "/outbox", {"state": "delivered"}),
        lambda: PageCase("settings", "/settings", {}),
    ]


def console_pages(url: str):
    """The console's pages in this process (for the in-process and SQL floors), and a capture of their SQL."""
    from stuf_fin.configure import load_settings
    from stuf_fin.console.auth import Viewer
    from stuf_fin.console.views import Facts, Pages
    from stuf_fin.security.accounts import Account
    from stuf_fin.store.db import Store

    store = Store(url)
    settings = load_settings(environ={"STUF_FIN_DATABASE_URL": url})
    pages = Pages(settings, store, Facts("builtin", "bench", time.time(), {}))
    viewer = Viewer(Account("bench", "beheerder", personal_data=True), "basic", "bench")
    return store, pages, viewer


def run_in_process(pages, viewer, case: PageCase):
    from stuf_fin.console.app import HttpError, Request, Router

    router = Router()
    pages.register(router)
    handler, params = router.find("GET", case.path)
    request = Request("GET", case.path, {k: [v] for k, v in case.params.items()}, {}, viewer)
    try:
        response = pages.respond(handler, request, params)
    except HttpError as exc:
        raise RuntimeError(f"{case.name}: {exc.message}") from None
    body = response.body if isinstance(response.body, bytes) else b"".join(response.body)
    if response.status >= 400:
        raise RuntimeError(f"{case.name}: HTTP {response.status} {body[:300]!r}")
    return body


def captured_sql(store, pages, viewer, case: PageCase) -> list[tuple[str, object]]:
    """The SELECTs a page runs (statement and driver parameters), captured while building it once."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        run_in_process(pages, viewer, case)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    return seen


def replay(store, statements: list[tuple[str, object]]) -> float:
    """Seconds to run ``statements`` through the bare driver, in one read transaction."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        begin = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        took = time.perf_counter() - begin
        cursor.close()
        raw.rollback()
    return took


def measure(url: str, requests: int, vorderingen: int, messages: int, workdir: Path, only: str | None) -> None:
    from stuf_fin.security.passwords import hash_secret

    config = workdir / "bench-console.toml"
    config.write_text(f'[[console.accounts]]\nname = "bench"\nrole = "beheerder"\nusername = "{ACCOUNT[0]}"\n'
                      f'password_hash = "{hash_secret(ACCOUNT[1], n=2**12)}"\n')
    server = start_server(workdir, url, timeout=120, env={
        "STUF_FIN_CONFIG": str(config), "STUF_FIN_LOG_FORMAT": "json", "STUF_FIN_LOG_LEVEL": "WARNING",
        "STUF_FIN_METRICS_DB_INTERVAL": "3600", "STUF_FIN_CONSOLE_QUERY_TIMEOUT": "10"})
    store, pages, viewer = console_pages(url)
    rng = random.Random(5)
    print(f"\n{vorderingen:,} vorderingen, {messages:,} archived messages; {requests} requests per page, 1 client; "
          "latency in ms (sql and in-process: the same page's work without HTTP, measured in this run)")
    print(f"{'page':<36} {'HTTP p50':>9} {'p99':>7} {'max':>7} | {'in-proc p50':>11} {'p99':>7} | "
          f"{'sql p50':>8} {'p99':>7} | {'HTTP/sql p99':>12}")
    try:
        with httpx.Client(base_url=server.url + "/console", auth=ACCOUNT, timeout=60) as http:
            static = []
            for i in range(requests + 20):
                begin = time.perf_counter()
                assert http.get("/static/console.css").status_code == 200
                if i >= 20:
                    static.append(time.perf_counter() - begin)
            print(f"{'floor: static file over HTTP':<36} {percentile(static, 50):9.1f} {percentile(static, 99):7.1f} "
                  f"{max(static) * 1000:7.1f} |")
            for make in cases(vorderingen, messages, rng):
                name = make().name
                if only and only not in name:
                    continue
                for _ in range(10):  # warm-up
                    case = make()
                    assert http.get(case.path, params=case.params).status_code == 200
                web, local, sql = [], [], []
                for _ in range(requests):
                    case = make()
                    begin = time.perf_counter()
                    response = http.get(case.path, params=case.params)
                    web.append(time.perf_counter() - begin)
                    if response.status_code != 200:
                        raise RuntimeError(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
                for _ in range(min(requests, 100)):
                    case = make()
                    begin = time.perf_counter()
                    run_in_process(pages, viewer, case)
                    local.append(time.perf_counter() - begin)
                    sql.append(replay(store, captured_sql(store, pages, viewer, make())))
                print(f"{name:<36} {percentile(web, 50):9.1f} {percentile(web, 99):7.1f} {max(web) * 1000:7.1f} | "
                      f"{percentile(local, 50):11.1f} {percentile(local, 99):7.1f} | {percentile(sql, 50):8.1f} "
                      f"{percentile(sql, 99):7.1f} | {percentile(web, 99) / max(percentile(sql, 99), 0.01):12.1f}",
                      flush=True)
    finally:
        server.stop()
        store.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description="console pages at 1M rows")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="postgresql")
    parser.add_argument("--vorderingen", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--workdir", type=Path, default=CACHE / "console", help="SQLite files and server logs")
    parser.add_argument("--fresh", action="store_true", help="seed again even when a seeded database exists")
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--page", help="measure only pages whose name contains this")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(header("console pages (issue 13)"))
    for kind in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        url = database_url(kind, args.workdir.resolve(), args.vorderingen, args.messages)
        if args.fresh or count_stored(url) not in (0, args.vorderingen):
            drop(url)
        seed(url, args.vorderingen, args.messages)  # what an earlier run did not finish
        print(f"\n## {kind}")
        if not args.seed_only:
            measure(url, args.requests, args.vorderingen, args.messages, args.workdir.resolve(), args.page)
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

