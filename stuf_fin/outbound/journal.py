"""The journal of ``stuf-fin send``: one JSON line per event, appended and flushed to disk, so that a run that
was interrupted or failed half-way resumes without sending an answered message again.

A message is known by the SHA-256 of its file.  ``{"event": "sent", ...}`` is written before a message goes
out, ``{"event": "answer", "result": ...}`` when its answer (or transport error) is in.  A message is done
when its last answer was an acceptance (Bv03, Bv04, La01) or a fault on the sender's side (plek client:
sending it unchanged cannot help).  Anything else — no answer journaled, a transport or HTTP error, a Fo03
plek server — is sent again, unchanged (same referentienummer and tijdstipBericht), as StUF 03.01 §4.4 asks.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DONE = ("Bv03", "Bv04", "La01")


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.answers: dict[str, dict[str, Any]] = {}  # last answer per message digest
        self.in_flight: set[str] = set()  # sent, no answer journaled (interrupted)
        if self.path.exists():
            self._load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._fh.write("\n")  # end the line an interruption cut short, so the next entry stands alone

    def _load(self) -> None:
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the interruption
                digest = entry.get("sha256")
                if entry.get("event") == "sent":
                    self.in_flight.add(digest)
                elif entry.get("event") == "answer":
                    self.in_flight.discard(digest)
                    self.answers[digest] = entry

    def done(self, digest: str) -> dict[str, Any] | None:
        """The journaled answer that makes sending this message again pointless, if any."""
        entry = self.answers.get(digest)
        if entry is None:
            return None
        return entry if entry.get("result") in DONE or entry.get("plek") == "client" else None

    def write(self, event: str, digest: str, **fields: Any) -> None:
        entry = {"event": event, "sha256": digest, "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                 **fields}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            if event == "answer":
                os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()
