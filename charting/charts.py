"""The vitals trend chart as plain numbers for an inline SVG: drawn by the server, no scripts,
no CDN. Only numbers and dates reach the template, never user text."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from charting.models import Vitals

WIDTH = 640
HEIGHT = 180
LEFT = 44
RIGHT = 30
TOP = 12
BOTTOM = 26


@dataclass
class Point:
    x: float
    y: float
    value: str
    when: datetime.date
    flagged: bool = False


@dataclass
class Series:
    name: str
    css_class: str
    points: list[Point] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class TrendChart:
    title: str
    unit: str
    series: list[Series]
    ticks: list[Tick]
    x_labels: list[Point]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(series.points for series in self.series)


def _scale(low: float, high: float):
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return TOP + (high - value) / span * (HEIGHT - TOP - BOTTOM)

    return y


def _x_positions(count: int) -> list[float]:
    if count == 1:
        return [(LEFT + WIDTH - RIGHT) / 2]
    step = (WIDTH - RIGHT - LEFT - 16) / (count - 1)
    return [LEFT + 8 + index * step for index in range(count)]


def _ticks(low: float, high: float, y, step: float) -> list[Tick]:
    ticks = []
    value = (low // step) * step
    while value <= high:
        if value >= low:
            ticks.append(Tick(y=y(value), label=f"{value:g}"))
        value += step
    return ticks


def _chart(title, unit, readings, series_spec, step, floor_pad) -> TrendChart:
    """series_spec: (name, css class, value getter, flag getter)."""
    values = [
        float(getter(reading))
        for reading in readings
        for _name, _css, getter, _flag in series_spec
        if getter(reading) is not None
    ]
    if not values:
        return TrendChart(title=title, unit=unit, series=[], ticks=[], x_labels=[])
    low = (min(values) - floor_pad) // step * step
    high = -((-(max(values) + floor_pad)) // step) * step
    y = _scale(low, high)
    xs = _x_positions(len(readings))
    series = []
    for name, css_class, getter, flag in series_spec:
        points = [
            Point(
                x=x,
                y=y(float(getter(reading))),
                value=f"{getter(reading)}",
                when=timezone.localtime(reading.taken_at).date(),
                flagged=bool(flag(reading)),
            )
            for x, reading in zip(xs, readings, strict=True)
            if getter(reading) is not None
        ]
        series.append(Series(name=name, css_class=css_class, points=points))
    every = max(1, len(readings) // 6)
    x_labels = [
        Point(x=x, y=HEIGHT - 8, value="", when=timezone.localtime(reading.taken_at).date())
        for index, (x, reading) in enumerate(zip(xs, readings, strict=True))
        if index % every == 0
    ]
    return TrendChart(
        title=title,
        unit=unit,
        series=series,
        ticks=_ticks(low, high, y, step),
        x_labels=x_labels,
    )


def blood_pressure_chart(readings: list[Vitals]) -> TrendChart:
    with_bp = [reading for reading in readings if reading.systolic_bp is not None]
    return _chart(
        "Blood pressure",
        "mmHg",
        with_bp,
        [
            (
                "Systolic",
                "trend-systolic",
                lambda r: r.systolic_bp,
                lambda r: r.flag("systolic_bp"),
            ),
            (
                "Diastolic",
                "trend-diastolic",
                lambda r: r.diastolic_bp,
                lambda r: r.flag("diastolic_bp"),
            ),
        ],
        step=20,
        floor_pad=10,
    )


def weight_chart(readings: list[Vitals]) -> TrendChart:
    with_weight = [reading for reading in readings if reading.weight_kg is not None]

    def pounds(reading: Vitals) -> Decimal | None:
        return reading.weight_lb

    return _chart(
        "Weight",
        "lb",
        with_weight,
        [("Weight", "trend-weight", pounds, lambda r: r.flag("bmi"))],
        step=10,
        floor_pad=5,
    )
