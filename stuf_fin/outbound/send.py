"""``stuf-fin send``: post StUF-FIN messages from files to any endpoint, with the right SOAPAction, a progress
bar, a summary of the answers, and a journal for resuming (:mod:`stuf_fin.outbound.journal`)."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from stuf_fin.envelope import EnvelopeError, body_element, is_envelope
from stuf_fin.outbound import messages
from stuf_fin.outbound.client import ACCEPTED, SendOutcome, StufClient
from stuf_fin.outbound.journal import Journal
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes
from stuf_fin.schema.validator import MessageValidator, summarize
from stuf_fin.stuf.operations import PORTS, Operation
from stuf_fin.stuf.stuurgegevens import read_stuurgegevens

EARLIER, REFUSED = "accepted earlier (journal)", "refused earlier (journal)"


@dataclass(frozen=True)
class MessageFile:
    """One message file, read and checked."""

    path: Path
    digest: str
    operation: Operation | None = None
    message: bytes = b""  # the message element, serialized
    envelope: bytes | None = None  # the file itself when it is a SOAP envelope (sent as it is)
    referentienummer: str = ""
    problem: str | None = None  # why it is not sent


def files(arguments: list[str]) -> list[Path]:
    """The files named, and the ``*.xml`` files below the folders named (sorted), each once."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        found += sorted(p for p in path.rglob("*.xml") if p.is_file()) if path.is_dir() else [path]
    seen: set[Path] = set()
    unique = []
    for p in found:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique


def read(path: Path, validator: MessageValidator | None, limits: ParseLimits) -> MessageFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return MessageFile(path, "", problem=f"unreadable: {exc}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        root = parse_bytes(data, limits).getroot()
        message = body_element(root)
    except (XmlInputError, EnvelopeError) as exc:
        return MessageFile(path, digest, problem=f"not a SOAP envelope or StUF message: {exc}")
    operation = messages.operation_of(message)
    if operation is None:
        return MessageFile(path, digest, problem=f"{etree.QName(message).localname} is no StUF-FIN message")
    if validator is not None:
        issues = validator.validate(message)
        if issues:
            return MessageFile(path, digest, operation, problem=f"fails the schema: {summarize(issues)}")
    return MessageFile(path, digest, operation, etree.tostring(message, encoding="UTF-8"),
                   data if is_envelope(root) else None, read_stuurgegevens(message).referentienummer)


def endpoint(to: str, port: str) -> str:
    """``to``, with its last path segment replaced by ``port`` when it names the other StUF-FIN port."""
    parts = urlsplit(to)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    if last in PORTS and last != port:
        return urlunsplit(parts._replace(path=f"{head}/{port}"))
    return to


class Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, total: int, out: TextIO):
        self.total, self.done, self.out = total, 0, out
        self.active = out.isatty()

    def step(self, counts: Counter[str]) -> None:
        self.done += 1
        if self.active:
            width = 30
            filled = width * self.done // max(self.total, 1)
            shown = "  ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  {shown}\033[K")
            self.out.flush()

    def end(self) -> None:
        if self.active:
            self.out.write("\n")


def category(send_outcome: SendOutcome) -> str:
    if send_outcome.accepted or send_outcome.kind.startswith("Fo"):
        return send_outcome.kind
    return "not delivered"


def send(arguments: list[str], to: str, client: StufClient, *, concurrency: int = 1, journal: Journal | None = None,
         validator: MessageValidator | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Send every message; print a summary; 0 when every message is accepted (now or in an earlier run).

    Files are read, checked and sent by ``concurrency`` threads, one file at a time each (memory stays small
    for any number of files).
    """
    paths = files(arguments)
    limits = ParseLimits()
    counts: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    seen: set[str] = set()
    lock = threading.Lock()
    progress = Progress(len(paths), err)

    def one(path: Path) -> tuple[str, str | None]:
        """(category, what to report or None) of one file."""
        message_file = read(path, validator, limits)
        if message_file.problem:
            return "not sent", f"not sent: {message_file.problem}"
        with lock:
            duplicate = message_file.digest in seen
            seen.add(message_file.digest)
        if duplicate:
            return "duplicate file", None
        earlier = journal.done(message_file.digest) if journal is not None else None
        if earlier:
            if earlier["result"] in ACCEPTED:
                return EARLIER, None
            return REFUSED, f"refused earlier: {earlier.get('detail')}"
        if journal is not None:
            journal.write("sent", message_file.digest, file=str(path), referentienummer=message_file.referentienummer)
        operation = message_file.operation
        assert operation is not None  # (read() names it unless there is a problem)
        send_outcome = client.post(message_file.message, operation.soap_action, url=endpoint(to, operation.port),
                                   existing=message_file.envelope,
                                   referentienummer=message_file.referentienummer or None)
        if journal is not None:
            journal.write("answer", message_file.digest, file=str(path), referentienummer=message_file.referentienummer,
                          result=send_outcome.kind, code=send_outcome.code, plek=send_outcome.plek,
                          detail=None if send_outcome.accepted else send_outcome.describe()[:500])
        if send_outcome.kind.startswith("Fo"):
            with lock:
                faults[f"{send_outcome.kind} {send_outcome.code} ({send_outcome.plek})"] += 1
        return category(send_outcome), None if send_outcome.accepted else send_outcome.describe()

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(one, path): path for path in paths}
        for future in as_completed(futures):
            what, report = future.result()
            counts[what] += 1
            if report:
                if progress.active:
                    err.write("\n")
                print(f"{futures[future]}: {report}", file=err)
            progress.step(counts)
    progress.end()
    order = [*ACCEPTED, "Fo03", "Fo02", "Fo01", "not delivered", "not sent", EARLIER, REFUSED, "duplicate file"]
    summary = ", ".join(f"{counts[what]} {what}" for what in order if counts[what]) or "nothing to send"
    print(f"{len(paths)} file(s): {summary}", file=out)
    for what, n in sorted(faults.items()):
        print(f"  {what}: {n}", file=out)
    accepted = sum(counts[k] for k in (*ACCEPTED, EARLIER, "duplicate file"))
    return 0 if paths and accepted == len(paths) else 1
