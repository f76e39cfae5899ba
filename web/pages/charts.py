"""Charts as inline SVG, drawn on the server: nothing to download, nothing from outside.

Each chart is an ``<svg role="img">`` with a title and a description for screen readers, a
``<title>`` tooltip on every bar, and colours from app.css (``.chart .s0`` …), so the page's
data tables remain the accessible form of the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import count

from markupsafe import Markup, escape

Row = tuple[str, Sequence[float]]  # a label and one value per series
_ids = count(1)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def nice_max(value: float) -> float:
    """The smallest 1/2/2.5/5 × 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _ticks(top: float) -> list[float]:
    """Ticks from 0 to ``top`` at a whole-number step when there is one (50 → 0, 10, … 50)."""
    for n in (4, 5, 2):
        if (top / n).is_integer():
            return [top * i / n for i in range(n + 1)]
    return [0.0, top / 2, top]


def _open(width: int, height: int, title: str, desc: str, css: str) -> str:
    ident = f"chart{next(_ids)}"
    return (
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )


def _legend(series: Sequence[str], x: float, y: float) -> list[str]:
    if len(series) < 2:
        return []
    parts = []
    for i, name in enumerate(series):
        parts.append(
            f'<rect class="s{i}" x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10"/>'
            f'<text class="legend" x="{x + 14:.1f}" y="{y:.1f}">{escape(name)}</text>'
        )
        x += 24 + 13 * len(name)
    return parts


def _empty(width: int, title: str, message: str) -> Markup:
    head = _open(width, 40, title, message, "empty")
    return Markup(f'{head}<text class="note" x="0" y="24">{escape(message)}</text></svg>')


def hbars(
    rows: Sequence[Row],
    *,
    title: str,
    series: Sequence[str] = (),
    empty: str = "",
    width: int = 560,
    label_width: int = 150,
    bar: int = 18,
    ref: float | None = None,
    ref_label: str = "",
    fmt: Callable[[float], str] = _fmt,
) -> Markup:
    """Horizontal bars, one row per label, stacked when there are several series."""
    if not rows:
        return _empty(width, title, empty)
    gap, top_pad = 6, (22 if len(series) > 1 or ref is not None else 4)
    height = top_pad + len(rows) * (bar + gap) + 18
    plot = width - label_width - 56
    top = nice_max(max([sum(v) for _, v in rows] + [ref or 0]))
    scale = plot / top
    desc = "; ".join(f"{label} {'+'.join(fmt(v) for v in values)}" for label, values in rows)
    head = _open(width, height, title, desc, "hbars")
    parts = _legend(series, label_width, 12)
    for i, (label, values) in enumerate(rows):
        y = top_pad + i * (bar + gap)
        parts.append(
            f'<text class="label" x="{label_width - 6}" y="{y + bar * 0.72:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        x = float(label_width)
        for k, value in enumerate(values):
            w = value * scale
            if w > 0:
                name = f"{series[k]}: " if len(series) > 1 else ""
                parts.append(
                    f'<rect class="s{k}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}">'
                    f"<title>{escape(label)} {escape(name)}{escape(fmt(value))}</title></rect>"
                )
            x += w
        parts.append(
            f'<text class="value" x="{x + 4:.1f}" y="{y + bar * 0.72:.1f}">'
            f"{escape(fmt(sum(values)))}</text>"
        )
    axis_y = top_pad + len(rows) * (bar + gap)
    parts.append(
        f'<line class="axis" x1="{label_width}" y1="{top_pad - 2}" x2="{label_width}" '
        f'y2="{axis_y}"/>'
    )
    for tick in _ticks(top):
        tx = label_width + tick * scale
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{axis_y + 13}" text-anchor="middle">'
            f"{escape(fmt(tick))}</text>"
        )
    if ref is not None:
        rx = label_width + ref * scale
        parts.append(
            f'<line class="ref" x1="{rx:.1f}" y1="{top_pad - 4}" x2="{rx:.1f}" y2="{axis_y}"/>'
            f'<text class="ref-label" x="{rx:.1f}" y="{top_pad - 8}" text-anchor="middle">'
            f"{escape(ref_label)}</text>"
        )
    return Markup(head + "".join(parts) + "</svg>")


def columns(
    rows: Sequence[Row],
    *,
    title: str,
    series: Sequence[str] = (),
    empty: str = "",
    width: int = 560,
    height: int = 220,
    show_labels: bool = True,
    show_values: bool = True,
    ref: float | None = None,
    ref_label: str = "",
    fmt: Callable[[float], str] = _fmt,
    y_fmt: Callable[[float], str] = _fmt,
) -> Markup:
    """Vertical columns, stacked when there are several series, with a y axis."""
    if not rows:
        return _empty(width, title, empty)
    left, right, top_pad = 40, 8, (26 if len(series) > 1 or ref is not None else 12)
    bottom = 24 if show_labels else 8
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_max(max([sum(v) for _, v in rows] + [ref or 0]))
    step = plot_w / len(rows)
    bar = max(1.0, min(48.0, step * 0.7))
    desc = "; ".join(f"{label} {'+'.join(fmt(v) for v in values)}" for label, values in rows)
    head = _open(width, height, title, desc, "columns")
    parts = _legend(series, left, 12)
    base = top_pad + plot_h
    for tick in _ticks(top):
        ty = base - tick / top * plot_h
        parts.append(
            f'<line class="grid" x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}"/>'
            f'<text class="tick" x="{left - 4}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(y_fmt(tick))}</text>"
        )
    for i, (label, values) in enumerate(rows):
        cx = left + step * i + step / 2
        y = float(base)
        for k, value in enumerate(values):
            h = value / top * plot_h
            if h > 0:
                name = f"{series[k]}: " if len(series) > 1 else ""
                parts.append(
                    f'<rect class="s{k}" x="{cx - bar / 2:.1f}" y="{y - h:.1f}" '
                    f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)} '
                    f"{escape(name)}{escape(fmt(value))}</title></rect>"
                )
            y -= h
        if show_values and sum(values) > 0:
            parts.append(
                f'<text class="value" x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
                f"{escape(fmt(sum(values)))}</text>"
            )
        if show_labels:
            parts.append(
                f'<text class="label" x="{cx:.1f}" y="{base + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
    if ref is not None:
        ry = base - ref / top * plot_h
        parts.append(
            f'<line class="ref" x1="{left}" y1="{ry:.1f}" x2="{width - right}" y2="{ry:.1f}"/>'
            f'<text class="ref-label" x="{width - right}" y="{ry - 4:.1f}" text-anchor="end">'
            f"{escape(ref_label)}</text>"
        )
    return Markup(head + "".join(parts) + "</svg>")
