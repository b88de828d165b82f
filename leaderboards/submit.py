"""``mathgym submit RESULTS``: re-verify a results file and add it to its benchmark's board.

Nothing in the file is trusted except as a claim. A submission is accepted only if:

1. it follows the results schema (jsonschema, readable errors);
2. its benchmark id and version are known to this mathgym, and its content hash matches the
   instance set built here (so it was produced on exactly these instances);
3. it covers every instance with every listed seed (leaderboards rank full runs only);
4. every record claimed solved has a certificate that the benchmark's verifier accepts from
   scratch, at a cost within the budget.

Metrics are then recomputed from the verified records (the file's own ``metrics`` are replaced),
the submission is written atomically to ``<root>/<benchmark id>/<date>-<agent>-<id>.json`` and
the board's README.md and index.html are regenerated. Rejections raise :class:`SubmissionError`
whose message names each offending instance and the reason.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

MAX_LISTED = 20


class SubmissionError(ValueError):
    """A results file the leaderboard refuses, with every reason spelled out."""


def _listing(title: str, problems: list[str]) -> str:
    lines = [title, *(f"  - {p}" for p in problems[:MAX_LISTED])]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return "\n".join(lines)


def verify_results(doc: dict[str, Any]) -> dict[str, Any]:
    """Check a (schema-valid) results document against this mathgym; return it re-verified.

    The returned copy has recomputed ``metrics`` and every record's ``solved`` set from the
    verifier. Raises :class:`SubmissionError` on any problem.
    """
    from mathgym.harness.metrics import compute_metrics
    from mathgym.harness.registry import get_benchmark

    head = doc["benchmark"]
    spec = f"{head['id']}@{head['version']}"
    try:
        bench = get_benchmark(spec)
    except ValueError as err:
        raise SubmissionError(f"rejected: {err}") from None
    if head["content_hash"] != bench.content_hash:
        raise SubmissionError(
            f"rejected: content hash mismatch for {spec}: the file says {head['content_hash']}, "
            f"this mathgym's instances hash to {bench.content_hash}; the results were produced "
            "on a different instance set (re-run `mathgym eval` with this version)"
        )
    if doc["budget"]["unit"] != bench.budget_unit:
        raise SubmissionError(
            f"rejected: budget unit {doc['budget']['unit']!r} but {spec} counts "
            f"{bench.budget_unit!r}"
        )
    all_ids = [inst.id for inst in bench.instances]
    missing_inst = sorted(set(all_ids) - set(doc["instances"]))
    unknown = sorted(set(doc["instances"]) - set(all_ids))
    if unknown:
        raise SubmissionError(_listing(
            f"rejected: {len(unknown)} instance id(s) that {spec} does not have:", unknown))
    have = {(r["instance"], r["seed"]) for r in doc["results"]}
    missing = [f"instance {i} seed {s}" for i in all_ids for s in doc["seeds"]
               if (i, s) not in have]
    if missing_inst or missing:
        raise SubmissionError(_listing(
            f"rejected: incomplete run: {len(missing)} of {len(all_ids) * len(doc['seeds'])} "
            "(instance, seed) records are missing; leaderboards rank full runs only "
            "(drop --limit/--instances and finish with --resume):", missing))
    budget = float(doc["budget"]["amount"])
    problems = []
    verified = []
    for rec in doc["results"]:
        rec = dict(rec)
        if rec["solved"]:
            where = f"instance {rec['instance']} seed {rec['seed']}"
            verdict = bench.check(bench.instance(rec["instance"]), rec["certificate"])
            if not verdict.ok:
                problems.append(f"{where}: certificate rejected: {verdict.reason}")
            elif float(rec["cost"]) > budget:
                problems.append(f"{where}: cost {rec['cost']:g} exceeds budget {budget:g}")
        verified.append(rec)
    if problems:
        raise SubmissionError(_listing(
            f"rejected: {len(problems)} claimed solution(s) fail verification:", problems))
    out = dict(doc)
    out["results"] = verified
    out["metrics"] = compute_metrics(verified, bench.instances, doc["seeds"], bench.strata)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-") or "agent"


def submit(
    results_path: str | Path, root: str | Path | None = None, now: str | None = None
) -> Path:
    """Validate, re-verify and store a results file; regenerate the board. Returns the new file."""
    from mathgym.leaderboards.board import board_dir, regenerate

    from mathgym.harness.environment import utc_now
    from mathgym.harness.results import (
        ResultsError,
        atomic_write_text,
        canonical_submission_id,
        dumps,
        read_results,
        validate_results,
    )

    try:
        doc = read_results(results_path)
    except ResultsError as err:
        raise SubmissionError(f"rejected: {err}") from None
    checked = verify_results(doc)
    claimed = doc["metrics"].get("solved")
    sub_id = canonical_submission_id(checked)
    folder = board_dir(checked["benchmark"]["id"], root)
    for existing in folder.glob(f"*-{sub_id}.json"):
        raise SubmissionError(f"rejected: this run is already on the board as {existing}")
    submitted_at = now or utc_now()
    checked["submission"] = {
        "id": sub_id,
        "submitted_at": submitted_at,
        "source": str(results_path),
        "verified_solutions": checked["metrics"]["solved"],
        "claimed_solved_in_file": claimed,
    }
    validate_results(checked, source="submission")
    name = f"{submitted_at[:10]}-{_slug(checked['agent']['name'])}-{sub_id}.json"
    path = folder / name
    atomic_write_text(path, dumps(checked))
    regenerate(checked["benchmark"]["id"], root)
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results.json (or the --out folder of `mathgym eval`)")
    parser.add_argument("--root", default=None, help="leaderboard root (default: leaderboards/)")


def run(args: argparse.Namespace) -> int:
    from mathgym.leaderboards.board import format_table, load_submissions, ranked_rows

    try:
        path = submit(args.results, args.root)
    except SubmissionError as err:
        print(str(err), file=sys.stderr)
        return 1
    import json

    bench_id = json.loads(path.read_text())["benchmark"]["id"]
    print(f"accepted: {path}")
    print(format_table(ranked_rows(load_submissions(bench_id, args.root))))
    return 0
