"""Validate messages against the compiled schema set; located, short error reports, bounded memory.

**One compiled set, no lock.**  Each schema source is compiled once per process, with a SOAP Envelope
(:data:`~stuf_fin.schema.loader.ENVELOPE_SCHEMA`) so that the same set validates a whole request while it is
parsed as well as a bare message.  Every thread validates with it at the same time: libxml2 gives each
validation a context of its own and lxml releases the GIL while libxml2 works.  (A set per thread was measured
and not taken: the built-in set costs 0.04 s and 9 MB per compilation, an official release 0.3 s and 38 MB, times
the 16 request threads.)  Only the error log is not shareable: lxml keeps it on the schema object, so each
thread collects its own errors through lxml's per-thread global error log (:class:`_Collector`).

**At most a few errors.**  lxml turns every libxml2 error into an object and, validating a tree, keeps them all
until the validation ends; libxml2 cannot be stopped early.  200,000 errors cost hundreds of MB (and minutes:
each one computes its node's path).  So an untrusted request is validated *while it is parsed*
(:meth:`MessageValidator.parse`): fed to a validating parser in chunks, stopped after the chunk in which the
first error appeared, and only the first :data:`MAX_ISSUES` errors are kept.  Trees validated with
:meth:`MessageValidator.validate` are our own (answers, stored messages) or local files.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from stuf_fin import errors
from stuf_fin.envelope import ENVELOPE
from stuf_fin.errors import DETAILS_MAX
from stuf_fin.namespaces import prefixed
from stuf_fin.schema.loader import SchemaSource, load
from stuf_fin.schema.parsing import HARDENED, ParseLimits, ParserOptions, input_error, precheck, refuse_parsed_doctype

#: Errors kept per validation: a StUF055 names the first few.
MAX_ISSUES = 5
#: Bytes fed to the validating parser at a time: after a chunk with an error nothing more is read, so the errors
#: held at once are those of one chunk (a few thousand at worst, a few MB).
CHUNK = 16 * 1024
#: Errors of a request are located (line, path) by validating the tree of the part read so far once more,
#: when that part is at most this large; beyond it they name their element and the line near which they were found.
LOCATE_MAX = 16 * 1024 * 1024
#: The hardened options of :mod:`stuf_fin.schema.parsing`, but for ``resolve_entities=False``: with a schema that
#: one makes lxml (6.1) accept a truncated document without an error.  A DTD never reaches the parser
#: (:func:`~stuf_fin.schema.parsing.refuse_doctype`), so there are no entities to resolve but the predefined ones.
VALIDATING: ParserOptions = {**HARDENED}
del VALIDATING["resolve_entities"]


@dataclass(frozen=True)
class SchemaIssue:
    """One validation error, located in the document that was received (``near``: the line is where the part
    of the document that held the error began, not the error's own line)."""

    line: int
    column: int
    path: str
    message: str
    near: bool = False

    def __str__(self) -> str:
        return f"{'near ' if self.near else ''}line {self.line}: {self.path}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "path": self.path, "message": self.message}


@dataclass
class Checked:
    """A request after :meth:`MessageValidator.parse`: its tree when it passed, else its first errors."""

    root: etree._Element | None
    issues: list[SchemaIssue] = field(default_factory=list)


# -- collecting errors per thread -------------------------------------------------------------------------------

@dataclass
class _Run:
    """The schema errors of one validation: how many, and the first ``limit`` (line, column, path, message)."""

    limit: int
    count: int = 0
    found: list[tuple[int, int, str | None, str]] = field(default_factory=list)


class _Collector(etree.PyErrorLog):
    """This thread's global libxml2 error log.

    lxml hands every error raised in a thread to that thread's global log as well, at once, while libxml2 is
    still working; this one counts the schema errors of the validation running in the thread and keeps the
    first few, and ignores everything else (it logs nothing).
    """

    def __init__(self) -> None:
        super().__init__(logger=_QUIET)
        self.run: _Run | None = None

    def receive(self, entry: etree._LogEntry) -> None:
        run = self.run
        if run is None or entry.domain != _SCHEMASV or entry.level < _ERROR:
            return
        run.count += 1
        if len(run.found) < run.limit:
            run.found.append((entry.line, entry.column, entry.path, entry.message))

    def clear(self) -> None:  # etree.clear_error_log() calls it on the thread's global log
        pass


_SCHEMASV = etree.ErrorDomains.SCHEMASV
_ERROR = etree.ErrorLevels.ERROR
_QUIET = logging.getLogger("stuf_fin.schema.libxml2")
_threads = threading.local()


@contextmanager
def collecting(limit: int = MAX_ISSUES) -> Iterator[_Run]:
    """Collect the schema errors raised in this thread until the block ends (for a validating parser fed in
    chunks: stop when ``count`` is not 0, then :meth:`MessageValidator.locate`)."""
    collector = getattr(_threads, "collector", None)
    if collector is None:
        collector = _threads.collector = _Collector()
        etree.use_global_python_log(collector)
    outer, collector.run = collector.run, _Run(limit)
    try:
        yield collector.run
    finally:
        collector.run = outer


# -- the validator ---------------------------------------------------------------------------------------------

class MessageValidator:
    """A compiled schema set (message schemas plus a SOAP Envelope); safe to use from many threads at once."""

    def __init__(self, schema: etree.XMLSchema, source: SchemaSource):
        self.schema = schema
        self.source = source

    @property
    def envelope(self) -> etree.XMLSchema:
        """The set with a SOAP Envelope, for validating a whole request while it is parsed (the same set)."""
        return self.schema

    def validate(self, node: etree._Element | etree._ElementTree, limit: int = MAX_ISSUES) -> list[SchemaIssue]:
        """The first ``limit`` errors of a tree (a message element or a whole document); empty when valid.

        For trees we made or trust: libxml2 reports every error of a tree before lxml lets go, so an untrusted
        request goes through :meth:`parse` instead.
        """
        with collecting(limit) as run:
            valid = self.schema.validate(node)
        if valid:
            return []
        root_is_envelope = _root(node).tag == ENVELOPE
        return [_issue(found, strip_envelope=root_is_envelope) for found in run.found] or [
            SchemaIssue(0, 0, "/", "voldoet niet aan het schema")]

    def parse(self, data: bytes, limits: ParseLimits | None = None, *, limit: int = MAX_ISSUES,
              progress: Callable[[int], None] | None = None) -> Checked:
        """An untrusted document (a request), parsed with the hardened options and validated in the same pass.

        Valid: :attr:`Checked.root` is the whole tree.  Invalid: its first ``limit`` errors, located; nothing
        after the chunk that held the first error is read.  ``progress`` is called after each chunk with the
        number of bytes read so far.  Raises :class:`~stuf_fin.schema.parsing.XmlInputError` when the
        document is not well-formed or breaks a :class:`~stuf_fin.schema.parsing.ParseLimits` limit.
        """
        precheck(data, limits or ParseLimits())
        parser = etree.XMLParser(schema=self.schema, **VALIDATING)
        root = None
        with collecting(limit) as run:
            try:
                end = 0
                while end < len(data) and not run.count:
                    parser.feed(data[end:end + CHUNK])
                    end = min(end + CHUNK, len(data))
                    if progress is not None:
                        progress(end)
                root = parser.close()  # also after an error: lxml frees the partial tree
            except etree.XMLSyntaxError as exc:
                if not run.count:  # not well-formed (a validity error also ends up here: it is counted)
                    raise input_error(exc) from None
        if not run.count and root is not None:
            refuse_parsed_doctype(root)
            return Checked(root)
        return Checked(None, self.locate(data, end, run))

    def locate(self, data: bytes, end: int, run: _Run) -> list[SchemaIssue]:
        """Line and path of the errors found in ``data[:end]`` by a validating parser.

        libxml2 gives errors found while parsing neither a line nor a node.  The part read so far is parsed once
        more into a tree (libxml2's recovery closes what is still open) and that tree is validated; its errors
        are the same ones, now with line and path, plus some for the cut-off end, which are left out.  Beyond
        :data:`LOCATE_MAX` bytes the errors keep their element and the line near which they were found.
        """
        wanted = [message for _line, _column, _path, message in run.found]
        near = data.count(b"\n", 0, max(0, end - CHUNK)) + 1
        located: list[tuple[int, int, str | None, str]] = []
        envelope = False
        if end <= LOCATE_MAX:
            try:
                tree = etree.fromstring(data[:end], etree.XMLParser(recover=True, **HARDENED))
            except etree.XMLSyntaxError:
                tree = None
            if tree is not None:
                with collecting(len(wanted) + 16) as again:
                    self.schema.validate(tree)
                located = again.found
                envelope = tree.tag == ENVELOPE
        issues = []
        for message in wanted:
            match = next((found for found in located if found[3] == message), None)
            if match is not None:
                located.remove(match)
                issues.append(_issue(match, strip_envelope=envelope))
            else:
                issues.append(SchemaIssue(near, 0, _subject(message), _short_message(message), near=True))
        return issues or [SchemaIssue(near, 0, "/", "voldoet niet aan het schema", near=True)]


def _root(node: etree._Element | etree._ElementTree) -> etree._Element:
    return node.getroot() if isinstance(node, etree._ElementTree) else node


def _issue(found: tuple[int, int, str | None, str], *, strip_envelope: bool) -> SchemaIssue:
    line, column, path, message = found
    return SchemaIssue(line, column, _short_path(path, strip_envelope), _short_message(message))


def summarize(issues: list[SchemaIssue], limit: int = DETAILS_MAX) -> str:
    """Errors as one text of at most ``limit`` characters (a StUF055 ``details``; :func:`stuf_fin.errors.summarize`)."""
    return errors.summarize([str(issue) for issue in issues], limit)


@lru_cache(maxsize=4)
def _cached(schema_dir: str | None) -> MessageValidator:
    schema, source = load(schema_dir, envelope=True)
    return MessageValidator(schema, source)


_compiling = threading.Lock()


def get_validator(schema_dir: str | Path | None = None) -> MessageValidator:
    """The process-wide validator for a schema source (compiled once, also when threads ask at once)."""
    key = str(Path(schema_dir).resolve()) if schema_dir else None
    with _compiling:  # lru_cache alone would let two threads compile the same set
        return _cached(key)


def forget_validators() -> None:
    """Drop the compiled validators: the next :func:`get_validator` compiles its schema set again."""
    _cached.cache_clear()


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


def _subject(message: str) -> str:
    """The element a libxml2 message is about (``FIN:object``), for an error without a path."""
    subject = _SUBJECT.match(prefixed(message))
    return subject.group(0)[len("Element '"):].split("'", 1)[0] if subject else "/"


def _short_path(path: str | None, strip_envelope: bool = False) -> str:
    """libxml2's path; of a whole request without the Envelope and Body steps (it starts at the message)."""
    if not path:
        return "/"
    if strip_envelope:
        steps = path.split("/")
        return "/" + "/".join(steps[3:]) if len(steps) > 3 else path
    return path
