"""Initial schema: message archive, referentienummer memory, vorderingen, verantwoordingen.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bericht",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("port", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("zender_organisatie", sa.Text(), server_default="", nullable=False),
        sa.Column("zender_applicatie", sa.Text(), server_default="", nullable=False),
        sa.Column("zender_administratie", sa.Text(), server_default="", nullable=False),
        sa.Column("zender_gebruiker", sa.Text(), server_default="", nullable=False),
        sa.Column("ontvanger_organisatie", sa.Text(), server_default="", nullable=False),
        sa.Column("ontvanger_applicatie", sa.Text(), server_default="", nullable=False),
        sa.Column("ontvanger_administratie", sa.Text(), server_default="", nullable=False),
        sa.Column("ontvanger_gebruiker", sa.Text(), server_default="", nullable=False),
        sa.Column("referentienummer", sa.Text(), server_default="", nullable=False),
        sa.Column("tijdstip_bericht", sa.Text(), server_default="", nullable=False),
        sa.Column("cross_refnummer", sa.Text(), server_default="", nullable=False),
        sa.Column("content_hash", sa.String(length=64), server_default="", nullable=False),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("fault_code", sa.String(length=16), nullable=True),
        sa.Column("authenticated_identity", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bericht")),
    )
    op.create_index(op.f("ix_bericht_cross_refnummer"), "bericht", ["cross_refnummer"])
    op.create_index(op.f("ix_bericht_received_at"), "bericht", ["received_at"])
    op.create_index(op.f("ix_bericht_referentienummer"), "bericht", ["referentienummer"])
    op.create_table(
        "ontvangen_referentie",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("port", sa.Text(), nullable=False),
        sa.Column("zender_organisatie", sa.Text(), nullable=False),
        sa.Column("zender_applicatie", sa.Text(), nullable=False),
        sa.Column("zender_administratie", sa.Text(), nullable=False),
        sa.Column("zender_gebruiker", sa.Text(), nullable=False),
        sa.Column("referentienummer", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("bericht_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["bericht_id"], ["bericht.id"], name=op.f("fk_ontvangen_referentie_bericht_id_bericht")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ontvangen_referentie")),
        sa.UniqueConstraint(
            "port",
            "zender_organisatie",
            "zender_applicatie",
            "zender_administratie",
            "zender_gebruiker",
            "referentienummer",
            name="uq_ontvangen_referentie_sleutel",
        ),
    )
    op.create_table(
        "verantwoording",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisatie_nnp_id", sa.String(length=17), nullable=False),
        sa.Column("verantwoordingsnummer", sa.String(length=64), nullable=False),
        sa.Column("datum_en_tijd", sa.Text(), nullable=False),
        sa.Column("tijdstip", sa.DateTime(timezone=True), nullable=True),
        sa.Column("boekingperiode_omschrijving", sa.Text(), nullable=True),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=False),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.Column("organisatie_xml", sa.LargeBinary(), nullable=False),
        sa.Column("tijdvak_geldigheid_xml", sa.LargeBinary(), nullable=True),
        sa.Column("tijdstip_registratie_xml", sa.LargeBinary(), nullable=True),
        sa.Column("extra_elementen_xml", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], name=op.f("fk_verantwoording_bericht_id_bericht")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verantwoording")),
        sa.UniqueConstraint("organisatie_nnp_id", "verantwoordingsnummer", name="uq_verantwoording_sleutel"),
    )
    op.create_table(
        "vordering",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("bericht_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisatie_nnp_id", sa.String(length=17), nullable=False),
        sa.Column("tsa", sa.String(length=200), nullable=False),
        sa.Column("vorderingnummer", sa.String(length=64), nullable=False),
        sa.Column("factuurnummer", sa.String(length=64), nullable=True),
        sa.Column("creatiedatum", sa.Date(), nullable=False),
        sa.Column("factuurdatum", sa.Date(), nullable=True),
        sa.Column("vervaldatum", sa.Date(), nullable=True),
        sa.Column("indicator_factuur_uitgestuurd", sa.String(length=1), nullable=False),
        sa.Column("algemene_factuuromschrijving", sa.Text(), nullable=False),
        sa.Column("valutacode", sa.String(length=3), nullable=False),
        sa.Column("totaalbedrag_excl_btw", sa.BigInteger(), nullable=False),
        sa.Column("totaalbedrag_btw", sa.BigInteger(), nullable=False),
        sa.Column("totaalbedrag_incl_btw", sa.BigInteger(), nullable=False),
        sa.Column("taaknummer", sa.String(length=64), nullable=True),
        sa.Column("indicator_publiekrechtelijk", sa.String(length=1), nullable=False),
        sa.Column("machtigingskenmerk", sa.Text(), nullable=True),
        sa.Column("afgiftedatum_incasso", sa.Date(), nullable=True),
        sa.Column("rekeningnummer", sa.Text(), nullable=True),
        sa.Column("bic", sa.Text(), nullable=True),
        sa.Column("incasso_vorm", sa.JSON(), nullable=True),
        sa.Column("invorderingsregime", sa.Text(), nullable=True),
        sa.Column("schema_vorm", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=3), nullable=True),
        sa.Column("status_datum_en_tijd", sa.Text(), nullable=True),
        sa.Column("status_tijdstip", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totaal_betaald", sa.BigInteger(), nullable=True),
        sa.Column("deel_bedrag_betaald", sa.BigInteger(), nullable=True),
        sa.Column("status_opmerkingen", sa.Text(), nullable=True),
        sa.Column("status_vorm", sa.JSON(), nullable=True),
        sa.Column("debiteur_soort", sa.String(length=3), nullable=True),
        sa.Column("debiteur_bsn", sa.String(length=17), nullable=True),
        sa.Column("debiteur_nnp_id", sa.String(length=17), nullable=True),
        sa.Column("debiteurnummer", sa.Text(), nullable=True),
        sa.Column("zaak_identificatie", sa.Text(), nullable=True),
        sa.Column("gerelateerde_vorderingnummer", sa.Text(), nullable=True),
        sa.Column("gerelateerde_organisatie_nnp_id", sa.Text(), nullable=True),
        sa.Column("oeh_identificatie", sa.Text(), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.Column("debiteur_xml", sa.LargeBinary(), nullable=True),
        sa.Column("organisatie_xml", sa.LargeBinary(), nullable=False),
        sa.Column("zaak_xml", sa.LargeBinary(), nullable=True),
        sa.Column("gerelateerde_vordering_xml", sa.LargeBinary(), nullable=True),
        sa.Column("oeh_xml", sa.LargeBinary(), nullable=True),
        sa.Column("tijdvak_geldigheid_xml", sa.LargeBinary(), nullable=True),
        sa.Column("tijdstip_registratie_xml", sa.LargeBinary(), nullable=True),
        sa.Column("extra_elementen_xml", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], name=op.f("fk_vordering_bericht_id_bericht")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vordering")),
        sa.UniqueConstraint("organisatie_nnp_id", "tsa", "vorderingnummer", name="uq_vordering_sleutel"),
    )
    op.create_index(op.f("ix_vordering_creatiedatum"), "vordering", ["creatiedatum"])
    op.create_index(op.f("ix_vordering_debiteur_bsn"), "vordering", ["debiteur_bsn"])
    op.create_index(op.f("ix_vordering_debiteur_nnp_id"), "vordering", ["debiteur_nnp_id"])
    op.create_index(op.f("ix_vordering_debiteurnummer"), "vordering", ["debiteurnummer"])
    op.create_index(op.f("ix_vordering_factuurnummer"), "vordering", ["factuurnummer"])
    op.create_index(op.f("ix_vordering_tsa_status"), "vordering", ["tsa", "status"])
    op.create_index(op.f("ix_vordering_vervaldatum"), "vordering", ["vervaldatum"])
    op.create_index(op.f("ix_vordering_vorderingnummer"), "vordering", ["vorderingnummer"])
    op.create_index(op.f("ix_vordering_zaak_identificatie"), "vordering", ["zaak_identificatie"])
    op.create_table(
        "boeking",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("verantwoording_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.Column("boekingsleutel", sa.Text(), nullable=True),
        sa.Column("boekingbedrag_incl_btw", sa.BigInteger(), nullable=True),
        sa.Column("boekingbedrag_excl_btw", sa.BigInteger(), nullable=True),
        sa.Column("boekingbedrag_btw", sa.BigInteger(), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["verantwoording_id"],
            ["verantwoording.id"],
            name=op.f("fk_boeking_verantwoording_id_verantwoording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boeking")),
        sa.UniqueConstraint("verantwoording_id", "volgnummer", name=op.f("uq_boeking_verantwoording_id_volgnummer")),
    )
    op.create_table(
        "btw_totaalregel",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vordering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.Column("totaalbedrag_btw", sa.BigInteger(), nullable=True),
        sa.Column("btw_categorie", sa.String(length=3), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vordering_id"],
            ["vordering.id"],
            name=op.f("fk_btw_totaalregel_vordering_id_vordering"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_btw_totaalregel")),
        sa.UniqueConstraint("vordering_id", "volgnummer", name=op.f("uq_btw_totaalregel_vordering_id_volgnummer")),
    )
    op.create_table(
        "termijn",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vordering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=True),
        sa.Column("termijnbedrag", sa.BigInteger(), nullable=True),
        sa.Column("vervaldatum", sa.Date(), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vordering_id"], ["vordering.id"], name=op.f("fk_termijn_vordering_id_vordering"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_termijn")),
        sa.UniqueConstraint("vordering_id", "volgnummer", name=op.f("uq_termijn_vordering_id_volgnummer")),
    )
    op.create_table(
        "vorderingsregel",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vordering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("volgnummer", sa.Integer(), nullable=False),
        sa.Column("bedrag_excl_btw", sa.BigInteger(), nullable=True),
        sa.Column("bedrag_incl_btw", sa.BigInteger(), nullable=True),
        sa.Column("bedrag_btw", sa.BigInteger(), nullable=True),
        sa.Column("btw_categorie", sa.String(length=3), nullable=True),
        sa.Column("btw_percentage", sa.BigInteger(), nullable=True),
        sa.Column("vorderingtype", sa.String(length=3), nullable=True),
        sa.Column("vorderingcode", sa.Text(), nullable=True),
        sa.Column("vorderingtoelichting", sa.Text(), nullable=True),
        sa.Column("vorderingomschrijving", sa.Text(), nullable=True),
        sa.Column("aantal", sa.BigInteger(), nullable=True),
        sa.Column("eenheid", sa.Text(), nullable=True),
        sa.Column("stuks_prijs_excl_btw", sa.BigInteger(), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vordering_id"],
            ["vordering.id"],
            name=op.f("fk_vorderingsregel_vordering_id_vordering"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vorderingsregel")),
        sa.UniqueConstraint("vordering_id", "volgnummer", name=op.f("uq_vorderingsregel_vordering_id_volgnummer")),
    )
    op.create_table(
        "vorderingstatus",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vordering_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bericht_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("bron", sa.String(length=16), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=3), nullable=True),
        sa.Column("datum_en_tijd", sa.Text(), nullable=True),
        sa.Column("tijdstip", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totaal_betaald", sa.BigInteger(), nullable=True),
        sa.Column("deel_bedrag_betaald", sa.BigInteger(), nullable=True),
        sa.Column("opmerkingen", sa.Text(), nullable=True),
        sa.Column("vorm", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], name=op.f("fk_vorderingstatus_bericht_id_bericht")),
        sa.ForeignKeyConstraint(
            ["vordering_id"],
            ["vordering.id"],
            name=op.f("fk_vorderingstatus_vordering_id_vordering"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vorderingstatus")),
    )
    op.create_index(op.f("ix_vorderingstatus_vordering_id"), "vorderingstatus", ["vordering_id"])


def downgrade() -> None:
    op.drop_table("vorderingstatus")
    op.drop_table("vorderingsregel")
    op.drop_table("termijn")
    op.drop_table("btw_totaalregel")
    op.drop_table("boeking")
    op.drop_table("vordering")
    op.drop_table("verantwoording")
    op.drop_table("ontvangen_referentie")
    op.drop_table("bericht")
