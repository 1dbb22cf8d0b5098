"""One settings object: defaults, an optional TOML file, ``STUF_FIN_*`` environment variables,
then command-line options (each later source wins).  Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "STUF_FIN_"


class ConfigError(Exception):
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
    # schema
    schema_dir: str | None = None
    # store
    database_url: str = "sqlite:///./stuf-fin.db"
    # identity of this gateway (StUF ``ontvanger`` of requests, ``zender`` of what it sends);
    # when organisatie/applicatie are set, the ontvanger of requests is checked (StUF010).
    organisatie: str | None = None
    applicatie: str | None = None
    # business rules
    reject_past_vervaldatum: bool = True
    # vraag/antwoord
    not_found_fault: bool = True
    max_results: int = 1000
    # logging
    log_level: str = "INFO"
    log_format: str = "json"
    # where this configuration came from (not a setting)
    config_file: str | None = field(default=None, metadata={"internal": True})

    def checked(self) -> Settings:
        """Raise :class:`ConfigError` naming every unusable value."""
        problems = []
        if not 0 < self.port < 65536:
            problems.append(f"port {self.port} is not a TCP port")
        if self.workers < 1:
            problems.append("workers must be at least 1")
        if self.max_body_bytes < 1024:
            problems.append("max_body_bytes must be at least 1024")
        if self.max_results < 1:
            problems.append("max_results must be at least 1")
        if self.log_format not in ("json", "text"):
            problems.append(f"log_format must be 'json' or 'text', not {self.log_format!r}")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"log_level {self.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
        if bool(self.organisatie) != bool(self.applicatie) and not self.applicatie:
            problems.append("organisatie is set without applicatie")
        if self.schema_dir and not Path(self.schema_dir).is_dir():
            problems.append(f"schema_dir {self.schema_dir} is not a folder")
        if problems:
            raise ConfigError("; ".join(problems))
        return self


def _convert(name: str, raw: Any, kind: Any) -> Any:
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
        return str(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a valid {kind.split(' ')[0]}") from None


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None,
                  config_file: str | None = None) -> Settings:
    """Build the settings from file, environment and explicit overrides (``None`` = not given)."""
    environ = os.environ if environ is None else environ
    known = {f.name: f for f in fields(Settings) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {config_file}: {exc}") from exc
        section = data.get("gateway", data)
        for key, raw in section.items():
            if key in known:
                values[key] = _convert(key, raw, known[key].type)
            elif not isinstance(raw, dict):
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
    return settings.checked()
