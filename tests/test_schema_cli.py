"""``stuf-fin validate``: verdicts with line numbers, --json, SOAP envelopes, exit statuses 0/1/2."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from stuf_fin.cli import main
from stuf_fin.selftest import generator as g

DATA = Path(__file__).parent / "data" / "schema"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("STUF_FIN_"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["validate", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Valid and invalid messages, bare and in an envelope, one element per line."""
    vordering = g.di01_vordering(2, rng=random.Random(8)).replace(b"><", b">\n<")
    vraag = g.vrdLv01("V1").replace(b"><", b">\n<")
    bare = vraag.split(b"?>", 1)[1]
    made = {
        "valid.xml": vordering,
        "valid-envelope.xml": g.soap(vraag).replace(b"><", b">\n<"),
        "invalid.xml": vordering.replace(b"<FIN:valutacode>EUR<", b"<FIN:valutacode>XYZ<"),
        "invalid-envelope.xml": g.soap(vraag).replace(b"><", b">\n<").replace(b"<StUF:sortering>0<",
                                                                              b"<StUF:sortering>x<"),
        "broken.xml": b"<vrdLv01>\n<unclosed>\n",
        "empty.xml": b"",
        "two-messages.xml": b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/">\n<e:Body>\n'
                            + bare + bare + b"</e:Body></e:Envelope>",
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in made}


def lines_of(path: Path, needle: bytes) -> list[int]:
    lines = path.read_bytes().split(b"\n")
    return [n for n, line in enumerate(lines, 1) if needle in line]


def test_valid_files_exit_0(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    status, out, _ = run(capsys, files["valid.xml"], files["valid-envelope.xml"], *sorted(DATA.glob("*.xml")))
    assert status == 0
    assert out.splitlines() == [f"{p}: valid" for p in
                                (files["valid.xml"], files["valid-envelope.xml"], *sorted(DATA.glob("*.xml")))]


def test_an_invalid_file_exits_1_with_its_errors_by_line(capsys: pytest.CaptureFixture[str],
                                                         files: dict[str, Path]) -> None:
    status, out, _ = run(capsys, files["valid.xml"], files["invalid.xml"])
    assert status == 1
    bad = lines_of(files["invalid.xml"], b">XYZ<")
    assert len(bad) == 2
    assert out.splitlines() == [
        f"{files['valid.xml']}: valid",
        f"{files['invalid.xml']}: invalid",
        *(f"  line {n}: /FIN:Di01-verstrekVordering/FIN:vrdLk01[{i}]/FIN:object/FIN:valutacode: [facet "
          "'enumeration'] The value 'XYZ' is not an element of the set {'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', "
          "'ARS', 'AUD', 'AWG', 'AZN', 'BAM', ...}." for i, n in enumerate(bad, 1)),
    ]


def test_errors_in_an_envelope_carry_the_line_in_the_file(capsys: pytest.CaptureFixture[str],
                                                          files: dict[str, Path]) -> None:
    status, out, _ = run(capsys, files["invalid-envelope.xml"])
    [line] = lines_of(files["invalid-envelope.xml"], b"<StUF:sortering>x<")
    assert status == 1
    assert f"  line {line}: /FIN:vrdLv01/FIN:parameters/StUF:sortering: " in out


@pytest.mark.parametrize(("name", "line", "message"), [
    ("broken.xml", 3, "not well-formed: "),
    ("empty.xml", 1, "not well-formed: empty document"),
    ("two-messages.xml", 2, "SOAP Body must hold exactly one message element, found 2"),
])
def test_unusable_documents_are_invalid_with_a_line(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                                    name: str, line: int, message: str) -> None:
    status, out, _ = run(capsys, files[name])
    assert status == 1
    assert out.splitlines()[0] == f"{files[name]}: invalid"
    assert out.splitlines()[1].startswith(f"  line {line}: ") and message in out


def test_json_output(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    status, out, _ = run(capsys, "--json", files["valid.xml"], files["invalid-envelope.xml"], files["broken.xml"])
    assert status == 1
    report = json.loads(out)
    assert set(report) == {"schemas", "results"}
    assert report["schemas"].startswith("builtin (")
    valid, invalid, broken = report["results"]
    assert valid == {"file": str(files["valid.xml"]), "valid": True, "errors": []}
    assert invalid["file"] == str(files["invalid-envelope.xml"]) and invalid["valid"] is False
    [error] = invalid["errors"]
    assert set(error) == {"line", "column", "path", "message"}
    assert error["line"] == lines_of(files["invalid-envelope.xml"], b"<StUF:sortering>x<")[0]
    assert error["path"] == "/FIN:vrdLv01/FIN:parameters/StUF:sortering"
    assert broken["valid"] is False and broken["errors"][0]["line"] == 3


def test_an_unreadable_file_exits_2(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                    tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    status, out, _ = run(capsys, files["invalid.xml"], missing, tmp_path)
    assert status == 2
    assert f"{missing}: error: cannot read: No such file or directory" in out
    assert f"{tmp_path}: error: cannot read: Is a directory" in out
    assert f"{files['invalid.xml']}: invalid" in out
    status, out, _ = run(capsys, "--json", missing)
    assert status == 2
    assert json.loads(out)["results"] == [{"file": str(missing), "valid": None,
                                           "error": "cannot read: No such file or directory"}]


def test_a_schema_dir_that_does_not_exist_exits_2(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                                  tmp_path: Path) -> None:
    status, out, err = run(capsys, "--schema-dir", tmp_path / "nowhere", files["valid.xml"])
    assert (status, out) == (2, "")
    assert f"schema folder {tmp_path / 'nowhere'} does not exist" in err


def test_a_schema_dir_that_is_no_release_exits_2_naming_what_is_missing(capsys: pytest.CaptureFixture[str],
                                                                        files: dict[str, Path],
                                                                        tmp_path: Path) -> None:
    (tmp_path / "release").mkdir()
    status, out, err = run(capsys, "--schema-dir", tmp_path / "release", files["valid.xml"])
    assert (status, out) == (2, "")
    assert "fin0310/fin0310_msg_totaal.xsd is missing" in err


def test_the_environment_selects_the_schema_dir(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUF_FIN_SCHEMA_DIR", str(tmp_path))
    status, _, err = run(capsys, files["valid.xml"])
    assert status == 2 and "fin0310/fin0310_msg_totaal.xsd is missing" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_the_installed_command(files: dict[str, Path]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUF_FIN_")}
    for name, status in (("valid.xml", 0), ("invalid.xml", 1)):
        done = subprocess.run([sys.executable, "-m", "stuf_fin", "validate", str(files[name])], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == status, done.stderr
        assert done.stdout.startswith(f"{files[name]}: {'valid' if status == 0 else 'invalid'}")
