"""``stuf-fin serve`` (and the raw floor, :mod:`bench.floor`) as a subprocess on a free loopback port, for the
benchmarks and the tests (via ``tests/support/server.py``), and its memory figures from ``/proc``."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

#: Run the server from the ``stuf_fin`` package in this folder instead (the benchmark itself stays as it is).
OTHER_CODE = "STUF_FIN_BENCH_SERVER_CODE"
#: This checkout (the floor always runs from here).
REPOSITORY = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (e.g. ``VmHWM``, ``VmRSS``) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads) and of its child processes still running
    (the workers of ``--workers N``), from ``/proc``."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else ():
        try:
            total += cpu_seconds(int(child))
        except OSError:  # ended meanwhile
            pass
    return total


def processes_cpu_seconds(name: str) -> float:
    """CPU time of every running process called ``name`` (e.g. the local PostgreSQL server's backends)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == name:
                    stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
            except OSError:
                pass
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    log_path: Path
    scheme: str = "http"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8123``."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The process that handles requests (the only one with ``--workers 1``)."""
        return self.process.pid

    def rss(self) -> int:
        return proc_status(self.pid, "VmRSS")

    def peak_rss(self) -> int:
        return proc_status(self.pid, "VmHWM")

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux ``clear_refs``; needs the right to write it)."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(workdir: Path, database_url: str | None = None, *, workers: int | None = None,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None, timeout: float = 60,
                 scheme: str = "http", verify: ssl.SSLContext | bool = True) -> Server:
    """Start ``stuf-fin serve`` on a free loopback port and wait until ``/health`` answers.

    ``database_url``: default a SQLite file in ``workdir``; ``workers``: ``--workers`` (default the server's own
    setting); ``env``: added to the environment, from which every ``STUF_FIN_*`` variable of this process is
    removed; ``scheme``/``verify`` (as in httpx): for a server with TLS.  The log goes to a file in ``workdir``.
    """
    port = free_port()
    database_url = database_url or f"sqlite:///{workdir / 'gateway.db'}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    if os.environ.get(OTHER_CODE):  # e.g. an older checkout, for before/after figures with the same client
        environment["PYTHONPATH"] = os.environ[OTHER_CODE]
    environment.update(env or {})
    cmd = [sys.executable, "-m", "stuf_fin", "serve", "--port", str(port), "--database-url", database_url,
           *(("--workers", str(workers)) if workers is not None else ()), *extra_args]
    return _start("stuf-fin serve", cmd, workdir, port, environment, timeout, scheme, verify)


def start_floor(workdir: Path, database_url: str, *, workers: int = 1, timeout: float = 60) -> Server:
    """Start the raw floor (``python -m bench.floor``, this checkout) like :func:`start_server`; it creates its
    own tables in ``database_url``."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    environment["PYTHONPATH"] = str(REPOSITORY)
    cmd = [sys.executable, "-m", "bench.floor", "--port", str(port), "--database-url", database_url,
           "--workers", str(workers)]
    return _start("the floor", cmd, workdir, port, environment, timeout, "http", True)


def _start(name: str, cmd: list[str], workdir: Path, port: int, environment: dict[str, str], timeout: float,
           scheme: str, verify: ssl.SSLContext | bool) -> Server:
    log_path = workdir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=environment)
    server = Server("127.0.0.1", port, process, log_path, scheme)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/health", timeout=1, verify=verify).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not become healthy in {timeout} s:\n{server.log()}")
