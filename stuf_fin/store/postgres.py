"""psycopg with a limit on every wait for the server (imported only when a PostgreSQL database is used)."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from stuf_fin.errors import StufFinError


class DatabaseTimeout(psycopg.OperationalError, StufFinError):
    """The database did not answer in time; the connection was closed."""


class BoundedConnection(psycopg.Connection):
    """A psycopg connection that waits at most :attr:`wait_timeout` seconds for each answer of the server.

    psycopg drives every operation as a generator and resumes it whenever the socket is ready *and* every
    0.1 s while it is not (to let Ctrl-C through); the wrapper below checks the deadline on each resume.  After
    a time-out the connection's protocol state is unknown, so it is closed: SQLAlchemy sees a closed
    connection and invalidates it instead of pooling it again.
    """

    wait_timeout: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if self.wait_timeout is None:
            return super().wait(gen, *args, **kwargs)
        limit = self.wait_timeout
        try:
            return super().wait(_bounded(gen, time.monotonic() + limit), *args, **kwargs)
        except _Expired:
            self.pgconn.finish()
            raise DatabaseTimeout(f"the database did not answer within {limit:g} s; connection closed") from None


class _Expired(StufFinError):
    """The deadline passed while psycopg waited for the server."""


def _bounded(gen: Any, deadline: float) -> Any:
    """``gen``, giving up (:class:`_Expired`) when resumed after ``deadline``."""
    try:
        state = next(gen)
        while True:
            ready = yield state
            if time.monotonic() > deadline:
                raise _Expired
            state = gen.send(ready)
    except StopIteration as done:
        return done.value
