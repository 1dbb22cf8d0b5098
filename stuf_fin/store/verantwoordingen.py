"""Repository for financiële verantwoordingen and their boekingen (inside the caller's transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.fin.model import (
    Boeking,
    Metagegevens,
    Verantwoording,
    VerantwoordingSleutel,
    VorderendeOrganisatie,
    parse_datetime,
)
from stuf_fin.store.db import chunks, reserve_ids
from stuf_fin.store.tables import boeking, verantwoording

_BOEKING_FIELDS = ("boekingsleutel", "boekingbedrag_incl_btw", "boekingbedrag_excl_btw", "boekingbedrag_btw")


def existing_verantwoordingen(conn: Connection, keys: Iterable[VerantwoordingSleutel]
                              ) -> set[VerantwoordingSleutel]:
    """Those of ``keys`` that are stored already."""
    wanted = list(dict.fromkeys(keys))
    found: set[VerantwoordingSleutel] = set()
    c = verantwoording.c
    for chunk in chunks(wanted):
        stmt = sa.select(c.organisatie_nnp_id, c.verantwoordingsnummer).where(
            sa.tuple_(c.organisatie_nnp_id, c.verantwoordingsnummer).in_(
                [(k.organisatie, k.verantwoordingsnummer) for k in chunk]))
        found.update(VerantwoordingSleutel(*row) for row in conn.execute(stmt))
    return found


def insert_verantwoordingen(conn: Connection, verantwoordingen: Sequence[Verantwoording], *,
                            bericht_id: int | None, received_at: datetime) -> list[int]:
    """Store ``verantwoordingen`` with their boekingen; sets and returns their ids (in order)."""
    if not verantwoordingen:
        return []
    rows = [{
        "bericht_id": bericht_id, "ontvangen_op": received_at,
        "organisatie_nnp_id": f.vorderende_organisatie.sleutel, "verantwoordingsnummer": f.verantwoordingsnummer,
        "datum_en_tijd": f.datum_en_tijd, "tijdstip": parse_datetime(f.datum_en_tijd),
        "boekingperiode_omschrijving": f.boekingperiode_omschrijving, "begindatum": f.begindatum,
        "einddatum": f.einddatum, "vorm": f.vorm or None, "organisatie_xml": f.vorderende_organisatie.xml,
        "tijdvak_geldigheid_xml": f.metagegevens.tijdvak_geldigheid,
        "tijdstip_registratie_xml": f.metagegevens.tijdstip_registratie,
        "extra_elementen_xml": f.metagegevens.extra_elementen,
    } for f in verantwoordingen]
    ids = reserve_ids(conn, verantwoording, len(rows))
    for fid, row in zip(ids, rows, strict=True):
        row["id"] = fid
    conn.execute(sa.insert(verantwoording), rows)
    boekingen = []
    for fid, f in zip(ids, verantwoordingen, strict=True):
        f.id = fid
        for n, b in enumerate(f.boekingen, 1):
            row = {field: getattr(b, field) for field in _BOEKING_FIELDS}
            row.update(verantwoording_id=fid, volgnummer=n, vorm=b.vorm or None)
            boekingen.append(row)
    if boekingen:
        conn.execute(sa.insert(boeking), boekingen)
    return ids


def find_verantwoording(conn: Connection, organisatie: str, verantwoordingsnummer: str) -> int | None:
    c = verantwoording.c
    return conn.execute(sa.select(c.id).where(c.organisatie_nnp_id == organisatie,
                                              c.verantwoordingsnummer == verantwoordingsnummer)).scalar_one_or_none()


def load_verantwoordingen(conn: Connection, ids: Sequence[int]) -> list[Verantwoording]:
    """The verantwoordingen with these ids, complete, in the order of ``ids``."""
    ids = list(dict.fromkeys(ids))
    rows: dict[int, Any] = {}
    per_fvw: dict[int, list[Boeking]] = defaultdict(list)
    for chunk in chunks(ids):
        rows.update((r.id, r) for r in conn.execute(sa.select(verantwoording).where(verantwoording.c.id.in_(chunk))))
        stmt = sa.select(boeking).where(boeking.c.verantwoording_id.in_(chunk)).order_by(
            boeking.c.verantwoording_id, boeking.c.volgnummer)
        for b in conn.execute(stmt):
            per_fvw[b.verantwoording_id].append(
                Boeking(**{field: getattr(b, field) for field in _BOEKING_FIELDS}, vorm=b.vorm or {}))
    return [Verantwoording(
        verantwoordingsnummer=r.verantwoordingsnummer, datum_en_tijd=r.datum_en_tijd, begindatum=r.begindatum,
        einddatum=r.einddatum,
        vorderende_organisatie=VorderendeOrganisatie(r.organisatie_xml, nnp_id=r.organisatie_nnp_id or None),
        boekingperiode_omschrijving=r.boekingperiode_omschrijving, boekingen=per_fvw.get(r.id, []),
        metagegevens=Metagegevens(r.tijdvak_geldigheid_xml, r.tijdstip_registratie_xml, r.extra_elementen_xml),
        vorm=r.vorm or {}, id=r.id) for r in (rows[i] for i in ids if i in rows)]
