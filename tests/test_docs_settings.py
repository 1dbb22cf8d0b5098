"""The docs say what the code does: every settings key they document is one the loader accepts and every key the
loader accepts is documented; their TOML examples use only such keys; every ``stuf-fin`` command they show parses.

The conventions the docs follow (docs/developers.md, "Documenting settings and commands"):

- a settings key is documented in a Markdown table whose first header cell names the kind of key: ``setting``
  (a key of the settings file or ``[gateway]``, ``STUF_FIN_<NAME>``; docs/operator.md holds all of them, with their
  variables), ``[[clients]] key``, ``[outbound] key``, ``route key`` (``[outbound.tsa."…"]``,
  ``[outbound.financiele_administratie]``, ``[outbound.inningssysteem]``) or ``[[console.accounts]] key``; every
  name in backticks in a row's first cell is a key;
- every ``toml`` code block is a complete settings file or a part of one that parses on its own;
- a line of a code block that starts with ``stuf-fin`` (or a path ending in ``/stuf-fin``) is a whole command line;
  an inline code span that starts so names a command and some of its options (``[…]`` optional, ``…``, ``<…>``
  and upper-case words placeholders).
"""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from stuf_fin.cli import build_parser
from stuf_fin.config import ConfigError, Settings
from stuf_fin.configure import load_settings

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
UNKNOWN = "zz_not_a_key"

#: The kinds of key, by the first header cell of the tables that document them, and a settings file with an unknown
#: key in a table of that kind (the loader's refusal names the keys it knows).
KINDS = {
    "[[clients]] key": f'[[clients]]\nname = "x"\n{UNKNOWN} = 1\n',
    "[outbound] key": f"[outbound]\n{UNKNOWN} = 1\n",
    "route key": f'[outbound.inningssysteem]\n{UNKNOWN} = "x"\n',
    "[[console.accounts]] key": f'[[console.accounts]]\nname = "x"\n{UNKNOWN} = 1\n',
}
SETTINGS = {f.name for f in fields(Settings) if not f.metadata.get("internal")}


def _accepted(kind: str, tmp_path: Path) -> set[str]:
    """The keys the loader accepts in a table of ``kind``, from its refusal of an unknown key."""
    path = tmp_path / "settings.toml"
    path.write_text(KINDS[kind])
    with pytest.raises(ConfigError) as refusal:
        load_settings(environ={}, config_file=str(path))
    known = re.search(rf"unknown key\(s\) {UNKNOWN} \(known: ([^)]*)\)", str(refusal.value))
    assert known, str(refusal.value)
    return set(known.group(1).split(", "))


def _tables() -> list[tuple[str, str, list[list[str]]]]:
    """Every Markdown table of the docs: the file's name, the header's first cell (backticks removed) and the body
    rows' cells."""
    found = []
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        for n, line in enumerate(lines[:-1]):
            if line.startswith("|") and re.match(r"^\|[-:| ]+\|$", lines[n + 1]) and not (
                    n and lines[n - 1].startswith("|")):
                rows = []
                for row in lines[n + 2:]:
                    if not row.startswith("|"):
                        break
                    rows.append([c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]])
                found.append((doc.name, line.split("|")[1].strip().replace("`", ""), rows))
    return found


def _documented(kind: str) -> set[str]:
    """The keys in the first cells of the tables that document keys of ``kind`` ("setting (`STUF_FIN_…`)" too)."""
    return {key for _, header, rows in _tables() if header.split(" (")[0] == kind
            for row in rows for key in re.findall(r"`([a-z_]+)`", row[0])}


def test_every_documented_setting_is_accepted_and_every_setting_is_in_the_operator_reference() -> None:
    assert _documented("setting") <= SETTINGS, _documented("setting") - SETTINGS
    [reference] = [rows for doc, header, rows in _tables() if (doc, header) == ("operator.md", "setting")]
    variables = {key: row[1] for row in reference for key in re.findall(r"`([a-z_]+)`", row[0])}
    assert set(variables) == SETTINGS, set(variables) ^ SETTINGS
    assert {key: f"`STUF_FIN_{key.upper()}`" for key in SETTINGS} == variables
    keys = [re.findall(r"`([a-z_]+)`", row[0]) for row in reference]
    assert len([k for ks in keys for k in ks]) == len(SETTINGS), "a setting with two rows"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_documented_keys_are_the_keys_the_loader_accepts(kind: str, tmp_path: Path) -> None:
    documented = _documented(kind)
    assert documented, f"no table headed {kind!r} in the docs"
    assert documented == _accepted(kind, tmp_path)


def _toml_blocks() -> list[tuple[str, str]]:
    return [(f"{doc.name}:{doc.read_text()[:m.start()].count(chr(10)) + 2}", m.group(1))
            for doc in DOCS for m in re.finditer(r"^```toml\n(.*?)^```", doc.read_text(), re.S | re.M)]


@pytest.mark.parametrize(("where", "text"), _toml_blocks(), ids=[w for w, _ in _toml_blocks()])
def test_toml_examples_use_only_accepted_keys(where: str, text: str, tmp_path: Path) -> None:
    data = tomllib.loads(text)
    accepted = {kind: _accepted(kind, tmp_path) for kind in KINDS}
    unknown = []

    def check(table: dict, keys: set[str], what: str) -> None:
        unknown.extend(f"{what}: {key}" for key in set(table) - keys)

    top = data.get("gateway", data)
    check({k: v for k, v in top.items() if k not in ("gateway", "clients", "outbound", "console")}, SETTINGS,
          "setting")
    for client in data.get("clients", []):
        check(client, accepted["[[clients]] key"], "[[clients]]")
    outbound = data.get("outbound", {})
    check(outbound, accepted["[outbound] key"], "[outbound]")
    routes = [*outbound.get("tsa", {}).values(),
              *(outbound[name] for name in ("financiele_administratie", "inningssysteem") if name in outbound)]
    for route in routes:
        check(route, accepted["route key"], "route")
    console = data.get("console", {})
    check(console, {"accounts"}, "[console]")
    for account in console.get("accounts", []):
        check(account, accepted["[[console.accounts]] key"], "[[console.accounts]]")
    assert unknown == [], where


# -- commands ------------------------------------------------------------------------------------------------------

def _command_lines() -> list[tuple[str, str]]:
    """Whole ``stuf-fin`` command lines of the docs' code blocks (continuations joined, comments and ``&`` cut)."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            if m.group(1) in ("toml", "xml", "json", "text", "python"):
                continue
            start = text[:m.start()].count("\n") + 2
            for n, line in enumerate(m.group(2).replace("\\\n", " ").splitlines()):
                words = shlex.split(line, comments=True)
                if words and (words[0] == "stuf-fin" or words[0].endswith("/stuf-fin")):
                    found.append((f"{doc.name}:{start + n}", shlex.join(w for w in words[1:] if w != "&")))
    return found


@pytest.mark.parametrize(("where", "line"), _command_lines(), ids=[w for w, _ in _command_lines()])
def test_command_lines_in_code_blocks_parse(where: str, line: str) -> None:
    try:
        build_parser().parse_args(shlex.split(line))
    except SystemExit:
        pytest.fail(f"{where}: stuf-fin {line} does not parse")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: sub for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name, sub in action.choices.items()}


def _inline_commands() -> list[tuple[str, str]]:
    return [(f"{doc.name}:{doc.read_text()[:m.start()].count(chr(10)) + 1}", m.group(1))
            for doc in DOCS for m in re.finditer(r"`(?:\S*/)?stuf-fin( [^`]*)?`", doc.read_text())
            if m.group(1)]


@pytest.mark.parametrize(("where", "span"), _inline_commands(), ids=[w for w, _ in _inline_commands()])
def test_inline_commands_name_real_commands_and_options(where: str, span: str) -> None:
    parser = build_parser()
    words = span.split()
    while words and (subs := _subcommands(parser)) and words[0] in subs:
        parser = subs[words.pop(0)]
    placeholder = not words or words[0].startswith(("-", "[", "<", "…")) or words[0].isupper()
    assert not _subcommands(parser) or placeholder, f"{where}: no command {span!r}"
    options = {o for action in parser._actions for o in action.option_strings}
    named = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", span))
    assert named <= options, f"{where}: {span!r}: {named - options} not options of that command"
