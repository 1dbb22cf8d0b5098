"""``stuf-fin``: the command line (serve, validate, db, ...)."""

from __future__ import annotations

import argparse
import sys

from stuf_fin.config import ConfigError
from stuf_fin.configure import load_settings


def build_parser() -> argparse.ArgumentParser:
    from stuf_fin import serve
    from stuf_fin.ops import cli as ops_cli
    from stuf_fin.outbound import cli as outbound_cli
    from stuf_fin.schema import cli as schema_cli
    from stuf_fin.security import cli as security_cli
    from stuf_fin.selftest import cli as selftest_cli

    parser = argparse.ArgumentParser(prog="stuf-fin", description="StUF-FIN 3.10 gateway")
    parser.add_argument("--config", help="TOML settings file (default: $STUF_FIN_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    schema_cli.add_parser(sub)
    serve.add_parsers(sub)
    security_cli.add_parsers(sub)
    ops_cli.add_parsers(sub)
    outbound_cli.add_parsers(sub)
    selftest_cli.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = {name: getattr(args, name, None) for name in getattr(args, "overrides", ())}
        settings = load_settings(overrides, config_file=args.config)
    except ConfigError as exc:
        print(f"stuf-fin: configuration error: {exc}", file=sys.stderr)
        return 2
    code: int = args.handler(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
