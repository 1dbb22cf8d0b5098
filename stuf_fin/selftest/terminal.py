"""The live terminal table (rich): scenario, step, expected, got, verdict, time, with a progress bar.  On a
terminal the table updates in place; otherwise (CI, a pipe) each finished step is one line, and the whole table
follows at the end."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from stuf_fin.selftest.results import FAIL, NOT_RUN, PASS, RunResult, StepResult

STYLE = {PASS: "bold green", FAIL: "bold red", NOT_RUN: "yellow", "running": "cyan"}


def table(steps: list[StepResult], title: str | None = None) -> Table:
    t = Table(title=title, expand=True)
    t.add_column("scenario", no_wrap=True, justify="right")
    t.add_column("step", ratio=3)
    t.add_column("expected", ratio=2)
    t.add_column("got", ratio=2)
    t.add_column("verdict", no_wrap=True)
    t.add_column("time", no_wrap=True, justify="right")
    for s in steps:
        t.add_row(str(s.scenario.number), f"{s.step.key} {s.step.action}", s.step.expected,
                  s.outcome.got if s.outcome else "…", Text(s.verdict, style=STYLE.get(s.verdict, "")),
                  f"{s.seconds:.2f} s" if s.outcome else "")
    return t


class Terminal:
    """A :class:`~stuf_fin.selftest.session.Reporter` on a rich console."""

    def __init__(self, console: Console, total_steps: int, title: str):
        self.console = console
        self.title = title
        self.steps: list[StepResult] = []
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console)
        self.task = self.progress.add_task("steps", total=total_steps)
        self.live = Live(get_renderable=self._render, console=console, refresh_per_second=4) \
            if console.is_terminal else None

    def _render(self) -> Group:
        return Group(table(self.steps, self.title), self.progress)

    def __enter__(self) -> Terminal:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def step_started(self, result: StepResult) -> None:
        self.steps.append(result)
        self.progress.update(self.task, description=f"scenario {result.scenario.number} step {result.step.key}")

    def step_finished(self, result: StepResult) -> None:
        if result not in self.steps:
            self.steps.append(result)
        self.progress.advance(self.task)
        if self.live is None:
            o = result.outcome
            assert o is not None  # (a finished step has its outcome)
            self.console.print(Text.assemble(
                f"scenario {result.scenario.label} step {result.step.key}: ", (o.verdict, STYLE[o.verdict]),
                f" ({o.got}, {result.seconds:.2f} s)" + (f": {o.reason}" if o.verdict != "pass" else "")),
                soft_wrap=True)

    def say(self, text: str) -> None:
        self.console.print(Text(text, style="bold"), soft_wrap=True)

    def summary(self, result: RunResult) -> None:
        """The whole table (when it was not shown live), the reasons of what failed, and the verdict."""
        if self.live is None:
            self.console.print(table([s for r in result.scenarios for s in r.steps], self.title))
        for r in result.scenarios:
            if not r.passed:
                self.console.print(Text.assemble((f"scenario {r.scenario.number} failed", "bold red"),
                                                 f": {r.reason}"), soft_wrap=True)
        counts = result.counts()
        verdict = ("PASSED", "bold green") if result.passed else ("FAILED", "bold red")
        self.console.print(Text.assemble(verdict, f": {counts['scenarios passed']} of {counts['scenarios']} "
                                                  f"scenario(s) passed, {counts['steps passed']} of "
                                                  f"{counts['steps']} step(s)"))
