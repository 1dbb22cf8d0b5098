"""``docker/entrypoint.sh``, the container's entrypoint, run as is on this host against the test
PostgreSQL: it waits for the database, migrates, and starts a gateway that answers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from stuf_fin.selftest import generator
from stuf_fin.store.db import normalise_url
from tests.support.ops import status_of
from tests.support.polling import wait_for
from tests.support.server import free_port
from tests.support.soap import post
from tests.support.tcpproxy import TcpProxy

REPO = Path(__file__).resolve().parent.parent
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def _environment(extra: dict[str, str]) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment.update(extra)
    return environment


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(ENTRYPOINT), *args], env=_environment(env), cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_script_is_executable_posix_sh():
    assert os.access(ENTRYPOINT, os.X_OK)
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0


def test_starts_a_working_gateway_on_postgresql_once_the_database_is_reachable(tmp_path, postgres_url):
    url = make_url(postgres_url)
    port = free_port()
    log_path = tmp_path / "entrypoint.log"
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxy.cut()  # the database container is still starting
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = _environment({"STUF_FIN_HOST": "127.0.0.1", "STUF_FIN_PORT": str(port),
                            "STUF_FIN_DATABASE_URL": proxied, "STUF_FIN_DB_WAIT": "120"})
        with open(log_path, "wb") as log:
            process = subprocess.Popen([str(ENTRYPOINT)], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "database not reachable yet, retrying" in log_path.read_text(), "a retry")
            assert process.poll() is None
            proxy.restore()
            wait_for(lambda: status_of(f"http://127.0.0.1:{port}/ready") == 200, "the gateway to be ready",
                     timeout=120)

            rng = random.Random(11)
            spec = generator.random_vordering(rng, 0, prefix="ENTRY-")
            reply = post(f"http://127.0.0.1:{port}", generator.di01_vordering([spec]))
            assert reply.stuurgegeven("berichtcode") == "Bv03"
            engine = sa.create_engine(normalise_url(postgres_url))
            try:
                with engine.connect() as conn:
                    stored = conn.execute(sa.text("SELECT vorderingnummer FROM vordering")).scalars().all()
            finally:
                engine.dispose()
            assert stored == [spec.vorderingnummer]
        finally:
            process.send_signal(signal.SIGTERM)  # exec'd: the signal reaches stuf-fin serve itself
            try:
                code = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    log = log_path.read_text()
    assert code in (0, -signal.SIGTERM), log  # uvicorn re-raises the signal after a graceful shutdown
    assert "database migrated" in log and "Application shutdown complete" in log


def test_gives_up_when_the_database_stays_unreachable(tmp_path):
    result = _run(env={"STUF_FIN_DATABASE_URL": f"postgresql://x@127.0.0.1:{free_port()}/x?connect_timeout=2",
                       "STUF_FIN_DB_WAIT": "0"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "unreachable" in result.stderr and "giving up" in result.stderr


def test_a_configuration_error_stops_at_once(tmp_path):
    result = _run(env={"STUF_FIN_PORT": "0", "STUF_FIN_DB_WAIT": "600"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "port 0 is not a TCP port" in result.stderr and "retrying" not in result.stderr


@pytest.mark.parametrize("args", [("config", "check"), ("stuf-fin", "config", "check")])
def test_other_arguments_go_to_stuf_fin(tmp_path, args):
    result = _run(*args, env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "effective configuration" in result.stdout
