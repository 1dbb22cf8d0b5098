"""The query model of a vrdLv01: which vorderingen a question selects, in which order, from where on.

Built from the question by :mod:`stuf_fin.fin.vraag.selection`; turned into SQL by :mod:`stuf_fin.store.vraag`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

Value = str | int | date | datetime | None

SORTERINGEN = (0, 1)


@dataclass(frozen=True)
class Condition:
    """One criterion on a column.

    ``operator``: ``gelijk`` (equal), ``begint`` (a string starting with ``value``: ``StUF:exact="false"``),
    ``leeg`` (no value: ``StUF:noValue="geenWaarde"``) or ``niet`` (NULL or different from ``value``).
    """

    column: str
    value: Value = None
    operator: str = "gelijk"


@dataclass(frozen=True)
class GroupCondition:
    """Criteria that one row of a child table must meet together (``vorderingsregel`` ...)."""

    table: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ResumePoint:
    """The object a follow-up question continues after (its sort key)."""

    id: int
    status_tijdstip: datetime | None


@dataclass
class Query:
    """Everything that decides which ids a vrdLv01 gets, and in which order."""

    conditions: list[Condition] = field(default_factory=list)
    groups: list[GroupCondition] = field(default_factory=list)
    sleutel: str | None = None  # our key (StUF:sleutelOntvangend of the question): the vordering id
    sortering: int = 0
    visible_tsas: frozenset[str] | None = None  # None: every tsa
    after: ResumePoint | None = None  # a follow-up question: continue after this object
