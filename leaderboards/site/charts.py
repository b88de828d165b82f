"""Inline SVG charts of a board: solve rate, per stratum, against budget, while training, and
the relator lengths along an AC path.

Why hand-written SVG rather than matplotlib: the text stays text (selectable, legible at any
zoom, never rotated), the bytes are the same on every machine (no font hinting, no renderer
version in the file), nothing from a submission can reach a math-text parser, and a page needs
no image files, so it works from ``file://`` and offline.

Every string from a submission goes through :func:`~mathgym.leaderboards.site.markup.esc`.
Labels are 12 px (axis ticks and bar values 11 px), horizontal, and every agent is in every
legend, rate 0 or not. Coordinates are rounded to 0.1 px, so the output is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from mathgym.leaderboards.site.markup import esc

#: Tableau 10: distinguishable, and legible on white. Colours cycle past ten agents.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
LABEL_PX = 12
SMALL_PX = 11
#: Estimated width of one character at 12 px (sans-serif); labels get this much room.
CHAR_PX = 7.0
MAX_LABEL_CHARS = 72


def colour(k: int) -> str:
    """The colour of the k-th agent of a page (rank order), the same in every chart."""
    return PALETTE[k % len(PALETTE)]


def _n(x: float) -> str:
    """A coordinate as short, deterministic text (0.1 px)."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full text goes in a title)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(x: float, y: float, text: str, *, size: int = LABEL_PX, anchor: str = "start",
          cls: str = "", weight: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    extra += f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}"{extra}>'
            f"{esc(text)}</text>")


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'aria-label="{esc(label)}" width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}">' + "".join(body) + "</svg>")


def row_label(row: dict[str, Any]) -> str:
    """``#1 ac-greedy v1 (…) · 10000 search_nodes`` (raw text; ``oracle`` for oracle rows)."""
    rank = "oracle" if row["rank"] is None else f"#{row['rank']}"
    return f"{rank} {row['agent']} · {row['budget']}"


def _label_width(labels: Sequence[str]) -> float:
    return min(MAX_LABEL_CHARS, max((len(s) for s in labels), default=4)) * CHAR_PX + 12


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float) -> tuple[list[str], float]:
    """One line per (colour, label); returns the SVG parts and the height used."""
    parts = []
    for k, (fill, label) in enumerate(entries):
        top = y + 18 * k
        parts.append(f'<rect x="{_n(x)}" y="{_n(top)}" width="12" height="12" fill="{fill}"/>')
        parts.append(f"<g><title>{esc(label)}</title>"
                     + _text(x + 18, top + 10.5, short(label, 90), cls="legend") + "</g>")
    return parts, 18 * len(entries)


def _rate(group: dict[str, Any] | None) -> float:
    if not group or not group.get("records"):
        return 0.0
    return group["solved"] / group["records"]


def rate_bars(rows: list[dict[str, Any]]) -> str:
    """Horizontal bars: solve rate per submission (rank order) with its 95% CI as a whisker."""
    labels = [short(row_label(r)) for r in rows]
    left = _label_width(labels)
    plot_w, bar_h, gap, top = 360.0, 14.0, 8.0, 24.0
    width = left + plot_w + 240
    height = top + len(rows) * (bar_h + gap) + 26
    body = [_text(left, 14, "solve rate (0 to 1), whisker: 95% bootstrap CI", size=SMALL_PX)]
    body += _x_axis(left, plot_w, top, height - 26, [0, 0.25, 0.5, 0.75, 1.0],
                    lambda v: f"{v:g}", lambda v: left + v * plot_w)
    for k, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = top + k * (bar_h + gap) + gap / 2
        body.append(f"<g><title>{esc(row_label(row))}</title>"
                    + _text(left - 8, y + bar_h - 3, label, anchor="end") + "</g>")
        body.append(f'<rect x="{_n(left)}" y="{_n(y)}" width="{_n(row["rate"] * plot_w)}" '
                    f'height="{_n(bar_h)}" fill="{colour(k)}"/>')
        value = f"{row['solved']}/{row['total']} = {row['rate']:.3f}"
        if row["ci"]:
            lo, hi = row["ci"]
            mid = y + bar_h / 2
            body.append(f'<path d="M{_n(left + lo * plot_w)} {_n(mid)}H{_n(left + hi * plot_w)}'
                        f'M{_n(left + lo * plot_w)} {_n(mid - 4)}v8M{_n(left + hi * plot_w)} '
                        f'{_n(mid - 4)}v8" stroke="#222" fill="none"/>')
            value += f" [{lo:.3f}, {hi:.3f}]"
        body.append(_text(left + plot_w + 8, y + bar_h - 3, value, size=SMALL_PX))
    return _svg(width, height, body, "solve rate per submission")


def _x_axis(left: float, plot_w: float, top: float, bottom: float, ticks: Sequence[float],
            fmt: Callable[[float], str], pos: Callable[[float], float]) -> list[str]:
    parts = [f'<path d="M{_n(left)} {_n(bottom)}H{_n(left + plot_w)}" stroke="#888"/>']
    for v in ticks:
        x = pos(v)
        parts.append(f'<path d="M{_n(x)} {_n(top)}V{_n(bottom)}" stroke="#e4e4e4"/>')
        parts.append(_text(x, bottom + 14, fmt(v), size=SMALL_PX, anchor="middle"))
    return parts


def _natural(values: list[str]) -> list[str]:
    """Stratum values in numeric order when they are all numbers, else as text."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def stratum_bars(rows: list[dict[str, Any]], name: str) -> str:
    """Grouped horizontal bars: one group per value of stratum ``name``, one bar per agent.

    Every submission is in the legend and in every group (a rate of 0 draws an empty bar with
    its ``0/170`` beside it); a submission without that stratum is listed as having no data.
    """
    values: list[str] = []
    instances: dict[str, int] = {}
    for r in rows:
        for v, g in r["per_stratum"].get(name, {}).items():
            if v not in values:
                values.append(v)
            instances.setdefault(v, int(g.get("instances", 0)))
    values = _natural(values)
    group_labels = [short(f"{name} = {v} ({instances[v]} inst.)", 40) for v in values]
    left = _label_width(group_labels)
    plot_w, bar_h, gap = 360.0, 12.0, 10.0
    legend_entries = [(colour(k), row_label(r) + ("" if name in r["per_stratum"]
                                                  else " (no data for this stratum)"))
                      for k, r in enumerate(rows)]
    legend, legend_h = _legend(legend_entries, left, 8)
    top = 8 + legend_h + 26
    group_h = len(rows) * (bar_h + 2) + gap
    height = top + len(values) * group_h + 26
    width = max(left + plot_w + 120, left + 18 + CHAR_PX * min(90, max(
        (len(label) for _, label in legend_entries), default=0)))
    body = legend + [_text(left, top - 8, f"solve rate per {name} (0 to 1)", size=SMALL_PX)]
    body += _x_axis(left, plot_w, top, height - 26, [0, 0.25, 0.5, 0.75, 1.0],
                    lambda v: f"{v:g}", lambda v: left + v * plot_w)
    for gi, (v, label) in enumerate(zip(values, group_labels, strict=True)):
        gy = top + gi * group_h + gap / 2
        body.append(f"<g><title>{esc(f'{name} = {v}')}</title>"
                    + _text(left - 8, gy + bar_h, label, anchor="end") + "</g>")
        for k, r in enumerate(rows):
            group = r["per_stratum"].get(name, {}).get(v)
            y = gy + k * (bar_h + 2)
            rate = _rate(group)
            tip = f"{row_label(r)}: " + (f"{group['solved']}/{group['records']}" if group
                                         else "no data")
            body.append(f'<g><title>{esc(tip)}</title><rect x="{_n(left)}" y="{_n(y)}" '
                        f'width="{_n(max(rate * plot_w, 0))}" height="{_n(bar_h)}" '
                        f'fill="{colour(k)}"/></g>')
            text = f"{group['solved']}/{group['records']}" if group else "–"
            body.append(_text(left + rate * plot_w + 4, y + bar_h - 2, text, size=SMALL_PX))
    return _svg(width, height, body, f"solve rate per {name}")


def _si(v: float) -> str:
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def budget_scatter(rows: list[dict[str, Any]]) -> str:
    """Solve rate against budget (log scale): a point per submission, one colour per agent
    configuration, a line through the points of an agent submitted at several budgets."""
    series: dict[str, list[tuple[float, float, dict[str, Any]]]] = {}
    for r in rows:
        series.setdefault(r["agent"], []).append((float(r["budget_amount"]), r["rate"], r))
    amounts = [float(r["budget_amount"]) for r in rows if r["budget_amount"] > 0]
    lo_exp = math.floor(math.log10(min(amounts))) if amounts else 0
    hi_exp = math.ceil(math.log10(max(amounts))) if amounts else 1
    if hi_exp - lo_exp < 2:
        lo_exp, hi_exp = lo_exp - 1, hi_exp + 1
    left, plot_w, plot_h = 56.0, 420.0, 220.0
    legend_entries = [(colour(k), name) for k, name in enumerate(series)]
    top = 28.0
    bottom = top + plot_h
    legend, legend_h = _legend(legend_entries, left, bottom + 40)
    width = max(left + plot_w + 40, left + 18 + CHAR_PX * min(90, max(
        (len(n) for n in series), default=0)))
    height = bottom + 48 + legend_h

    def px(amount: float) -> float:
        return left + (math.log10(max(amount, 10.0 ** lo_exp)) - lo_exp) / (hi_exp - lo_exp) \
            * plot_w

    def py(rate: float) -> float:
        return bottom - rate * plot_h

    unit = rows[0]["unit"] if rows else ""
    body = [_text(left, 14, f"solve rate against budget ({unit}, log scale); hollow: oracle",
                  size=SMALL_PX), *legend]
    body += _x_axis(left, plot_w, top, bottom, [10.0 ** e for e in range(lo_exp, hi_exp + 1)],
                    _si, px)
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<path d="M{_n(left)} {_n(py(v))}H{_n(left + plot_w)}" stroke="#e4e4e4"/>')
        body.append(_text(left - 6, py(v) + 4, f"{v:g}", size=SMALL_PX, anchor="end"))
    body.append(f'<path d="M{_n(left)} {_n(top)}V{_n(bottom)}" stroke="#888"/>')
    for k, pts in enumerate(series.values()):
        pts = sorted(pts, key=lambda p: p[0])
        if len(pts) > 1:
            d = "M" + "L".join(f"{_n(px(b))} {_n(py(s))}" for b, s, _ in pts)
            body.append(f'<path d="{d}" stroke="{colour(k)}" fill="none" stroke-width="1.5"/>')
        for b, s, r in pts:
            fill = "#fff" if r["oracle"] else colour(k)
            tip = f"{row_label(r)}: {r['solved']}/{r['total']}"
            body.append(f'<g class="point"><title>{esc(tip)}</title><circle cx="{_n(px(b))}" '
                        f'cy="{_n(py(s))}" r="5" fill="{fill}" stroke="{colour(k)}" '
                        f'stroke-width="2"/></g>')
    return _svg(width, height, body, "solve rate against budget")


def nice_ticks(hi: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``hi`` (1, 2 or 5 times a power of ten apart)."""
    hi = max(float(hi), 1.0)
    raw = hi / count
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return [step * i for i in range(int(math.ceil(hi / step - 1e-9)) + 1)]


def _line_chart(lines: list[tuple[str, str, list[tuple[float, float]]]], x_label: str,
                y_label: str, title: str, *, step: bool, width: float = 520.0,
                height: float = 220.0, cap: float | None = None) -> str:
    """Lines of (colour, label, points) on linear axes from 0, with a legend underneath."""
    left, top = 56.0, 44.0
    plot_w, plot_h = width - left - 20, height
    bottom = top + plot_h
    xs = nice_ticks(max((x for _, _, pts in lines for x, _ in pts), default=1))
    ys = nice_ticks(max([y for _, _, pts in lines for _, y in pts] + [cap or 0]))

    def px(x: float) -> float:
        return left + x / xs[-1] * plot_w

    def py(y: float) -> float:
        return bottom - y / ys[-1] * plot_h

    legend, legend_h = _legend([(c, label) for c, label, _ in lines], left, bottom + 40)
    full_w = max(width, left + 18 + CHAR_PX * min(90, max((len(s) for _, s, _ in lines),
                                                          default=0)))
    body = [_text(left, 14, title, size=SMALL_PX), *legend]
    body += _x_axis(left, plot_w, top, bottom, xs, _si, px)
    for v in ys:
        body.append(f'<path d="M{_n(left)} {_n(py(v))}H{_n(left + plot_w)}" stroke="#e4e4e4"/>')
        body.append(_text(left - 6, py(v) + 4, _si(v), size=SMALL_PX, anchor="end"))
    body.append(f'<path d="M{_n(left)} {_n(top)}V{_n(bottom)}" stroke="#888"/>')
    body.append(_text(left + plot_w, bottom + 30, x_label, size=SMALL_PX, anchor="end"))
    body.append(_text(left - 50, top - 12, y_label, size=SMALL_PX))
    if cap is not None:
        body.append(f'<path d="M{_n(left)} {_n(py(cap))}H{_n(left + plot_w)}" stroke="#999" '
                    f'stroke-dasharray="4 3"/>')
        body.append(_text(left + plot_w - 2, py(cap) - 4, f"cap {cap:g}", size=SMALL_PX,
                          anchor="end"))
    for fill, label, pts in lines:
        if not pts:
            continue
        # whole pixels: an AC path of hundreds of moves stays a few hundred bytes
        d = f"M{round(px(pts[0][0]))} {round(py(pts[0][1]))}"
        for x1, y1 in pts[1:]:
            d += (f"H{round(px(x1))}V{round(py(y1))}" if step
                  else f"L{round(px(x1))} {round(py(y1))}")
        body.append(f'<g><title>{esc(label)}</title><path d="{d}" stroke="{fill}" fill="none" '
                    f'stroke-width="2"/></g>')
    return _svg(full_w, bottom + 48 + legend_h, body, title)


def training_curves(rows: list[dict[str, Any]]) -> str | None:
    """Instances solved against training env steps, one line per learner run (None if none)."""
    lines = [(colour(k), row_label(r), [(float(s), float(n)) for s, n in r["curve"]])
             for k, r in enumerate(rows) if r["curve"]]
    if not lines:
        return None
    return _line_chart(lines, "training env steps", "instances solved",
                       "solved while training (the run's own log; the final count is verified)",
                       step=True)


def relator_lengths(lengths: list[tuple[int, ...]], cap: int) -> str:
    """Length of each relator after each move of an AC path (from the start, move 0)."""
    names = [f"r{i}" for i in range(len(lengths[0]))] if lengths else []
    lines = [(colour(i), f"length of {name}", [(float(k), float(s[i]))
                                               for k, s in enumerate(lengths)])
             for i, name in enumerate(names)]
    return _line_chart(lines, "moves along the path", "length",
                       "relator lengths along the path (dashed: the instance's length cap)",
                       step=False, width=460.0, height=150.0, cap=float(cap))


def figure(title: str, chart: Callable[..., str | None], *args: Any) -> str:
    """An ``<h2>`` and the chart, or a line saying why it was not drawn: one bad file must not
    break a page (nor, through the board page, the next submit)."""
    try:
        svg = chart(*args)
    except Exception as err:
        return f"<h2>{esc(title)}</h2><p>(plot not drawn: {esc(type(err).__name__)})</p>"
    if svg is None:
        return ""
    return f'<h2>{esc(title)}</h2><div class="scroll">{svg}</div>'
