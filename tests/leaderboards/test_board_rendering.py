"""Boards are data, rendered safely (issue 10, class 4): names are checked, every field escaped,
no mathtext, registry facts only, and a failed render leaves the board as it was."""

from __future__ import annotations

import copy
import json
import re

import pytest
from board_runs import board_run, write_doc
from mathgym.leaderboards import board, page
from mathgym.leaderboards.submit import SubmissionError, submit


@pytest.fixture()
def real_run() -> dict:
    """The honest ac-greedy run of the ac/quick board (10 instances, 6 solved)."""
    return board_run("ac/quick", "ac-greedy")


def _table_rows(readme: str) -> list[str]:
    return [line for line in readme.splitlines() if line.startswith("| ") and "---" not in line]


HOSTILE_NAMES = [
    "evil|row",                   # the reported one: a fake README row
    "$\\frac{$",                  # the reported one: crashed matplotlib's mathtext
    "Upper-Case",
    "<script>alert(1)</script>",
    "a\nb",
    "x" * 65,
    "",
    "-leading-dash",
    "[link](http://x)",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_bad_agent_names_are_refused_with_the_rule(real_run, tmp_path, name):
    doc = copy.deepcopy(real_run)
    doc["agent"]["name"] = name
    with pytest.raises((SubmissionError, ValueError), match="rule|pattern|agent name"):
        submit(write_doc(tmp_path, doc), root=tmp_path / "boards")
    assert not (tmp_path / "boards").exists()


@pytest.mark.parametrize("version", ["1|2", "$x$", "1\n| fake |", ""])
def test_bad_agent_versions_are_refused(real_run, tmp_path, version):
    doc = copy.deepcopy(real_run)
    doc["agent"]["version"] = version
    with pytest.raises((SubmissionError, ValueError)):
        submit(write_doc(tmp_path, doc), root=tmp_path / "boards")


@pytest.mark.parametrize("name", HOSTILE_NAMES[:5])
def test_a_hostile_stored_file_renders_as_one_escaped_row(real_run, tmp_path, name):
    """Even a file planted on the board by hand (past submit's checks) cannot inject rows,
    markup or mathtext: the README keeps one row per file, the page escapes, plots draw."""
    doc = copy.deepcopy(real_run)
    doc["agent"]["name"] = name
    doc["agent"]["config"] = {"note": "a | b $\\sqrt{$ <b>bold</b> `code`\n| 9 | fake |"}
    doc["submission"] = {"id": "000000000000", "submitted_at": "2026-12-01T00:00:00Z"}
    pages = board.render_board("ac/quick", [doc, copy.deepcopy(real_run) | {
        "submission": {"id": "111111111111", "submitted_at": "2026-12-01T00:00:00Z"}}])
    rows = _table_rows(pages["README.md"])
    assert len(rows) == 3  # header + the two submissions
    assert all(len(re.findall(r"(?<!\\)\|", r)) == len(board.TABLE_HEADER) + 1 for r in rows)
    html = pages["index.html"]
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "$\\sqrt{$ &lt;b&gt;bold&lt;/b&gt;" in html  # shown, as text
    assert "plot not drawn" not in html
    assert html.count("<tr id=") == 2  # one table row per submission


def test_chart_labels_are_escaped_text_never_math(real_run):
    """Charts are inline SVG text (no mathtext parser anywhere): a ``$\\frac{$`` name and a
    ``</svg><script>`` config draw as escaped text in the bars, the legend and the points."""
    from mathgym.leaderboards.site import charts

    doc = copy.deepcopy(real_run) | {"submission": {"id": "1", "submitted_at": "2026-12-01"}}
    doc["agent"]["name"] = "$\\frac{$"
    doc["agent"]["config"] = {"x": "</svg><script>alert(1)</script>"}
    rows = board.ranked_rows([doc])
    for svg in (charts.rate_bars(rows), charts.stratum_bars(rows, "n"),
                charts.budget_scatter(rows)):
        assert "<script>" not in svg and svg.count("</svg>") == 1
        assert "$\\frac{$" in svg and "&lt;/svg&gt;&lt;script&gt;" in svg


def test_markdown_cell_escapes_what_markdown_would_interpret():
    cell = board.markdown_cell("a|b `c` *d* _e_ [f](g) <h> \\ \n next")
    assert "|" not in cell.replace("\\|", "")
    assert "<h>" not in cell and "\n" not in cell
    assert "\\`c\\`" in cell and "\\[f\\]" in cell


def test_edited_num_instances_never_reaches_the_board(real_run, tmp_path):
    doc = copy.deepcopy(real_run)
    doc["benchmark"]["num_instances"] = 99999
    path = submit(write_doc(tmp_path, doc), root=tmp_path / "boards")
    assert json.loads(path.read_text())["benchmark"]["num_instances"] == 10
    readme = (path.parent / "README.md").read_text()
    assert "Instances: 10;" in readme and "99999" not in readme
    planted = json.loads(path.read_text())
    planted["benchmark"]["num_instances"] = 12345  # edited on the board itself
    assert "12345" not in board.render_readme("ac/quick", [planted])


def test_a_failed_render_leaves_the_board_as_it_was(real_run, tmp_path, monkeypatch):
    root = tmp_path / "boards"
    submit(write_doc(tmp_path, real_run), root=root)
    folder = root / "ac" / "quick"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(page, "render_html", broken)
    doc = copy.deepcopy(real_run)
    doc["agent"]["config"]["variant"] = 1  # another run: a new submission id
    with pytest.raises(RuntimeError):
        submit(write_doc(tmp_path, doc, "other.json"), root=root)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before  # no new JSON, README and index.html untouched


def test_a_broken_plot_does_not_break_the_page(real_run, monkeypatch):
    def broken(rows):
        raise ValueError("bad plot")

    from mathgym.leaderboards.site import build

    monkeypatch.setattr(build, "rate_bars", broken)
    doc = copy.deepcopy(real_run) | {"submission": {"id": "1", "submitted_at": "2026-12-01"}}
    html = page.render_html("ac/quick", [doc])
    assert "plot not drawn: ValueError" in html and html.count("<tr id=") == 1


def test_oracles_are_marked_and_kept_out_of_the_ranking(real_run):
    honest = copy.deepcopy(real_run) | {"submission": {"id": "a", "submitted_at": "2026-12-01"}}
    oracle = copy.deepcopy(real_run) | {"submission": {"id": "b", "submitted_at": "2026-12-01",
                                                       "oracle": True}}
    oracle["metrics"] = dict(oracle["metrics"], solve_rate=1.0, solved=10)
    rows = board.ranked_rows([oracle, honest])
    assert [r["rank"] for r in rows] == [1, None]
    assert rows[1]["marks"] == ["oracle"] and rows[0]["marks"] == []
    readme = board.render_readme("ac/quick", [oracle, honest])
    assert "| - |" in readme and "oracle" in readme


def test_reproduced_rows_rank_above_unreproduced_ones(real_run):
    better = copy.deepcopy(real_run) | {"submission": {"id": "a", "submitted_at": "2026-12-01"}}
    better["metrics"] = dict(better["metrics"], solve_rate=0.9)
    checked = copy.deepcopy(real_run) | {"submission": {
        "id": "b", "submitted_at": "2026-12-01", "reproduced": {"records": 5, "seed": 1}}}
    rows = board.ranked_rows([better, checked])
    assert [r["id"] for r in rows] == ["b", "a"]
    assert rows[0]["marks"] == ["reproduced 5"]


def test_learner_rows_show_training_steps_and_a_curve(real_run):
    run = copy.deepcopy(real_run) | {"submission": {"id": "t", "submitted_at": "2026-12-01"}}
    run["training"] = {"learner": "sb3-ppo", "steps": 40000,
                       "curve": [[0, 0], *([[i * 10, i % 7] for i in range(1, 2000)]),
                                 ["x", 1]]}
    (row,) = board.ranked_rows([run])
    assert row["training"] == 40000 and "40000 steps" in board.table_cells(row)
    assert 2 <= len(row["curve"]) <= 401 and row["curve"][-1] == (19990, 1999 % 7)
    html = page.render_html("ac/quick", [run])
    assert '<h2>Training</h2><div class="scroll"><svg' in html
    search = copy.deepcopy(real_run) | {"submission": {"id": "s", "submitted_at": "2026-12-01"}}
    (plain,) = board.ranked_rows([search])
    assert plain["training"] is None and plain["curve"] == []
    assert "<h2>Training</h2>" not in page.render_html("ac/quick", [search])
