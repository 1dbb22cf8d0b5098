"""``stuf-fin validate``: validate message files (bare or in a SOAP envelope)."""

from __future__ import annotations

import argparse
import json
import sys

from stuf_fin.config import Settings
from stuf_fin.envelope import BODY, EnvelopeError, body_element
from stuf_fin.schema.loader import SchemaLoadError
from stuf_fin.schema.parsing import XmlInputError, parse_file
from stuf_fin.schema.validator import SchemaIssue, get_validator


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("validate", help="validate StUF-FIN messages against the schemas")
    p.add_argument("--schema-dir", help="official VNG release folder instead of the built-in schemas "
                                        "(default: $STUF_FIN_SCHEMA_DIR or built-in)")
    p.add_argument("--json", action="store_true", help="print one JSON document with every result")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    schema_dir = args.schema_dir or settings.schema_dir
    try:
        validator = get_validator(schema_dir)
    except SchemaLoadError as exc:
        print(f"stuf-fin validate: {exc}", file=sys.stderr)
        return 2
    results = []
    io_error = False
    for name in args.files:
        try:
            tree = parse_file(name)
        except OSError as exc:
            io_error = True
            results.append({"file": name, "valid": None, "error": f"cannot read: {exc.strerror or exc}"})
            continue
        except XmlInputError as exc:
            issues = [SchemaIssue(exc.line or 0, exc.column or 0, "/", f"not well-formed: {exc.message}")]
        else:
            root = tree.getroot()
            try:
                issues = validator.validate(body_element(root))
            except EnvelopeError as exc:
                body = root.find(BODY)
                where = body if body is not None else root
                issues = [SchemaIssue(where.sourceline or 0, 0, tree.getpath(where), str(exc))]
        results.append({"file": name, "valid": not issues, "errors": [i.as_dict() for i in issues]})
    if args.json:
        json.dump({"schemas": validator.source.describe(), "results": results}, sys.stdout, indent=2)
        print()
    else:
        for r in results:
            if r["valid"] is None:
                print(f"{r['file']}: error: {r['error']}")
            elif r["valid"]:
                print(f"{r['file']}: valid")
            else:
                print(f"{r['file']}: invalid")
                for e in r["errors"]:
                    print(f"  line {e['line']}: {e['path']}: {e['message']}")
    if io_error:
        return 2
    return 0 if all(r["valid"] for r in results) else 1
