"""The console's audit log (who saw which personal data, who retried what, when) and its CSRF signing key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stuf_fin.store.tables import console_audit, console_secret

a = console_audit.c


def record(conn: Connection, *, account: str, role: str, action: str, target: str, detail: str | None = None,
           peer: str | None = None, at: datetime | None = None) -> int:
    """Write one audit entry (inside the caller's transaction); returns its id."""
    entry_id: int = conn.execute(sa.insert(console_audit).values(
        at=at or datetime.now(UTC), account=account[:200], role=role, action=action[:32], target=target[:500],
        detail=(detail or None) and detail[:2000], peer=peer).returning(a.id)).scalar_one()
    return entry_id


def entries(conn: Connection, *, limit: int = 50, before_id: int | None = None,
            account: str | None = None) -> list[sa.Row[*tuple[Any, ...]]]:
    """The newest entries (older than ``before_id``), optionally of one account."""
    stmt = sa.select(console_audit)
    if before_id is not None:
        stmt = stmt.where(a.id < before_id)
    if account:
        stmt = stmt.where(a.account == account)
    return list(conn.execute(stmt.order_by(a.id.desc()).limit(limit)))


def signing_secret(conn: Connection) -> bytes:
    """The database's console signing key (made by the migration that created the table)."""
    value = conn.execute(sa.select(console_secret.c.secret).where(console_secret.c.id == 1)).scalar_one()
    return bytes.fromhex(value)
