"""The ``index.html`` of a board folder (``leaderboards/<benchmark>/index.html``).

It is the site's board page (:func:`mathgym.leaderboards.site.build.benchmark_page`) rendered
on its own: the same table, charts, marks and ranking rule, with links to the submission files
beside it and no instance pages (those are in the site: ``mathgym leaderboard --site DIR``).
Every text from a submission is escaped there (:func:`~mathgym.leaderboards.site.markup.esc`);
a chart that fails is replaced by a line saying so, so one bad file cannot block a board.
"""

from __future__ import annotations

from typing import Any


def render_html(benchmark_id: str, submissions: list[dict[str, Any]]) -> str:
    """The whole ``index.html`` of a board folder; every field from a submission is escaped."""
    from mathgym.leaderboards.board import ranked_rows, submission_filename
    from mathgym.leaderboards.site.build import benchmark_page
    from mathgym.leaderboards.site.markup import href

    rows = ranked_rows(submissions)
    links = {r["id"]: href(submission_filename(r["doc"])) for r in rows}
    return benchmark_page(benchmark_id, rows, json_links=links, home=None)
