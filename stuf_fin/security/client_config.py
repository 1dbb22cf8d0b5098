"""The security part of the settings: loading ``[[clients]]``, start-up checks, safe printing,
and the secure-by-default rule for ``stuf-fin serve``."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from stuf_fin.config import Settings, read_toml
from stuf_fin.errors import StufFinError
from stuf_fin.security.clients import HIDDEN, Client, ClientConfigError, check_unique, load_clients

log = logging.getLogger("stuf_fin.security")

#: Settings whose values are secret or point at secrets: shown as ``<hidden>`` by :func:`redacted`.
SECRET_SETTINGS = ("tls_key",)
HIDDEN_URL = "<unparsable URL hidden>"


class ExposureError(StufFinError):
    """``serve`` would listen on a public address without authentication."""


def clients_for(settings: Settings, tables: list[Any], environ: Mapping[str, str]) -> tuple[Client, ...]:
    """The clients of the settings file's ``[[clients]]`` plus those in ``clients_file``."""
    if not isinstance(tables, list):
        raise ClientConfigError("'clients' must be an array of tables ([[clients]])")
    clients = load_clients(tables, environ, Path(settings.config_file).parent if settings.config_file else None)
    if settings.clients_file:
        path = Path(settings.clients_file)
        data = read_toml(path, ClientConfigError, "clients_file")
        unknown = set(data) - {"clients"}
        if unknown or not isinstance(data.get("clients", []), list):
            raise ClientConfigError(f"clients_file {path}: only [[clients]] tables are allowed")
        clients += load_clients(data.get("clients", []), environ, path.parent)
    return check_unique(clients)


def problems(settings: Settings) -> list[str]:
    """Security settings that do not fit together (for ``Settings.checked``)."""
    found = []
    for name in ("tls_cert", "tls_key", "tls_client_ca", "clients_file"):
        value = getattr(settings, name)
        if value and not Path(value).is_file():
            found.append(f"{name} {value} is not a file")
    if (settings.tls_key or settings.tls_client_ca) and not settings.tls_cert:
        found.append("tls_key and tls_client_ca need tls_cert")
    if settings.tls_client_cert_required and not settings.tls_client_ca:
        found.append("tls_client_cert_required needs tls_client_ca")
    mtls = [c.name for c in settings.clients if "mtls" in c.methods]
    if mtls and not settings.tls_client_ca:
        found.append(f"client(s) {', '.join(mtls)} use a TLS certificate, but tls_client_ca is not set")
    for name, low in (("header_timeout", 1), ("wss_max_age", 10), ("wss_clock_skew", 0), ("nonce_cache_size", 100)):
        if getattr(settings, name) < low:
            found.append(f"{name} must be at least {low}")
    if settings.retention_days is not None and settings.retention_days < 1:
        found.append("retention_days must be at least 1 (or unset: keep everything)")
    found += _console_problems(settings)
    return found


def _console_problems(settings: Settings) -> list[str]:
    found = []
    accounts = settings.console_accounts
    if settings.console_port is not None:
        if not 0 < settings.console_port < 65536:
            found.append(f"console_port {settings.console_port} is not a TCP port")
        elif settings.console_port == settings.port:
            found.append("console_port must differ from port (leave it unset to serve the console on port)")
        if not accounts:
            found.append("console_port is set but no [[console.accounts]] are configured (the console is off)")
    if not 0 < settings.console_query_timeout <= 60:
        found.append("console_query_timeout must be more than 0 and at most 60 seconds")
    mtls = [a.name for a in accounts if a.tls_fingerprints or a.tls_subjects]
    if mtls and not settings.tls_client_ca:
        found.append(f"console account(s) {', '.join(mtls)} use a TLS certificate, but tls_client_ca is not set")
    return found


def redacted(settings: Settings) -> dict[str, Any]:
    """Every setting as plain data, secrets hidden; clients via :meth:`Client.redacted`."""
    data: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name in ("clients", "console_accounts"):
            data[f.name] = [c.redacted() for c in value]
        elif f.name in SECRET_SETTINGS and value:
            data[f.name] = HIDDEN
        elif f.name == "database_url" and value:
            data[f.name] = _safe_url(value)
        else:
            data[f.name] = value
    return data


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return HIDDEN_URL


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (``localhost``, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse a public address without authentication unless ``allow_anonymous``; warn when allowed."""
    if settings.clients:
        if not settings.tls_cert:
            log.warning("no TLS configured: credentials and messages travel in clear text unless a proxy in "
                        "front terminates TLS")
        return
    if is_loopback(settings.host):
        log.info("no authentication configured; listening on loopback %s only", settings.host)
        return
    if not settings.allow_anonymous:
        raise ExposureError(
            f"refusing to listen on {settings.host} without authentication: configure [[clients]] "
            "(see docs/security.md), listen on 127.0.0.1, or pass --allow-anonymous")
    log.warning("ANONYMOUS ACCESS: listening on %s without authentication (--allow-anonymous); every sender "
                "may deliver and query vorderingen", settings.host)
