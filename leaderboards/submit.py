"""``mathgym submit RESULTS``: re-verify a results file and add it to its benchmark's board.

Nothing in the file is trusted except as a claim. A submission is accepted only if:

1. it is at most :data:`MAX_SUBMISSION_BYTES`, strict JSON, and follows the results schema
   (jsonschema, readable errors); its agent name matches :data:`AGENT_NAME_RULE`;
2. its benchmark id and version are known to this mathgym, and its content hash matches the
   instance set built here (so it was produced on exactly these instances);
3. it covers every instance with every listed seed, each seed once (leaderboards rank full
   runs only);
4. its budget and every cost are possible (:mod:`mathgym.leaderboards.claims`: finite, whole
   numbers for counted units, within the budget, and no less than the benchmark's ``min_cost``
   of the certificate);
5. every record claimed solved has a certificate that the benchmark's verifier accepts from
   scratch within :data:`CHECK_SECONDS` of wall-clock time per certificate;
6. with ``--reproduce K``, K records drawn at random re-run to the identical certificate, cost
   and verdict (:mod:`mathgym.leaderboards.reproduce`). A run already on the board may be
   submitted again with ``--reproduce K``: its row is kept and marked reproduced.

Metrics are recomputed from the verified records (the file's own ``metrics`` are replaced), and
the benchmark facts (instance count, budget unit, strata) are taken from this mathgym's
registry, never from the file. The board (README.md, index.html) is rendered with the new
submission in memory first; only if that succeeds are the board files written, and the
submission's JSON last, so a failure leaves the folder as it was. Rejections raise
:class:`SubmissionError` whose message names each offending instance and the reason.

Agents that read privileged data (``privileged = True`` on the agent class: the oracles) are
accepted, marked ``oracle`` and kept out of the ranking.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

MAX_LISTED = 20
#: Largest results file ``submit`` reads; checked before parsing.
MAX_SUBMISSION_BYTES = 64 * 1024 * 1024
#: Wall-clock seconds one certificate check may take (``--check-seconds``).
CHECK_SECONDS = 10.0
#: Agent names on a board: lower case letters, digits, ``_ . -``; 1 to 64 characters.
AGENT_NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: Agent versions: letters, digits, ``_ . + -``; 1 to 32 characters.
AGENT_VERSION_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,31}$")


class SubmissionError(ValueError):
    """A results file the leaderboard refuses, with every reason spelled out."""


def _listing(title: str, problems: list[str]) -> str:
    lines = [title, *(f"  - {p}" for p in problems[:MAX_LISTED])]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return "\n".join(lines)


def check_agent_identity(agent: dict[str, Any]) -> None:
    """Refuse agent names and versions that do not follow the board's rules."""
    name, version = agent.get("name"), agent.get("version")
    if not isinstance(name, str) or not AGENT_NAME_RULE.match(name):
        raise SubmissionError(
            f"rejected: agent name {name!r} breaks the rule: 1-64 characters of lower case "
            "letters, digits, '_', '.', '-', starting with a letter or digit "
            f"({AGENT_NAME_RULE.pattern})"
        )
    if not isinstance(version, str) or not AGENT_VERSION_RULE.match(version):
        raise SubmissionError(
            f"rejected: agent version {version!r} breaks the rule: 1-32 characters of letters, "
            f"digits, '_', '.', '+', '-' ({AGENT_VERSION_RULE.pattern})"
        )


def is_privileged_agent(name: str) -> bool:
    """Whether the registered agent ``name`` declares ``privileged = True`` (an oracle)."""
    from mathgym.harness.registry import agent_classes

    cls = agent_classes().get(name)
    return bool(getattr(cls, "privileged", False))


def _check_certificate(bench: Any, instance: Any, certificate: Any, seconds: float) -> Any:
    from mathgym.leaderboards.time_limit import CheckTimeout, call_with_time_limit

    from mathgym.harness.benchmark import Verdict

    try:
        return call_with_time_limit(lambda: bench.check(instance, certificate), seconds)
    except CheckTimeout as err:
        return Verdict(False, str(err))


def _benchmark_for(doc: dict[str, Any], sealed_secret: bytes | None) -> Any:
    """The benchmark a results file claims, built here; a sealed split only from its secret.

    A sealed run (``benchmark.sealed.secret_sha256``) can be verified only by someone holding
    the secret whose SHA-256 it carries (``mathgym submit --sealed-secret FILE``).
    """
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.sealed import SealedError, sealed_benchmark, secret_matches

    head = doc["benchmark"]
    spec = f"{head['id']}@{head['version']}"
    sealed = head.get("sealed")
    if sealed is None:
        if sealed_secret is not None:
            raise SubmissionError(f"rejected: --sealed-secret given, but {spec} is not a sealed "
                                  "run")
        try:
            return get_benchmark(spec)
        except ValueError as err:
            raise SubmissionError(f"rejected: {err}") from None
    if sealed_secret is None:
        raise SubmissionError(
            f"rejected: {spec} is a sealed run; only the holder of its secret can verify it "
            "(mathgym submit --sealed-secret FILE)")
    commitment = sealed.get("secret_sha256") if isinstance(sealed, dict) else None
    if not isinstance(commitment, str) or not secret_matches(sealed_secret, commitment):
        raise SubmissionError(f"rejected: the --sealed-secret does not match the secret this "
                              f"run of {spec} was drawn with (its sha256 differs)")
    if doc["env"].get("kwargs"):
        raise SubmissionError("rejected: a sealed run stores no env kwargs (they would reveal "
                              "the problems' seeds); this file has some")
    try:
        return sealed_benchmark(spec, sealed_secret)
    except SealedError as err:
        raise SubmissionError(f"rejected: {err}") from None


def verify_results(
    doc: dict[str, Any], check_seconds: float = CHECK_SECONDS,
    sealed_secret: bytes | None = None,
) -> dict[str, Any]:
    """Check a (schema-valid) results document against this mathgym; return it re-verified.

    The returned copy has recomputed ``metrics``, the registry's benchmark facts, and every
    record's ``solved`` set from the verifier. ``sealed_secret`` is needed (and only accepted)
    for a sealed run. Raises :class:`SubmissionError` on any problem.
    """
    from mathgym.leaderboards.claims import budget_problems, cost_problems

    from mathgym.harness.metrics import compute_metrics

    check_agent_identity(doc["agent"])
    head = doc["benchmark"]
    spec = f"{head['id']}@{head['version']}"
    bench = _benchmark_for(doc, sealed_secret)
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
    bad_budget = budget_problems(doc["budget"]["amount"], bench.budget_unit)
    if bad_budget:
        raise SubmissionError(f"rejected: {bad_budget[0]}")
    if len(set(doc["seeds"])) != len(doc["seeds"]):
        raise SubmissionError(f"rejected: seeds {doc['seeds']} list a seed more than once; each "
                              "seed is one independent run of every instance")
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
    extra = sorted({f"instance {r['instance']} seed {r['seed']}" for r in doc["results"]
                    if r["seed"] not in set(doc["seeds"])})
    if extra:
        raise SubmissionError(_listing(
            f"rejected: {len(extra)} record(s) for seeds the file does not list:", extra))
    budget = float(doc["budget"]["amount"])
    overshoot = float(getattr(bench, "budget_overshoot", 0) or 0)
    problems: list[str] = []
    verified = []
    for rec in doc["results"]:
        rec = dict(rec)
        instance = bench.instance(rec["instance"])
        floor = None
        if rec["solved"]:
            try:
                floor = bench.cost_floor(instance, rec["certificate"])
            except ValueError as err:  # a malformed certificate has no cost bound
                problems.append(f"instance {rec['instance']} seed {rec['seed']}: {err}")
        found = cost_problems(rec, budget, overshoot, floor)
        problems += found
        if rec["solved"] and not found:
            verdict = _check_certificate(bench, instance, rec["certificate"], check_seconds)
            if not verdict.ok:
                problems.append(f"instance {rec['instance']} seed {rec['seed']}: certificate "
                                f"rejected: {verdict.reason}")
        verified.append(rec)
    if problems:
        raise SubmissionError(_listing(
            f"rejected: {len(problems)} record(s) fail verification:", problems))
    out = dict(doc)
    out["benchmark"] = bench.summary()
    if head.get("sealed") is not None:
        out["benchmark"]["sealed"] = dict(head["sealed"])
    out["results"] = verified
    out["metrics"] = compute_metrics(verified, bench.instances, doc["seeds"], bench.strata)
    return out


def read_submission(results_path: str | Path) -> dict[str, Any]:
    """Read a results file for submission: size cap first, then strict JSON and the schema."""
    from mathgym.harness.results import ResultsError, read_results

    path = Path(results_path)
    if path.is_dir():
        path = path / "results.json"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SubmissionError(f"rejected: {path}: no such results file (run `mathgym eval "
                              "--out DIR`)") from None
    except OSError as err:
        raise SubmissionError(f"rejected: cannot read {path}: {err.strerror}") from None
    if size > MAX_SUBMISSION_BYTES:
        raise SubmissionError(
            f"rejected: {path} is {size:,} bytes; submissions are at most "
            f"{MAX_SUBMISSION_BYTES:,} bytes (certificates and info of one run fit far below "
            "that: drop bulky `info` fields from the agent)"
        )
    try:
        return read_results(path)
    except ResultsError as err:
        raise SubmissionError(f"rejected: {err}") from None


def submit(
    results_path: str | Path,
    root: str | Path | None = None,
    now: str | None = None,
    *,
    reproduce: int | None = None,
    reproduce_seed: int | None = None,
    check_seconds: float = CHECK_SECONDS,
    sealed_secret: bytes | None = None,
) -> Path:
    """Validate, re-verify and store a results file; regenerate the board. Returns the new file.

    ``reproduce=K`` re-runs K random records first (see :mod:`mathgym.leaderboards.reproduce`).
    """
    from mathgym.leaderboards.board import (
        board_dir,
        load_submissions,
        render_board,
        submission_filename,
    )
    from mathgym.leaderboards.reproduce import ReproductionError
    from mathgym.leaderboards.reproduce import reproduce as reproduce_records

    from mathgym.harness.environment import utc_now
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.results import (
        atomic_write_text,
        canonical_submission_id,
        dumps,
        validate_results,
    )

    doc = read_submission(results_path)
    _check_training_claims(doc, reproduce)
    checked = verify_results(doc, check_seconds=check_seconds, sealed_secret=sealed_secret)
    claimed = doc["metrics"].get("solved")
    sub_id = canonical_submission_id(checked)
    bench_id = checked["benchmark"]["id"]
    folder = board_dir(bench_id, root)
    existing = sorted(folder.glob(f"*-{sub_id}.json"))
    if existing and not reproduce:
        raise SubmissionError(f"rejected: this run is already on the board as {existing[0]} "
                              "(add --reproduce K to re-run K of its records and mark it)")
    reproduced = None
    if reproduce:
        if sealed_secret is not None:
            raise SubmissionError("rejected: --reproduce re-runs agents in this process, which "
                                  "must not hold a sealed split's secret; re-run the sealed "
                                  "evaluation with `mathgym eval --sealed-secret` instead")
        bench = get_benchmark(f"{bench_id}@{checked['benchmark']['version']}")
        try:
            reproduced = reproduce_records(checked, bench, int(reproduce), reproduce_seed)
        except ReproductionError as err:
            raise SubmissionError(f"rejected: {err}") from None
    if existing:  # the same run again: keep its row, record the reproduction on it
        return _mark_reproduced(existing[0], reproduced, root)
    submitted_at = now or utc_now()
    checked["submission"] = {
        "id": sub_id,
        "submitted_at": submitted_at,
        "source": str(results_path),
        "verified_solutions": checked["metrics"]["solved"],
        "claimed_solved_in_file": claimed,
        "oracle": bool(doc["agent"].get("oracle")) or is_privileged_agent(doc["agent"]["name"]),
    }
    if reproduced is not None:
        checked["submission"]["reproduced"] = reproduced
    validate_results(checked, source="submission")
    name = submission_filename(checked)
    path = folder / name
    # Render first, write after: a rendering failure must leave the board as it was.
    pages = render_board(bench_id, [*load_submissions(bench_id, root), checked])
    folder.mkdir(parents=True, exist_ok=True)
    for filename, text in pages.items():
        atomic_write_text(folder / filename, text)
    atomic_write_text(path, dumps(checked))
    return path


def _check_training_claims(doc: dict[str, Any], reproduce: int | None) -> None:
    """A ``mathgym train`` run (a ``"training"`` block) must be finished, and cannot be
    reproduced record by record: its records come from one training run, not from attempts."""
    training = doc.get("training")
    if not isinstance(training, dict):
        return
    command = (f"mathgym train --benchmark {doc['benchmark']['id']} --agent "
               f"{doc['agent']['name']} --budget {doc['budget']['amount']:g} --seed "
               f"{doc['seeds'][0]} --config-json '<agent.config of the file>'")
    if training.get("finished") is False:
        raise SubmissionError(
            f"rejected: this training run is not finished ({training.get('steps')} of "
            f"{doc['budget']['amount']:g} steps); continue it with `mathgym train ... --resume` "
            "and submit the finished run")
    if reproduce:
        raise SubmissionError(
            "rejected: this is a training run: its records cannot be re-run one by one; "
            f"reproduce the whole run on CPU with `{command}` and compare the results")


def _mark_reproduced(path: Path, reproduced: dict[str, Any], root: str | Path | None) -> Path:
    """Record a reproduction on a submission already on the board; re-render the board."""
    from mathgym.leaderboards.board import load_submissions, render_board

    from mathgym.harness.results import atomic_write_text, dumps, read_results

    doc = read_results(path)
    doc["submission"]["reproduced"] = reproduced
    bench_id = doc["benchmark"]["id"]
    others = [d for d in load_submissions(bench_id, root)
              if d.get("submission", {}).get("id") != doc["submission"]["id"]]
    pages = render_board(bench_id, [*others, doc])
    for filename, text in pages.items():
        atomic_write_text(path.parent / filename, text)
    atomic_write_text(path, dumps(doc))
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results.json (or the --out folder of `mathgym eval`)")
    parser.add_argument("--root", default=None, help="leaderboard root (default: leaderboards/)")
    parser.add_argument(
        "--reproduce", type=int, default=None, metavar="K",
        help="re-run K randomly drawn records with the recorded agent, config and budget and "
             "require the identical certificate and cost (marks the row 'reproduced')")
    parser.add_argument(
        "--reproduce-seed", type=int, default=None, metavar="SEED",
        help="seed of the draw of --reproduce records (default: a fresh random one; stored "
             "with the submission)")
    parser.add_argument(
        "--sealed-secret", default=None, metavar="FILE",
        help="the secret a sealed run was drawn with (board maintainers only; see "
             "docs/harness.md)")
    parser.add_argument(
        "--check-seconds", type=float, default=CHECK_SECONDS, metavar="S",
        help=f"wall-clock limit per certificate check (default {CHECK_SECONDS:g})")


def run(args: argparse.Namespace) -> int:
    from mathgym.leaderboards.board import format_table, load_submissions, ranked_rows

    if args.reproduce is not None and args.reproduce < 1:
        print(f"error: --reproduce takes a number of records >= 1, got {args.reproduce}",
              file=sys.stderr)
        return 2
    if not args.check_seconds > 0:
        print(f"error: --check-seconds must be > 0, got {args.check_seconds}", file=sys.stderr)
        return 2
    secret = None
    if args.sealed_secret is not None:
        from mathgym.harness.sealed import SealedError, read_secret

        try:
            secret = read_secret(args.sealed_secret)
        except SealedError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    try:
        path = submit(args.results, args.root, reproduce=args.reproduce,
                      reproduce_seed=args.reproduce_seed, check_seconds=args.check_seconds,
                      sealed_secret=secret)
    except SubmissionError as err:
        print(str(err), file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: cannot write to the board {err.filename or ''}: {err.strerror}",
              file=sys.stderr)
        return 2
    import json

    bench_id = json.loads(path.read_text())["benchmark"]["id"]
    print(f"accepted: {path}")
    print(format_table(ranked_rows(load_submissions(bench_id, args.root))))
    return 0
