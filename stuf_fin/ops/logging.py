"""Logging set-up: JSON lines (default, one object per line) or a human-readable format for a terminal.

Every record passes :class:`~stuf_fin.security.logfilter.MaskingFilter` (BSNs, passwords, tokens in the
message and traceback); the JSON formatter masks the extra fields it copies the same way.

The thread that logs only puts the record on a queue (:class:`logging.handlers.QueueHandler`); one listener
thread masks, formats and writes it, so no request thread formats a line or waits for a slow stderr.  The
queue is emptied at exit and by :func:`flush_logs`.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener

from stuf_fin.config import Settings
from stuf_fin.security.logfilter import MaskingFilter, mask

#: Extra attributes of a log record that are copied into the JSON line.
FIELDS = ("port", "operation", "zender", "referentienummer", "outcome", "fault_code", "duration_ms", "client",
          "resend", "fault_details", "peer", "path")
#: Fields whose values the gateway chooses from its own vocabulary (never personal data or secrets): not masked.
OWN_VALUES = frozenset({"port", "operation", "outcome", "fault_code", "duration_ms", "resend"})
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attributes = record.__dict__  # (the extra fields; hasattr would raise and catch for each one absent)
        for name in FIELDS:
            if name in attributes:
                value = attributes[name]
                line[name] = mask(value) if isinstance(value, str) and name not in OWN_VALUES else value
        if record.exc_text:
            line["exception"] = record.exc_text
        elif record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Handoff(QueueHandler):
    """Puts records on the queue as they are: the message's arguments merged now (they may change later), a
    traceback rendered now (the frames go away); masking and formatting are the listener's."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


_listener: QueueListener | None = None


def configure_logging(settings: Settings) -> None:
    global _listener
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(MaskingFilter())  # no full BSNs, passwords or tokens in the log
    flush_logs()  # a listener of an earlier configuration writes what it holds, then stops
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    _listener = QueueListener(records, handler, respect_handler_level=True)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [_Handoff(records)]
    root.setLevel(settings.log_level.upper())
    logging.captureWarnings(True)  # Python warnings as log records (JSON too), not raw text on stderr
    # spyne logs every fault it sees with a traceback; our faults are intended answers
    logging.getLogger("spyne").setLevel(logging.CRITICAL)


def flush_logs() -> None:
    """Write every queued record and stop the listener (at exit; before reading captured output)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


atexit.register(flush_logs)
