"""``stuf-fin selftest``: the 14 StUF-FIN compliance scenarios against any endpoint (docs/selftest.md).

Exit codes: 0 every selected scenario passed; 1 a scenario failed (or the run was interrupted); 2 the options
are wrong or the run could not start (schemas, listen address).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stuf_fin.config import Settings
from stuf_fin.outbound.cli import add_credential_options, credentials_from
from stuf_fin.selftest.scenarios import BY_NUMBER, CONSUMER, PROVIDER, ROLE_NAMES, ROLES, select
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG
from stuf_fin.stuf.stuurgegevens import Systeem

DEFAULT_ZENDER = Systeem("", "STUF-FIN-SELFTEST")
DEFAULT_ONTVANGER = Systeem("", "TTA")
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("selftest", help="play the StUF Testplatform: the StUF-FIN compliance scenarios of a role "
                                        "against a system (provider: --endpoint, consumer: --listen); exit 0 when "
                                        "every scenario passed",
                       description="The StUF-FIN compliance scenarios against any endpoint (docs/selftest.md).")
    p.add_argument("--role", required=True, choices=ROLES, help="the role of the system under test")
    p.add_argument("--endpoint", metavar="BASE_URL", help="its base URL: the runner posts to "
                   f"BASE_URL/{PORT_KENNISGEVING} and BASE_URL/{PORT_VRAAG} (provider scenarios)")
    p.add_argument("--listen", metavar="HOST:PORT", help="serve the counterpart's ports here for the system's "
                   "messages (consumer scenarios); port 0 picks a free one")
    p.add_argument("--scenario", metavar="N,N", help="only these scenarios (comma-separated numbers)")
    p.add_argument("--schema-dir", help="official VNG release folder instead of the built-in schemas "
                                        "(default: $STUF_FIN_SCHEMA_DIR or built-in)")
    p.add_argument("--zender", metavar="ORG/APP[/ADM]", help="the runner's own StUF identity (zender of what it "
                   f"sends, the ontvanger it expects); default '{DEFAULT_ZENDER}'")
    p.add_argument("--ontvanger", metavar="ORG/APP[/ADM]", help="the system's StUF identity (ontvanger of what "
                   f"the runner sends, the zender it expects); default '{DEFAULT_ONTVANGER}'")
    p.add_argument("--tsa", default="SELFTEST", help="the tsa code in the vorderingen and status changes "
                                                     "(default SELFTEST)")
    p.add_argument("--vorderingnummer", help="scenario 4: a vordering the TSA already has (with --tsa); without "
                   "it the runner first sends one (Di01-verstrekVordering)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds for one exchange with the "
                   "system (default 30)")
    p.add_argument("--wait", type=float, default=300.0, metavar="S", help="consumer scenarios: seconds to wait "
                   "for the system's message (default 300)")
    p.add_argument("--resend-window", type=float, default=30.0, metavar="S", help="scenarios 3 and 8: seconds "
                   "to watch for a blind resend after the Fo03 (default 30)")
    p.add_argument("--report", metavar="FILE", help="write one self-contained HTML page with every message")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (one testcase per scenario)")
    p.add_argument("--seed", type=int, help="seed of the generated data (numbers stay fresh)")
    add_credential_options(p)
    p.set_defaults(handler=run_selftest)


def _fail(text: str) -> int:
    print(f"stuf-fin selftest: {text}", file=sys.stderr)
    return EXIT_USAGE


def _listen(value: str) -> tuple[str, int] | None:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        return None
    return host.strip("[]"), int(port)


def _numbers(value: str | None) -> set[int] | str | None:
    if not value:
        return None
    try:
        numbers = {int(n) for n in value.replace(" ", "").split(",") if n}
    except ValueError:
        return f"--scenario {value!r}: give scenario numbers, e.g. 9,10"
    unknown = sorted(n for n in numbers if n not in BY_NUMBER)
    return f"--scenario: no scenario {unknown[0]} (there are 1-14)" if unknown else numbers


def run_selftest(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from stuf_fin.outbound.routing import RoutingError, parse_systeem
    from stuf_fin.schema.loader import SchemaLoadError
    from stuf_fin.schema.validator import get_validator
    from stuf_fin.selftest import report, runner, session
    from stuf_fin.selftest.terminal import Terminal

    if not args.endpoint and not args.listen:
        return _fail("give --endpoint (provider scenarios), --listen (consumer scenarios) or both")
    listen = _listen(args.listen) if args.listen else None
    if args.listen and listen is None:
        return _fail(f"--listen {args.listen!r}: give HOST:PORT, e.g. 127.0.0.1:8600")
    if args.endpoint and not args.endpoint.startswith(("http://", "https://")):
        return _fail(f"--endpoint {args.endpoint!r}: give the base URL, e.g. https://host/stuf")
    numbers = _numbers(args.scenario)
    if isinstance(numbers, str):
        return _fail(numbers)
    scenarios = select(args.role, provider=bool(args.endpoint), consumer=bool(args.listen), numbers=numbers)
    if not scenarios:
        kinds = [k for k, on in ((PROVIDER, args.endpoint), (CONSUMER, args.listen)) if on]
        return _fail(f"no {' or '.join(kinds)} scenario of role {args.role} to run"
                     + (f" among {args.scenario}" if args.scenario else "")
                     + "; see docs/selftest.md for which scenario needs --endpoint and which --listen")
    try:
        zender = parse_systeem(args.zender, "--zender") if args.zender else DEFAULT_ZENDER
        ontvanger = parse_systeem(args.ontvanger, "--ontvanger") if args.ontvanger else DEFAULT_ONTVANGER
    except RoutingError as exc:
        return _fail(str(exc))
    credentials = credentials_from(args, "selftest")
    if credentials is None:
        return EXIT_USAGE
    try:
        validator = get_validator(args.schema_dir or settings.schema_dir)
    except SchemaLoadError as exc:
        return _fail(str(exc))
    options = session.Options(
        role=args.role, scenarios=scenarios, validator=validator, zender=zender, ontvanger=ontvanger, tsa=args.tsa,
        endpoint=args.endpoint, listen=listen, credentials=credentials, vorderingnummer=args.vorderingnummer,
        timeout=args.timeout, wait=args.wait, resend_window=args.resend_window, seed=args.seed,
        expect_runner=zender if args.zender else None, expect_system=ontvanger if args.ontvanger else None)
    shown = {"role": f"{args.role} ({ROLE_NAMES[args.role]})", "endpoint": args.endpoint or "-",
             "listen": args.listen or "-", "scenarios": ", ".join(str(s.number) for s in scenarios),
             "zender (runner)": str(zender), "ontvanger (system)": str(ontvanger), "tsa": args.tsa,
             "schemas": str(validator.source.kind) + (f" ({args.schema_dir or settings.schema_dir})"
                                                      if args.schema_dir or settings.schema_dir else ""),
             "authentication": credentials.auth + (" + TLS client certificate" if credentials.tls_cert else "")}
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    title = f"stuf-fin selftest — {args.role}"
    try:
        with Terminal(console, sum(len(s.steps) for s in scenarios), title) as terminal:
            result = runner.run(options, terminal, shown)
    except OSError as exc:  # the listen address is taken or not ours
        return _fail(f"cannot listen on {args.listen}: {exc.strerror or exc}")
    terminal.summary(result)
    for path, write, what in ((args.report, report.write_html, "report"), (args.junit, report.write_junit,
                                                                          "JUnit XML")):
        if path:
            write(result, Path(path))
            console.print(f"{what} written to {path}")
    return EXIT_PASSED if result.passed else EXIT_FAILED
