"""The operations console: message-log indexes (and what a message created or changed), answer statistics,
vorderingen returned by a vrdLv01, the console's audit log and CSRF key, outbox indexes.

``bericht_stats`` is filled for the messages answered in the last 8 days (the overview's widest window is a
week); older messages are in the archive but not counted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BOUNDS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
_MESSAGE_LOG = (("received_at", "id"), ("operation", "received_at", "id"), ("outcome", "received_at", "id"),
                ("fault_code", "received_at", "id"), ("zender_applicatie", "received_at", "id"))


def upgrade() -> None:
    op.drop_index("ix_bericht_received_at", table_name="bericht")
    for columns in _MESSAGE_LOG:
        op.create_index(f"ix_bericht_{'_'.join(columns)}", "bericht", list(columns))
    op.create_table(
        "bericht_stats",
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("fault_code", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), nullable=False),
        *(sa.Column(f"le_{bound}", sa.BigInteger(), server_default="0", nullable=False) for bound in _BOUNDS),
        sa.PrimaryKeyConstraint("bucket", "operation", "outcome", "fault_code", name=op.f("pk_bericht_stats")),
    )
    op.create_table(
        "returned_vordering",
        sa.Column("bericht_id", _ID, nullable=False),
        sa.Column("vordering_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["bericht_id"], ["bericht.id"], name=op.f("fk_returned_vordering_bericht_id_bericht")),
        sa.ForeignKeyConstraint(["vordering_id"], ["vordering.id"], ondelete="CASCADE",
                                name=op.f("fk_returned_vordering_vordering_id_vordering")),
        sa.PrimaryKeyConstraint("bericht_id", "vordering_id", name=op.f("pk_returned_vordering")),
    )
    op.create_index("ix_returned_vordering_vordering_id_bericht_id", "returned_vordering",
                    ["vordering_id", "bericht_id"])
    op.create_table(
        "console_audit",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("peer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit")),
    )
    secret = op.create_table(
        "console_secret",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_secret")),
    )
    op.bulk_insert(secret, [{"id": 1, "secret": secrets.token_hex(32)}])
    op.create_index("ix_vordering_bericht_id", "vordering", ["bericht_id"])
    op.create_index("ix_vorderingstatus_bericht_id", "vorderingstatus", ["bericht_id"])
    op.create_index("ix_outbox_bericht_id", "outbox", ["bericht_id"])
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_index("ix_outbox_route_state_finished_at", "outbox", ["route", "state", "finished_at"])
    _count_last_days(8)


def _count_last_days(days: int) -> None:
    """Fill ``bericht_stats`` from the archive's answered messages of the last ``days`` days."""
    bericht = sa.table("bericht", *(sa.column(c) for c in ("operation", "outcome", "fault_code")),
                       sa.column("received_at", sa.DateTime(timezone=True)),
                       sa.column("answered_at", sa.DateTime(timezone=True)))
    since = datetime.now(UTC) - timedelta(days=days)
    totals: Counter[tuple[Any, ...]] = Counter()
    for operation, outcome, fault_code, received, answered in op.get_bind().execute(
            sa.select(bericht.c.operation, bericht.c.outcome, bericht.c.fault_code, bericht.c.received_at,
                      bericht.c.answered_at).where(bericht.c.answered_at >= since, bericht.c.outcome.is_not(None))):
        received, answered = (t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in (received, answered))
        bucket = answered.replace(minute=answered.minute - answered.minute % 5, second=0, microsecond=0)
        ms = max(0, round((answered - received).total_seconds() * 1000))
        key = (bucket, operation, outcome, fault_code or "")
        totals[(*key, "messages")] += 1
        totals[(*key, "duration_ms_sum")] += ms
        column = next((f"le_{b}" for b in _BOUNDS if ms <= b), None)
        if column:
            totals[(*key, column)] += 1
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (*bucket_key, column), n in totals.items():
        row = rows.setdefault(tuple(bucket_key), {
            "bucket": bucket_key[0], "operation": bucket_key[1], "outcome": bucket_key[2],
            "fault_code": bucket_key[3], "messages": 0, "duration_ms_sum": 0, **{f"le_{b}": 0 for b in _BOUNDS}})
        row[column] = n
    if rows:
        stats = sa.table("bericht_stats", sa.column("bucket", sa.DateTime(timezone=True)),
                         *(sa.column(c) for c in next(iter(rows.values())) if c != "bucket"))
        op.get_bind().execute(sa.insert(stats), list(rows.values()))


def downgrade() -> None:
    for name in ("ix_outbox_route_state_finished_at", "ix_outbox_state_id", "ix_outbox_bericht_id"):
        op.drop_index(name, table_name="outbox")
    op.drop_index("ix_vorderingstatus_bericht_id", table_name="vorderingstatus")
    op.drop_index("ix_vordering_bericht_id", table_name="vordering")
    op.drop_table("console_secret")
    op.drop_table("console_audit")
    op.drop_index("ix_returned_vordering_vordering_id_bericht_id", table_name="returned_vordering")
    op.drop_table("returned_vordering")
    op.drop_table("bericht_stats")
    for columns in _MESSAGE_LOG:
        op.drop_index(f"ix_bericht_{'_'.join(columns)}", table_name="bericht")
    op.create_index("ix_bericht_received_at", "bericht", ["received_at"])
