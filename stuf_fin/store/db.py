"""The database: engine set-up for SQLite (default) and PostgreSQL, transactions, migrations.

SQLite runs in WAL mode with foreign keys on and a busy timeout; a writing transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of deadlocking on a lock upgrade
("database is locked").  PostgreSQL URLs (``postgresql://``, ``postgres://``) use psycopg 3.

**A database that stops answering** (a network partition, a failover, a stuck primary or proxy: connections
stay open, nothing comes back) must not hold a request, its thread or its connection longer than ``timeout``
seconds (setting ``database_timeout``).  Only the driver's and the server's own means are used:

* psycopg waits at most ``timeout`` for any answer of the server (:mod:`stuf_fin.store.postgres`: psycopg's wait
  loop resumes its protocol generator every 0.1 s; ours gives up at the deadline and closes the connection,
  which SQLAlchemy then invalidates instead of returning it to the pool);
* ``connect_timeout``, TCP keepalives and ``tcp_user_timeout`` on the socket (a dead peer of a real partition
  is noticed by the kernel, also for idle pooled connections);
* the server's ``statement_timeout`` (just under ``timeout``, so that a slow statement or a lock wait ends
  with a clean error first) and ``idle_in_transaction_session_timeout`` (a session whose client went away
  releases its locks), set as startup options;
* the pool's checkout timeout, and a short timeout for the pre-ping of a pooled connection.

Readiness and scrape-time queries use :meth:`Store.probe`: their own one-connection pool with short
timeouts, so they answer quickly also while every request connection is stuck.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from stuf_fin.errors import StufFinError
from stuf_fin.store.answer_counts import AnswerCounts

if TYPE_CHECKING:
    from stuf_fin.store.checkpoint import WalCheckpointer
    from stuf_fin.store.group_commit import GroupCommit

#: Default seconds the gateway waits for the database in one step (setting ``database_timeout``).
DEFAULT_TIMEOUT = 30.0
#: At most this many seconds for a readiness probe or the pre-ping of a pooled connection.
PROBE_TIMEOUT = 5.0
#: A pooled PostgreSQL connection is pinged before use only when it has been idle this many seconds or more.
PING_AFTER_IDLE = 1.0
MIGRATIONS = "stuf_fin.store:migrations"
#: SQLite's page cache per connection (KiB; SQLite's default is 2,000): a 1,000-vordering message changes some 8 MB
#: of pages, and with the default cache SQLite already writes them to the WAL (and reads some back) while the
#: transaction runs, which costs writing the archived request twice as long.  Taken from the heap only as used.
SQLITE_CACHE_KIB = 16 * 1024
#: A commit checkpoints the WAL itself only beyond this many pages (SQLite's default is 1,000): normally the
#: background checkpointer (:mod:`stuf_fin.store.checkpoint`) has done it; this bounds the WAL without it.
SQLITE_AUTOCHECKPOINT_PAGES = 8192
_READ = "stuf_fin_read"  # execution option: a read-only transaction
T = TypeVar("T")
_AUTOCOMMIT = "stuf_fin_autocommit"  # execution option (SQLite): no BEGIN, each statement by itself

#: The exceptions that mean "the database cannot be used now" (a fault with plek ``server``: resend later).
UNAVAILABLE: tuple[type[Exception], ...] = (sa.exc.DBAPIError, sa.exc.TimeoutError)


def register_sqlite_adapters() -> None:
    """Bind None and bytes on SQLite through the driver's adapter registry, each by a function in C.

    The driver binds int, float, str and bytearray as they are; anything else, None and bytes included, first
    goes through its adaptation protocol: a registry lookup, then ``__adapt__`` and ``__conform__`` looked up and
    not found (~3,000 instructions a value; a 1,000-vordering message binds ~30,000 NULLs and blobs).  Registered,
    the lookup finds them at once and the same value is bound: ``{}.get`` gives None for None (NULL),
    ``bytes`` gives a bytes object itself (a BLOB).  Process-wide, as the registry is; other adapters stay.
    """
    sqlite3.register_adapter(type(None), {}.get)  # type: ignore[arg-type]  # (overloaded; None for None)
    sqlite3.register_adapter(bytes, bytes)


def normalise_url(url: str | URL) -> URL:
    """``postgres://`` and ``postgresql://`` → psycopg 3; everything else unchanged."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of the driver's error (psycopg 3 ``sqlstate``, psycopg 2 ``pgcode``); None on SQLite."""
    sqlstate: str | None = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a unique-constraint violation (PostgreSQL SQLSTATE 23505, SQLite UNIQUE)."""
    sqlstate = _sqlstate(exc)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(exc.orig)


class QueryTimeout(StufFinError):
    """A read ran longer than its time limit and was stopped (:meth:`Store.read`)."""


#: SQLite calls the progress handler every this many virtual-machine instructions (well under a millisecond).
_SQLITE_PROGRESS_STEPS = 10_000


def is_query_timeout(exc: DBAPIError) -> bool:
    """Whether ``exc`` is a statement stopped by its time limit (PostgreSQL SQLSTATE 57014, SQLite interrupt)."""
    sqlstate = _sqlstate(exc)
    if sqlstate is not None:
        return sqlstate == "57014"
    return "interrupted" in str(exc.orig)


def reserve_ids(conn: Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` new ids for ``table`` (its ``id`` column), for a plain executemany without RETURNING.

    Measured faster than INSERT ... RETURNING on both databases (1,000 vorderingen: SQLite
    ~0.15 s vs 0.3 s, PostgreSQL ~0.8 s vs 1.9 s; psycopg spends the difference parsing the huge
    multi-row statement).  PostgreSQL draws them from the table's sequence; SQLite continues after
    ``max(id)``, which is stable because a writing transaction holds the database lock (BEGIN IMMEDIATE).
    """
    if n <= 0:
        return []
    if conn.dialect.name == "sqlite":
        start = conn.exec_driver_sql(f"SELECT max(id) FROM {table.name}").scalar() or 0
        return list(range(start + 1, start + n + 1))
    return list(conn.execute(_NEXTVAL, {"table": table.name, "n": n}).scalars())


_NEXTVAL = sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")

#: Keys or ids per lookup query: far below SQLite's and PostgreSQL's limits on bound values.
CHUNK = 1000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, one lookup query each."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextmanager
def _unlimited(conn: Connection) -> Iterator[None]:
    """No time limits for this transaction (a migration may rightly run for minutes; PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    driver: Any = conn.connection.driver_connection  # psycopg's (BoundedConnection)
    before = getattr(driver, "wait_timeout", None)
    conn.exec_driver_sql("SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0")
    driver.wait_timeout = None
    try:
        yield
    finally:
        driver.wait_timeout = before


class Store:
    """One database; safe to share between threads (each transaction takes its own connection).

    ``pool_size``: connections kept open (a gateway keeps one per request thread: a connection opened beyond the
    pool is closed again when returned, and opening one costs PostgreSQL a new backend); ``max_overflow``: how
    many more may be open at once (default twice ``pool_size``).
    ``timeout``: the longest the store waits for the database in one step (connect, pool checkout, a
    statement's answer, the SQLite write lock); see the module docstring.  ``None`` for maintenance commands
    whose statements may rightly run for minutes (``archive purge``): no statement limits then.
    """

    def __init__(self, url: str | URL, *, pool_size: int = 5, max_overflow: int | None = None, echo: bool = False,
                 timeout: float | None = DEFAULT_TIMEOUT):
        self.url = normalise_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.limited = timeout is not None
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        # SQLite writers of this process queue here instead of in SQLite's busy handler, which sleeps and
        # polls (up to 100 ms a time, unfair): 16 concurrent small messages had a p99 of 2.5 s that way.
        self._writer = threading.RLock()
        #: the running background WAL checkpointer (SQLite), signalled after each writing transaction
        self.checkpointer: WalCheckpointer | None = None
        #: answers counted for the console, written every few seconds (:mod:`stuf_fin.store.answer_counts`)
        self.answers = AnswerCounts()
        #: the running group committer (SQLite, :mod:`stuf_fin.store.group_commit`), used by :meth:`write`
        self.group_commit: GroupCommit | None = None
        self.wal = False
        overflow = 2 * pool_size if max_overflow is None else max_overflow
        if self.is_sqlite:
            self.engine: Engine = self._sqlite_engine(echo, pool_size=pool_size, max_overflow=overflow)
            self._probe = self.engine  # a local file: nothing to probe separately
        else:
            self.engine = self._postgres_engine(self.timeout, pool_size=pool_size, max_overflow=overflow, echo=echo)
            self._probe = self._postgres_engine(min(PROBE_TIMEOUT, self.timeout), pool_size=1, max_overflow=0,
                                                echo=echo)

    def _postgres_engine(self, timeout: float, *, pool_size: int, max_overflow: int, echo: bool) -> Engine:
        """psycopg with the time limits of the module docstring; settings given in the URL win."""
        given = self.url.query
        ping = min(PROBE_TIMEOUT, timeout)
        connect_args: dict[str, Any] = {}
        if self.limited:
            given_options = given.get("options", ())
            options = [given_options] if isinstance(given_options, str) else list(given_options)
            options += [f"-c statement_timeout={max(1, int(timeout * 900))}",  # 90 %: the server ends it first
                        f"-c idle_in_transaction_session_timeout={int(max(10 * timeout, 60) * 1000)}"]
            connect_args["options"] = " ".join(options)
        for name, value in (("connect_timeout", max(2, math.ceil(ping))), ("keepalives", 1),
                            ("keepalives_idle", max(1, math.ceil(timeout / 3))), ("keepalives_interval", 2),
                            ("keepalives_count", 3), ("tcp_user_timeout", int(timeout * 1000))):
            if name not in given:
                connect_args[name] = value
        engine = sa.create_engine(self.url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=timeout,
                                  pool_pre_ping=True, connect_args=connect_args, echo=echo)
        wait_timeout = timeout if self.limited else None

        if engine.dialect.driver != "psycopg":  # another driver named in the URL keeps its own connections
            return engine
        from stuf_fin.store.postgres import BoundedConnection  # psycopg only when PostgreSQL is used

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect: Dialect, _record: object, cargs: list[Any], cparams: dict[str, Any]
                     ) -> BoundedConnection:
            connection = BoundedConnection.connect(*cargs, **cparams)
            connection.wait_timeout = wait_timeout
            return connection

        ping_as_usual = engine.dialect.do_ping

        @event.listens_for(engine, "checkin")
        def _checkin(dbapi_connection: Any, _record: Any) -> None:
            if dbapi_connection is not None:
                dbapi_connection.idle_since = time.monotonic()

        def quick_ping(dbapi_connection: Any) -> bool:
            """The pre-ping of a pooled connection that was idle for :data:`PING_AFTER_IDLE` s or more: a short limit,
            then a new connection is tried.  (A connection returned just now is not pinged: under load that was
            one more round trip per transaction; should it have broken since, its first statement fails and the
            request gets the "database unavailable" answer, as for a database that goes away mid-request.)"""
            if time.monotonic() - getattr(dbapi_connection, "idle_since", -math.inf) < PING_AFTER_IDLE:
                return True
            dbapi_connection.wait_timeout = ping
            try:
                return ping_as_usual(dbapi_connection)
            finally:
                dbapi_connection.wait_timeout = wait_timeout

        engine.dialect.do_ping = quick_ping  # type: ignore[method-assign]
        return engine

    def _sqlite_engine(self, echo: bool, *, pool_size: int, max_overflow: int) -> Engine:
        database = self.url.database or ""
        memory = database in ("", ":memory:") or database.startswith("file::memory:")
        self.wal = not memory  # a file in WAL mode (an in-memory database has one shared connection)
        if not memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        register_sqlite_adapters()
        engine = sa.create_engine(
            self.url, echo=echo, connect_args={"timeout": self.timeout, "check_same_thread": False},
            **({"poolclass": StaticPool} if memory else {"pool_size": pool_size, "max_overflow": max_overflow}))

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            dbapi_connection.isolation_level = None  # we send BEGIN ourselves (below)
            cursor = dbapi_connection.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            if not memory:
                cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            if options.get(_AUTOCOMMIT, False):
                return  # each statement its own (implicit) transaction: see Store.autocommit()
            conn.exec_driver_sql("BEGIN DEFERRED" if options.get(_READ, False) else "BEGIN IMMEDIATE")

        return engine

    @property
    def safe_url(self) -> str:
        """The database URL without its password (for logs and messages)."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self, *, write: bool = True) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success and rolled back on an exception.

        ``write=False`` gives a read-only transaction (on SQLite it does not take the write lock).
        """
        turn = self._writer_turn() if write and self.is_sqlite else nullcontext()
        with turn, self._transaction(self.engine, write) as conn:
            yield conn
        checkpointer = self.checkpointer
        if write and checkpointer is not None:
            checkpointer.signal()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection outside any transaction: each statement stands alone, as its own consistent read.

        For work that reads with one statement at a time and needs no snapshot across them (a vrdLv01): no
        BEGIN and COMMIT around it (on PostgreSQL two round trips fewer).  Nothing may be written on it.
        """
        with self.engine.connect() as conn:
            conn.execution_options(**{_AUTOCOMMIT: True} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"})
            yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in a writing transaction, committed before its result is returned; on SQLite together
        with other threads' works when a group committer runs (:mod:`stuf_fin.store.group_commit`)."""
        group_commit = self.group_commit
        if group_commit is not None:
            return group_commit.run(work)
        with self.begin() as conn:
            return work(conn)

    @contextmanager
    def probe(self) -> Iterator[Connection]:
        """A read-only transaction for a health check or a scrape-time query: its own connection and at most a
        few seconds per step (:data:`PROBE_TIMEOUT`), whatever the request connections are doing."""
        with self._transaction(self._probe, False) as conn:
            yield conn

    @contextmanager
    def _transaction(self, engine: Engine, write: bool) -> Iterator[Connection]:
        with engine.connect() as conn:
            if not write:
                conn.execution_options(**{_READ: True}, **({} if self.is_sqlite else {
                    "postgresql_readonly": True}))
            with conn.begin():
                yield conn

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """This process's turn to write to SQLite, waited for at most :attr:`timeout` seconds."""
        if not self._writer.acquire(timeout=self.timeout):
            raise sa.exc.TimeoutError(f"no turn to write to the database within {self.timeout:g} s")
        try:
            yield
        finally:
            self._writer.release()

    @contextmanager
    def read(self, timeout: float, *, probe: bool = False) -> Iterator[Connection]:
        """A read-only transaction whose statements together may take at most ``timeout`` seconds.

        PostgreSQL: ``SET LOCAL statement_timeout`` (per statement); SQLite: a progress handler interrupts
        the running statement once the deadline has passed.  Either way :class:`QueryTimeout` is raised.
        ``probe``: on the probe connection (:meth:`probe`), for scrape-time queries that must answer while the
        request connections are stuck.
        """
        try:
            with self.probe() if probe else self.begin(write=False) as conn:
                if self.is_sqlite:
                    deadline = time.monotonic() + timeout
                    raw: Any = conn.connection.driver_connection  # sqlite3's
                    raw.set_progress_handler(lambda: time.monotonic() > deadline, _SQLITE_PROGRESS_STEPS)
                    try:
                        yield conn
                    finally:
                        raw.set_progress_handler(None, 0)
                else:
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
                    yield conn
        except DBAPIError as exc:
            if is_query_timeout(exc):
                raise QueryTimeout(f"query stopped after {timeout:g} s") from exc
            raise

    def ping(self) -> None:
        """Raise when the database cannot be reached (a probe: answers within a few seconds)."""
        with self.probe() as conn:
            conn.exec_driver_sql("SELECT 1")

    # -- migrations --------------------------------------------------------------------------------------
    def alembic_config(self) -> Config:
        """Alembic configured from the package (works from a wheel; no alembic.ini needed)."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        # (configparser interpolation: a literal % is written %%)
        config.set_main_option("sqlalchemy.url",
                               self.url.render_as_string(hide_password=False).replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema to ``revision`` (default: the newest)."""
        config = self.alembic_config()
        with self.migrating() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    @contextmanager
    def migrating(self) -> Iterator[Connection]:
        """The one transaction of a migration run, without time limits, one migrator at a time.

        On SQLite foreign keys are not enforced during it, so that a migration can rebuild a table that others
        refer to (SQLite's own procedure for a changed table: ``PRAGMA foreign_keys`` only changes outside a
        transaction); before the commit ``PRAGMA foreign_key_check`` must find nothing, or nothing is changed.
        """
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection if self.is_sqlite else None
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=OFF")  # (the driver runs in autocommit mode: no transaction yet)
            try:
                with conn.begin(), _unlimited(conn):
                    if not self.is_sqlite:  # one migrator at a time (SQLite: BEGIN IMMEDIATE already serializes)
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7346120031)")
                    yield conn
                    if driver is not None:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"migration leaves foreign keys that point nowhere: {broken[:5]}")
            finally:
                if driver is not None:
                    driver.execute("PRAGMA foreign_keys=ON")

    def current_revisions(self) -> set[str]:
        with self.probe() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())

    def is_current(self) -> bool:
        """Whether the schema is at the newest migration."""
        heads = set(ScriptDirectory.from_config(self.alembic_config()).get_heads())
        return self.current_revisions() == heads

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self._probe.dispose()
