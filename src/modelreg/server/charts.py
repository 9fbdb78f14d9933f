"""Small SVG charts drawn on the server for the web UI: no JavaScript, no chart library.

Every label goes through Markup escaping, so a metric named ``<script>`` is
drawn as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 560, 200, 36
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, int | float) and math.isfinite(v)]


def line_chart(series: dict[str, list[tuple[int, float]]], x_label: str = "step") -> Markup:
    """One polyline per series over its x values (steps, or version numbers).

    Every point is a circle whose ``<title>`` tells its series, x and value:
    the browser shows it on hover, without JavaScript. NaN and infinities are
    skipped."""
    points = [(s, v) for values in series.values() for s, v in values if math.isfinite(v)]
    if not points:
        return Markup("<p class='muted'>No finite values to plot.</p>")
    steps = [s for s, _ in points]
    values = [v for _, v in points]
    lo_s, hi_s = min(steps), max(steps)
    lo_v, hi_v = min(values), max(values)
    span_s = (hi_s - lo_s) or 1
    span_v = (hi_v - lo_v) or 1

    def xy(step: int, value: float) -> tuple[float, float]:
        x = PAD + (step - lo_s) / span_s * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (value - lo_v) / span_v * (HEIGHT - 2 * PAD)
        return x, y

    parts = [
        f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' class='chart' role='img' "
        f"data-series='{len(series)}'>",
        f"<text x='4' y='14' class='axis'>{escape(f'{hi_v:.4g}')}</text>",
        f"<text x='4' y='{HEIGHT - PAD + 4}' class='axis'>{escape(f'{lo_v:.4g}')}</text>",
        f"<text x='{PAD}' y='{HEIGHT - 8}' class='axis'>{escape(f'{x_label} {lo_s}')}</text>",
        f"<text x='{WIDTH - PAD}' y='{HEIGHT - 8}' text-anchor='end' class='axis'>"
        f"{escape(f'{x_label} {hi_s}')}</text>",
    ]
    for i, (name, values_) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        finite = [(s, v) for s, v in values_ if math.isfinite(v)]
        coords = " ".join("{:.1f},{:.1f}".format(*xy(s, v)) for s, v in finite)
        parts.append(
            f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}' "
            f"data-name='{escape(name)}'/>"
        )
        for s, v in finite:
            x, y = xy(s, v)
            parts.append(
                f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{colour}'>"
                f"<title>{escape(f'{name} · {x_label} {s}: {v:.6g}')}</title></circle>"
            )
        parts.append(
            f"<text x='{WIDTH - PAD}' y='{16 + 14 * i}' text-anchor='end' fill='{colour}' "
            f"class='legend'>{escape(name)}</text>"
        )
    parts.append("</svg>")
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
    lo_x, hi_x = min(p[0] for p in finite), max(p[0] for p in finite)
    lo_y, hi_y = min(p[1] for p in finite), max(p[1] for p in finite)
    span_x, span_y = (hi_x - lo_x) or 1, (hi_y - lo_y) or 1
    parts = [
        f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' class='chart scatter' role='img'>",
        f"<text x='4' y='14' class='axis'>{escape(f'{y_label} {hi_y:.4g}')}</text>",
        f"<text x='4' y='{HEIGHT - PAD + 4}' class='axis'>{escape(f'{lo_y:.4g}')}</text>",
        f"<text x='{PAD}' y='{HEIGHT - 8}' class='axis'>{escape(f'{x_label} {lo_x:.4g}')}</text>",
        f"<text x='{WIDTH - PAD}' y='{HEIGHT - 8}' text-anchor='end' class='axis'>"
        f"{escape(f'{hi_x:.4g}')}</text>",
    ]
    for x, y, label in finite:
        cx = PAD + (x - lo_x) / span_x * (WIDTH - 2 * PAD)
        cy = HEIGHT - PAD - (y - lo_y) / span_y * (HEIGHT - 2 * PAD)
        title = escape(f"{label}: {x_label} {x:.6g}, {y_label} {y:.6g}")
        parts.append(
            f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='4' fill='{PALETTE[0]}'>"
            f"<title>{title}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
