"""Build the static site: an index, one page per benchmark, its instance pages, its JSON files.

Layout of ``DIR`` (``mathgym leaderboard --site DIR``)::

    index.html                              every board, by family, with its leader
    <benchmark id>/index.html               the board: table, charts, ranking rule
    <benchmark id>/instances/001.html ...   who solved each instance, and the certificates
    <benchmark id>/submissions/<file>.json  the accepted submission files, byte for byte
    .mathgym-site                           marker: this folder is a site, safe to rebuild

Boards are read from disk at build time (``--root``, default ``leaderboards/``). The site is
rendered in memory first, written into a temporary folder beside ``DIR`` and renamed into
place, so a failed build leaves the previous site whole. The same boards give byte-identical
files: nothing depends on the clock, the machine or dict order. A ``DIR`` that exists must be
empty or a site built before (it carries the marker), so a typo cannot wipe a folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathgym.leaderboards.site.charts import (
    budget_scatter,
    figure,
    rate_bars,
    row_label,
    stratum_bars,
    training_curves,
)
from mathgym.leaderboards.site.instances import InstancePage, instance_pages
from mathgym.leaderboards.site.markup import esc, href, page
from mathgym.leaderboards.site.tables import SORT_JS, ranking_table

MARKER = ".mathgym-site"


class SiteError(ValueError):
    """The site cannot be built where asked (the message says why and what to do)."""


@dataclass(frozen=True)
class SiteReport:
    """What a build wrote: the folder, the number of files and bytes, and the seconds taken."""

    path: Path
    files: int
    bytes: int
    seconds: float


def _facts_html(facts: dict[str, Any] | None, name: str) -> str:
    if not facts:
        return (f"<p><code>{esc(name)}</code> is not a benchmark of this mathgym: every row "
                "is stale.</p>")
    return (f"<p>Version {esc(facts['version'])}; {esc(facts['num_instances'])} instances; "
            f"budget unit <code>{esc(facts['budget_unit'])}</code>; content hash "
            f"<code>{esc(facts['content_hash'])}</code>. Facts from this mathgym's registry, "
            "not from the files.</p>")


def benchmark_page(benchmark_id: str, rows: list[dict[str, Any]], *,
                   json_links: dict[str, str] | None, home: str | None,
                   instances: list[InstancePage] | None = None) -> str:
    """The HTML of one board. ``json_links``: submission id -> relative link to its file
    (None: no links); ``home``: relative link to the site index (None: a board folder's own
    page, outside a site); ``instances``: the instance pages to link to."""
    from mathgym.leaderboards.board import (
        MARKS_NOTE,
        RANKING_RULE,
        STALE_MARK,
        benchmark_facts,
    )

    name = benchmark_id.partition("@")[0]
    crumbs = [("leaderboards", home), (name, None)] if home else []
    body = [f"<h1>Leaderboard: <code>{esc(name)}</code></h1>",
            _facts_html(benchmark_facts(name), name),
            "<p>Every solution was re-verified by the benchmark's verifier and every metric "
            "recomputed at submission. Rate = solved attempts / attempts, with a 95% bootstrap "
            "CI over instances (and seeds when there are several). Click a column header to "
            "sort.</p>"]
    if not rows:
        body.append("<p>No submissions yet.</p>")
        return page(f"mathgym leaderboard: {name}", body, crumbs=crumbs)
    links = json_links or {}
    body.append(ranking_table(rows, lambda r: links.get(r["id"])))
    body.append(f'<p class="note" id="ranking-rule">{esc(RANKING_RULE)}</p>')
    body.append(f'<p class="note">{esc(MARKS_NOTE.replace("`", ""))}</p>')
    if any(r["stale"] for r in rows):
        body.append(f'<p class="note">{esc(STALE_MARK.strip())}: submitted for another '
                    "version or instance set of this benchmark than the current one.</p>")
    body.append(figure("Solve rate", rate_bars, rows))
    strata: list[str] = []
    for r in rows:
        strata += [s for s in r["per_stratum"] if s not in strata]
    body += [figure(f"Per {s}", stratum_bars, rows, s) for s in strata]
    body.append(figure("Budget", budget_scatter, rows))
    body.append(figure("Training", training_curves, rows))
    if instances:
        items = "".join(
            f'<tr><td><a href="instances/{href(p.filename)}">{esc(p.first)} to '
            f'{esc(p.last)}</a></td><td class="num">{p.solved}/{p.count}</td></tr>'
            for p in instances)
        body.append("<h2>Instances and certificates</h2><p>Who solved each instance, and "
                    "the certificates themselves.</p><table><thead><tr><th>instances</th>"
                    "<th>solved by some submission</th></tr></thead><tbody>" + items
                    + "</tbody></table>")
    return page(f"mathgym leaderboard: {name}", body, crumbs=crumbs, script=SORT_JS)


def _index_page(boards: list[tuple[str, list[dict[str, Any]]]]) -> str:
    from mathgym.leaderboards.board import RANKING_RULE, benchmark_facts

    body = ["<h1>mathgym leaderboards</h1>",
            "<p>Every board lists submissions whose certificates were re-verified at "
            "submission. Oracle rows (agents that read reference answers) show that a "
            "benchmark is solvable; they are not ranked.</p>"]
    family = None
    for bench_id, rows in boards:
        fam = bench_id.split("/")[0]
        if fam != family:
            if family is not None:
                body.append("</tbody></table></div>")
            family = fam
            body.append(f"<h2>{esc(fam)}</h2><div class=\"scroll\"><table><thead><tr>"
                        "<th>benchmark</th><th>instances</th><th>submissions</th>"
                        "<th>leader</th><th>solved</th></tr></thead><tbody>")
        facts = benchmark_facts(bench_id)
        leader = next((r for r in rows if r["rank"] == 1), None)
        lead = (f"{esc(row_label(leader))}</td><td class=\"num\">{leader['solved']}/"
                f"{leader['total']}" if leader else "(only oracle rows)</td><td>")
        body.append(f'<tr><td><a href="{href(bench_id, "index.html")}">{esc(bench_id)}</a>'
                    f'</td><td class="num">{esc(facts["num_instances"] if facts else "?")}'
                    f'</td><td class="num">{len(rows)}</td><td>{lead}</td></tr>')
    if family is not None:
        body.append("</tbody></table></div>")
    else:
        body.append("<p>No boards yet.</p>")
    body.append(f'<p class="note">{esc(RANKING_RULE)}</p>')
    return page("mathgym leaderboards", body)


def render_site(root: str | Path | None = None,
                benchmarks: list[str] | None = None) -> dict[str, str | Path]:
    """Every file of the site in memory: relative path -> text, or the Path to copy."""
    from mathgym.leaderboards.board import (
        list_boards,
        load_submission_files,
        ranked_rows,
        registry_benchmark,
    )

    from mathgym.harness.sealed import is_sealed_id

    files: dict[str, str | Path] = {}
    boards = []
    for bench_id in sorted(benchmarks or list_boards(root)):
        loaded = load_submission_files(bench_id, root)
        paths = {str(doc.get("submission", {}).get("id", "")): path for path, doc in loaded}
        rows = ranked_rows([doc for _, doc in loaded])
        bench = None if is_sealed_id(bench_id) else registry_benchmark(bench_id)
        depth = "../" * len(bench_id.split("/"))
        pages, chunks = instance_pages(bench_id, bench, rows, depth) if rows else ({}, [])
        for rel, text in pages.items():
            files[f"{bench_id}/{rel}"] = text
        links = {sid: "submissions/" + href(path.name) for sid, path in paths.items()}
        for path in paths.values():
            files[f"{bench_id}/submissions/{path.name}"] = path
        files[f"{bench_id}/index.html"] = benchmark_page(
            bench_id, rows, json_links=links, home=href(f"{depth}index.html"), instances=chunks)
        boards.append((bench_id, rows))
    files["index.html"] = _index_page(boards)
    files[MARKER] = "folder built by `mathgym leaderboard --site`; rebuilt whole each time\n"
    return files


def _check_target(out: Path, root: str | Path | None) -> None:
    from mathgym.leaderboards.board import DEFAULT_ROOT

    base = Path(root if root is not None else DEFAULT_ROOT).resolve()
    if out.resolve() == base or base in out.resolve().parents:
        raise SiteError(f"{out} is inside the leaderboard root {base}: its copies of the "
                        "submission files would be read back as boards; pass a folder outside "
                        "it (e.g. site/)")
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out} exists and is not a folder; pass a new or empty folder to --site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(f"{out} is not empty and is not a site built by mathgym (no {MARKER} "
                        "file in it); pass a new or empty folder to --site")


def build_site(out: str | Path, root: str | Path | None = None,
               benchmarks: list[str] | None = None) -> SiteReport:
    """Render every board under ``root`` into the static site ``out`` (atomically)."""
    started = time.monotonic()
    out = Path(out).absolute()
    _check_target(out, root)
    files = render_site(root, benchmarks)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    total = 0
    try:
        for rel, content in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_text(content, encoding="utf-8")
            total += target.stat().st_size
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, old)
        try:
            os.rename(tmp, out)
        except OSError:
            if old is not None:
                os.rename(old, out)  # the previous site goes back in place
            raise
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteReport(out, len(files), total, time.monotonic() - started)
