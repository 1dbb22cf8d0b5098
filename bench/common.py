"""What every benchmark prints and needs: the machine, the command, cached generated messages."""

from __future__ import annotations

import os
import platform
import random
import shlex
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from stuf_fin.selftest import generator as g

CACHE = Path(os.environ.get("STUF_FIN_BENCH_CACHE") or Path(tempfile.gettempdir()) / "stuf-fin-bench")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def versions() -> str:
    """The versions of what the gateway and the floor both run on."""
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    from lxml import etree

    parts = [f"lxml {etree.__version__} / libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}"]
    for package in ("SQLAlchemy", "psycopg", "uvicorn", "h11"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join([*parts, f"SQLite {sqlite3.sqlite_version}"])


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def header(title: str) -> str:
    """Date, machine, versions and the exact command, for docs/benchmarks.md."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    command = f"python -m {spec.name}" if spec is not None else f"python {sys.argv[0]}"
    return (f"# {title}\n"
            f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}\n"
            f"machine: nproc={os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}\n"
            f"versions: {versions()}\n"
            f"command: {command} {shlex.join(sys.argv[1:])}\n"
            f"load average at start: {load_average()}")


def vordering_messages(vorderingen: int, messages: int, *, seed: int = 1, prefix: str = "GEN") -> list[bytes]:
    """``messages`` SOAP envelopes of ``vorderingen`` vorderingen each (unique numbers and
    referentienummers), generated once and cached on disk."""
    folder = CACHE / f"vordering-{prefix}-v{vorderingen}-m{messages}-s{seed}"
    files = [folder / f"di01-vordering-{m:06d}.xml" for m in range(messages)]
    if not all(f.is_file() for f in files):
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(seed)
        for m, path in enumerate(files):
            specs = [g.random_vordering(rng, m * vorderingen + i, prefix=prefix) for i in range(vorderingen)]
            data = g.soap(g.di01_vordering(specs, referentienummer=f"{prefix}-{seed}-{m:06d}"))
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
    return [f.read_bytes() for f in files]


def read_messages(folder: Path) -> list[bytes]:
    """Every ``*.xml`` in ``folder`` (sorted), wrapped in a SOAP envelope when bare."""
    bodies = []
    for path in sorted(folder.glob("*.xml")):
        data = path.read_bytes()
        bodies.append(data if b"Envelope" in data[:300] else g.soap(data))
    return bodies
