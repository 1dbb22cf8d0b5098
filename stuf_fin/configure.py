"""The whole configuration: the settings (:mod:`stuf_fin.config`, a leaf) plus the parts other packages know
how to read — the ``[[clients]]`` (security), the ``[outbound]`` routes (outbound) and the
``[[console.accounts]]`` — each checked by its own package.  Every entry point loads its settings here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from stuf_fin.config import ConfigError, Settings, read_settings
from stuf_fin.outbound import policy
from stuf_fin.outbound.routing import load_routing
from stuf_fin.security import client_config
from stuf_fin.security.accounts import load_accounts


def load_settings(overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                  config_file: str | None = None) -> Settings:
    """Settings from file, environment and explicit overrides (``None`` = not given), with the clients, routes
    and console accounts loaded; :class:`ConfigError` naming every unusable value."""
    settings, data = read_settings(overrides, environ, config_file)
    environ = os.environ if environ is None else environ
    try:
        settings.clients = client_config.clients_for(settings, data.get("clients", []), environ)
        settings.routing = load_routing(settings, data.get("outbound"), environ)
        settings.console_accounts = load_accounts(data.get("console"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return settings.checked(*client_config.problems(settings), *policy.problems(settings))

