"""Validate messages against the compiled schema set; located, short error reports."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from stuf_fin.namespaces import prefixed
from stuf_fin.schema.loader import SchemaSource, load, load_envelope

#: StUF ``details`` is at most 1,000 characters (stuf0301.xsd).
DETAILS_MAX = 1000


@dataclass(frozen=True)
class SchemaIssue:
    """One validation error, located in the document that was received."""

    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.path}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "path": self.path, "message": self.message}


class MessageValidator:
    """A compiled schema set; ``validate`` is safe to call from several threads."""

    def __init__(self, schema: etree.XMLSchema, source: SchemaSource):
        self.schema = schema
        self.source = source
        # lxml keeps the error log on the schema object: one validation at a time.
        self._lock = threading.Lock()
        self._envelope: etree.XMLSchema | None = None

    @property
    def envelope(self) -> etree.XMLSchema:
        """The same schemas plus a SOAP Envelope (:data:`~stuf_fin.schema.loader.ENVELOPE_SCHEMA`), for
        validating a whole request while it is parsed; compiled on first use, once."""
        if self._envelope is None:
            with self._lock:
                if self._envelope is None:
                    self._envelope = load_envelope(self.source)
        return self._envelope

    def validate(self, node: etree._Element | etree._ElementTree) -> list[SchemaIssue]:
        """Errors of ``node`` (a message element or a whole document); empty when valid."""
        with self._lock:
            if self.schema.validate(node):
                return []
            return [
                SchemaIssue(e.line, e.column, _short_path(e.path), _short_message(e.message))
                for e in self.schema.error_log
            ]


def summarize(issues: list[SchemaIssue], limit: int = DETAILS_MAX) -> str:
    """Errors as one text of at most ``limit`` characters (for a StUF055 ``details``)."""
    text = ""
    for n, issue in enumerate(issues):
        part = ("; " if text else "") + str(issue)
        rest = len(issues) - n - 1
        suffix = f" (+{rest} more)" if rest else ""
        if len(text) + len(part) + len(suffix) > limit:
            more = f" (+{len(issues) - n} more)"
            if not text:
                return (part[: limit - len(more) - 1] + "…" + more)[:limit]
            return (text + more)[:limit]
        text += part
    return text


@lru_cache(maxsize=4)
def _cached(schema_dir: str | None) -> MessageValidator:
    schema, source = load(schema_dir)
    return MessageValidator(schema, source)


_compiling = threading.Lock()


def get_validator(schema_dir: str | Path | None = None) -> MessageValidator:
    """The process-wide validator for a schema source (compiled once, also when threads ask at once)."""
    key = str(Path(schema_dir).resolve()) if schema_dir else None
    with _compiling:  # lru_cache alone would let two threads compile the same set
        return _cached(key)


_SUBJECT = re.compile(r"^Element '[^']*'(, attribute '[^']*')?: ")
_LONG_SET = re.compile(r"\{('[^']*'(, )?){12,}\}")


def _short_message(message: str) -> str:
    """libxml2's message without the element name (the path has it) and without huge value sets."""
    message = prefixed(message)
    subject = _SUBJECT.match(message)
    if subject:
        attribute = subject.group(1)
        message = (f"attribute {attribute.split(chr(39))[1]!r}: " if attribute else "") + message[subject.end():]
    return _LONG_SET.sub(lambda m: m.group(0)[:80].rsplit(",", 1)[0] + ", ...}", message)


def _short_path(path: str | None) -> str:
    return path or "/"
