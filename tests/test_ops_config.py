"""``stuf-fin config check`` (effective configuration, secrets hidden, exit codes) and ``stuf-fin health``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.security import client_table, clients_config
from tests.support.server import free_port, start_server

DB_PASSWORD = "db-geheim-4711"
CLIENT_PASSWORD = "fa-geheim-0123456789"
WSS_SECRET = "wss-geheim-9876543210"


def stuf_fin(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "stuf_fin", *args], env=environment, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return clients_config(
        tmp_path,
        client_table("fa", "0363/FA001", operations=["Di01-verstrekVordering"], username="fa",
                     password=CLIENT_PASSWORD),
        client_table("wss", "0363/WSS01", username="wss", secret_env="TEST_WSS_SECRET"),
        log_format="text", max_results=50)


def test_prints_the_effective_configuration_with_secrets_hidden(config_file, tmp_path):
    env = {"STUF_FIN_CONFIG": str(config_file), "TEST_WSS_SECRET": WSS_SECRET,
           "STUF_FIN_DATABASE_URL": f"postgresql://gateway:{DB_PASSWORD}@db.example:5432/stuf_fin"}
    result = stuf_fin("config", "check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for secret in (DB_PASSWORD, CLIENT_PASSWORD, WSS_SECRET, "scrypt$"):
        assert secret not in out
    lines = {line.split("=")[0].strip(): line for line in out.splitlines() if " = " in line and "#" in line}
    assert "postgresql://gateway:***@db.example:5432/stuf_fin" in lines["database_url"]
    assert lines["database_url"].endswith("# env STUF_FIN_DATABASE_URL")
    assert lines["max_results"].endswith("# file") and lines["port"].endswith("# default")
    assert out.count("[[clients]]") == 2 and '"<hidden>' in out
    assert "ok      schemas:" in out


def test_json_output(tmp_path):
    result = stuf_fin("config", "check", "--json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["ok"] is True
    assert data["settings"]["port"] == 8000 and data["sources"]["port"] == "default"


def test_an_unusable_setting_exits_2_naming_it(tmp_path):
    result = stuf_fin("config", "check", env={"STUF_FIN_PORT": "0", "STUF_FIN_LOG_FORMAT": "xml"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "port 0 is not a TCP port" in result.stderr and "log_format must be" in result.stderr


def test_failed_checks_exit_1(tmp_path):
    not_schemas = tmp_path / "empty"
    not_schemas.mkdir()
    result = stuf_fin("config", "check", env={"STUF_FIN_SCHEMA_DIR": str(not_schemas),
                                             "STUF_FIN_HOST": "0.0.0.0"}, cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error")]
    assert any("schemas:" in line for line in errors)
    assert any("refuse host 0.0.0.0" in line for line in errors)


def test_a_misspelt_variable_is_a_warning(tmp_path):
    result = stuf_fin("config", "check", env={"STUF_FIN_DATABSE_URL": "x"}, cwd=tmp_path)
    assert result.returncode == 0
    assert "STUF_FIN_DATABSE_URL is not a setting" in result.stdout
    assert "did you mean STUF_FIN_DATABASE_URL?" in result.stdout


def test_connect_checks_the_database(tmp_path, postgres_url):
    ok = stuf_fin("config", "check", "--connect", env={"STUF_FIN_DATABASE_URL": postgres_url}, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    assert "reachable, migrations behind" in ok.stdout  # an empty schema: serve would migrate it
    unreachable = f"postgresql://gateway:{DB_PASSWORD}@127.0.0.1:{free_port()}/stuf_fin?connect_timeout=3"
    down = stuf_fin("config", "check", "--connect", env={"STUF_FIN_DATABASE_URL": unreachable}, cwd=tmp_path)
    assert down.returncode == 1
    assert "unreachable" in down.stdout and DB_PASSWORD not in down.stdout


def test_connect_does_not_create_a_sqlite_file(tmp_path):
    result = stuf_fin("config", "check", "--connect", cwd=tmp_path)
    assert result.returncode == 0
    assert "does not exist yet" in result.stdout and not (tmp_path / "stuf-fin.db").exists()


def test_health_command_asks_the_running_gateway(tmp_path):
    server = start_server(tmp_path)
    port = server.url.rsplit(":", 1)[1]
    try:
        assert stuf_fin("health", env={"STUF_FIN_PORT": port}).returncode == 0
        ready = stuf_fin("health", "--ready", env={"STUF_FIN_PORT": port})
        assert ready.returncode == 0 and '"ready"' in ready.stdout
    finally:
        server.stop()
    assert stuf_fin("health", env={"STUF_FIN_PORT": str(free_port())}).returncode == 1
