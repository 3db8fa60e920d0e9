"""Geometry for the seller dashboard's revenue chart (no JavaScript); the template draws it.

Positions are percentages of the plot, so the bars (an SVG that stretches) and the labels (HTML
text at the page's font size, readable at phone width and never cut at the edges) line up at
any width."""

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: About this many steps between 0 and the axis maximum.
TARGET_STEPS = 4
#: Date labels every this many days, counted back from the last day (so today is always labelled).
LABEL_EVERY = 7


@dataclass(frozen=True)
class Bar:
    left: float  # % of the plot width
    width: float
    height: float  # % of the plot height
    day: date
    value: Decimal

    @property
    def top(self) -> float:
        return 100 - self.height


@dataclass(frozen=True)
class Tick:
    value: int
    bottom: float  # % of the plot height

    @property
    def top(self) -> float:
        return 100 - self.bottom


@dataclass(frozen=True)
class Label:
    day: date
    left: float  # % of the plot width: the bar's centre
    align: str  # "start" (first bars), "middle", "end" (the last bar): text stays inside the chart
    minor: bool  # every other label: hidden on narrow screens, where they would crowd


def axis_step(maximum: Decimal) -> int:
    """A whole, readable step (1, 2, 5 × 10ⁿ, or 25 × 10ⁿ⁻¹ from 25 up) that divides 0…``maximum``
    into about :data:`TARGET_STEPS` steps. Never below 1, so small amounts get whole ticks
    (0, 1, 2, 3 — never "0, 1, 1")."""
    raw = maximum / TARGET_STEPS
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        step = factor * magnitude
        if step >= raw and step == int(step):
            return int(step)
    return 10 * magnitude


def bar_chart(series: list[tuple[date, Decimal]]) -> dict:
    """Bars, whole-number axis ticks, date labels and the total for ``series`` of ``(day, value)``.
    ``empty`` is True when every value is zero (the template shows a sentence instead)."""
    total = sum((v for _, v in series), Decimal("0.00"))
    maximum = max((v for _, v in series), default=Decimal(0))
    step = axis_step(maximum) if maximum > 0 else 1
    steps = max(1, math.ceil(maximum / step))  # the axis ends on a whole step
    ceiling = Decimal(step * steps)
    slot = 100 / max(len(series), 1)
    bars = [
        Bar(left=i * slot + slot * 0.15, width=slot * 0.7, height=float(value / ceiling) * 100, day=day, value=value)
        for i, (day, value) in enumerate(series)
    ]
    ticks = [Tick(value=step * k, bottom=100 * k / steps) for k in range(steps + 1)]
    last = len(series) - 1
    labels = []
    for n, i in enumerate(range(last, -1, -LABEL_EVERY)):
        align = "end" if i == last else "start" if i < 2 else "middle"
        labels.append(Label(day=series[i][0], left=(i + 0.5) * slot, align=align, minor=n % 2 == 1))
    return {
        "bars": bars,
        "ticks": ticks,
        "labels": labels[::-1],
        "total": total,
        "empty": total == 0,
        "days": len(series),
    }
