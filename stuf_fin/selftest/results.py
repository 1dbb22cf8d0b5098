"""What a self-test run found: per scenario, per step, the messages on the wire and the verdict with its reason.
The terminal table, the HTML report and the JUnit XML are all written from these objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from stuf_fin.selftest.scenarios import Scenario, Step

PASS, FAIL, NOT_RUN = "pass", "fail", "not run"


@dataclass
class Exchange:
    """One message on the wire and its answer, as the runner saw them."""

    direction: str  # "sent" (the runner posted it) or "received" (the system under test posted it)
    url: str
    soap_action: str
    request: bytes  # the StUF message (the SOAP Body's element)
    answer: bytes | None = None  # the whole HTTP answer body (a SOAP envelope), None: no answer
    http_status: int | None = None
    note: str = ""  # e.g. "no answer: ReadTimeout …"
    at: datetime | None = None


@dataclass
class Outcome:
    """The verdict of one step: ``got`` is the short form for the table, ``reason`` says why in full."""

    verdict: str
    got: str
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == PASS


@dataclass
class StepResult:
    scenario: Scenario
    step: Step
    outcome: Outcome | None = None  # None: running
    seconds: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.outcome.verdict if self.outcome else "running"


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list[StepResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.verdict == PASS for s in self.steps)

    @property
    def verdict(self) -> str:
        return PASS if self.passed else FAIL

    @property
    def reason(self) -> str:
        """The reason of the first step that did not pass."""
        for s in self.steps:
            if s.verdict != PASS:
                return f"step {s.step.key}: {s.outcome.reason if s.outcome else 'did not finish'}"
        return ""

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


@dataclass
class RunResult:
    role: str
    started: datetime
    settings: dict[str, str]  # what was run against, as shown in the report (no secrets)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    finished: datetime | None = None
    interrupted: bool = False
    unexpected: list[Exchange] = field(default_factory=list)  # received while no scenario waited for them

    @property
    def passed(self) -> bool:
        return bool(self.scenarios) and not self.interrupted and all(s.passed for s in self.scenarios)

    def counts(self) -> dict[str, int]:
        steps = [s for r in self.scenarios for s in r.steps]
        return {"scenarios": len(self.scenarios), "scenarios passed": sum(r.passed for r in self.scenarios),
                "steps": len(steps), "steps passed": sum(s.verdict == PASS for s in steps),
                "steps failed": sum(s.verdict == FAIL for s in steps),
                "steps not run": sum(s.verdict == NOT_RUN for s in steps)}
