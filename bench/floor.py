"""The raw floor (issue 15): what any Python StUF-FIN endpoint pays per message, served like the gateway.

    python -m bench.floor --port 8123 --database-url sqlite:////tmp/floor.db [--workers 1]

A bare ASGI app under the same uvicorn (same options as ``stuf-fin serve``), sharing no code with ``stuf_fin``.
Per ``Di01-verstrekVordering`` it does exactly this and nothing else:

* a hardened lxml parse of the envelope (no DTD, no network, no entity resolution, no huge trees; a DOCTYPE
  is refused);
* validation of the Body's child with the built-in schema set (``xsd/fin0310.xsd``, the gateway's default),
  compiled with plain lxml;
* extraction of the key fields with plain lxml calls: per vordering (the last ``object`` of each ``vrdLk01``)
  vorderingnummer, tsa, vervaldatum and the three totals, per vorderingsregel the three amounts and the
  vorderingcode; the object kept as serialized XML (``etree.tostring``);
* **one** transaction: the referentienummer (unique), one row per vordering (unique ``(vorderingnummer, tsa)``)
  and per regel, with SQLAlchemy Core (executemany), committed with the gateway's durability (SQLite WAL +
  ``synchronous=FULL``; PostgreSQL defaults);
* a fixed Bv03 envelope back (only the crossRefnummer is the request's referentienummer).

``/BeantwoordVraag`` answers a ``vrdLv01`` by vorderingnummer the same bare way (parse, validate, one indexed
SELECT of the stored XML through the driver, a fixed vrdLa01 around it): the floor of ``bench.vraag``.

The work runs in a thread pool of the gateway's size (16); SQLite writers of the process take turns on one
lock (as in the gateway), so that nobody waits in SQLite's sleep-and-poll busy handler.  The tables
(``floor_*``) are created by :func:`create_tables` in a database or schema of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import sqlalchemy as sa
from lxml import etree

#: The gateway's built-in schema set (the default of ``stuf-fin serve``).
SCHEMA_ENTRY = Path(__file__).resolve().parents[1] / "xsd" / "fin0310.xsd"
DATABASE_ENV = "BENCH_FLOOR_DATABASE_URL"
THREADS = 16  # the gateway's default thread pool

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
STUF = "http://www.egem.nl/StUF/StUF0301"
FIN = "http://www.egem.nl/StUF/sector/fin/0310"
_S, _F = f"{{{STUF}}}", f"{{{FIN}}}"
SOAP_BODY = f"{{{SOAP}}}Body"
REFERENTIENUMMER = f"{_F}stuurgegevens/{_S}referentienummer"
VRDLK01, OBJECT, REGEL = f"{_F}vrdLk01", f"{_F}object", f"{_F}vorderingsregel"
GELIJK_VORDERINGNUMMER = f"{_F}gelijk/{_F}vorderingnummer"
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False,
                   "huge_tree": False, "collect_ids": False}

# -- tables --------------------------------------------------------------------------------------------------

metadata = sa.MetaData()
floor_bericht = sa.Table(
    "floor_bericht", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("referentienummer", sa.String(40), nullable=False, unique=True),
    sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
)
floor_vordering = sa.Table(
    "floor_vordering", metadata,
    sa.Column("bericht_id", sa.Integer, sa.ForeignKey("floor_bericht.id"), primary_key=True),
    sa.Column("volgnummer", sa.Integer, primary_key=True),
    sa.Column("vorderingnummer", sa.String(40), nullable=False),
    sa.Column("tsa", sa.String(40), nullable=False),
    sa.Column("vervaldatum", sa.Date),
    sa.Column("totaal_excl_btw", sa.BigInteger),
    sa.Column("totaal_btw", sa.BigInteger),
    sa.Column("totaal_incl_btw", sa.BigInteger),
    sa.Column("object_xml", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("vorderingnummer", "tsa"),  # also the index of the vrdLv01 lookup
)
floor_regel = sa.Table(
    "floor_regel", metadata,
    sa.Column("bericht_id", sa.Integer, primary_key=True),
    sa.Column("vordering_volgnummer", sa.Integer, primary_key=True),
    sa.Column("volgnummer", sa.Integer, primary_key=True),
    sa.Column("bedrag_excl_btw", sa.BigInteger),
    sa.Column("bedrag_btw", sa.BigInteger),
    sa.Column("bedrag_incl_btw", sa.BigInteger),
    sa.Column("vorderingcode", sa.String(40)),
    sa.ForeignKeyConstraint(["bericht_id", "vordering_volgnummer"],
                            ["floor_vordering.bericht_id", "floor_vordering.volgnummer"]),
)
INSERT_BERICHT = sa.insert(floor_bericht)
INSERT_VORDERING = sa.insert(floor_vordering)
INSERT_REGEL = sa.insert(floor_regel)


def engine_for(url: str) -> sa.Engine:
    """SQLite: WAL, ``synchronous=FULL``, foreign keys, ``BEGIN IMMEDIATE``; PostgreSQL (psycopg 3): the server's
    defaults.  One pooled connection per thread, kept open."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    pool = {"pool_size": THREADS, "max_overflow": 0}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, **pool)
    engine = sa.create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False}, **pool)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is sent below
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_tables(url: str) -> None:
    engine = engine_for(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


# -- per message ---------------------------------------------------------------------------------------------

class Refused(ValueError):
    """Not a message the floor stores (not XML, a DOCTYPE, a schema error, no referentienummer)."""


_local = threading.local()
_compiling = threading.Lock()  # libxml2 compiles one schema set at a time


def _tools() -> tuple[etree.XMLParser, etree.XMLSchema]:
    """This thread's hardened parser and compiled schema (neither may be shared between threads)."""
    tools = getattr(_local, "tools", None)
    if tools is None:
        with _compiling:
            schema = etree.XMLSchema(etree.parse(str(SCHEMA_ENTRY), etree.XMLParser(**_PARSER_OPTIONS)))
        tools = _local.tools = (etree.XMLParser(**_PARSER_OPTIONS), schema)
    return tools


def parse_and_validate(data: bytes) -> etree._Element:
    """The Body's child of a SOAP envelope, parsed hardened and valid under the schema set."""
    parser, schema = _tools()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused(f"not well-formed: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise Refused("DOCTYPE not allowed")
    body = root.find(SOAP_BODY)
    if body is None or len(body) != 1:
        raise Refused("the Body must hold one element")
    message = body[0]
    if not schema.validate(message):
        raise Refused(f"invalid: {schema.error_log.last_error}")
    return message


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def extract(message: etree._Element, bericht_id: int) -> tuple[list[dict], list[dict]]:
    """The rows of the vorderingen and their regels of a validated ``Di01-verstrekVordering``."""
    vorderingen, regels = [], []
    for volgnummer, lk01 in enumerate(message.iterchildren(VRDLK01), 1):
        obj = list(lk01.iterchildren(OBJECT))[-1]
        vervaldatum = obj.findtext(_F + "vervaldatum")
        vorderingen.append({
            "bericht_id": bericht_id, "volgnummer": volgnummer,
            "vorderingnummer": obj.findtext(_F + "vorderingnummer"), "tsa": obj.findtext(_F + "tsa"),
            "vervaldatum": date.fromisoformat(vervaldatum) if vervaldatum else None,
            "totaal_excl_btw": _int(obj.findtext(_F + "totaalbedragExclBTW")),
            "totaal_btw": _int(obj.findtext(_F + "totaalbedragBTW")),
            "totaal_incl_btw": _int(obj.findtext(_F + "totaalbedragInclBTW")),
            "object_xml": etree.tostring(obj),
        })
        for regelnummer, regel in enumerate(obj.iterchildren(REGEL), 1):
            regels.append({
                "bericht_id": bericht_id, "vordering_volgnummer": volgnummer, "volgnummer": regelnummer,
                "bedrag_excl_btw": _int(regel.findtext(_F + "bedragExclBTW")),
                "bedrag_btw": _int(regel.findtext(_F + "bedragBTW")),
                "bedrag_incl_btw": _int(regel.findtext(_F + "bedragInclBTW")),
                "vorderingcode": regel.findtext(_F + "vorderingcode"),
            })
    return vorderingen, regels


BV03 = ('<?xml version="1.0" encoding="UTF-8"?>'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}"><SOAP-ENV:Body><StUF:Bv03Bericht xmlns:StUF="{STUF}">'
        "<StUF:stuurgegevens><StUF:berichtcode>Bv03</StUF:berichtcode>"
        "<StUF:zender><StUF:applicatie>FLOOR</StUF:applicatie></StUF:zender>"
        "<StUF:ontvanger><StUF:applicatie>BENCH</StUF:applicatie></StUF:ontvanger>"
        "<StUF:referentienummer>floor</StUF:referentienummer>"
        "<StUF:tijdstipBericht>20250101000000000</StUF:tijdstipBericht>"
        "<StUF:crossRefnummer>{}</StUF:crossRefnummer></StUF:stuurgegevens>"
        "</StUF:Bv03Bericht></SOAP-ENV:Body></SOAP-ENV:Envelope>")
VRDLA01_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}"><SOAP-ENV:Body>'
                f'<FIN:vrdLa01 xmlns:FIN="{FIN}" xmlns:StUF="{STUF}"><FIN:stuurgegevens>'
                "<StUF:berichtcode>La01</StUF:berichtcode><StUF:entiteittype>VRD</StUF:entiteittype>"
                "</FIN:stuurgegevens><FIN:parameters/>").encode()
VRDLA01_TAIL = b"</FIN:vrdLa01></SOAP-ENV:Body></SOAP-ENV:Envelope>"


class Floor:
    """The floor's work on one database, safe to call from several threads."""

    def __init__(self, url: str):
        self.engine = engine_for(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        self._writer = threading.Lock() if self.sqlite else None
        self._select = sa.select(floor_vordering.c.object_xml).where(
            floor_vordering.c.vorderingnummer == sa.bindparam("nummer")).compile(self.engine)
        self._select_sql = str(self._select)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        with self._writer or nullcontext(), self.engine.begin() as conn:
            yield conn

    def store(self, data: bytes) -> bytes:
        """Store one ``Di01-verstrekVordering`` envelope; the Bv03 envelope once it is durable."""
        message = parse_and_validate(data)
        referentienummer = message.findtext(REFERENTIENUMMER)
        if not referentienummer:
            raise Refused("no referentienummer")
        with self.transaction() as conn:
            bericht_id = conn.execute(INSERT_BERICHT, {"referentienummer": referentienummer,
                                                      "ontvangen_op": datetime.now(UTC)}).inserted_primary_key[0]
            vorderingen, regels = extract(message, bericht_id)
            if vorderingen:
                conn.execute(INSERT_VORDERING, vorderingen)
            if regels:
                conn.execute(INSERT_REGEL, regels)
        return BV03.format(escape(referentienummer)).encode()

    def answer(self, data: bytes) -> bytes:
        """The vrdLa01 envelope for a ``vrdLv01`` by vorderingnummer: the stored objects, as stored."""
        nummer = parse_and_validate(data).findtext(GELIJK_VORDERINGNUMMER)
        if not nummer:
            raise Refused("the floor answers questions by vorderingnummer only")
        connection = self.engine.raw_connection()  # the driver's own connection, from the pool
        try:
            cursor = connection.cursor()
            cursor.execute(self._select_sql, (nummer,) if self.sqlite else {"nummer": nummer})
            objects = [bytes(row[0]) for row in cursor.fetchall()]
            cursor.close()
            connection.rollback()
        finally:
            connection.close()
        antwoord = b"<FIN:antwoord>" + b"".join(objects) + b"</FIN:antwoord>" if objects else b""
        return VRDLA01_HEAD + antwoord + VRDLA01_TAIL

    def dispose(self) -> None:
        self.engine.dispose()


# -- the ASGI app ----------------------------------------------------------------------------------------

async def _respond(send, status: int, body: bytes, content_type: bytes = b"text/xml; charset=utf-8") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class FloorApp:
    """A bare ASGI app: ``POST /VerstrekVorderingOfVerantwoording``, ``POST /BeantwoordVraag``, ``GET /health``."""

    def __init__(self, url: str):
        self.floor = Floor(url)
        self.executor = ThreadPoolExecutor(THREADS, thread_name_prefix="floor")
        self.routes = {"/VerstrekVorderingOfVerantwoording": self.floor.store, "/BeantwoordVraag": self.floor.answer}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    self.executor.shutdown()
                    self.floor.dispose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["path"] == "/health":
            await _respond(send, 200, b'{"status": "ok"}', b"application/json")
            return
        handler = self.routes.get(scope["path"])
        if handler is None or scope["method"] != "POST":
            await _respond(send, 404, b"not found\n", b"text/plain")
            return
        body = bytearray()
        more = True
        while more:
            event = await receive()
            body += event.get("body", b"")
            more = event.get("more_body", False)
        try:
            answer = await asyncio.get_running_loop().run_in_executor(self.executor, handler, bytes(body))
        except Exception as exc:  # the benchmark counts it as a failure
            await _respond(send, 500, f"{type(exc).__name__}: {exc}\n".encode(), b"text/plain")
            return
        await _respond(send, 200, answer)


def create_app() -> FloorApp:
    """The uvicorn factory (one per worker process): the database URL comes from the environment."""
    return FloorApp(os.environ[DATABASE_ENV])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    import uvicorn

    create_tables(args.database_url)  # once, before the workers start
    os.environ[DATABASE_ENV] = args.database_url
    # the options of `stuf-fin serve` (stuf_fin/serve.py)
    uvicorn.run("bench.floor:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_config=None, access_log=False, timeout_keep_alive=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
