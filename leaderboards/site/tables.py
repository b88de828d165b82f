"""The ranking table of a board page: one row per submission, sortable in the browser.

Columns: rank; agent and version with its config and the ``reproduced K`` / ``oracle`` /
``stale`` marks; solved/total; solve rate with its 95% CI; budget; training steps (learners);
seeds; date; commit; a link to the submission's JSON. Cells never wrap (``white-space:
nowrap``; the table scrolls sideways when it is wider than the window).

Sorting is :data:`SORT_JS`, a constant script: a click on a header sorts by that column (again:
the other way), and ``#sort=KEY`` or ``#sort=-KEY`` in the URL sorts on load (``-``:
descending). Each cell carries its sort value in ``data-v``; ties keep the rank order. The
script reads attributes and moves rows; it never builds HTML from text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mathgym.leaderboards.site.charts import short
from mathgym.leaderboards.site.markup import anchor, esc

#: Config text shown in the agent cell (the whole config is in its title and the JSON).
CONFIG_CHARS = 40

#: (key, header, sort type or None, first click sorts descending?)
COLUMNS: tuple[tuple[str, str, str | None, bool], ...] = (
    ("rank", "rank", "num", False),
    ("agent", "agent", "text", False),
    ("solved", "solved", "num", True),
    ("rate", "rate [95% CI]", "num", True),
    ("budget", "budget", "num", False),
    ("training", "training", "num", True),
    ("seeds", "seeds", "num", True),
    ("date", "date", "text", True),
    ("commit", "commit", "text", False),
    ("json", "submission", None, False),
)

SORT_JS = """
(function () {
  "use strict";
  function value(cell, type) {
    var v = cell.getAttribute("data-v");
    return type === "num" ? parseFloat(v) : v;
  }
  function sortTable(table, col, desc) {
    var heads = table.tHead.rows[0].cells, type = heads[col].getAttribute("data-type");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a.cells[col], type), y = value(b.cells[col], type);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      if (desc) { c = -c; }
      return c || (parseInt(a.getAttribute("data-order"), 10) -
                   parseInt(b.getAttribute("data-order"), 10));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    heads[col].setAttribute("aria-sort", desc ? "descending" : "ascending");
  }
  function fromHash() {
    var m = /(?:^#|&)sort=(-?)([a-z_]+)/.exec(window.location.hash);
    if (!m) { return; }
    document.querySelectorAll("table.sortable").forEach(function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h, i) {
        if (h.getAttribute("data-key") === m[2] && h.hasAttribute("data-type")) {
          sortTable(table, i, m[1] === "-");
        }
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h, i) {
      if (!h.hasAttribute("data-type")) { return; }
      h.tabIndex = 0;
      function go() {
        var now = h.getAttribute("aria-sort");
        var desc = now ? now === "ascending" : h.getAttribute("data-first") === "desc";
        sortTable(table, i, desc);
      }
      h.addEventListener("click", go);
      h.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
    });
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
}());
"""


def grouped(amount: float) -> str:
    """``10,000,000`` (integral) or ``0.5``: long budgets read at a glance."""
    return f"{int(amount):,}" if float(amount).is_integer() else f"{amount:g}"


def _marks(row: dict[str, Any]) -> str:
    out = ""
    if row["reproduced"]:
        out += f' <span class="mark mark-reproduced">reproduced {row["reproduced"]}</span>'
    if row["oracle"]:
        out += ' <span class="mark mark-oracle">oracle</span>'
    if row["stale"]:
        out += ' <span class="mark mark-stale">stale</span>'
    return out


def _agent_cell(row: dict[str, Any]) -> str:
    config = ", ".join(f"{k}={v}" for k, v in sorted(row["config"].items()))
    text = " ".join(f"{row['agent_name']} v{row['agent_version']}".split())
    config = " ".join(config.split())
    cfg = ""
    if config:  # a learner's config runs to hundreds of characters: in full on hover
        cfg = (f' <span class="cfg" title="{esc(config)}">({esc(short(config, CONFIG_CHARS))})'
               "</span>")
    return f"<b>{esc(text)}</b>{cfg}{_marks(row)}"


def _cells(row: dict[str, Any], order: int, json_link: str | None) -> list[tuple[str, str, str]]:
    """(sort value, css class, inner HTML) per column."""
    rate = f"{row['rate']:.3f}"
    if row["ci"]:
        rate += f" [{row['ci'][0]:.3f}, {row['ci'][1]:.3f}]"
    rank = "oracle" if row["rank"] is None else str(row["rank"])
    training = row["training"]
    link = f'<a href="{json_link}">JSON</a>' if json_link else ""
    return [
        (str(row["rank"] if row["rank"] is not None else 10**9 + order), "num", esc(rank)),
        (row["agent"], "", _agent_cell(row)),
        (f"{row['solved']}", "num", esc(f"{row['solved']}/{row['total']}")),
        (repr(float(row["rate"])), "num", esc(rate)),
        (repr(float(row["budget_amount"])), "num", esc(grouped(row["budget_amount"]))),
        ("-1" if training is None else str(training), "num",
         "" if training is None else esc(grouped(training))),
        (str(row["seeds"]), "num", esc(row["seeds"])),
        (row["date"], "", esc(row["date"])),
        (row["commit"], "", f"<code>{esc(row['commit'])}</code>" if row["commit"] else ""),
        ("", "", link),
    ]


def ranking_table(rows: list[dict[str, Any]],
                  json_link: Callable[[dict[str, Any]], str | None]) -> str:
    """The sortable ranking table; ``json_link(row)`` gives the relative link to its file."""
    units = sorted({r["unit"] for r in rows})
    labels = {"budget": f"budget ({', '.join(units)})", "training": "training steps"}
    head = "".join(
        (f'<th data-key="{key}" data-type="{kind}"'
         + (' data-first="desc"' if desc else "") + f">{esc(labels.get(key, label))}</th>")
        if kind else f'<th data-key="{key}">{esc(label)}</th>'
        for key, label, kind, desc in COLUMNS)
    body = []
    for order, row in enumerate(rows):
        cells = "".join(
            f'<td data-v="{esc(v)}"' + (f' class="{cls}"' if cls else "") + f">{inner}</td>"
            for v, cls, inner in _cells(row, order, json_link(row)))
        body.append(f'<tr id="{esc(anchor("row", row["id"]))}" data-id="{esc(row["id"])}" '
                    f'data-order="{order}">{cells}</tr>')
    return ('<div class="scroll"><table class="sortable" id="ranking"><thead><tr>' + head
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")
