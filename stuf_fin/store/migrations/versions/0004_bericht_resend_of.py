"""bericht.resend_of: an identical resend (StUF016) is archived as its own row pointing at the accepted message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_FK = "fk_bericht_resend_of_bericht"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place; a batch operation would copy the whole archive
        op.execute(f"ALTER TABLE bericht ADD COLUMN resend_of INTEGER CONSTRAINT {_FK} REFERENCES bericht (id)")
    else:
        op.add_column("bericht", sa.Column("resend_of", _ID, nullable=True))
        op.create_foreign_key(_FK, "bericht", "bericht", ["resend_of"], ["id"])
    op.create_index("ix_bericht_resend_of", "bericht", ["resend_of"])


def downgrade() -> None:
    op.drop_index("ix_bericht_resend_of", table_name="bericht")
    with op.batch_alter_table("bericht") as batch:
        batch.drop_column("resend_of")
