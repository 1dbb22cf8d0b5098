"""vrdLv01: an index for sortering 1 (status moment descending) within a tsa and status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_vordering_tsa_status_sortering", "vordering",
                    ["tsa", "status", sa.text("status_tijdstip DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_vordering_tsa_status_sortering", table_name="vordering")
