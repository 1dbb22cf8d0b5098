"""Queries behind a vrdLv01: one SELECT for the ids of the matching vorderingen (selection, visibility,
order, follow-up start and limit in SQL), then the batched loaders of :mod:`stuf_fin.store.vorderingen`.

Sort orders (documented in ``docs/vraag.md``; both total, so a follow-up question can continue after
a known object):

* ``0``: ``id`` ascending (the order of storage);
* ``1``: the moment of the current status (``vorderingstatus/datumEnTijd``) descending, vorderingen
  without a status last, then ``id`` ascending.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.fin.vraag.query import Startpunt, Voorwaarde, Zoekvraag
from stuf_fin.store.tables import btw_totaalregel, termijn, vordering, vorderingsregel

#: Child tables a group criterion can run on (EXISTS on one row).
GROEP_TABELLEN = {t.name: t for t in (vorderingsregel, btw_totaalregel, termijn)}
#: Columns stored as "" (never NULL) when the value is absent.
_LEEG_IS_LEGE_TEKST = frozenset({"organisatie_nnp_id"})


def _voorwaarde(table: sa.Table, v: Voorwaarde) -> sa.ColumnElement[bool]:
    col = table.c[v.kolom]
    if v.soort == "gelijk":
        return col == v.waarde
    if v.soort == "begint":
        tekst = str(v.waarde)
        return sa.func.substr(col, 1, len(tekst)) == tekst  # case-sensitive on both databases
    if v.soort == "leeg":
        return col == "" if v.kolom in _LEEG_IS_LEGE_TEKST else col.is_(None)
    if v.soort == "niet":
        return sa.or_(col.is_(None), col != v.waarde)
    raise ValueError(f"onbekende soort voorwaarde {v.soort!r}")


def _selectie(vraag: Zoekvraag) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of the selection (criteria, key, visibility)."""
    c = vordering.c
    condities: list[sa.ColumnElement[bool]] = []
    if vraag.sleutel is not None:
        geldig = vraag.sleutel.isascii() and vraag.sleutel.isdigit() and len(vraag.sleutel) <= 18
        condities.append(c.id == int(vraag.sleutel) if geldig else sa.false())
    condities += [_voorwaarde(vordering, v) for v in vraag.voorwaarden]
    for groep in vraag.groepen:
        tabel = GROEP_TABELLEN[groep.tabel]
        condities.append(sa.exists().where(tabel.c.vordering_id == c.id,
                                           *(_voorwaarde(tabel, v) for v in groep.voorwaarden)))
    if vraag.zichtbare_tsas is not None:
        condities.append(c.tsa.in_(sorted(vraag.zichtbare_tsas)) if vraag.zichtbare_tsas else sa.false())
    return condities


def zoek_stmt(vraag: Zoekvraag, limiet: int) -> sa.Select:
    """The SELECT of the ids (exposed so that the benchmark can time the bare query).

    Sortering 1 is a UNION ALL of two index-friendly parts, each limited: the vorderingen with a status
    moment (``status_tijdstip DESC, id``) and those without (``id``); the outer ORDER BY sorts at most
    2 × ``limiet`` rows.  One ORDER BY over the nullable column could use no index on either database.
    """
    c = vordering.c
    condities = _selectie(vraag)
    na = vraag.na
    if vraag.sortering != 1:
        stmt = sa.select(c.id).where(*condities)
        if na is not None:
            stmt = stmt.where(c.id > na.id)
        return stmt.order_by(c.id).limit(limiet)
    met = sa.select(c.id, sa.literal(0).label("groep"), c.status_tijdstip).where(
        *condities, c.status_tijdstip.is_not(None))
    zonder = sa.select(c.id, sa.literal(1).label("groep"), c.status_tijdstip).where(
        *condities, c.status_tijdstip.is_(None))
    if na is not None and na.status_tijdstip is not None:
        met = met.where(sa.or_(c.status_tijdstip < na.status_tijdstip,
                               sa.and_(c.status_tijdstip == na.status_tijdstip, c.id > na.id)))
    elif na is not None:
        met = met.where(sa.false())
        zonder = zonder.where(c.id > na.id)
    delen = sa.union_all(
        sa.select(met.order_by(c.status_tijdstip.desc(), c.id).limit(limiet).subquery()),
        sa.select(zonder.order_by(c.id).limit(limiet).subquery())).subquery()
    return sa.select(delen.c.id).order_by(delen.c.groep, delen.c.status_tijdstip.desc(), delen.c.id).limit(limiet)


def zoek_ids(conn: Connection, vraag: Zoekvraag, limiet: int) -> list[int]:
    """The ids of at most ``limiet`` matching vorderingen, in the asked order."""
    if limiet <= 0:
        return []
    return list(conn.execute(zoek_stmt(vraag, limiet)).scalars())


def startpunt(conn: Connection, ids: Sequence[int]) -> Startpunt | None:
    """The sort key of the first of ``ids`` that is stored (None when none is)."""
    if not ids:
        return None
    c = vordering.c
    rows = {r.id: r for r in conn.execute(sa.select(c.id, c.status_tijdstip).where(c.id.in_(list(ids))))}
    for i in ids:
        if i in rows:
            return Startpunt(i, rows[i].status_tijdstip)
    return None


__all__ = ["GROEP_TABELLEN", "startpunt", "zoek_ids", "zoek_stmt"]
