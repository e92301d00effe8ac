"""Horizontal bar charts as inline SVG (no JavaScript), for HTML and PDF reports. Pure.

One row per label; one bar per series, or the series stacked in one bar. Values are written
at the end of each bar, so the chart reads without its axis; the legend names the series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#1f4e79", "#c0392b", "#e0a526", "#5b8c5a", "#7f6a93", "#3a8fb7")
"""Series colours (the first series of a stacked chart is the 'good' one)."""

_WIDTH = 640
_LABEL_W = 210
_VALUE_W = 60
_BAR_H = 16
_GAP = 8
_LEGEND_H = 22
_FONT = "font-family:DejaVu Sans,Arial,sans-serif;font-size:11px"


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    stacked: bool = False,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    title: str = "",
) -> str:
    """An SVG document fragment: ``labels`` rows, ``series`` (name, values per label)."""
    if not labels or not series:
        return ""
    per_row = 1 if stacked else len(series)
    row_h = per_row * _BAR_H + _GAP
    height = _LEGEND_H + len(labels) * row_h + _GAP
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    largest = max(totals) if stacked else max(max(v) for _, v in series)
    scale = (_WIDTH - _LABEL_W - _VALUE_W) / largest if largest > 0 else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" style="{_FONT}">'
    ]
    x = 4
    for index, (name, _) in enumerate(series):  # legend, from the left edge
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="13">{escape(name)}</text>')
        x += 24 + 6 * len(name)
    for row, label in enumerate(labels):
        top = _LEGEND_H + row * row_h
        middle = top + per_row * _BAR_H / 2 + 4
        parts.append(
            f'<text x="{_LABEL_W - 6}" y="{middle:.1f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        left = float(_LABEL_W)
        for index, (_, values) in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            value = values[row]
            width = value * scale
            y = top if stacked else top + index * _BAR_H
            if width > 0:
                parts.append(
                    f'<rect x="{left:.1f}" y="{y}" width="{width:.1f}" '
                    f'height="{_BAR_H - 2}" fill="{colour}"/>'
                )
            if stacked:
                left += width
            else:
                parts.append(
                    f'<text x="{left + width + 4:.1f}" y="{y + _BAR_H - 5}">{escape(fmt(value))}'
                    "</text>"
                )
        if stacked:
            parts.append(
                f'<text x="{left + 4:.1f}" y="{top + _BAR_H - 5}">{escape(fmt(totals[row]))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
