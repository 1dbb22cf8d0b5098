"""What can be checked of the container files and the operations docs without a Docker engine: the
Dockerfile installs with the README's commands, the image is pinned, non-root and health-checked, the compose
file has its services, and the docs name every setting, every fault code and only tests that exist."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

from packaging.specifiers import SpecifierSet

from stuf_fin.config import Settings

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "docker" / "Dockerfile").read_text()
README = (REPO / "README.md").read_text()


def _readme_commands() -> set[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    return {line.strip() for block in blocks for line in block.splitlines() if line.strip()}


def _dockerfile_run_commands() -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        if line.startswith("RUN "):
            commands += [c.strip() for c in re.split(r"\s&&\s", line[4:])]
    return [" ".join(c.split()) for c in commands]


def test_the_dockerfile_installs_with_the_readme_commands():
    install = [c for c in _dockerfile_run_commands() if "venv" in c]
    assert install == ["python3.11 -m venv .venv", ".venv/bin/pip install ."]
    assert set(install) <= _readme_commands()


def test_the_image_is_pinned_to_a_supported_python_and_runs_unprivileged():
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+\.\d+\.\d+)-slim", DOCKERFILE, re.M)
    assert image, "pin python:<major>.<minor>.<patch>-slim"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert image.group(1) in SpecifierSet(requires)
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0"
    assert re.search(r'^HEALTHCHECK .*CMD \["stuf-fin", "health"\]', DOCKERFILE, re.M)
    assert re.search(r'^ENTRYPOINT \["stuf-fin-entrypoint"\]', DOCKERFILE, re.M)
    assert "COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/stuf-fin-entrypoint" in DOCKERFILE


def test_compose_has_the_gateway_postgresql_with_a_volume_and_an_optional_worker():
    text = (REPO / "docker" / "compose.yaml").read_text()
    expected = ("  postgres:", "  gateway:", "  worker:", "      - pgdata:/var/lib/postgresql/data",
                '    profiles: ["worker"]', '    command: ["worker", "--metrics-port", "9100"]',
                "        condition: service_healthy")
    for line in expected:
        assert line in {raw.split(" #")[0].rstrip() for raw in text.splitlines()}, line
    try:
        import yaml
    except ImportError:  # PyYAML is no dependency; the lines above must do
        return
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert set(services) == {"gateway", "postgres", "worker"} and "pgdata" in compose["volumes"]
    assert services["gateway"]["environment"]["STUF_FIN_DATABASE_URL"].startswith("postgresql://")
    assert services["worker"]["environment"] == services["gateway"]["environment"]


def test_operator_doc_names_every_setting_and_its_variable():
    doc = (REPO / "docs" / "operator.md").read_text()
    for f in fields(Settings):
        if not f.metadata.get("internal"):
            assert f"`{f.name}`" in doc and f"`STUF_FIN_{f.name.upper()}`" in doc, f.name


def test_integrator_doc_names_every_fault_code_the_code_raises():
    doc = (REPO / "docs" / "integrator.md").read_text()
    raised = set()
    for path in (REPO / "stuf_fin").rglob("*.py"):
        if path.name != "fouten.py":
            raised |= set(re.findall(r"StufFout\(\s*\"(StUF\d{3})\"", path.read_text()))
            raised |= set(re.findall(r"\"(StUF0[0-9]{2})\" if", path.read_text()))
            raised |= set(re.findall(r"else \"(StUF0[0-9]{2})\"", path.read_text()))
    assert raised, "no fault codes found in the code"
    missing = sorted(code for code in raised if f"| {code} |" not in doc)
    assert not missing, f"docs/integrator.md does not explain {missing}"


def test_conformance_doc_lists_the_14_scenarios_and_only_existing_tests():
    doc = (REPO / "docs" / "conformance.md").read_text()
    scenarios = re.findall(r"^\| (\d+) \|", doc, re.M)
    assert scenarios == [str(n) for n in range(1, 15)]
    references = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", doc)
    assert references
    for file, test in references:
        source = (REPO / file).read_text() if (REPO / file).is_file() else ""
        assert re.search(rf"^def {test}\(", source, re.M), f"{file}::{test} does not exist"
