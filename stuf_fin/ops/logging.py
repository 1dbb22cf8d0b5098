"""Logging set-up: JSON lines (default) or a human-readable format for a terminal."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from stuf_fin.config import Settings

#: Extra attributes of a log record that are copied into the JSON line.
FIELDS = ("operation", "zender", "referentienummer", "outcome", "fault_code", "duration_ms", "port", "peer")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # spyne logs every fault it sees with a traceback; our faults are intended answers
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
