"""Helpers for the outbound tests: a routing file, fast delivery settings, outbox rows queued the way the gateway
queues them, and ``stuf-fin worker`` / ``stuf-fin send`` processes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from lxml import etree

from stuf_fin.config import Settings
from stuf_fin.outbound import outbox
from stuf_fin.outbound.routing import Routing, load_routing
from stuf_fin.outbound.triggers import Outgoing
from stuf_fin.pipeline import handlers
from stuf_fin.pipeline.handlers import Receipt
from stuf_fin.selftest import generator as g
from stuf_fin.store.db import Store
from stuf_fin.store.tables import outbox_attempt

TSA = "BELASTINGEN"
#: Delivery settings that make retries fast (the defaults wait seconds to an hour).
FAST = {"STUF_FIN_OUTBOUND_BACKOFF": "0.05", "STUF_FIN_OUTBOUND_BACKOFF_MAX": "0.2", "STUF_FIN_OUTBOUND_POLL": "0.05",
        "STUF_FIN_OUTBOUND_TIMEOUT": "5", "STUF_FIN_OUTBOUND_LEASE": "10", "STUF_FIN_LOG_FORMAT": "text"}


def write_config(folder: Path, url: str, extra: str = "") -> Path:
    """A settings file routing tsa BELASTINGEN to ``url``, as zender 1900/STUFFIN."""
    path = folder / f"outbound-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(f"""
[outbound]
zender = "1900/STUFFIN"

[outbound.tsa."{TSA}"]
url = "{url}"
ontvanger = "1900/{TSA}"
{extra}
""")
    return path


def routing_to(url: str, **route: str) -> Routing:
    settings = SimpleNamespace(config_file=None, outbound_file=None, organisatie="", applicatie="")
    return load_routing(settings, {"zender": "1900/STUFFIN",
                                   "tsa": {TSA: {"url": url, "ontvanger": f"1900/{TSA}", **route}}}, {})


def queue_status_changes(store: Store, url: str, vorderingen: int, changes: int) -> list[int]:
    """Store ``vorderingen`` vorderingen of tsa BELASTINGEN, then ``changes`` status messages changing each of them:
    ``vorderingen × changes`` outbox rows, one ordering group per vordering.  Returns the new row ids."""
    context = Receipt(datetime.now(UTC), None, Settings(), Outgoing(routing_to(url)))
    rng = random.Random(vorderingen * 1000 + changes)
    prefix = f"Q{uuid.uuid4().hex[:8]}-"
    specs = [g.random_vordering(rng, i, prefix=prefix, tsa=TSA) for i in range(vorderingen)]
    with store.begin() as conn:
        before = set(r.id for r in outbox.rows(conn, limit=10**6))
        handlers.verstrek_vordering(conn, etree.fromstring(g.di01_vordering(specs)), context)
        for n, status in zip(range(changes), ["VRW", "VRS", "INV", "BET"] * changes, strict=False):
            message = g.di01_statuswijziging([g.status_for(s, status, paid=n) for s in specs])
            handlers.verstrek_status_wijziging(conn, etree.fromstring(message), context)
        return sorted(r.id for r in outbox.rows(conn, limit=10**6) if r.id not in before)


def outbox_rows(store: Store) -> dict[int, sa.Row]:
    with store.begin(write=False) as conn:
        return {r.id: r for r in outbox.rows(conn, limit=10**6)}


def attempt_count(store: Store, row_id: int) -> int:
    with store.begin(write=False) as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox_attempt)
                            .where(outbox_attempt.c.outbox_id == row_id)).scalar_one()


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    env.update(FAST)
    env.update(extra or {})
    return env


def start_worker(folder: Path, config: Path, database_url: str, *args: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    log = open(folder / f"worker-{uuid.uuid4().hex[:6]}.log", "wb")  # noqa: SIM115 (the process keeps it)
    return subprocess.Popen([sys.executable, "-m", "stuf_fin", "--config", str(config), "worker", "--database-url",
                             database_url, *args], stdout=log, stderr=subprocess.STDOUT, env=environment(env))


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stuf_fin", *args], capture_output=True, text=True,
                          env=environment(env), timeout=timeout)
