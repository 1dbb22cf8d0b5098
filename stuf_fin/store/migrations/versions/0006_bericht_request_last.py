"""bericht.request, the raw request, as the last column on SQLite; lz4 for the XML kept as received on PostgreSQL.

SQLite writes a large request into a zero-filled blob (``store/archive.py::vul_request``); a zero-filled value
stays virtual (no memory) only in a row's last column, so the table is rebuilt with ``request`` last (SQLite's
own procedure for a changed table: new table, copy, drop, rename; foreign keys are off during a migration, see
``Store.migrating``).  This copies the whole archive once (docs/operator.md: upgrading).

PostgreSQL compresses a large value with pglz, about 50 ms of the server's time for a 4 MB request; lz4 takes
a tenth of that and compresses XML as well (from PostgreSQL 14, when the server is built with lz4; otherwise
nothing changes).  The same for a vordering's relations and metadata, which make half the rows of a realistic
message longer than the 2 KB from which PostgreSQL compresses.  Values already stored keep their compression.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BEFORE = ("id", "port", "operation", "direction", "zender_organisatie", "zender_applicatie", "zender_administratie",
           "zender_gebruiker", "ontvanger_organisatie", "ontvanger_applicatie", "ontvanger_administratie",
           "ontvanger_gebruiker", "referentienummer", "tijdstip_bericht", "cross_refnummer", "content_hash", "request",
           "reply", "outcome", "fault_code", "authenticated_identity", "received_at", "answered_at", "resend_of")
_AFTER = (*(c for c in _BEFORE if c != "request"), "request")
#: Columns compressed with lz4 on PostgreSQL: the archived messages, and a vordering's relations and metadata as
#: received (a row of more than 2 KB is compressed column by column; half the rows of a realistic message are).
_LZ4 = {"bericht": ("request", "reply"),
        "vordering": ("organisatie_xml", "debiteur_xml", "zaak_xml", "gerelateerde_vordering_xml", "oeh_xml",
                      "tijdvak_geldigheid_xml", "tijdstip_registratie_xml", "extra_elementen_xml")}


def _column(name: str) -> sa.Column[Any]:
    columns: dict[str, Callable[[], sa.Column[Any]]] = {
        "id": lambda: sa.Column("id", _ID, autoincrement=True, nullable=False),
        "port": lambda: sa.Column("port", sa.Text(), nullable=False),
        "operation": lambda: sa.Column("operation", sa.Text(), nullable=False),
        "direction": lambda: sa.Column("direction", sa.String(length=3), nullable=False),
        "content_hash": lambda: sa.Column("content_hash", sa.String(length=64), server_default="", nullable=False),
        "request": lambda: sa.Column("request", sa.LargeBinary(), nullable=False),
        "reply": lambda: sa.Column("reply", sa.LargeBinary(), nullable=True),
        "outcome": lambda: sa.Column("outcome", sa.String(length=8), nullable=True),
        "fault_code": lambda: sa.Column("fault_code", sa.String(length=16), nullable=True),
        "authenticated_identity": lambda: sa.Column("authenticated_identity", sa.Text(), nullable=True),
        "received_at": lambda: sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        "answered_at": lambda: sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        "resend_of": lambda: sa.Column("resend_of", _ID, nullable=True),
    }
    return columns.get(name, lambda: sa.Column(name, sa.Text(), server_default="", nullable=False))()


def _rebuild_sqlite(order: tuple[str, ...]) -> None:
    """``bericht`` again with its columns in ``order``, its rows, ids, constraints and indexes kept (the indexes as
    they are, whatever earlier migrations made of them)."""
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding bericht needs foreign keys off (run migrations with Store.upgrade)")
    present = [row[1] for row in bind.exec_driver_sql("PRAGMA table_info(bericht)")]
    if sorted(present) != sorted(order):
        raise RuntimeError(f"bericht has columns {present}, this migration knows {list(order)}")
    indexes = [sql for (sql,) in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bericht' AND sql IS NOT NULL")]
    op.create_table(
        "bericht_nieuw", *(_column(name) for name in order),
        sa.ForeignKeyConstraint(["resend_of"], ["bericht.id"], name="fk_bericht_resend_of_bericht"),
        sa.PrimaryKeyConstraint("id", name="pk_bericht"))
    names = ", ".join(order)
    op.execute(f"INSERT INTO bericht_nieuw ({names}) SELECT {names} FROM bericht")
    op.drop_table("bericht")  # its indexes go with it
    op.rename_table("bericht_nieuw", "bericht")
    for sql in indexes:
        op.execute(sql)


def _lz4_available() -> bool:
    return bool(op.get_bind().exec_driver_sql(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").scalar())


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_sqlite(_AFTER)
    elif dialect == "postgresql" and _lz4_available():
        _compression("lz4")


def _compression(method: str) -> None:
    for table, columns in _LZ4.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in columns))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_sqlite(_BEFORE)
    elif dialect == "postgresql" and _lz4_available():
        _compression("DEFAULT")
