"""Alembic environment: run by :meth:`stuf_fin.store.db.Store.upgrade` (or the alembic CLI)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from stuf_fin.store.tables import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by Store.upgrade, inside its transaction
        _run(connection)
        return
    from stuf_fin.store.db import Store

    store = Store(config.get_main_option("sqlalchemy.url") or "")
    try:
        with store.migrating() as conn:
            _run(conn)
    finally:
        store.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
