"""The report of a run: one self-contained HTML page (Jinja2 template ``templates/report.html.j2``: inline CSS,
no scripts, no external assets) and JUnit XML (junitparser) for an integrator's CI.

Personal data and secrets are masked in both: BSNs (``security.logfilter.mask``), IBANs (all but the last four
characters), passwords of a WS-Security header.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from junitparser import Failure, JUnitXml, TestCase, TestSuite
from lxml import etree

from stuf_fin.schema.parsing import XmlInputError, parse_bytes
from stuf_fin.security.logfilter import mask as mask_bsn_and_secrets
from stuf_fin.selftest.results import FAIL, NOT_RUN, PASS, Exchange, RunResult
from stuf_fin.selftest.scenarios import ROLE_NAMES

_IBAN = re.compile(r"\b([A-Z]{2}\d{2})([A-Z0-9]{7,26})([A-Z0-9]{4})\b")


def mask(text: str) -> str:
    """``text`` with BSNs, secrets and IBANs masked."""
    return _IBAN.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), mask_bsn_and_secrets(text))


def pretty(data: bytes | None) -> str:
    """XML indented for reading (masked); anything else as text."""
    if not data:
        return ""
    try:
        root = parse_bytes(data).getroot()
    except XmlInputError:
        return mask(data.decode("utf-8", "replace"))
    for el in root.iter():
        if el.text is not None and not el.text.strip() and len(el):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    etree.indent(root, space="  ")
    return mask(etree.tostring(root, encoding="unicode"))


def _title(exchange: Exchange) -> str:
    """``Di01-verstrekVordering → HTTP 200`` for the summary line of a message."""
    try:
        name = etree.QName(parse_bytes(exchange.request).getroot()).localname
    except XmlInputError:
        name = "not XML"
    arrow = "sent to" if exchange.direction == "sent" else "received on"
    status = f"HTTP {exchange.http_status}" if exchange.http_status else "no answer"
    return f"{name} {arrow} {exchange.url} → {status}"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("stuf_fin.selftest", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pretty=pretty, mask=mask, exchange_title=_title)
    return env


def html(result: RunResult) -> str:
    seconds = (result.finished - result.started).total_seconds() if result.finished else 0.0
    return _environment().get_template("report.html.j2").render(
        run=result, counts=result.counts(), seconds=seconds, role_name=ROLE_NAMES[result.role],
        PASS=PASS, FAIL=FAIL, NOT_RUN=NOT_RUN)


def write_html(result: RunResult, path: Path) -> None:
    path.write_text(html(result), encoding="utf-8")


def junit(result: RunResult) -> JUnitXml:
    """One testsuite for the role, one testcase per scenario; its steps in system-out."""
    suite = TestSuite(f"stuf-fin selftest {result.role}")
    suite.timestamp = result.started.isoformat(timespec="seconds")
    for r in result.scenarios:
        case = TestCase(f"scenario {r.scenario.number}: {r.scenario.title}",
                        classname=f"stuf-fin.selftest.{result.role}", time=round(r.seconds, 3))
        lines = [f"step {s.step.key} ({s.step.action}): {s.verdict}; expected {s.step.expected}; got "
                 f"{s.outcome.got if s.outcome else '-'}"
                 + (f"; {s.outcome.reason}" if s.outcome and s.outcome.reason else "") for s in r.steps]
        case.system_out = mask("\n".join(lines))
        if not r.passed:
            case.result = [Failure(mask(r.reason), type_="verdict")]
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    return xml


def write_junit(result: RunResult, path: Path) -> None:
    junit(result).write(str(path), pretty=True)
