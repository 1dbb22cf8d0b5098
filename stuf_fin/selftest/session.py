"""What a scenario run works with: the options, the reporter, the steps of a scenario and a provider session
(used by :mod:`stuf_fin.selftest.provider`, :mod:`stuf_fin.selftest.consumer` and :mod:`stuf_fin.selftest.runner`)."""


from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from stuf_fin.outbound import messages
from stuf_fin.outbound.client import Credentials, StufClient
from stuf_fin.schema.validator import MessageValidator, summarize
from stuf_fin.selftest import checks
from stuf_fin.selftest.results import FAIL, NOT_RUN, Exchange, Outcome, ScenarioResult, StepResult
from stuf_fin.selftest.scenarios import Scenario
from stuf_fin.stuf.operations import PORT_KENNISGEVING, PORT_VRAAG, PORTS
from stuf_fin.stuf.stuurgegevens import Stuurgegevens, Systeem, read_stuurgegevens


class Reporter(Protocol):
    """Who shows the run as it goes (the terminal table)."""

    def step_started(self, result: StepResult) -> None: ...

    def step_finished(self, result: StepResult) -> None: ...

    def say(self, text: str) -> None: ...


@dataclass
class Options:
    role: str
    scenarios: list[Scenario]
    validator: MessageValidator
    zender: Systeem  # the runner's own identity
    ontvanger: Systeem  # the system under test's identity
    tsa: str = "SELFTEST"
    endpoint: str | None = None  # base URL
    listen: tuple[str, int] | None = None
    credentials: Credentials = field(default_factory=Credentials)
    vorderingnummer: str | None = None  # scenario 4: a vordering the system already has
    timeout: float = 30.0  # one exchange with the system under test
    wait: float = 300.0  # a consumer scenario waiting for the system's message
    resend_window: float = 30.0  # scenarios 3 and 8: how long to watch for blind resends
    seed: int | None = None
    expect_runner: Systeem | None = None  # consumer: the ontvanger to expect (--zender, when given)
    expect_system: Systeem | None = None  # consumer: the zender to expect (--ontvanger, when given)


def base_url(url: str) -> str:
    """``url`` without a trailing port name (…/VerstrekVorderingOfVerantwoording, …/BeantwoordVraag) or slash."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last in PORTS:
        path = head
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Steps:
    """The steps of one scenario: runs them in order, records them, shows them."""

    def __init__(self, result: ScenarioResult, reporter: Reporter):
        self.result = result
        self.reporter = reporter
        self.current: StepResult | None = None
        self._by_key: dict[str, StepResult] = {}

    def run(self, key: str, body: Callable[[StepResult], Outcome], *, needs: Iterable[str] = ()) -> bool:
        """Run step ``key`` unless a step it ``needs`` did not pass; returns whether it passed."""
        step = next(s for s in self.result.scenario.steps if s.key == key)
        record = StepResult(self.result.scenario, step)
        self.result.steps.append(record)
        self._by_key[key] = record
        failed = [k for k in needs if (before := self._by_key.get(k)) is None or not before.outcome
                  or not before.outcome.passed]
        if failed:
            record.outcome = Outcome(NOT_RUN, "-", f"step {', '.join(failed)} did not pass")
            self.reporter.step_finished(record)
            return False
        self.current = record
        self.reporter.step_started(record)
        start = time.monotonic()
        try:
            record.outcome = body(record)
        except Exception as exc:  # a runner bug must not hide the other scenarios
            record.outcome = Outcome(FAIL, "error", f"the runner failed: {type(exc).__name__}: {exc}")
        finally:
            record.seconds = time.monotonic() - start
            self.current = None
        self.reporter.step_finished(record)
        return record.outcome.passed


class Numbers:
    """Fresh numbers for every run: vorderingnummers, verantwoordingsnummers, referentienummers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.run = datetime.now(UTC).strftime("%y%m%d%H%M%S") + secrets.token_hex(2).upper()
        self._n = 0

    def vorderingnummer(self, scenario: int) -> str:
        self._n += 1
        return f"STP{self.run}-{scenario}-{self._n}"

    @staticmethod
    def verantwoordingsnummer() -> str:
        """Nine digits: the PDF's N(9) and the XSD's string both hold."""
        return f"{secrets.randbelow(9 * 10**8) + 10**8}"

    @staticmethod
    def referentienummer() -> str:
        return uuid.uuid4().hex


class ProviderSession:
    """Sends the runner's messages to the system under test and reads the answers."""

    def __init__(self, options: Options, numbers: Numbers):
        self.options = options
        self.numbers = numbers
        self.rng = numbers.rng
        self.today = date.today()
        self.base = base_url(options.endpoint or "")
        self.client = StufClient(self.base + "/" + PORT_KENNISGEVING, options.credentials, timeout=options.timeout)

    def close(self) -> None:
        self.client.close()

    @property
    def addressing(self) -> dict[str, Any]:
        """Stuurgegevens of a fresh Di01: the configured zender and ontvanger, a new referentienummer, an
        increasing tijdstipBericht."""
        return {"zender": self.options.zender, "ontvanger": self.options.ontvanger,
                "referentienummer": self.numbers.referentienummer(), "tijdstip": messages.moment()}

    def send(self, step: StepResult, message: bytes) -> tuple[checks.Answer, Stuurgegevens]:
        """Post ``message`` (checked against the schema first: a runner that sends invalid messages proves
        nothing) to its port; record the exchange on ``step``."""
        element = etree.fromstring(message)
        issues = self.options.validator.validate(element)
        if issues:
            raise RuntimeError(f"the runner's own {etree.QName(element).localname} fails the schema: "
                               f"{summarize(issues, 300)}")
        operation = messages.operation_of(element)
        if operation is None:
            raise RuntimeError(f"the runner's own {etree.QName(element).localname} is no operation")
        url = f"{self.base}/{PORT_VRAAG if operation.port == PORT_VRAAG else PORT_KENNISGEVING}"
        exchange = Exchange("sent", url, operation.soap_action, message, at=datetime.now(UTC))
        step.exchanges.append(exchange)
        send_outcome = self.client.post(messages.to_bytes(element), operation.soap_action, url=url)
        exchange.answer, exchange.http_status = send_outcome.reply, send_outcome.http_status
        answer = checks.read_answer(send_outcome)
        if answer.message is None:
            exchange.note = answer.error
        return answer, read_stuurgegevens(element)
