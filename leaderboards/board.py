"""Leaderboards: read a benchmark's accepted submissions, rank them, render README.md and print.

Layout under the leaderboard root (default: this ``leaderboards/`` folder; ``--root`` elsewhere)::

    <root>/<benchmark id>/<submission>.json   one accepted, re-verified results file each
    <root>/<benchmark id>/README.md           generated table (rank, agent, solved, rate, ...)
    <root>/<benchmark id>/index.html          generated page with plots (see ``page.py``)

Ranking: solve rate (descending), then budget (ascending: the same rate on less budget ranks
higher), then submission date, then submission id.

``mathgym leaderboard [BENCHMARK] [--root DIR]`` prints the table(s) in the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(__file__).resolve().parent


def format_amount(amount: float) -> str:
    """Budget amounts as plain integers when integral (1000000, not 1e+06)."""
    return str(int(amount)) if float(amount).is_integer() else f"{amount:g}"


def agent_label(agent: dict[str, Any]) -> str:
    """``name vVERSION`` plus its config when it has one: ``ac-beam v1 (width=8)``."""
    label = f"{agent['name']} v{agent['version']}"
    if agent.get("config"):
        label += " (" + ", ".join(f"{k}={v}" for k, v in sorted(agent["config"].items())) + ")"
    return label


def board_dir(benchmark_id: str, root: str | Path | None = None) -> Path:
    """Folder of a benchmark's board, e.g. ``<root>/ac/ms1190``."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    name = benchmark_id.partition("@")[0]
    if not name or ".." in name.split("/") or name.startswith("/"):
        raise ValueError(f"invalid benchmark id for a leaderboard folder: {benchmark_id!r}")
    return base.joinpath(*name.split("/"))


def list_boards(root: str | Path | None = None) -> list[str]:
    """Benchmark ids that have at least one submission under ``root``, sorted."""
    base = Path(root) if root is not None else DEFAULT_ROOT
    ids = set()
    for path in base.rglob("*.json"):
        rel = path.parent.relative_to(base)
        if len(rel.parts) >= 2 and not path.name.startswith("."):
            ids.add("/".join(rel.parts))
    return sorted(ids)


def load_submissions(benchmark_id: str, root: str | Path | None = None) -> list[dict[str, Any]]:
    """Accepted submissions of a benchmark (each validated against the results schema)."""
    from mathgym.harness.results import read_results

    folder = board_dir(benchmark_id, root)
    if not folder.is_dir():
        return []
    return [read_results(p) for p in sorted(folder.glob("*.json")) if not p.name.startswith(".")]


def _rank_key(doc: dict[str, Any]) -> tuple:
    sub = doc.get("submission", {})
    return (
        -doc["metrics"]["solve_rate"],
        doc["budget"]["amount"],
        sub.get("submitted_at", ""),
        sub.get("id", ""),
    )


STALE_MARK = " [stale]"


def current_identity(benchmark_id: str) -> tuple[int, str] | None:
    """(version, content hash) of the benchmark in this mathgym; None if it cannot be built."""
    from mathgym.harness.registry import get_benchmark

    try:
        bench = get_benchmark(benchmark_id)
    except Exception:  # unknown here, or its family is broken: every row is flagged stale
        return None
    return bench.version, bench.content_hash


def is_stale(doc: dict[str, Any]) -> bool:
    """True when the submission's benchmark version or instance set is not the current one."""
    head = doc["benchmark"]
    return current_identity(head["id"]) != (head["version"], head["content_hash"])


def ranked_rows(submissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One display row per submission, in rank order; stale ones are marked ``[stale]``."""
    rows = []
    for rank, doc in enumerate(sorted(submissions, key=_rank_key), start=1):
        stale = is_stale(doc)
        m = doc["metrics"]
        ci = m.get("solve_rate_ci95")
        sub = doc.get("submission", {})
        rows.append({
            "rank": rank,
            "agent": agent_label(doc["agent"]) + (STALE_MARK if stale else ""),
            "stale": stale,
            "config": doc["agent"]["config"],
            "solved": m["solved"],
            "total": m["num_records"],
            "rate": m["solve_rate"],
            "ci": ci,
            "budget": f"{format_amount(doc['budget']['amount'])} {doc['budget']['unit']}",
            "budget_amount": doc["budget"]["amount"],
            "seeds": len(doc["seeds"]),
            "date": sub.get("submitted_at", "")[:10],
            "id": sub.get("id", ""),
            "per_stratum": m.get("per_stratum", {}),
            "agent_name": doc["agent"]["name"],
        })
    return rows


def _rate_text(row: dict[str, Any]) -> str:
    if row["ci"]:
        lo, hi = row["ci"]
        return f"{row['rate']:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{row['rate']:.3f}"


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The ranking as a Markdown table or an aligned plain-text table."""
    header = ["rank", "agent", "solved/total", "rate [95% CI]", "budget", "seeds", "date"]
    body = [
        [str(r["rank"]), r["agent"], f"{r['solved']}/{r['total']}", _rate_text(r), r["budget"],
         str(r["seeds"]), r["date"]]
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), *(fmt.format(*cells) for cells in body)])


def render_readme(benchmark_id: str, submissions: list[dict[str, Any]]) -> str:
    """README.md of a board (deterministic: generated from the submissions only)."""
    rows = ranked_rows(submissions)
    head = submissions[0]["benchmark"] if submissions else {"id": benchmark_id}
    lines = [
        f"# Leaderboard: `{head['id']}`" + (f" (version {head['version']})" if "version" in head
                                             else ""),
        "",
        "Generated by `mathgym submit` from the JSON files in this folder; do not edit by hand.",
        "Every solution counted here was re-verified with the benchmark's verifier and every",
        "metric recomputed at submission. Rate = solved attempts / attempts, with a 95% bootstrap",
        "CI over instances (and seeds when there are several).",
        "",
    ]
    if "content_hash" in head:
        lines += [f"Instances: {head['num_instances']}; content hash `{head['content_hash']}`; "
                  f"budget unit: {head['budget_unit']}.", ""]
    lines += [format_table(rows, markdown=True) if rows else "_No submissions yet._", ""]
    if any(r["stale"] for r in rows):
        lines += [f"`{STALE_MARK.strip()}`: submitted for another version or instance set of "
                  "this benchmark than the current one; re-run and resubmit to compare.", ""]
    lines += ["Plots: [index.html](index.html).", ""]
    return "\n".join(lines)


def regenerate(benchmark_id: str, root: str | Path | None = None) -> Path:
    """Rewrite README.md and index.html of a board from its submissions; returns the folder."""
    from mathgym.leaderboards.page import render_html

    from mathgym.harness.results import atomic_write_text

    folder = board_dir(benchmark_id, root)
    subs = load_submissions(benchmark_id, root)
    atomic_write_text(folder / "README.md", render_readme(benchmark_id, subs))
    atomic_write_text(folder / "index.html", render_html(benchmark_id, subs))
    return folder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("benchmark", nargs="?", help="benchmark id (default: every board)")
    parser.add_argument("--root", default=None, help="leaderboard root (default: leaderboards/)")


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.results import ResultsError

    ids = [args.benchmark.partition("@")[0]] if args.benchmark else list_boards(args.root)
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
