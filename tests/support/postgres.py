"""The PostgreSQL the tests use: ``$STUF_FIN_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
``skip`` to switch those tests off; every use gets a fresh schema, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.databases import postgres_problem, postgres_schema
from stuf_fin.store.db import normalise_url

POSTGRES_ENV = "STUF_FIN_TEST_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_postgres_schema(prefix: str = "t_") -> Iterator[str]:
    """A URL of the test PostgreSQL with a fresh, empty schema first in the search_path (skips when switched off,
    fails when PostgreSQL cannot be reached)."""
    base = os.environ.get(POSTGRES_ENV) or POSTGRES_DEFAULT
    if base == "skip":
        pytest.skip(f"PostgreSQL tests switched off ({POSTGRES_ENV}=skip)")
    problem = postgres_problem(base)
    if problem:
        shown = normalise_url(base).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL at {shown} is not reachable ({problem}); start it, e.g. "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, "
                    f"or set {POSTGRES_ENV}=skip", pytrace=False)
    with postgres_schema(base, prefix) as url:
        yield url
