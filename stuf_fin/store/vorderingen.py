"""Repository for vorderingen: bulk insert, key lookups, status history, loading back.

All functions take an open :class:`~sqlalchemy.engine.Connection` inside the caller's transaction
and never commit.  A message's vorderingen go in with ids reserved up front (:func:`reserve_ids`) and
one executemany per table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.fin.model import (
    AutomatischeIncasso,
    BtwTotaalregel,
    Debiteur,
    GerelateerdeVordering,
    InvorderingsSchema,
    Metagegevens,
    OrganisatorischeEenheid,
    Termijn,
    VorderendeOrganisatie,
    Vordering,
    VorderingSleutel,
    Vorderingsregel,
    Vorderingstatus,
    Zaak,
)
from stuf_fin.store.bulk import insert_statement, insert_tables, process, run
from stuf_fin.store.db import chunks, reserve_ids
from stuf_fin.store.tables import btw_totaalregel, termijn, vordering, vorderingsregel, vorderingstatus

#: Keys per lookup query (3 bind parameters each; far below SQLite's and PostgreSQL's limits).
CHUNK = 1000

_REGEL_FIELDS = ("bedrag_excl_btw", "bedrag_incl_btw", "bedrag_btw", "btw_categorie", "btw_percentage",
                 "vorderingtype", "vorderingcode", "vorderingtoelichting", "vorderingomschrijving", "aantal",
                 "eenheid", "stuks_prijs_excl_btw")


# -- keys ------------------------------------------------------------------------------------------------

def find_vorderingen(conn: Connection, keys: Iterable[VorderingSleutel]) -> dict[VorderingSleutel, int]:
    """The ids of those of ``keys`` that are stored (one query per 1,000 keys)."""
    wanted = list(dict.fromkeys(keys))
    found: dict[VorderingSleutel, int] = {}
    rows: Iterable[Any]
    if conn.dialect.name == "postgresql" and wanted:  # one join with three arrays: no plan for 1,000 OR-ed rows
        rows = conn.execute(_KEYS_PG, {"o": [k.organisatie for k in wanted], "t": [k.tsa for k in wanted],
                                           "n": [k.vorderingnummer for k in wanted]})
    elif conn.dialect.name == "sqlite" and wanted and sqlite3.sqlite_version_info >= (3, 38):
        # the keys as one JSON array joined on the key's index: a third of the time of 3,000 bound values
        rows = conn.execute(_KEYS_JSON, {"k": json.dumps([(k.organisatie, k.tsa, k.vorderingnummer)
                                                              for k in wanted])})
    else:
        rows = (row for chunk in chunks(wanted, CHUNK) for row in conn.execute(_KEYS, {"keys": [
            (k.organisatie, k.tsa, k.vorderingnummer) for k in chunk]}))
    found.update((VorderingSleutel(org, tsa, nr), vid) for org, tsa, nr, vid in rows)
    return found


_c = vordering.c
_KEYS = sa.select(_c.organisatie_nnp_id, _c.tsa, _c.vorderingnummer, _c.id).where(
    sa.tuple_(_c.organisatie_nnp_id, _c.tsa, _c.vorderingnummer).in_(sa.bindparam("keys", expanding=True)))
_KEYS_JSON = sa.text(
    "SELECT v.organisatie_nnp_id, v.tsa, v.vorderingnummer, v.id FROM json_each(:k) AS k JOIN vordering AS v "
    "ON v.organisatie_nnp_id = json_extract(k.value, '$[0]') AND v.tsa = json_extract(k.value, '$[1]') "
    "AND v.vorderingnummer = json_extract(k.value, '$[2]')")
_KEYS_PG = sa.text(
    "SELECT v.organisatie_nnp_id, v.tsa, v.vorderingnummer, v.id FROM vordering AS v "
    "JOIN unnest(CAST(:o AS text[]), CAST(:t AS text[]), CAST(:n AS text[])) AS k(o, t, n) "
    "ON v.organisatie_nnp_id = k.o AND v.tsa = k.t AND v.vorderingnummer = k.n")


def existing_keys(conn: Connection, keys: Iterable[VorderingSleutel]) -> set[VorderingSleutel]:
    """Those of ``keys`` that are stored already."""
    return set(find_vorderingen(conn, keys))


def find_vordering(conn: Connection, organisatie: str, tsa: str, vorderingnummer: str) -> int | None:
    """The id of the vordering with this key, or None."""
    c = vordering.c
    return conn.execute(sa.select(c.id).where(c.organisatie_nnp_id == organisatie, c.tsa == tsa,
                                              c.vorderingnummer == vorderingnummer)).scalar_one_or_none()


def find_by_vorderingnummer(conn: Connection, vorderingnummer: str) -> list[int]:
    """Ids of every vordering with this vorderingnummer (of any organisation and tsa)."""
    c = vordering.c
    return list(conn.execute(sa.select(c.id).where(c.vorderingnummer == vorderingnummer).order_by(c.id)).scalars())


_v = vordering.c
#: Columns of a vordering in a list (the console).
SUMMARY = (_v.id, _v.organisatie_nnp_id, _v.tsa, _v.vorderingnummer, _v.factuurnummer, _v.creatiedatum,
           _v.vervaldatum, _v.totaalbedrag_incl_btw, _v.valutacode, _v.status, _v.status_tijdstip, _v.debiteur_soort,
           _v.debiteur_bsn, _v.debiteur_nnp_id, _v.rekeningnummer, _v.ontvangen_op, _v.bericht_id)


def summaries_by_vorderingnummer(conn: Connection, vorderingnummer: str, tsa: str | None = None,
                                 limit: int = 100) -> list[sa.Row[*tuple[Any, ...]]]:
    """:data:`SUMMARY` of the vorderingen with this vorderingnummer (and tsa), in id order."""
    stmt = sa.select(*SUMMARY).where(_v.vorderingnummer == vorderingnummer)
    if tsa:
        stmt = stmt.where(_v.tsa == tsa)
    return list(conn.execute(stmt.order_by(_v.id).limit(limit)))


def summaries(conn: Connection, ids: Sequence[int]) -> dict[int, sa.Row[*tuple[Any, ...]]]:
    """:data:`SUMMARY` of these vorderingen by id."""
    found: dict[int, sa.Row[*tuple[Any, ...]]] = {}
    for chunk in chunks(list(ids), CHUNK):
        found.update((r.id, r) for r in conn.execute(sa.select(*SUMMARY).where(_v.id.in_(list(chunk)))))
    return found


def known_vorderingnummers(conn: Connection, numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` for which some vordering is stored."""
    wanted = list(dict.fromkeys(numbers))
    found: set[str] = set()
    c = vordering.c
    for chunk in chunks(wanted, CHUNK):
        found.update(conn.execute(sa.select(c.vorderingnummer).where(c.vorderingnummer.in_(chunk))).scalars())
    return found


# -- insert ----------------------------------------------------------------------------------------------

class Rows(NamedTuple):
    """The rows of one table: column names and one tuple of values per row (in that order)."""

    table: sa.Table
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts (for a Core insert)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


_VORDERING_COLUMNS = (
    "id", "bericht_id", "ontvangen_op", "organisatie_nnp_id", "tsa", "vorderingnummer", "factuurnummer",
    "creatiedatum", "factuurdatum", "vervaldatum", "indicator_factuur_uitgestuurd", "algemene_factuuromschrijving",
    "valutacode", "totaalbedrag_excl_btw", "totaalbedrag_btw", "totaalbedrag_incl_btw", "taaknummer",
    "indicator_publiekrechtelijk", "vorm", "organisatie_xml", "tijdvak_geldigheid_xml", "tijdstip_registratie_xml",
    "extra_elementen_xml",
    "machtigingskenmerk", "afgiftedatum_incasso", "rekeningnummer", "bic", "incasso_vorm",
    "invorderingsregime", "schema_vorm",
    "status", "status_datum_en_tijd", "status_tijdstip", "totaal_betaald", "deel_bedrag_betaald",
    "status_opmerkingen", "status_vorm",
    "debiteur_soort", "debiteur_bsn", "debiteur_nnp_id", "debiteurnummer", "debiteur_xml",
    "zaak_identificatie", "zaak_xml",
    "gerelateerde_vorderingnummer", "gerelateerde_organisatie_nnp_id", "gerelateerde_vordering_xml",
    "oeh_identificatie", "oeh_xml")
_NO_INCASSO = (None, None, None, None, None)
_NO_STATUS = (None, None, None, None, None, None, None)
_NO_DEBITEUR = (None, None, None, None, None)
_REGEL_COLUMNS = ("vordering_id", "volgnummer", *_REGEL_FIELDS, "vorm")
_TOTAALREGEL_COLUMNS = ("vordering_id", "volgnummer", "totaalbedrag_btw", "btw_categorie", "vorm")
_TERMIJN_COLUMNS = ("vordering_id", "volgnummer", "datum", "termijnbedrag", "vervaldatum", "vorm")
_HISTORY_COLUMNS = ("vordering_id", "bericht_id", "bron", "ontvangen_op", "status", "datum_en_tijd", "tijdstip",
                    "totaal_betaald", "deel_bedrag_betaald", "opmerkingen", "vorm")


def _vordering_values(v: Vordering, vid: int, bericht_id: int | None, received_at: datetime) -> tuple[Any, ...]:
    """The ``vordering`` row of ``v``, in the order of :data:`_VORDERING_COLUMNS`."""
    meta, organisatie = v.metagegevens, v.vorderende_organisatie
    i, schema, s, d = v.automatische_incasso, v.invorderingsschema, v.vorderingstatus, v.debiteur
    z, g, o = v.zaak, v.gerelateerde_vordering, v.organisatorische_eenheid
    return (
        vid, bericht_id, received_at, organisatie.sleutel, v.tsa, v.vorderingnummer, v.factuurnummer,
        v.creatiedatum, v.factuurdatum, v.vervaldatum, v.indicator_factuur_uitgestuurd,
        v.algemene_factuuromschrijving, v.valutacode, v.totaalbedrag_excl_btw, v.totaalbedrag_btw,
        v.totaalbedrag_incl_btw, v.taaknummer, v.indicator_publiekrechtelijk, v.vorm or None, organisatie.xml,
        meta.tijdvak_geldigheid, meta.tijdstip_registratie, meta.extra_elementen,
        *((i.machtigingskenmerk, i.afgiftedatum_incasso, i.rekeningnummer, i.bic, i.vorm) if i is not None
          else _NO_INCASSO),
        schema.invorderingsregime if schema else None, schema.vorm if schema else None,
        *((s.status, s.datum_en_tijd, s.moment(), s.totaal_betaald, s.deel_bedrag_betaald, s.opmerkingen, s.vorm)
          if s is not None else _NO_STATUS),
        *((d.soort, d.bsn, d.nnp_id, d.debiteurnummer, d.xml) if d is not None else _NO_DEBITEUR),
        z.identificatie if z else None, z.xml if z else None,
        g.vorderingnummer if g else None, g.organisatie if g else None, g.xml if g else None,
        o.identificatie if o else None, o.xml if o else None)


def _status_columns(s: Vorderingstatus | None) -> dict[str, Any]:
    """The current-status columns of a vordering."""
    if s is None:
        return {"status": None, "status_datum_en_tijd": None, "status_tijdstip": None, "totaal_betaald": None,
                "deel_bedrag_betaald": None, "status_opmerkingen": None, "status_vorm": None}
    return {"status": s.status, "status_datum_en_tijd": s.datum_en_tijd, "status_tijdstip": s.moment(),
            "totaal_betaald": s.totaal_betaald, "deel_bedrag_betaald": s.deel_bedrag_betaald,
            "status_opmerkingen": s.opmerkingen, "status_vorm": s.vorm}


def _history_values(vordering_id: int, s: Vorderingstatus, source: str, bericht_id: int | None,
                    received_at: datetime) -> tuple[Any, ...]:
    """A ``vorderingstatus`` row, in the order of :data:`_HISTORY_COLUMNS`."""
    return (vordering_id, bericht_id, source, received_at, s.status, s.datum_en_tijd, s.moment(), s.totaal_betaald,
            s.deel_bedrag_betaald, s.opmerkingen, s.vorm or None)


def vordering_rows(vorderingen: Sequence[Vordering], ids: Sequence[int], *, bericht_id: int | None,
                   received_at: datetime) -> list[Rows]:
    """The rows that store ``vorderingen`` (with these ``ids``) and their children, per table in insert order."""
    rows, regels, totaalregels, termijnen, statuses = [], [], [], [], []
    for vid, v in zip(ids, vorderingen, strict=True):
        rows.append(_vordering_values(v, vid, bericht_id, received_at))
        for n, r in enumerate(v.vorderingsregels, 1):
            regels.append((vid, n, r.bedrag_excl_btw, r.bedrag_incl_btw, r.bedrag_btw, r.btw_categorie,
                           r.btw_percentage, r.vorderingtype, r.vorderingcode, r.vorderingtoelichting,
                           r.vorderingomschrijving, r.aantal, r.eenheid, r.stuks_prijs_excl_btw, r.vorm or None))
        for n, t in enumerate(v.totaalregels_btw, 1):
            totaalregels.append((vid, n, t.totaalbedrag_btw, t.btw_categorie, t.vorm or None))
        if v.invorderingsschema is not None:
            for n, tm in enumerate(v.invorderingsschema.termijnen, 1):
                termijnen.append((vid, n, tm.datum, tm.termijnbedrag, tm.vervaldatum, tm.vorm or None))
        if v.vorderingstatus is not None:
            statuses.append(_history_values(vid, v.vorderingstatus, "vordering", bericht_id, received_at))
    return [Rows(vordering, _VORDERING_COLUMNS, rows), Rows(vorderingsregel, _REGEL_COLUMNS, regels),
            Rows(btw_totaalregel, _TOTAALREGEL_COLUMNS, totaalregels), Rows(termijn, _TERMIJN_COLUMNS, termijnen),
            Rows(vorderingstatus, _HISTORY_COLUMNS, statuses)]


def insert_vorderingen(conn: Connection, vorderingen: Sequence[Vordering], *, bericht_id: int | None,
                       received_at: datetime) -> list[int]:
    """Store ``vorderingen`` with all their children; sets and returns their ids (in order).

    Ids are reserved up front; the tables' rows go in with :func:`stuf_fin.store.bulk.insert_tables`
    (``executemany`` on SQLite; on PostgreSQL ``COPY``, or few rows in one statement).  A key that exists already raises
    :class:`sqlalchemy.exc.IntegrityError` (the caller checks first).
    """
    if not vorderingen:
        return []
    ids = reserve_ids(conn, vordering, len(vorderingen))
    insert_tables(conn, [(r.table, r.columns, r.values) for r in vordering_rows(
        vorderingen, ids, bericht_id=bericht_id, received_at=received_at)])
    for vid, v in zip(ids, vorderingen, strict=True):
        v.id = vid
    return ids


def insert_new_vordering(conn: Connection, v: Vordering, *, bericht_id: int | None, received_at: datetime
                         ) -> int | None:
    """Store one vordering with its children unless its key is stored already (then None and nothing stored).

    The key check is the insert itself (``ON CONFLICT DO NOTHING RETURNING id``; the database assigns the id):
    two statements fewer than a lookup, an id reservation and an insert, for the common message of one vordering.
    """
    [parent, *children] = vordering_rows([v], [0], bericht_id=bericht_id, received_at=received_at)
    names, values = parent.columns[1:], parent.values[0][1:]  # without the id
    rows = run(conn, insert_statement(conn, vordering, names) + _NEW, process(conn, vordering, names, values),
               fetch=True)
    if not rows:
        return None
    vid: int = rows[0][0]
    # the children's first column is vordering_id
    insert_tables(conn, [(r.table, r.columns, [(vid, *row[1:]) for row in r.values]) for r in children])
    v.id = vid
    return vid


_NEW = " ON CONFLICT (organisatie_nnp_id, tsa, vorderingnummer) DO NOTHING RETURNING id"


# -- status ----------------------------------------------------------------------------------------------

@dataclass
class StatusHistoryEntry:
    """One entry of a vordering's status history."""

    status: Vorderingstatus
    source: str  # column bron: "vordering" (sent with the vordering) or "statuswijziging"
    bericht_id: int | None
    received_at: datetime  # column ontvangen_op


def add_status(conn: Connection, vordering_id: int, status: Vorderingstatus, *, bericht_id: int | None,
               received_at: datetime, source: str = "statuswijziging") -> None:
    """Append ``status`` to the history and make it the vordering's current status."""
    conn.execute(sa.insert(vorderingstatus), [dict(zip(_HISTORY_COLUMNS, _history_values(
        vordering_id, status, source, bericht_id, received_at), strict=True))])
    conn.execute(sa.update(vordering).where(vordering.c.id == vordering_id).values(**_status_columns(status)))


def status_history(conn: Connection, vordering_id: int) -> list[StatusHistoryEntry]:
    """The status history of a vordering, oldest first."""
    c = vorderingstatus.c
    rows = conn.execute(sa.select(vorderingstatus).where(c.vordering_id == vordering_id).order_by(c.id))
    return [StatusHistoryEntry(
        Vorderingstatus(status=r.status, datum_en_tijd=r.datum_en_tijd, totaal_betaald=r.totaal_betaald,
                        deel_bedrag_betaald=r.deel_bedrag_betaald, opmerkingen=r.opmerkingen, vorm=r.vorm or {}),
        r.bron, r.bericht_id, r.ontvangen_op) for r in rows]


# -- load ------------------------------------------------------------------------------------------------

#: The child tables a vordering is loaded with, and their columns in the JSON array of each row.
_CHILDREN = ((vorderingsregel, ("volgnummer", *_REGEL_FIELDS, "vorm")),
             (btw_totaalregel, ("volgnummer", "totaalbedrag_btw", "btw_categorie", "vorm")),
             (termijn, ("volgnummer", "datum", "termijnbedrag", "vervaldatum", "vorm")))


def _children(dialect: str, table: sa.Table, columns: Sequence[str]) -> sa.ColumnElement[Any]:
    """The rows of a child table of the outer query's vordering as one JSON array of arrays (NULL or ``[]``: none)."""
    if dialect == "postgresql":
        row = sa.func.json_build_array(*(table.c[k] for k in columns))
        array = sa.func.json_agg(row, type_=sa.JSON)
    else:  # SQLite: the vorm text parsed (json()), so that it is nested, not quoted
        row = sa.func.json_array(*(sa.func.json(table.c[k]) if k == "vorm" else table.c[k] for k in columns))
        array = sa.func.json_group_array(row, type_=sa.JSON)
    rows = sa.select(array).where(table.c.vordering_id == vordering.c.id).scalar_subquery()
    if table is termijn:  # termijnen exist only inside an invorderingsSchema (NULL schema_vorm: none was sent)
        return sa.case((vordering.c.schema_vorm.is_not(None), rows), else_=sa.null()).label(table.name)
    return rows.label(table.name)


def vorderingen_select(dialect: str, ids: sa.Select[Any]) -> sa.Select[Any]:
    """One SELECT of complete vorderingen: the rows of ``vordering`` whose id ``ids`` selects (a SELECT of one
    column ``id``), each with its regels, totaalregels and termijnen (:func:`vorderingen_from`).  One statement
    instead of one per table; the caller adds the ORDER BY."""
    z = ids.subquery("z")
    return sa.select(vordering, *(_children(dialect, t, k) for t, k in _CHILDREN)).join(z, z.c.id == vordering.c.id)


def vorderingen_from(rows: Iterable[Any]) -> list[Vordering]:
    """The vorderingen of rows of :func:`vorderingen_select`, in row order."""
    return [_vordering(r, _sorted(r.vorderingsregel), _sorted(r.btw_totaalregel), _sorted(r.termijn))
            for r in rows]


def _sorted(rows: list[list[Any]] | None) -> list[list[Any]]:
    return sorted(rows, key=_volgnummer) if rows else []


def _volgnummer(row: list[Any]) -> int:
    volgnummer: int = row[0]
    return volgnummer


_LOAD = {d: vorderingen_select(d, sa.select(vordering.c.id).where(vordering.c.id.in_(sa.bindparam(
    "ids", expanding=True)))) for d in ("postgresql", "sqlite")}


def load_vorderingen(conn: Connection, ids: Sequence[int]) -> list[Vordering]:
    """The vorderingen with these ids, complete, in the order of ``ids`` (unknown ids are left out)."""
    ids = list(dict.fromkeys(ids))
    found: dict[int | None, Vordering] = {}
    for chunk in chunks(ids, CHUNK):
        found.update((v.id, v) for v in vorderingen_from(conn.execute(_LOAD[conn.dialect.name], {"ids": list(chunk)})))
    return [found[i] for i in ids if i in found]


def load_vordering(conn: Connection, vordering_id: int) -> Vordering | None:
    """One complete vordering, or None."""
    found = load_vorderingen(conn, [vordering_id])
    return found[0] if found else None


def _date(value: str | None) -> date | None:
    """A date of a child row (JSON: ISO text)."""
    return date.fromisoformat(value) if value is not None else None


def _vordering(r: Any, regels: list[list[Any]], totaalregels: list[list[Any]], termijnen: list[list[Any]]
               ) -> Vordering:
    v = Vordering(
        vorderingnummer=r.vorderingnummer, creatiedatum=r.creatiedatum, tsa=r.tsa,
        indicator_factuur_uitgestuurd=r.indicator_factuur_uitgestuurd,
        algemene_factuuromschrijving=r.algemene_factuuromschrijving, valutacode=r.valutacode,
        totaalbedrag_excl_btw=r.totaalbedrag_excl_btw, totaalbedrag_btw=r.totaalbedrag_btw,
        totaalbedrag_incl_btw=r.totaalbedrag_incl_btw, indicator_publiekrechtelijk=r.indicator_publiekrechtelijk,
        vorderende_organisatie=VorderendeOrganisatie(r.organisatie_xml, nnp_id=r.organisatie_nnp_id or None),
        factuurnummer=r.factuurnummer, factuurdatum=r.factuurdatum, vervaldatum=r.vervaldatum,
        taaknummer=r.taaknummer,
        # (the fields of Vorderingsregel are in the order of _REGEL_FIELDS)
        vorderingsregels=[Vorderingsregel(*x[1:-1], vorm=x[-1] or {})  # type: ignore[misc]  # x[1:-1]: the fields
                          for x in regels],  # before vorm
        totaalregels_btw=[BtwTotaalregel(x[1], x[2], vorm=x[3] or {}) for x in totaalregels],
        metagegevens=Metagegevens(r.tijdvak_geldigheid_xml, r.tijdstip_registratie_xml, r.extra_elementen_xml),
        vorm=r.vorm or {}, id=r.id)
    if r.incasso_vorm is not None:
        v.automatische_incasso = AutomatischeIncasso(r.machtigingskenmerk, r.afgiftedatum_incasso,
                                                     r.rekeningnummer, r.bic, vorm=r.incasso_vorm)
    if r.schema_vorm is not None:
        v.invorderingsschema = InvorderingsSchema(r.invorderingsregime, vorm=r.schema_vorm, termijnen=[
            Termijn(_date(x[1]), x[2], _date(x[3]), vorm=x[4] or {}) for x in termijnen])
    if r.status_vorm is not None:
        v.vorderingstatus = Vorderingstatus(r.status, r.status_datum_en_tijd, r.totaal_betaald,
                                            r.deel_bedrag_betaald, r.status_opmerkingen, vorm=r.status_vorm)
    if r.debiteur_xml is not None:
        v.debiteur = Debiteur(r.debiteur_xml, soort=r.debiteur_soort, bsn=r.debiteur_bsn, nnp_id=r.debiteur_nnp_id,
                              debiteurnummer=r.debiteurnummer)
    if r.zaak_xml is not None:
        v.zaak = Zaak(r.zaak_xml, identificatie=r.zaak_identificatie)
    if r.gerelateerde_vordering_xml is not None:
        v.gerelateerde_vordering = GerelateerdeVordering(
            r.gerelateerde_vordering_xml, vorderingnummer=r.gerelateerde_vorderingnummer,
            organisatie=r.gerelateerde_organisatie_nnp_id)
    if r.oeh_xml is not None:
        v.organisatorische_eenheid = OrganisatorischeEenheid(r.oeh_xml, identificatie=r.oeh_identificatie)
    return v


__all__ = [
    "SUMMARY",
    "Rows",
    "StatusHistoryEntry",
    "add_status",
    "existing_keys",
    "find_by_vorderingnummer",
    "find_vordering",
    "find_vorderingen",
    "insert_vorderingen",
    "known_vorderingnummers",
    "load_vordering",
    "load_vorderingen",
    "status_history",
    "summaries",
    "summaries_by_vorderingnummer",
    "vordering_rows",
    "vorderingen_from",
    "vorderingen_select",
]
