"""Leaderboards: read a benchmark's accepted submissions, rank them, render README.md and print.

Layout under the leaderboard root (default: this ``leaderboards/`` folder; ``--root`` elsewhere)::

    <root>/<benchmark id>/<submission>.json   one accepted, re-verified results file each
    <root>/<benchmark id>/README.md           generated table (rank, agent, solved, rate, ...)
    <root>/<benchmark id>/index.html          generated page with charts (see ``page.py``)

``mathgym leaderboard --site DIR`` builds a browsable static site of every board (one page per
benchmark, an index, per-instance certificates): see ``leaderboards/site/``.

Ranking: rows whose records were re-run by ``mathgym submit --reproduce K`` (marked
``reproduced K``) rank above rows that were not; within each group, solve rate (descending),
then budget (ascending: the same rate on less budget ranks higher), then submission date, then
submission id. Rows of agents that read privileged data (``privileged = True`` on the agent class,
the oracles; marked ``oracle``) are listed after the ranking, unranked: they show that a
benchmark is solvable and that its verifier accepts the reference answers, not how well an
agent does.

Everything rendered is data: every field from a submission is escaped for Markdown and HTML,
and plot labels never go through matplotlib's mathtext. The benchmark facts on the board
(instances, content hash, budget unit) come from this mathgym's registry, not from the files.

``mathgym leaderboard [BENCHMARK] [--root DIR]`` prints the table(s) in the terminal.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(__file__).resolve().parent


def format_amount(amount: float) -> str:
    """Budget amounts as plain integers when integral (1000000, not 1e+06)."""
    return str(int(amount)) if float(amount).is_integer() else f"{amount:g}"


def agent_label(agent: dict[str, Any]) -> str:
    """``name vVERSION`` plus its config when it has one: ``ac-beam v1 (width=8)`` (raw text)."""
    label = f"{agent['name']} v{agent['version']}"
    if agent.get("config"):
        label += " (" + ", ".join(f"{k}={v}" for k, v in sorted(agent["config"].items())) + ")"
    return " ".join(label.split())  # no newlines or tabs from a config value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#!])")


def markdown_cell(text: Any) -> str:
    """``text`` as literal Markdown table-cell content: no row breaks, links, code or HTML."""
    flat = " ".join(str(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def board_dir(benchmark_id: str, root: str | Path | None = None) -> Path:
    """Folder of a benchmark's board, e.g. ``<root>/ac/ms1190``."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    name = benchmark_id.partition("@")[0]
    if not name or ".." in name.split("/") or name.startswith("/"):
        raise ValueError(f"invalid benchmark id for a leaderboard folder: {benchmark_id!r}")
    return base.joinpath(*name.split("/"))


def submission_filename(doc: dict[str, Any]) -> str:
    """File name of an accepted submission on its board: ``<date>-<agent slug>-<id>.json``."""
    sub = doc.get("submission", {})
    slug = re.sub(r"[^a-z0-9_.-]+", "-", str(doc["agent"]["name"]).lower()).strip("-")
    return f"{str(sub.get('submitted_at', ''))[:10]}-{slug or 'agent'}-{sub.get('id', '')}.json"


def list_boards(root: str | Path | None = None) -> list[str]:
    """Benchmark ids that have at least one submission under ``root``, sorted."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    ids = set()
    for path in base.rglob("*.json"):
        rel = path.parent.relative_to(base)
        if len(rel.parts) >= 2 and not path.name.startswith("."):
            ids.add("/".join(rel.parts))
    return sorted(ids)


def load_submission_files(benchmark_id: str,
                          root: str | Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """``(path, submission)`` of each accepted submission of a benchmark, sorted by file name
    (each validated against the results schema); the site links each row to its file."""
    from mathgym.harness.results import read_results

    folder = board_dir(benchmark_id, root)
    if not folder.is_dir():
        return []
    return [(p, read_results(p)) for p in sorted(folder.glob("*.json"))
            if not p.name.startswith(".")]


def load_submissions(benchmark_id: str, root: str | Path | None = None) -> list[dict[str, Any]]:
    """Accepted submissions of a benchmark (each validated against the results schema)."""
    return [doc for _, doc in load_submission_files(benchmark_id, root)]


def is_oracle(doc: dict[str, Any]) -> bool:
    """Whether a submission's agent read privileged data (marked at submit, or by its class)."""
    from mathgym.leaderboards.submit import is_privileged_agent

    return (bool(doc.get("submission", {}).get("oracle")) or bool(doc["agent"].get("oracle"))
            or is_privileged_agent(str(doc["agent"]["name"])))


def training_steps(doc: dict[str, Any]) -> int | None:
    """Training env steps behind a row: a ``mathgym train`` run's ``training.steps``, or the
    ``training_steps`` a trained agent reports per attempt (``sb3``); None for non-learners."""
    from mathgym.leaderboards.claims import is_finite_number

    block = doc.get("training")
    if isinstance(block, dict) and is_finite_number(block.get("steps")):
        return int(block["steps"])
    for rec in doc["results"]:
        value = (rec.get("info") or {}).get("training_steps")
        if is_finite_number(value):
            return int(value)
    return None


def training_curve(doc: dict[str, Any], max_points: int = 400) -> list[tuple[int, int]]:
    """``[(steps, solved), ...]`` of a ``mathgym train`` run (thinned to ``max_points``)."""
    from mathgym.leaderboards.claims import is_finite_number

    block = doc.get("training")
    raw = block.get("curve") if isinstance(block, dict) else None
    if not isinstance(raw, list):
        return []
    points = [(int(p[0]), int(p[1])) for p in raw
              if isinstance(p, list) and len(p) == 2 and all(is_finite_number(v) for v in p)]
    step = max(1, -(-len(points) // max_points))
    return points[::step] + (points[-1:] if points and (len(points) - 1) % step else [])


def reproduced_records(doc: dict[str, Any]) -> int:
    """How many records ``submit --reproduce`` re-ran for this submission (0: none)."""
    rep = doc.get("submission", {}).get("reproduced")
    return int(rep.get("records", 0)) if isinstance(rep, dict) else 0


#: The ranking rule, in words, exactly as :func:`_rank_key` sorts: shown on every board page.
RANKING_RULE = (
    "Ranking: rows marked reproduced rank above rows that were not reproduced; within each "
    "group, by solve rate (higher first); equal solve rates are broken by budget (the smaller "
    "budget ranks higher), then by submission time (the earlier submission ranks higher), then "
    "by submission id (in alphabetical order). Oracle rows are listed after the ranking, "
    "unranked, in the same order."
)


def _rank_key(doc: dict[str, Any], reproduced_first: bool = True) -> tuple:
    """Sort key of :data:`RANKING_RULE` (keep the two in step: a test checks they agree)."""
    sub = doc.get("submission", {})
    return (
        is_oracle(doc),
        reproduced_first and reproduced_records(doc) == 0,
        -doc["metrics"]["solve_rate"],
        doc["budget"]["amount"],
        sub.get("submitted_at", ""),
        sub.get("id", ""),
    )


STALE_MARK = " [stale]"


def registry_benchmark(benchmark_id: str) -> Any:
    """This mathgym's benchmark of that id (a sealed split drawn with a dummy seed: its
    version and size are the facts a board shows, its instances are secret); None if unknown."""
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.sealed import is_sealed_id, sealed_factories

    name = benchmark_id.partition("@")[0]
    try:
        if is_sealed_id(name):
            return sealed_factories()[name](0)
        return get_benchmark(name)
    except Exception:  # unknown here, or its family is broken: every row is flagged stale
        return None


def current_identity(benchmark_id: str) -> tuple[int, str | None] | None:
    """(version, content hash) of the benchmark in this mathgym; None if it cannot be built.

    A sealed split's content hash depends on its secret, so only its version is compared.
    """
    from mathgym.harness.sealed import is_sealed_id

    bench = registry_benchmark(benchmark_id)
    if bench is None:
        return None
    return bench.version, None if is_sealed_id(bench.id) else bench.content_hash


def is_stale(doc: dict[str, Any]) -> bool:
    """True when the submission's benchmark version or instance set is not the current one."""
    head = doc["benchmark"]
    current = current_identity(head["id"])
    if current is None:
        return True
    version, content_hash = current
    return head["version"] != version or (content_hash is not None
                                          and head["content_hash"] != content_hash)


def ranked_rows(submissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One display row per submission, in rank order (oracles last, with ``rank`` None).

    Stale rows are marked ``[stale]``; ``marks`` lists ``reproduced K`` and ``oracle``.
    """
    rows = []
    rank = 0
    for doc in sorted(submissions, key=_rank_key):
        stale = is_stale(doc)
        oracle = is_oracle(doc)
        reproduced = reproduced_records(doc)
        if not oracle:
            rank += 1
        m = doc["metrics"]
        ci = m.get("solve_rate_ci95")
        sub = doc.get("submission", {})
        marks = ([f"reproduced {reproduced}"] if reproduced else []) + (
            ["oracle"] if oracle else [])
        git = (doc.get("environment") or {}).get("git") or {}
        commit = str(git.get("commit") or "")[:12]
        rows.append({
            "rank": None if oracle else rank,
            "agent": agent_label(doc["agent"]) + (STALE_MARK if stale else ""),
            "stale": stale,
            "oracle": oracle,
            "reproduced": reproduced,
            "marks": marks,
            "config": doc["agent"]["config"],
            "solved": m["solved"],
            "total": m["num_records"],
            "rate": m["solve_rate"],
            "ci": ci,
            "budget": f"{format_amount(doc['budget']['amount'])} {doc['budget']['unit']}",
            "budget_amount": doc["budget"]["amount"],
            "seeds": len(doc["seeds"]),
            "training": training_steps(doc),
            "curve": training_curve(doc),
            "date": str(sub.get("submitted_at", ""))[:10],
            "id": str(sub.get("id", "")),
            "per_stratum": m.get("per_stratum", {}),
            "agent_name": doc["agent"]["name"],
            "agent_version": str(doc["agent"]["version"]),
            "unit": str(doc["budget"]["unit"]),
            "commit": commit + ("+dirty" if commit and git.get("dirty") else ""),
            "doc": doc,
        })
    return rows


def _rate_text(row: dict[str, Any]) -> str:
    if row["ci"]:
        lo, hi = row["ci"]
        return f"{row['rate']:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{row['rate']:.3f}"


TABLE_HEADER = ("rank", "agent", "solved/total", "rate [95% CI]", "budget", "training", "seeds",
                "marks", "date")


def table_cells(row: dict[str, Any]) -> list[str]:
    """The raw (unescaped) text of a row's cells, in :data:`TABLE_HEADER` order."""
    return ["-" if row["rank"] is None else str(row["rank"]), row["agent"],
            f"{row['solved']}/{row['total']}", _rate_text(row), row["budget"],
            "" if row["training"] is None else f"{row['training']} steps",
            str(row["seeds"]), ", ".join(row["marks"]), row["date"]]


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The ranking as a Markdown table (every cell escaped) or an aligned plain-text table."""
    header = list(TABLE_HEADER)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(markdown_cell(c) for c in table_cells(r)) + " |"
                  for r in rows]
        return "\n".join(lines)
    body = [[" ".join(c.split()) for c in table_cells(r)] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), *(fmt.format(*cells) for cells in body)])


def benchmark_facts(benchmark_id: str) -> dict[str, Any] | None:
    """The registry's header of a benchmark (``Benchmark.summary()``); None if unknown here.

    For a sealed split the content hash is left out: it differs per secret.
    """
    bench = registry_benchmark(benchmark_id)
    if bench is None:
        return None
    facts = bench.summary()
    if current_identity(bench.id)[1] is None:
        facts["content_hash"] = "(sealed: one per secret)"
    return facts


MARKS_NOTE = (
    "Marks: `reproduced K`: `mathgym submit --reproduce K` re-ran K randomly drawn records with "
    "the recorded agent, config and budget and got the identical certificates and costs; such "
    "rows rank above rows that were not reproduced. `oracle`: the agent reads privileged data "
    "(reference answers, known paths); listed unranked, after the ranking. `training`: env "
    "steps a learner trained for (its own claim; the solutions are verified, the steps are not)."
)


def render_readme(benchmark_id: str, submissions: list[dict[str, Any]]) -> str:
    """README.md of a board (deterministic: generated from the submissions and the registry)."""
    rows = ranked_rows(submissions)
    name = benchmark_id.partition("@")[0]
    facts = benchmark_facts(name)
    lines = [
        f"# Leaderboard: `{name}`" + (f" (version {facts['version']})" if facts else ""),
        "",
        "Generated by `mathgym submit` from the JSON files in this folder; do not edit by hand.",
        "Every solution counted here was re-verified with the benchmark's verifier and every",
        "metric recomputed at submission. Rate = solved attempts / attempts, with a 95% bootstrap",
        "CI over instances (and seeds when there are several).",
        "",
    ]
    if facts:
        lines += [f"Instances: {facts['num_instances']}; content hash `{facts['content_hash']}`; "
                  f"budget unit: {facts['budget_unit']}.", ""]
    else:
        lines += [f"`{name}` is not a benchmark of this mathgym: every row is stale.", ""]
    lines += [format_table(rows, markdown=True) if rows else "_No submissions yet._", ""]
    if rows:
        lines += [RANKING_RULE, "", MARKS_NOTE, ""]
    if any(r["stale"] for r in rows):
        lines += [f"`{STALE_MARK.strip()}`: submitted for another version or instance set of "
                  "this benchmark than the current one; re-run and resubmit to compare.", ""]
    lines += ["Charts and links to the submission files: [index.html](index.html); the whole "
              "site, with every certificate: `mathgym leaderboard --site DIR`.", ""]
    return "\n".join(lines)


def render_board(benchmark_id: str, submissions: list[dict[str, Any]]) -> dict[str, str]:
    """``{"README.md": ..., "index.html": ...}`` of a board, rendered in memory."""
    from mathgym.leaderboards.page import render_html

    return {"README.md": render_readme(benchmark_id, submissions),
            "index.html": render_html(benchmark_id, submissions)}


def regenerate(benchmark_id: str, root: str | Path | None = None) -> Path:
    """Rewrite README.md and index.html of a board from its submissions; returns the folder.

    Both pages are rendered before either is written, so a failure leaves the folder as it was.
    """
    from mathgym.harness.results import atomic_write_text

    folder = board_dir(benchmark_id, root)
    pages = render_board(benchmark_id, load_submissions(benchmark_id, root))
    for filename, text in pages.items():
        atomic_write_text(folder / filename, text)
    return folder


def unknown_board_message(benchmark_id: str, root: str | Path | None = None) -> str | None:
    """Why ``benchmark_id`` names neither a benchmark of this mathgym nor a board folder
    (with the closest ids), or None when it names one: a typo must not read as an empty board."""
    import difflib

    from mathgym.harness.registry import list_benchmarks
    from mathgym.harness.sealed import sealed_factories

    known = sorted({*list_benchmarks(), *sealed_factories(), *list_boards(root)})
    try:
        if benchmark_id in known or board_dir(benchmark_id, root).is_dir():
            return None
    except ValueError as err:
        return str(err)
    close = difflib.get_close_matches(benchmark_id, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
    return (f"unknown benchmark {benchmark_id!r}: no such benchmark and no board under "
            f"{root or DEFAULT_ROOT}; {hint} (`mathgym benchmarks` lists them)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("benchmark", nargs="?", help="benchmark id (default: every board)")
    parser.add_argument("--root", default=None, help="leaderboard root (default: leaderboards/)")
    parser.add_argument("--site", default=None, metavar="DIR",
                        help="build the static site (index, a page per benchmark, instance "
                             "pages with certificates) into DIR instead of printing")


def build_site_command(args: argparse.Namespace, ids: list[str]) -> int:
    """``--site DIR``: build the site of ``ids`` and print where it is, its size and time."""
    from mathgym.leaderboards.site import SiteError, build_site

    from mathgym.harness.results import ResultsError

    try:
        report = build_site(args.site, args.root, ids or None)
    except (SiteError, ResultsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"site: {report.path / 'index.html'} ({report.files} files, "
          f"{report.bytes / 1e6:.1f} MB, built in {report.seconds:.1f}s)")
    return 0


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.results import ResultsError

    ids = [args.benchmark.partition("@")[0]] if args.benchmark else list_boards(args.root)
    if args.benchmark and (message := unknown_board_message(ids[0], args.root)):
        print(f"error: {message}", file=sys.stderr)
        return 2
    if args.site:
        return build_site_command(args, ids if args.benchmark else [])
    if not ids:
        print(f"no leaderboards under {args.root or DEFAULT_ROOT}")
        return 0
    status = 0
    for bench_id in ids:
        try:
            subs = load_submissions(bench_id, args.root)
        except (ResultsError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        print(f"== {bench_id} ({len(subs)} submission(s))")
        print(format_table(ranked_rows(subs)) if subs else "no submissions")
        print()
    return status
