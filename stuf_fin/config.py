"""One settings object: defaults, an optional TOML file, ``STUF_FIN_*`` environment variables,
then command-line options (each later source wins).  Nothing else reads ``os.environ``.

A leaf: it imports nothing of the project.  The clients, routes and console accounts that the settings file
and its companion files describe are loaded on top by :mod:`stuf_fin.configure`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: the loaders of these parts import this module (stuf_fin.configure)
    from stuf_fin.outbound.routing import Routing
    from stuf_fin.security.accounts import Account
    from stuf_fin.security.clients import Client

from stuf_fin.errors import StufFinError

ENV_PREFIX = "STUF_FIN_"
#: The values of ``StUF:scope`` (StUF 03.01 §6.3.3), for ``default_scope``.
SCOPE_VALUES = ("alles", "allesZonderMetagegevens", "allesMaarKerngegevensGerelateerden",
                "allesZonderMetagegevensMaarKerngegevensGerelateerden", "kerngegevens")


class ConfigError(StufFinError):
    """A setting has an unusable value."""


@dataclass
class Settings:
    """Every setting of the gateway.  Environment variable: ``STUF_FIN_<NAME>`` (upper case)."""

    # transport
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 16
    max_body_bytes: int = 256 * 1024 * 1024
    read_timeout: int = 60
    # a Di01-verstrekVordering at least this large is validated and read as a stream, not as one tree
    # (docs/benchmarks.md: memory); 0 = never
    stream_min_bytes: int = 8 * 1024 * 1024
    # schema
    schema_dir: str | None = None
    # store
    database_url: str = "sqlite:///./stuf-fin.db"
    # the longest the gateway waits for the database in one step (connect, a statement's answer, a free
    # connection, the SQLite write lock); a message whose database does not answer in time gets Fo03 StUF046
    # (vraag: Fo02 StUF049), plek server (docs/operator.md: faults under load)
    database_timeout: float = 30.0
    # identity of this gateway (StUF ``ontvanger`` of requests, ``zender`` of what it sends);
    # when organisatie/applicatie are set, the ontvanger of requests is checked (StUF010).
    organisatie: str | None = None
    applicatie: str | None = None
    # business rules
    reject_past_vervaldatum: bool = True
    # vraag/antwoord
    not_found_fault: bool = True
    max_results: int = 1000
    default_scope: str = "alles"  # the StUF:scope of a vrdLv01 without scope (docs/vraag.md)
    # logging
    log_level: str = "INFO"
    log_format: str = "json"
    # metrics (docs/operator.md): seconds between the database queries behind the stored-count and outbox
    # gauges (0 = on every scrape); folder for the worker processes' shared metric files when workers > 1
    metrics_db_interval: int = 15
    metrics_dir: str | None = None
    # security (docs/security.md); the client systems are [[clients]] tables in the file or in clients_file
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    tls_client_cert_required: bool = False
    allow_anonymous: bool = False
    clients_file: str | None = None
    header_timeout: int = 10
    wss_max_age: int = 300
    wss_clock_skew: int = 60
    nonce_cache_size: int = 100_000
    retention_days: int | None = None
    # outbound delivery (docs/outbound.md); the routes are the [outbound] table of the file or of outbound_file
    outbound_file: str | None = None
    outbound_worker: bool = True
    outbound_max_attempts: int = 50
    outbound_max_age: int = 3 * 24 * 3600
    outbound_backoff: float = 10.0
    outbound_backoff_max: float = 3600.0
    outbound_timeout: float = 60.0
    outbound_lease: float = 300.0
    outbound_poll: float = 2.0
    outbound_concurrency: int = 4
    # the operations console (docs/console.md): on when [[console.accounts]] are configured; served under
    # /console on the gateway's port, or on this port of its own; its database reads stop after this many seconds
    console_port: int | None = None
    console_query_timeout: float = 2.0
    # where this configuration came from (not a setting)
    config_file: str | None = field(default=None, metadata={"internal": True})
    # the [[clients]] (stuf_fin.security.clients.Client), loaded by stuf_fin.configure
    clients: tuple[Client, ...] = field(default=(), metadata={"internal": True})
    # the [outbound] routes (stuf_fin.outbound.routing.Routing), loaded by stuf_fin.configure
    routing: Routing | None = field(default=None, metadata={"internal": True})
    # the [[console.accounts]] (stuf_fin.security.accounts.Account), loaded by stuf_fin.configure
    console_accounts: tuple[Account, ...] = field(default=(), metadata={"internal": True})

    def checked(self, *more: str) -> Settings:
        """Raise :class:`ConfigError` naming every unusable value (and the ``more`` problems found by the
        loaders of the parts this module does not know, :mod:`stuf_fin.configure`)."""
        problems = []
        if not 0 < self.port < 65536:
            problems.append(f"port {self.port} is not a TCP port")
        if self.workers < 1:
            problems.append("workers must be at least 1")
        if self.max_body_bytes < 1024:
            problems.append("max_body_bytes must be at least 1024")
        if self.stream_min_bytes < 0:
            problems.append("stream_min_bytes must be 0 (never) or more")
        if not 1 <= self.database_timeout <= 3600:
            problems.append("database_timeout must be between 1 and 3600 seconds")
        if self.max_results < 1:
            problems.append("max_results must be at least 1")
        if self.default_scope not in SCOPE_VALUES:
            problems.append(f"default_scope must be one of {', '.join(SCOPE_VALUES)}, not {self.default_scope!r}")
        if self.log_format not in ("json", "text"):
            problems.append(f"log_format must be 'json' or 'text', not {self.log_format!r}")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"log_level {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        if bool(self.organisatie) != bool(self.applicatie) and not self.applicatie:
            problems.append("organisatie is set without applicatie")
        if self.metrics_db_interval < 0:
            problems.append("metrics_db_interval must be 0 or more seconds")
        if self.schema_dir and not Path(self.schema_dir).is_dir():
            problems.append(f"schema_dir {self.schema_dir} is not a folder")
        problems.extend(more)
        if problems:
            raise ConfigError("; ".join(problems))
        return self


def _convert(name: str, raw: Any, kind: object) -> object:
    kind = str(kind)
    if raw is None or (isinstance(raw, str) and raw == "" and "None" in kind):
        return None
    try:
        if kind.startswith("bool"):
            if isinstance(raw, bool):
                return raw
            value = str(raw).strip().lower()
            if value in ("1", "true", "yes", "on", "j", "ja"):
                return True
            if value in ("0", "false", "no", "off", "n", "nee"):
                return False
            raise ValueError(raw)
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        return str(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a valid {kind.split(' ')[0]}") from None


def read_toml(path: str | Path, error: type[Exception], what: str) -> dict[str, Any]:
    """A settings file (``config``, ``clients_file``, ``outbound_file``) as a dict; ``error`` with
    ``"<what> <path>: <reason>"`` when it cannot be read or is no TOML."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{what} {path}: {exc}") from exc


def read_settings(overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                  config_file: str | None = None) -> tuple[Settings, dict[str, Any]]:
    """The settings from file, environment and explicit overrides (``None`` = not given), not yet checked,
    and the settings file's data (its ``[[clients]]``, ``[outbound]`` and ``[console]`` tables are read by
    :func:`stuf_fin.configure.load_settings`, which every caller uses)."""
    environ = os.environ if environ is None else environ
    known = {f.name: f for f in fields(Settings) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    data: dict[str, Any] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        data = read_toml(config_file, ConfigError, "config file")
        section = data.get("gateway", data)
        for key, raw in section.items():
            if key in known:
                values[key] = _convert(key, raw, known[key].type)
            elif not isinstance(raw, dict) and key != "clients":
                raise ConfigError(f"config file {config_file}: unknown setting {key!r}")
    for name, f in known.items():
        env = environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            values[name] = _convert(ENV_PREFIX + name.upper(), env, f.type)
    for name, raw in (overrides or {}).items():
        if raw is not None and name in known:
            values[name] = _convert(name, raw, known[name].type)
    settings = dataclasses.replace(Settings(), **values)
    settings.config_file = config_file
    return settings, data
