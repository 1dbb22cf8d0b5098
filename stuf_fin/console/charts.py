"""Small bar charts as numbers for an SVG template (``templates/chart.html``): no chart library, no script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    css: str  # the class that colours it (static/console.css)
    title: str  # the tooltip: what and how many


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str  # under the bar; "" for none
    segments: tuple[Segment, ...]


@dataclass
class Chart:
    width: int
    height: int
    top: float  # the largest stacked value
    bars: list[Bar] = field(default_factory=list)
    gridlines: list[tuple[float, str]] = field(default_factory=list)  # (y, value label)
    title: str = ""
    plot_bottom: float = 0.0
    left: float = 0.0


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at least ``value`` (axis maximum)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def stacked_bars(title: str, labels: Sequence[str], stacks: Sequence[Sequence[tuple[int, str, str]]], *,
                 width: int = 720, height: int = 170, label_every: int = 1) -> Chart:
    """A bar per label, each a stack of (value, css class, name) from the bottom up."""
    left, bottom, top_pad = 44.0, 22.0, 8.0
    plot_height = height - bottom - top_pad
    top = max(2.0, _nice(max((sum(v for v, _, _ in stack) for stack in stacks), default=0)))
    chart = Chart(width, height, top, title=title, plot_bottom=height - bottom, left=left)
    for fraction in (0.0, 0.5, 1.0):
        y = height - bottom - plot_height * fraction
        chart.gridlines.append((round(y, 1), f"{top * fraction:,.0f}"))
    slot = (width - left - 4) / max(1, len(labels))
    for i, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        x = left + i * slot + slot * 0.12
        y = height - bottom
        segments = []
        for value, css, name in stack:
            if value <= 0:
                continue
            h = plot_height * value / top
            y -= h
            segments.append(Segment(round(y, 1), round(h, 1), css, f"{label}: {value:,} {name}"))
        chart.bars.append(Bar(round(x, 1), round(slot * 0.76, 1), label if i % label_every == 0 else "",
                              tuple(segments)))
    return chart
