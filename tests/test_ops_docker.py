"""What docker/check (the real build and run, issue 12) does not prove about the container files, and the
operations docs: the Dockerfile installs with the README's commands, its default base image is a supported
Python pinned to a patch release, and the docs name every fault code and only tests that exist (their settings
and commands: test_docs_settings.py).  Non-root, read-only, the entrypoint, the HEALTHCHECK and the compose file are
proven by docker/check."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

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
            line = re.sub(r"--mount=\S+\s+", "", line[4:])  # build secrets (pip's settings), not commands
            commands += [c.strip() for c in re.split(r"\s&&\s", line)]
    return [" ".join(c.split()) for c in commands]


def test_the_dockerfile_installs_with_the_readme_commands():
    install = [c for c in _dockerfile_run_commands() if "venv" in c]
    assert install == ["python3.11 -m venv .venv", ".venv/bin/pip install ."]
    assert set(install) <= _readme_commands()


def test_the_default_base_image_is_a_supported_python_pinned_to_a_patch_release():
    """docker/check builds from a local base (--build-arg PYTHON_IMAGE); the default is what users get."""
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+\.\d+\.\d+)-slim", DOCKERFILE, re.M)
    assert image, "pin python:<major>.<minor>.<patch>-slim"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert image.group(1) in SpecifierSet(requires)
    assert not re.search(r"^# *syntax=", DOCKERFILE, re.M), "a # syntax= line makes BuildKit fetch a frontend"


def test_integrator_doc_names_every_fault_code_the_code_raises():
    doc = (REPO / "docs" / "integrator.md").read_text()
    raised = set()
    for path in (REPO / "stuf_fin").rglob("*.py"):
        if path.name != "faults.py":
            raised |= set(re.findall(r"StufFault\(\s*\"(StUF\d{3})\"", path.read_text()))
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
