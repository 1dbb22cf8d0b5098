"""The store: SQLAlchemy Core tables, repositories and alembic migrations (SQLite or PostgreSQL).

Modules: :mod:`db` (``Store``: engine, transactions, migrations), :mod:`tables`, :mod:`archief`
(message archive, StUF016 memory), :mod:`vorderingen`, :mod:`verantwoordingen`.
"""
