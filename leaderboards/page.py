"""The static HTML page of a leaderboard, with plots drawn by matplotlib (Agg, no display).

Plots, embedded as base64 PNG so ``index.html`` is one self-contained file:

- solve rate per submission with its 95% CI;
- per-stratum solve rate, one panel per stratum name (best five submissions);
- solved fraction against budget, for agents submitted at several budgets;
- solved against training steps, for learners trained by ``mathgym train``.

Every text from a submission is escaped: ``html.escape`` in the page, and :func:`plot_text` on
plot labels, so a ``$`` can never switch matplotlib into mathtext (an agent named
``$\\frac{$`` once crashed the renderer and, with it, every later submit to that board). A plot
that fails all the same is replaced by a line saying so instead of failing the page.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

MAX_STRATUM_AGENTS = 5


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plot_text(text: Any) -> str:
    """``text`` for a matplotlib label: every ``$`` escaped, so mathtext never parses it."""
    return str(text).replace("$", r"\$")


def _label(row: dict[str, Any]) -> str:
    rank = "oracle" if row["rank"] is None else f"#{row['rank']}"
    return plot_text(f"{rank} {row['agent']}\n{row['budget']}")


def plot_rates(rows: list[dict[str, Any]]) -> str:
    """Bar chart of solve rate per submission with CI whiskers (base64 PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(rows) + 1), 3.2))
    xs = range(len(rows))
    rates = [r["rate"] for r in rows]
    lo = [r["rate"] - r["ci"][0] if r["ci"] else 0 for r in rows]
    hi = [r["ci"][1] - r["rate"] if r["ci"] else 0 for r in rows]
    ax.bar(xs, rates, yerr=[lo, hi], capsize=4, color="#4c72b0")
    ax.set_xticks(list(xs), [_label(r) for r in rows], fontsize=7, rotation=30, ha="right")
    ax.set_ylabel("solve rate")
    ax.set_ylim(0, 1.05)
    ax.set_title("solve rate (95% bootstrap CI)")
    return _png(fig)


def plot_strata(rows: list[dict[str, Any]], name: str) -> str:
    """Grouped bars: solve rate per value of stratum ``name`` for the best submissions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = [r for r in rows if name in r["per_stratum"]][:MAX_STRATUM_AGENTS]
    values: list[str] = []
    for r in top:
        for v in r["per_stratum"][name]:
            if v not in values:
                values.append(v)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(values) * max(len(top), 1) / 2 + 2), 3.2))
    width = 0.8 / max(len(top), 1)
    for k, r in enumerate(top):
        groups = r["per_stratum"][name]
        rates = [
            groups[v]["solved"] / groups[v]["records"] if v in groups and groups[v]["records"]
            else 0.0
            for v in values
        ]
        ax.bar([i + k * width for i in range(len(values))], rates, width, label=_label(r))
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(values))],
                  [plot_text(v) for v in values])
    ax.set_xlabel(plot_text(name))
    ax.set_ylabel("solve rate")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=6, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    ax.set_title(plot_text(f"solve rate per {name}"))
    return _png(fig)


def plot_budget(rows: list[dict[str, Any]]) -> str | None:
    """Solved fraction against budget for agents with several budgets (None if there are none)."""
    by_agent: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        by_agent.setdefault(r["agent"], []).append((float(r["budget_amount"]), r["rate"]))
    multi = {a: sorted(pts) for a, pts in sorted(by_agent.items())
             if len({b for b, _ in pts}) > 1}
    if not multi:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for agent, pts in multi.items():
        ax.plot([b for b, _ in pts], [s for _, s in pts], marker="o", label=plot_text(agent))
    ax.set_xscale("log")
    ax.set_xlabel("budget")
    ax.set_ylabel("solved fraction")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    ax.set_title("solved fraction vs budget")
    return _png(fig)


def plot_training(rows: list[dict[str, Any]]) -> str | None:
    """Solved instances against training steps, one line per learner run (None if none)."""
    runs = [r for r in rows if r["curve"]]
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    for r in runs:
        ax.plot([s for s, _ in r["curve"]], [n for _, n in r["curve"]], label=_label(r))
    ax.set_xlabel("training env steps")
    ax.set_ylabel("instances solved")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1.0), loc="upper left")
    ax.set_title("solved while training (the run's own log; final count verified)")
    return _png(fig)


def _image(title: str, alt: str, plot: Any, *args: Any) -> str:
    """An ``<h2>`` and the plot as an inline PNG, or a line saying why it could not be drawn."""
    esc = html.escape
    try:
        png = plot(*args)
    except Exception as err:  # a broken plot must not break the page (or the next submit)
        return f"<h2>{esc(title)}</h2><p>(plot not drawn: {esc(type(err).__name__)})</p>"
    if png is None:
        return ""
    return (f'<h2>{esc(title)}</h2><img alt="{esc(alt)}" '
            f'src="data:image/png;base64,{png}">')


def render_html(benchmark_id: str, submissions: list[dict[str, Any]]) -> str:
    """The whole ``index.html`` of a board; every field from a submission is escaped."""
    from mathgym.leaderboards.board import MARKS_NOTE, TABLE_HEADER, ranked_rows, table_cells

    rows = ranked_rows(submissions)
    esc = html.escape
    name = benchmark_id.partition("@")[0]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>mathgym leaderboard: {esc(name)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;"
        "white-space:nowrap}</style></head><body>",
        f"<h1>Leaderboard: <code>{esc(name)}</code></h1>",
        "<p>Every solution was re-verified and every metric recomputed at submission.</p>",
    ]
    if not rows:
        parts.append("<p>No submissions yet.</p></body></html>")
        return "\n".join(parts) + "\n"
    parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in TABLE_HEADER) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in table_cells(row)) + "</tr>")
    parts.append("</table>")
    parts.append(f"<p>{esc(MARKS_NOTE.replace('`', ''))}</p>")
    parts.append(_image("Solve rate", "solve rate per agent", plot_rates, rows))
    strata_names: list[str] = []
    for r in rows:
        for stratum in r["per_stratum"]:
            if stratum not in strata_names:
                strata_names.append(stratum)
    for stratum in strata_names:
        parts.append(_image(f"Per {stratum}", f"solve rate per {stratum}", plot_strata, rows,
                            stratum))
    parts.append(_image("Budget", "solved fraction against budget", plot_budget, rows))
    parts.append(_image("Training", "solved against training steps", plot_training, rows))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
