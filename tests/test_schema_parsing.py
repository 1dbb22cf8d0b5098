"""Hardened parsing: hostile or broken input becomes an XmlInputError with a line, never a tree."""

from __future__ import annotations

import random
import re
import socket
import threading
from pathlib import Path

import pytest

from stuf_fin.schema import ParseLimits, XmlInputError, get_validator, parse_bytes, parse_file
from stuf_fin.schema.parsing import MAX_DEPTH, XmlLimitError, has_long_run
from stuf_fin.selftest import generator as g


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)]
    return f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n<lolz>&lol9;</lolz>'


def rejected(data: bytes, limits: ParseLimits | None = None) -> XmlInputError:
    with pytest.raises(XmlInputError) as caught:
        parse_bytes(data, limits)
    error = caught.value
    assert error.line is not None and error.line >= 1, f"no line for {error!r}"
    assert str(error).startswith(f"line {error.line}, column ")
    return error


@pytest.mark.parametrize("data", [
    b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>',
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
    billion_laughs().encode(),
    billion_laughs().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
], ids=["external-dtd", "xxe-file", "parameter-entity", "billion-laughs", "billion-laughs-utf16"])
def test_dtds_and_entities_are_refused(data: bytes) -> None:
    error = rejected(data)
    assert "DOCTYPE" in error.message


def test_the_doctype_is_located() -> None:
    error = rejected(b'<?xml version="1.0"?>\n\n  <!DOCTYPE r [<!ENTITY x "y">]>\n<r>&x;</r>')
    assert (error.line, error.column) == (3, 3)


def test_a_doctype_after_a_long_prolog_is_still_refused() -> None:
    data = b'<?xml version="1.0"?>\n<!--' + b"x" * 100_000 + b'-->\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    assert "DOCTYPE" in rejected(data).message


def test_undeclared_entities_are_errors() -> None:
    error = rejected(b"<r>\n<a>&nbsp;</a></r>")
    assert (error.line, "nbsp" in error.message) == (2, True)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    assert parse_bytes(b"<a>" * (MAX_DEPTH - 1) + b"</a>" * (MAX_DEPTH - 1)).getroot().tag == "a"
    error = rejected(b"<a>\n" * (MAX_DEPTH + 50) + b"</a>" * (MAX_DEPTH + 50))
    assert "depth" in error.message and error.line > 200


@pytest.mark.parametrize(("data", "line"), [
    (b"<r>\n<a>x\x01y</a></r>", 2),
    (b"<r>\n\n<a>x&#1;y</a></r>", 3),
    (b"<r>\n<a>x\x00y</a></r>", 2),
    (b"<r>\n<a>\xff\xfe</a></r>", 2),
    ('<?xml version="1.0" encoding="UTF-8"?>\n<r>\n<a>caf\xe9</a></r>'.encode("latin-1"), 3),
])
def test_illegal_characters_and_bytes_are_located(data: bytes, line: int) -> None:
    assert rejected(data).line == line


def test_an_unknown_encoding_is_refused() -> None:
    assert "encoding" in rejected(b'<?xml version="1.0" encoding="bogus-8"?><r/>').message.lower()


def test_a_declared_encoding_is_honoured() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><r>café</r>'
    assert parse_bytes(text.encode("latin-1")).getroot().text == "café"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><r>café</r>'.encode("utf-16")
    assert parse_bytes(utf16).getroot().text == "café"


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\n"])
def test_empty_input_is_refused(data: bytes) -> None:
    assert rejected(data).message == "empty document"


@pytest.mark.parametrize(("data", "line"), [
    (b"<r>\n<a>x</a>\n<b>", 3),
    (b'<r a="1>\n</r>', 2),
    (b"<r>\n</s>", 2),
    (b"<r/>\n<r/>", 2),
    (b"just text", 1),
])
def test_broken_documents_are_located(data: bytes, line: int) -> None:
    assert rejected(data).line == line


def test_the_size_limit_is_checked_before_parsing() -> None:
    data = b"<r>\n" + b"<a>x</a>\n" * 50 + b"</r>"
    assert parse_bytes(data, ParseLimits(max_bytes=len(data))).getroot().tag == "r"
    error = rejected(data, ParseLimits(max_bytes=100))
    assert "limit of 100 bytes" in error.message
    assert (error.line, error.column) == (12, 7)  # where byte 101 is


def test_parse_file_applies_the_size_limit_without_reading_everything(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<r>" + b"x" * 10_000 + b"</r>")
    with pytest.raises(XmlInputError, match="limit of 1000 bytes"):
        parse_file(str(path), ParseLimits(max_bytes=1000))
    with pytest.raises(FileNotFoundError):
        parse_file(str(tmp_path / "missing.xml"))


def test_well_formed_messages_pass_unchanged() -> None:
    data = g.di01_vordering(3)
    tree = parse_bytes(data)
    assert tree.getroot().tag == f"{{{g.FIN}}}Di01-verstrekVordering"
    assert tree.docinfo.encoding == "UTF-8" and tree.docinfo.doctype == ""


def test_nothing_is_fetched_over_the_network() -> None:
    """Schema hints and XInclude in a message are left alone: no connection is made."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections: list[object] = []

    def accept() -> None:
        try:
            connections.append(listener.accept())
        except OSError:
            pass

    watcher = threading.Thread(target=accept)
    watcher.start()
    try:
        message = g.vrdLv01("V1").replace(
            b"<FIN:vrdLv01 ",
            f'<FIN:vrdLv01 xsi:schemaLocation="{g.FIN} http://127.0.0.1:{port}/fin.xsd" '
            f'xmlns:xi="http://www.w3.org/2001/XInclude" '.encode(), 1)
        tree = parse_bytes(message)
        assert get_validator().validate(tree) == []
        included = parse_bytes(f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include '
                               f'href="http://127.0.0.1:{port}/x.xml"/></r>'.encode())
        assert len(included.getroot()) == 1
        watcher.join()
    finally:
        listener.close()
    assert connections == []


@pytest.mark.parametrize("length", [40, 41, 1285])
def test_the_quick_test_for_long_runs_misses_none(length: int) -> None:
    """Every run of ``length`` bytes without ``<``, wherever it starts, is reported (the attribute check then
    looks closer); a document without one is not."""
    window = (length + 1) // 2
    for start in range(0, 2 * window + 2):
        for run in (length, length + 1, 2 * length):
            assert has_long_run(b"<" * start + b"a" * run + b"<" * (3 * window), length), (start, run)
            assert has_long_run(b"<" * start + b"a" * run, length), (start, run)  # at the very end
    rng = random.Random(length)
    for _ in range(300):
        data = bytes(rng.choice(b"<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") for _ in range(rng.randrange(4 * length)))
        if re.search(rb"[^<]{%d}" % length, data):
            assert has_long_run(data, length)
    assert not has_long_run(b"<a>" * 1000, length)


def test_a_long_text_is_no_tag_with_too_many_attributes() -> None:
    """A run without ``<`` is looked at closer: a long text is fine, a tag with too many attributes is not."""
    text = "x " * 5000

    def document(attributes: int) -> bytes:
        return ("<a><c>" + text + "</c><d " + " ".join(f"e{i}='1'" for i in range(attributes)) + "/></a>").encode()

    assert parse_bytes(document(200)).getroot()[0].text == text
    with pytest.raises(XmlLimitError):
        parse_bytes(document(300))
