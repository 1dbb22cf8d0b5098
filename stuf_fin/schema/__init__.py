"""Schema layer: hardened parsing, loading of built-in or official schemas, validation."""

from stuf_fin.schema.loader import SchemaLoadError, SchemaSource
from stuf_fin.schema.parsing import ParseLimits, XmlInputError, parse_bytes, parse_file
from stuf_fin.schema.validator import MessageValidator, SchemaIssue, get_validator, summarize

__all__ = [
    "MessageValidator",
    "ParseLimits",
    "SchemaIssue",
    "SchemaLoadError",
    "SchemaSource",
    "XmlInputError",
    "get_validator",
    "parse_bytes",
    "parse_file",
    "summarize",
]
