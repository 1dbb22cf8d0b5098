"""``stuf-fin config check`` and ``stuf-fin health``."""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import sys
import urllib.error
import urllib.request

from stuf_fin.config import Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="inspect the configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser(
        "check", help="print the effective configuration (secrets hidden) and check it; exit 1 on errors "
                      "(2 when a setting itself is unusable)")
    check.add_argument("--connect", action="store_true", help="also connect to the database and check migrations")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.set_defaults(handler=run_config_check)

    health = sub.add_parser("health", help="ask the local gateway's /health (or /ready); exit 0 when it answers 200 "
                                           "(the container HEALTHCHECK)")
    health.add_argument("--ready", action="store_true", help="ask /ready instead of /health")
    health.add_argument("--url", help="base URL (default: from the host/port/TLS settings)")
    health.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    health.set_defaults(handler=run_health)


def run_config_check(args: argparse.Namespace, settings: Settings) -> int:
    from stuf_fin.ops.configcheck import findings, report

    found = findings(settings, os.environ, connect=args.connect)
    print(report(settings, os.environ, found, as_json=args.json))
    return 1 if any(f.level == "error" for f in found) else 0


def local_base_url(settings: Settings) -> str:
    """Where this machine reaches the gateway configured by ``settings``."""
    host = _host(settings)
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if settings.tls_cert else 'http'}://{host}:{settings.port}"


def run_health(args: argparse.Namespace, settings: Settings) -> int:
    path = "/ready" if args.ready else "/health"
    if settings.tls_client_cert_required and not args.url:
        # no request without a client certificate: that the port accepts connections must do
        try:
            with socket.create_connection((_host(settings), settings.port), timeout=args.timeout):
                print(f"port {settings.port} accepts connections (client certificates required: {path} not asked)")
                return 0
        except OSError as exc:
            print(f"stuf-fin health: {exc}", file=sys.stderr)
            return 1
    url = (args.url or local_base_url(settings)).rstrip("/") + path
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a local probe of a public path
    try:
        with urllib.request.urlopen(url, timeout=args.timeout, context=context) as response:
            print(f"{url}: {response.status} {response.read(500).decode('utf-8', 'replace')}")
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"{url}: {exc.code} {exc.read(500).decode('utf-8', 'replace')}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as exc:
        print(f"stuf-fin health: {url}: {exc}", file=sys.stderr)
    return 1


def _host(settings: Settings) -> str:
    """The address to probe: loopback for a wildcard ``host``."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
