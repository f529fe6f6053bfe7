"""A tiny server-side SVG bar chart: horizontal bars, one or more series, text labels.

Horizontal bars keep long labels (causes, checklist items, in Chinese or English) readable
on a phone. The SVG is accessible: role="img", an aria-label and a <title>; each bar has
its own <title> too. The numbers also go in a table under each chart (the templates).
"""

from markupsafe import Markup, escape

WIDTH = 640
LABEL_W = 210
BAR_W = 340
BAR_H = 16
GAP = 10
TOP = 8
COLOURS = ("#0a6ebd", "#e08a00", "#1e7b34", "#b3261e")
LABEL_UNITS = 32  # what fits beside the bars at 12 px: a CJK character counts two


def _units(char: str) -> int:
    return 2 if ord(char) >= 0x2E80 else 1


def _short(text: str) -> str:
    if sum(_units(c) for c in text) <= LABEL_UNITS:
        return text
    kept, used = [], 0
    for char in text:
        if used + _units(char) > LABEL_UNITS - 2:
            break
        kept.append(char)
        used += _units(char)
    return "".join(kept) + "…"


def _number(value, unit: str) -> str:
    if value is None:
        return "—"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown}{unit}"


def _legend(series: list[tuple[str, list]], y: int) -> list[str]:
    out = []
    for i, (name, _values) in enumerate(series):
        x = LABEL_W + i * 150
        out.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(name)}</text>'
        )
    return out


def _row(y: int, category: str, series, index: int, scale: float, unit: str) -> list[str]:
    height = BAR_H * len(series)
    out = [
        f'<text x="{LABEL_W - 6}" y="{y + height / 2 + 4:g}" font-size="12" text-anchor="end">'
        f"<title>{escape(category)}</title>{escape(_short(category))}</text>"
    ]
    for i, (name, values) in enumerate(series):
        value = values[index]
        width = 0 if value is None else max(1, round(value * scale)) if value else 0
        top = y + i * BAR_H
        shown = _number(value, unit)
        out.append(
            f'<rect x="{LABEL_W}" y="{top + 2}" width="{width}" height="{BAR_H - 4}"'
            f' fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(category)} · {escape(name)}:'
            f" {escape(shown)}</title></rect>"
            f'<text x="{LABEL_W + width + 4}" y="{top + BAR_H - 4}" font-size="11">'
            f"{escape(shown)}</text>"
        )
    return out


def bar_chart(
    title: str, categories: list[str], series: list[tuple[str, list]], unit="", ceiling=None
) -> Markup:
    """An SVG of horizontal bars: one group per category, one bar per series.

    No style attribute (the Content-Security-Policy refuses them): static/app.css keeps
    svg.chart at most WIDTH wide."""
    values = [v for _name, vs in series for v in vs if v is not None]
    top_value = ceiling or max(values, default=0) or 1
    scale = BAR_W / top_value
    row_h = BAR_H * len(series) + GAP
    legend_h = 20 if len(series) > 1 else 0
    height = TOP + legend_h + row_h * max(len(categories), 1) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" width="100%"'
        f"><title>{escape(title)}</title>"
    ]
    if legend_h:
        parts += _legend(series, TOP)
    for index, category in enumerate(categories):
        y = TOP + legend_h + index * row_h
        parts += _row(y, category, series, index, scale, unit)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape)
