"""The database schema (SQLAlchemy Core).  ``migrations/versions`` must produce exactly this.

Conventions:

* amounts in cents and other ``xs:integer`` values: ``BigInteger``;
* ``xs:date``: ``Date``; ``xs:dateTime``: the lexical form as received (``*_datum_en_tijd``) plus the
  moment in UTC (``*_tijdstip``) for sorting;
* ``vorm`` columns (JSON): the attributes and lexical forms the typed columns cannot carry
  (see :data:`stuf_fin.fin.model.Markup`); for an optional group (``incasso_vorm``, ``schema_vorm``,
  ``status_vorm``) NULL means the group was absent and ``{}`` that it was present;
* ``*_xml`` columns: a relation or StUF metadata element exactly as received (UTF-8).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

#: A 64-bit primary key that is SQLite's ROWID (so it autoincrements there too).
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON(none_as_null=True)


class UtcTime(sa.TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back as an aware datetime (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: a moment needs a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> sa.Column[Any]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, cascade: bool = True, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, Id, sa.ForeignKey(target, ondelete="CASCADE" if cascade else None),
                     nullable=nullable)


bericht = sa.Table(
    "bericht", metadata,
    _id(),
    sa.Column("port", sa.Text, nullable=False),
    sa.Column("operation", sa.Text, nullable=False),
    sa.Column("direction", sa.String(3), nullable=False),  # "in" or "out"
    sa.Column("zender_organisatie", sa.Text, nullable=False, server_default=""),
    sa.Column("zender_applicatie", sa.Text, nullable=False, server_default=""),
    sa.Column("zender_administratie", sa.Text, nullable=False, server_default=""),
    sa.Column("zender_gebruiker", sa.Text, nullable=False, server_default=""),
    sa.Column("ontvanger_organisatie", sa.Text, nullable=False, server_default=""),
    sa.Column("ontvanger_applicatie", sa.Text, nullable=False, server_default=""),
    sa.Column("ontvanger_administratie", sa.Text, nullable=False, server_default=""),
    sa.Column("ontvanger_gebruiker", sa.Text, nullable=False, server_default=""),
    sa.Column("referentienummer", sa.Text, nullable=False, server_default=""),
    sa.Column("tijdstip_bericht", sa.Text, nullable=False, server_default=""),
    sa.Column("cross_refnummer", sa.Text, nullable=False, server_default=""),
    sa.Column("content_hash", sa.String(64), nullable=False, server_default=""),
    sa.Column("reply", sa.LargeBinary),
    sa.Column("outcome", sa.String(8)),  # Bv03, Fo03, Fo02, La01
    sa.Column("fault_code", sa.String(16)),
    sa.Column("authenticated_identity", sa.Text),  # of the peer (TLS client certificate), when known
    sa.Column("received_at", UtcTime(), nullable=False),
    sa.Column("answered_at", UtcTime()),
    # an identical resend (StUF016) of this earlier accepted message, answered with that message's Bv03
    _fk("resend_of", "bericht.id", cascade=False, nullable=True),
    # the raw request, last: SQLite keeps a zero-filled last column virtual while a large request is written into
    # it (store/archive.py::vul_request); PostgreSQL compresses request and reply with lz4 where available
    # (migration 0005)
    sa.Column("request", sa.LargeBinary, nullable=False),
    sa.Index(None, "referentienummer"),
    sa.Index(None, "cross_refnummer"),
    # the message log (store/message_log.py): newest first, keyset paging on (received_at, id), per filter
    sa.Index(None, "received_at", "id"),
    sa.Index(None, "operation", "received_at", "id"),
    sa.Index(None, "outcome", "received_at", "id"),
    sa.Index(None, "fault_code", "received_at", "id"),
    sa.Index(None, "zender_applicatie", "received_at", "id"),
    sa.Index(None, "resend_of"),
)

#: Upper bounds (ms) of the handling-time histogram of :data:`bericht_stats`; slower answers count only in
#: ``messages`` (the overflow bucket is ``messages`` minus the sum of these columns).
DURATION_BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)

#: Answered messages counted per 5 minutes, operation, outcome and fault code, with a histogram of their
#: handling time; kept up to date in the transaction that records the answer (store/message_stats.py).
bericht_stats = sa.Table(
    "bericht_stats", metadata,
    sa.Column("bucket", UtcTime(), primary_key=True),  # start of the 5 minutes the answer was recorded in
    sa.Column("operation", sa.Text, primary_key=True),
    sa.Column("outcome", sa.String(8), primary_key=True),
    sa.Column("fault_code", sa.String(16), primary_key=True),  # "" without a fault
    sa.Column("messages", sa.BigInteger, nullable=False),
    sa.Column("duration_ms_sum", sa.BigInteger, nullable=False),
    *(sa.Column(f"le_{bound}", sa.BigInteger, nullable=False, server_default="0") for bound in DURATION_BOUNDS_MS),
)

ontvangen_referentie = sa.Table(
    "ontvangen_referentie", metadata,
    _id(),
    sa.Column("port", sa.Text, nullable=False),
    sa.Column("zender_organisatie", sa.Text, nullable=False),
    sa.Column("zender_applicatie", sa.Text, nullable=False),
    sa.Column("zender_administratie", sa.Text, nullable=False),
    sa.Column("zender_gebruiker", sa.Text, nullable=False),
    sa.Column("referentienummer", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    _fk("bericht_id", "bericht.id", cascade=False),
    sa.UniqueConstraint("port", "zender_organisatie", "zender_applicatie", "zender_administratie",
                        "zender_gebruiker", "referentienummer", name="uq_ontvangen_referentie_sleutel"),
)

vordering = sa.Table(
    "vordering", metadata,
    _id(),
    _fk("bericht_id", "bericht.id", cascade=False, nullable=True),
    sa.Column("ontvangen_op", UtcTime(), nullable=False),
    # key
    sa.Column("organisatie_nnp_id", sa.String(17), nullable=False),  # "" when empty or nil
    sa.Column("tsa", sa.String(200), nullable=False),
    sa.Column("vorderingnummer", sa.String(64), nullable=False),
    # kerngegevens
    sa.Column("factuurnummer", sa.String(64)),
    sa.Column("creatiedatum", sa.Date, nullable=False),
    sa.Column("factuurdatum", sa.Date),
    sa.Column("vervaldatum", sa.Date),
    sa.Column("indicator_factuur_uitgestuurd", sa.String(1), nullable=False),
    sa.Column("algemene_factuuromschrijving", sa.Text, nullable=False),
    sa.Column("valutacode", sa.String(3), nullable=False),
    sa.Column("totaalbedrag_excl_btw", sa.BigInteger, nullable=False),
    sa.Column("totaalbedrag_btw", sa.BigInteger, nullable=False),
    sa.Column("totaalbedrag_incl_btw", sa.BigInteger, nullable=False),
    sa.Column("taaknummer", sa.String(64)),
    sa.Column("indicator_publiekrechtelijk", sa.String(1), nullable=False),
    # automatischeIncasso
    sa.Column("machtigingskenmerk", sa.Text),
    sa.Column("afgiftedatum_incasso", sa.Date),
    sa.Column("rekeningnummer", sa.Text),
    sa.Column("bic", sa.Text),
    sa.Column("incasso_vorm", Json),
    # invorderingsSchema (termijnen: table termijn)
    sa.Column("invorderingsregime", sa.Text),
    sa.Column("schema_vorm", Json),
    # current vorderingstatus (history: table vorderingstatus)
    sa.Column("status", sa.String(3)),
    sa.Column("status_datum_en_tijd", sa.Text),
    sa.Column("status_tijdstip", UtcTime()),
    sa.Column("totaal_betaald", sa.BigInteger),
    sa.Column("deel_bedrag_betaald", sa.BigInteger),
    sa.Column("status_opmerkingen", sa.Text),
    sa.Column("status_vorm", Json),
    # relations: identifying values
    sa.Column("debiteur_soort", sa.String(3)),  # NPS, NNP; NULL without debiteur
    sa.Column("debiteur_bsn", sa.String(17)),
    sa.Column("debiteur_nnp_id", sa.String(17)),
    sa.Column("debiteurnummer", sa.Text),
    sa.Column("zaak_identificatie", sa.Text),
    sa.Column("gerelateerde_vorderingnummer", sa.Text),
    sa.Column("gerelateerde_organisatie_nnp_id", sa.Text),
    sa.Column("oeh_identificatie", sa.Text),
    sa.Column("vorm", Json),
    # as received
    sa.Column("debiteur_xml", sa.LargeBinary),
    sa.Column("organisatie_xml", sa.LargeBinary, nullable=False),
    sa.Column("zaak_xml", sa.LargeBinary),
    sa.Column("gerelateerde_vordering_xml", sa.LargeBinary),
    sa.Column("oeh_xml", sa.LargeBinary),
    sa.Column("tijdvak_geldigheid_xml", sa.LargeBinary),
    sa.Column("tijdstip_registratie_xml", sa.LargeBinary),
    sa.Column("extra_elementen_xml", sa.LargeBinary),
    sa.UniqueConstraint("organisatie_nnp_id", "tsa", "vorderingnummer", name="uq_vordering_sleutel"),
    sa.Index(None, "vorderingnummer"),
    sa.Index(None, "factuurnummer"),
    sa.Index(None, "tsa", "status"),
    sa.Index(None, "creatiedatum"),
    sa.Index(None, "vervaldatum"),
    sa.Index(None, "debiteur_bsn"),
    sa.Index(None, "debiteur_nnp_id"),
    sa.Index(None, "debiteurnummer"),
    sa.Index(None, "zaak_identificatie"),
    sa.Index(None, "bericht_id"),  # the console: the vorderingen a message created
)
#: vrdLv01 sortering 1 within a tsa and status (store/vraag.py: status moment descending, then id)
sa.Index("ix_vordering_tsa_status_sortering", vordering.c.tsa, vordering.c.status, vordering.c.status_tijdstip.desc(),
         vordering.c.id)

vorderingsregel = sa.Table(
    "vorderingsregel", metadata,
    _id(),
    _fk("vordering_id", "vordering.id"),
    sa.Column("volgnummer", sa.Integer, nullable=False),
    sa.Column("bedrag_excl_btw", sa.BigInteger),
    sa.Column("bedrag_incl_btw", sa.BigInteger),
    sa.Column("bedrag_btw", sa.BigInteger),
    sa.Column("btw_categorie", sa.String(3)),
    sa.Column("btw_percentage", sa.BigInteger),
    sa.Column("vorderingtype", sa.String(3)),
    sa.Column("vorderingcode", sa.Text),
    sa.Column("vorderingtoelichting", sa.Text),
    sa.Column("vorderingomschrijving", sa.Text),
    sa.Column("aantal", sa.BigInteger),
    sa.Column("eenheid", sa.Text),
    sa.Column("stuks_prijs_excl_btw", sa.BigInteger),
    sa.Column("vorm", Json),
    sa.UniqueConstraint("vordering_id", "volgnummer"),
)

btw_totaalregel = sa.Table(
    "btw_totaalregel", metadata,
    _id(),
    _fk("vordering_id", "vordering.id"),
    sa.Column("volgnummer", sa.Integer, nullable=False),
    sa.Column("totaalbedrag_btw", sa.BigInteger),
    sa.Column("btw_categorie", sa.String(3)),
    sa.Column("vorm", Json),
    sa.UniqueConstraint("vordering_id", "volgnummer"),
)

termijn = sa.Table(
    "termijn", metadata,
    _id(),
    _fk("vordering_id", "vordering.id"),
    sa.Column("volgnummer", sa.Integer, nullable=False),
    sa.Column("datum", sa.Date),
    sa.Column("termijnbedrag", sa.BigInteger),
    sa.Column("vervaldatum", sa.Date),
    sa.Column("vorm", Json),
    sa.UniqueConstraint("vordering_id", "volgnummer"),
)

vorderingstatus = sa.Table(
    "vorderingstatus", metadata,
    _id(),
    _fk("vordering_id", "vordering.id"),
    _fk("bericht_id", "bericht.id", cascade=False, nullable=True),
    sa.Column("bron", sa.String(16), nullable=False),  # "vordering" (in the Di01) or "statuswijziging"
    sa.Column("ontvangen_op", UtcTime(), nullable=False),
    sa.Column("status", sa.String(3)),
    sa.Column("datum_en_tijd", sa.Text),
    sa.Column("tijdstip", UtcTime()),
    sa.Column("totaal_betaald", sa.BigInteger),
    sa.Column("deel_bedrag_betaald", sa.BigInteger),
    sa.Column("opmerkingen", sa.Text),
    sa.Column("vorm", Json),
    sa.Index(None, "vordering_id"),
    sa.Index(None, "bericht_id"),  # the console: the vorderingen a message changed
)

verantwoording = sa.Table(
    "verantwoording", metadata,
    _id(),
    _fk("bericht_id", "bericht.id", cascade=False, nullable=True),
    sa.Column("ontvangen_op", UtcTime(), nullable=False),
    sa.Column("organisatie_nnp_id", sa.String(17), nullable=False),  # "" when empty or nil
    sa.Column("verantwoordingsnummer", sa.String(64), nullable=False),
    sa.Column("datum_en_tijd", sa.Text, nullable=False),
    sa.Column("tijdstip", UtcTime()),
    sa.Column("boekingperiode_omschrijving", sa.Text),
    sa.Column("begindatum", sa.Date, nullable=False),
    sa.Column("einddatum", sa.Date, nullable=False),
    sa.Column("vorm", Json),
    sa.Column("organisatie_xml", sa.LargeBinary, nullable=False),
    sa.Column("tijdvak_geldigheid_xml", sa.LargeBinary),
    sa.Column("tijdstip_registratie_xml", sa.LargeBinary),
    sa.Column("extra_elementen_xml", sa.LargeBinary),
    sa.UniqueConstraint("organisatie_nnp_id", "verantwoordingsnummer", name="uq_verantwoording_sleutel"),
)

boeking = sa.Table(
    "boeking", metadata,
    _id(),
    _fk("verantwoording_id", "verantwoording.id"),
    sa.Column("volgnummer", sa.Integer, nullable=False),
    sa.Column("boekingsleutel", sa.Text),
    sa.Column("boekingbedrag_incl_btw", sa.BigInteger),
    sa.Column("boekingbedrag_excl_btw", sa.BigInteger),
    sa.Column("boekingbedrag_btw", sa.BigInteger),
    sa.Column("vorm", Json),
    sa.UniqueConstraint("verantwoording_id", "volgnummer"),
)

#: The vorderingen a vrdLv01 returned (its vrdLa01 objects), written with the question's archive row.
returned_vordering = sa.Table(
    "returned_vordering", metadata,
    sa.Column("bericht_id", Id, sa.ForeignKey("bericht.id"), primary_key=True),
    sa.Column("vordering_id", Id, sa.ForeignKey("vordering.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "vordering_id", "bericht_id"),
)

# -- the operations console (stuf_fin/console, docs/console.md) -------------------------------------------------
#: Every view of personal data and every action in the console: who, what, when.
console_audit = sa.Table(
    "console_audit", metadata,
    _id(),
    sa.Column("at", UtcTime(), nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),  # view_message, view_vordering, retry, ...
    sa.Column("target", sa.Text, nullable=False),  # e.g. "bericht 12", "outbox 7"
    sa.Column("detail", sa.Text),
    sa.Column("peer", sa.Text),
)

#: The key the console signs its CSRF tokens with: one per database, so that every worker and replica agrees.
console_secret = sa.Table(
    "console_secret", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("secret", sa.String(64), nullable=False),
)

# -- outbound (stuf_fin.outbound, docs/outbound.md) -------------------------------------------------------------
outbox = sa.Table(
    "outbox", metadata,
    _id(),
    _fk("bericht_id", "bericht.id", cascade=False, nullable=True),  # the inbound message that caused it
    sa.Column("created_at", UtcTime(), nullable=False),
    sa.Column("route", sa.Text, nullable=False),  # "tsa:<code>", "financiele_administratie", "inningssysteem"
    sa.Column("operation", sa.Text, nullable=False),  # Di01-verstrekVorderingStatusWijziging, ...
    sa.Column("volgorde", sa.Text),  # ordering group: one row of a group in flight at a time, in id order
    sa.Column("referentienummer", sa.Text, nullable=False),
    sa.Column("tijdstip_bericht", sa.Text, nullable=False),
    sa.Column("message", sa.LargeBinary, nullable=False),  # the StUF message (SOAP Body content), sent unchanged
    sa.Column("state", sa.String(10), nullable=False),  # pending, delivered, dead
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcTime(), nullable=False),
    sa.Column("claimed_by", sa.String(64)),  # the claim (lease) of the worker delivering it now
    sa.Column("claimed_until", UtcTime()),
    sa.Column("last_attempt_at", UtcTime()),
    sa.Column("outcome", sa.String(8)),  # last answer: Bv03, Bv04, Fo03
    sa.Column("fault_code", sa.String(16)),
    sa.Column("fault_plek", sa.String(8)),
    sa.Column("last_error", sa.Text),  # why the last attempt failed; the reason of a dead letter
    sa.Column("reply", sa.LargeBinary),  # the last answer as received
    sa.Column("finished_at", UtcTime()),  # delivered or given up
    sa.UniqueConstraint("referentienummer"),
    sa.Index(None, "state", "next_attempt_at"),
    sa.Index(None, "volgorde", "id"),
    sa.Index(None, "created_at"),
    # the console: what a message caused, a state's newest rows, a route's last delivery
    sa.Index(None, "bericht_id"),
    sa.Index(None, "state", "id"),
    sa.Index(None, "route", "state", "finished_at"),
)

outbox_attempt = sa.Table(
    "outbox_attempt", metadata,
    _id(),
    _fk("outbox_id", "outbox.id"),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("worker", sa.Text, nullable=False),  # or "asynchroon" for a Bv03/Fo03 received on the Di01 port
    sa.Column("started_at", UtcTime(), nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("result", sa.String(12), nullable=False),  # delivered, retry, dead_letter
    sa.Column("outcome", sa.String(16), nullable=False),  # Bv03, Bv04, Fo03, http, transport, invalid, ...
    sa.Column("http_status", sa.Integer),
    sa.Column("fault_code", sa.String(16)),
    sa.Column("fault_plek", sa.String(8)),
    sa.Column("detail", sa.Text),
    sa.Index(None, "outbox_id"),
)
