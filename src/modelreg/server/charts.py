"""Small SVG charts drawn on the server for the web UI: no JavaScript, no chart library.

Every label goes through Markup escaping, so a metric named ``<script>`` is
drawn as text. Labels sit in margins around the plot, never on its points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, BOTTOM = 70, 16, 24  # room for the value labels, the end, the x labels
LEGEND_ROW = 16
INSET = 6  # between the plot's border and its outermost points
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
_CHAR_WIDTH = 6.5  # of the 11px label font, to lay the legend out


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, int | float) and math.isfinite(v)]


@dataclass(frozen=True)
class _Plot:
    """The plot area below a band of ``top`` pixels, and the ranges mapped onto it."""

    top: int
    lo_x: float
    hi_x: float
    lo_y: float
    hi_y: float

    def x(self, value: float) -> float:
        width = WIDTH - LEFT - RIGHT - 2 * INSET
        if self.hi_x == self.lo_x:  # one x: in the middle
            return LEFT + INSET + width / 2
        return LEFT + INSET + (value - self.lo_x) / (self.hi_x - self.lo_x) * width

    def y(self, value: float) -> float:
        height = HEIGHT - self.top - BOTTOM - 2 * INSET
        if self.hi_y == self.lo_y:
            return self.top + INSET + height / 2
        return HEIGHT - BOTTOM - INSET - (value - self.lo_y) / (self.hi_y - self.lo_y) * height

    def frame(self, css: str, x_name: str, series: int = 0) -> list[str]:
        """The opening tag, the plot's border and the range labels in the margins."""
        bottom = HEIGHT - BOTTOM
        parts = [
            f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' class='{css}' role='img' data-series='{series}'>",
            f"<rect x='{LEFT}' y='{self.top}' width='{WIDTH - LEFT - RIGHT}' "
            f"height='{bottom - self.top}' fill='none' stroke='#e5e7eb'/>",
        ]
        # A range of one value is labelled once, where its points are.
        for value in dict.fromkeys((self.hi_y, self.lo_y)):
            parts.append(_label(LEFT - 6, self.y(value) + 4, _number(value), "end"))
        if self.hi_x == self.lo_x:
            x_middle = self.x(self.lo_x)
            parts.append(_label(x_middle, HEIGHT - 6, f"{x_name} {_number(self.lo_x)}", "middle"))
        else:
            parts.append(_label(LEFT, HEIGHT - 6, f"{x_name} {_number(self.lo_x)}", "start"))
            parts.append(_label(WIDTH - RIGHT, HEIGHT - 6, _number(self.hi_x), "end"))
        return parts


def _number(value: float) -> str:
    """A value as an axis shows it: ``0.9766``, ``80,123``, ``1.2e+15``."""
    if 1_000 <= abs(value) < 1e12:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _exact(value: float) -> str:
    """A value as a tooltip tells it: whole numbers in full (step 1234567), others to six
    significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _label(x: float, y: float, text: str, anchor: str, css: str = "axis") -> str:
    position = f"x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}'"
    return f"<text {position} class='{css}'>{escape(text)}</text>"


def _legend(names: Sequence[str]) -> tuple[list[str], int]:
    """The series' names in their colours, flowing in rows above the plot (none for one
    series: the figure's caption names it); and the height the rows take."""
    if len(names) < 2:
        return [], 8
    parts, x, row = [], float(LEFT), 0
    for i, name in enumerate(names):
        width = 14 + len(name) * _CHAR_WIDTH
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        colour = PALETTE[i % len(PALETTE)]
        y = 4 + row * LEGEND_ROW
        parts.append(f"<rect x='{x:.1f}' y='{y + 3}' width='8' height='8' fill='{colour}'/>")
        parts.append(f"<text x='{x + 11:.1f}' y='{y + 11}' class='legend'>{escape(name)}</text>")
        x += width + 12
    return parts, 8 + (row + 1) * LEGEND_ROW


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    x_label: str = "step",
    *,
    dots: bool = True,
    note: str = "",
) -> Markup:
    """One polyline per series over its x values (steps, seconds or version numbers).

    With ``dots``, every point is a circle whose ``<title>`` tells its series, x
    and value: the browser shows it on hover, without JavaScript (leave them out
    for a sampled series, whose points are not single values). NaN and
    infinities are skipped. ``note`` is a line shown under the chart."""
    finite = {
        name: [(x, v) for x, v in values if math.isfinite(v)] for name, values in series.items()
    }
    points = [p for values in finite.values() for p in values]
    if not points:
        return Markup("<p class='muted'>No finite values to plot.</p>")
    legend, top = _legend(list(finite))
    plot = _Plot(
        top,
        min(x for x, _ in points),
        max(x for x, _ in points),
        min(v for _, v in points),
        max(v for _, v in points),
    )
    parts = [*plot.frame("chart", x_label, len(series)), *legend]
    for i, (name, values) in enumerate(finite.items()):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{plot.x(x):.1f},{plot.y(v):.1f}" for x, v in values)
        parts.append(
            f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}' "
            f"data-name='{escape(name)}'/>"
        )
        if dots or len(values) == 1:
            parts.extend(
                f"<circle cx='{plot.x(x):.1f}' cy='{plot.y(v):.1f}' r='3' fill='{colour}'>"
                f"<title>{escape(f'{name} · {x_label} {_exact(x)}: {_exact(v)}')}</title></circle>"
                for x, v in values
            )
    parts.append("</svg>")
    if note:
        parts.append(f"<p class='muted chart-note'>{escape(note)}</p>")
    return Markup("".join(parts))


def bar_chart(bars: dict[str, float | None]) -> Markup:
    """Horizontal bars, one per label; a missing value is shown as missing, not as 0."""
    finite = _finite([v for v in bars.values() if v is not None])
    top = max((abs(v) for v in finite), default=1.0) or 1.0
    row = 22
    height = row * len(bars) + 8
    parts = [f"<svg viewBox='0 0 {WIDTH} {height}' class='chart' role='img'>"]
    for i, (label, value) in enumerate(bars.items()):
        y = 4 + i * row
        parts.append(f"<text x='0' y='{y + 15}' class='axis'>{escape(label)}</text>")
        if value is None or not math.isfinite(value):
            parts.append(f"<text x='120' y='{y + 15}' class='muted'>missing</text>")
            continue
        width = abs(value) / top * (WIDTH - 200)
        parts.append(
            f"<rect x='120' y='{y + 3}' width='{width:.1f}' height='{row - 8}' fill='#2563eb'/>"
        )
        parts.append(
            f"<text x='{126 + width:.1f}' y='{y + 15}' class='axis'>{escape(f'{value:.4g}')}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def scatter_chart(points: list[tuple[float, float, str]], x_label: str, y_label: str) -> Markup:
    """One dot per ``(x, y, label)``, e.g. a param against a metric over runs; each dot's
    ``<title>`` names it and its values (shown on hover)."""
    finite = [(x, y, label) for x, y, label in points if math.isfinite(x) and math.isfinite(y)]
    if not finite:
        return Markup("<p class='muted'>No runs have both values.</p>")
    plot = _Plot(
        LEGEND_ROW + 8,
        min(p[0] for p in finite),
        max(p[0] for p in finite),
        min(p[1] for p in finite),
        max(p[1] for p in finite),
    )
    parts = [*plot.frame("chart scatter", x_label), _label(LEFT, 14, y_label, "start", "legend")]
    for x, y, label in finite:
        title = escape(f"{label}: {x_label} {_exact(x)}, {y_label} {_exact(y)}")
        parts.append(
            f"<circle cx='{plot.x(x):.1f}' cy='{plot.y(y):.1f}' r='4' fill='{PALETTE[0]}'>"
            f"<title>{title}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
