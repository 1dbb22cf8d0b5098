"""A real gateway: ``stuf-fin serve`` in a subprocess on a free port, talked to over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from stuf_fin.namespaces import FIN, STUF

SOAP_ACTIONS = {
    "Di01-verstrekVordering": f"{FIN}/Di01-verstrekVordering",
    "Di01-verstrekVorderingStatusWijziging": f"{FIN}/Di01-verstrekVorderingStatusWijziging",
    "Di01-verstrekFinancieleVerantwoording": f"{FIN}/Di01-verstrekFinancieleVerantwoording",
    "vrdLv01": f"{FIN}/vrdLv01",
    "Bv03Bericht": f"{STUF}/Bv03",
    "Fo03Bericht": f"{STUF}/Fo03",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(workdir: Path, database_url: str | None = None, extra_args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, timeout: float = 60) -> Server:
    """Start ``stuf-fin serve`` and wait until ``/health`` answers."""
    port = free_port()
    database_url = database_url or f"sqlite:///{workdir / 'gateway.db'}"
    log_path = workdir / f"server-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    environment.update(env or {})
    cmd = [sys.executable, "-m", "stuf_fin", "serve", "--port", str(port), "--database-url", database_url,
           *extra_args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=environment)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stuf-fin serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"stuf-fin serve did not become healthy in {timeout}s:\n{server.log()}")
