"""Geometry for small server-rendered SVG charts (no JavaScript); templates draw the shapes."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: Decimal


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10^n that is >= value (a readable axis maximum)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(series: list[tuple[date, Decimal]], *, width: int = 640, height: int = 200, left: int = 56) -> dict:
    """Bars, axis ticks and the total for ``series`` of ``(day, value)``, in SVG units."""
    top, bottom = 10, 24
    plot_h = height - top - bottom
    plot_w = width - left - 8
    ceiling = _nice_ceiling(max((v for _, v in series), default=Decimal(0)))
    slot = plot_w / max(len(series), 1)
    bars = []
    for i, (day, value) in enumerate(series):
        h = float(value / ceiling) * plot_h
        bars.append(
            Bar(x=left + i * slot + slot * 0.15, y=top + plot_h - h, width=slot * 0.7, height=h, day=day, value=value)
        )
    ticks = [{"y": top + plot_h - plot_h * f, "value": ceiling * Decimal(str(f))} for f in (0, 0.5, 1)]
    last = len(bars) - 1
    # A date label every week, and the last day's, never crowding it.
    labels = [b for i, b in enumerate(bars) if (i % 7 == 0 and last - i >= 4) or i == last]
    return {
        "width": width,
        "height": height,
        "left": left,
        "baseline": top + plot_h,
        "right": width - 8,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "label_y": height - 6,
        "total": sum((v for _, v in series), Decimal("0.00")),
    }
