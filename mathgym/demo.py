"""``mathgym demo`` (what ``make demo`` runs): the quick suite, end to end, in a few minutes.

1. Replays the known AK(2) solution (22 moves, cap 7) on ``ac/ak`` with the ``replay`` agent.
2. Runs every registered agent that supports it (default config) on every benchmark tagged
   ``quick`` (``ac/quick``, and each family's quick benchmarks as they are registered), with
   the benchmark's default budget, seed 0 and 2 workers. Agents that need a config (``replay``)
   or set the class attribute ``demo = False`` are left out.
   Each pair is timed in two columns: ``warm-up``, one attempt in this process on the first
   instance at a budget of at most :data:`WARMUP_BUDGET` units (for the compiled AC searches
   almost all of it is numba compiling their kernels, which ``cache=True`` stores on disk),
   then ``run``, the whole evaluation, whose workers load the compiled kernels from that
   cache. One column would charge the compile to the agent: beam looked 100x slower than it is.
3. Submits every results file into a demo leaderboard under ``OUT/leaderboards`` (re-verifying
   every certificate, exactly like a real submission) and prints the leaderboards.
4. Builds the static leaderboard site of those boards in ``OUT/site`` and prints its path.

Everything is written under ``--out`` (default ``runs/demo``), which the demo owns: it is
cleared at the start when it carries the demo's marker file. The committed boards in
``leaderboards/`` are never touched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

#: A known AC-trivialisation of AK(2) = <x, y | x^2 y^-3, xyx y^-1 x^-1 y^-1> within cap 7.
AK2_SOLUTION = [11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2]
AK2_INSTANCE = "ak-2"
MARKER = ".mathgym-demo"
#: Largest budget of the warm-up attempt (compiling does not depend on the budget's size).
WARMUP_BUDGET = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="where results are written")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _prepare(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise SystemExit(f"error: {out} exists and is not a demo folder; pass another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("folder owned by `mathgym demo`; cleared on each run\n")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def plan(benchmark_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """(benchmark id, agent name) pairs the demo runs after the AK(2) replay."""
    from mathgym.harness.registry import agent_classes, get_agent, get_benchmark, list_benchmarks

    pairs = []
    for bid in benchmark_ids or list_benchmarks():
        bench = get_benchmark(bid)
        if "quick" not in bench.tags:
            continue
        for name, cls in agent_classes().items():
            if not getattr(cls, "demo", True):
                continue
            try:
                agent = get_agent(name)
            except ValueError:  # needs a config (e.g. replay's path)
                continue
            if agent.supports(bench):
                pairs.append((bid, name))
    return pairs


def warm_up(benchmark_id: str, agent: str, out: Path) -> float:
    """Seconds of one attempt of ``agent`` on the benchmark's first instance, in this process.

    The budget is the benchmark's default capped at :data:`WARMUP_BUDGET`: numba compiles a
    kernel for its argument types, not their values, so a small budget compiles everything a
    full run needs. The run is written under ``out`` and never submitted.
    """
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.runner import EvalConfig, evaluate

    bench = get_benchmark(benchmark_id)
    budget = min(bench.default_budget, WARMUP_BUDGET)
    t0 = time.perf_counter()
    evaluate(EvalConfig(benchmark=benchmark_id, agent=agent, out=out, budget=budget, limit=1,
                        workers=1, backend="inline", progress=False))
    return time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    from mathgym.harness.registry import list_benchmarks
    from mathgym.harness.runner import EvalConfig, evaluate
    from mathgym.leaderboards.board import (
        format_amount,
        format_table,
        load_submissions,
        ranked_rows,
    )
    from mathgym.leaderboards.submit import SubmissionError, submit

    out = Path(args.out)
    _prepare(out)
    board_root = out / "leaderboards"
    started = time.time()
    runs: list[tuple[str, Path]] = []

    if "ac/ak" in list_benchmarks():
        certs = out / "ak2-certificate.json"
        certs.write_text(json.dumps({"certificates": {AK2_INSTANCE: AK2_SOLUTION}}) + "\n")
        run_dir = out / "replay-ac-ak"
        doc = evaluate(EvalConfig(
            benchmark="ac/ak", agent="replay", agent_config={"path": str(certs)}, out=run_dir,
            workers=1, backend="inline", progress=False,
        ))
        ak2 = next(r for r in doc["results"] if r["instance"] == AK2_INSTANCE)
        status = "verified" if ak2["solved"] else f"NOT verified: {ak2.get('verdict')}"
        print(f"AK(2) known solution ({len(AK2_SOLUTION)} moves, cap 7): {status}")
        runs.append(("ac/ak", run_dir))

    pairs = plan()
    if pairs:
        print(f"{'agent':>16}    {'benchmark':<26} {'solved':<14}{'budget':<27}"
              f"{'warm-up':>8} {'run':>7}")
    for bid, agent in pairs:
        slug = f"{_slug(agent)}-{_slug(bid.replace('/', '-'))}"
        warmup = warm_up(bid, agent, out / "warm-up" / slug)
        run_dir = out / slug
        t0 = time.perf_counter()
        doc = evaluate(EvalConfig(
            benchmark=bid, agent=agent, out=run_dir, workers=args.workers,
            progress=not args.no_progress,
        ))
        seconds = time.perf_counter() - t0
        m = doc["metrics"]
        print(f"{agent:>16} on {bid:<26} solved {m['solved']:>3}/{m['num_records']:<3} "
              f"budget {format_amount(doc['budget']['amount'])} {doc['budget']['unit']:<12} "
              f"{warmup:7.1f}s {seconds:6.1f}s")
        runs.append((bid, run_dir))

    failures = 0
    for _bid, run_dir in runs:
        try:
            submit(run_dir / "results.json", root=board_root)
        except SubmissionError as err:
            failures += 1
            print(f"submission of {run_dir} {err}", file=sys.stderr)
    print()
    for bid in sorted({bid for bid, _ in runs}):
        print(f"== leaderboard {bid}  ({board_root / bid})")
        print(format_table(ranked_rows(load_submissions(bid, board_root))))
        print()
    from mathgym.leaderboards.site import build_site

    site = build_site(out / "site", board_root)
    print(f"demo finished in {time.time() - started:.1f}s; results under {out}/, boards under "
          f"{board_root}/")
    print(f"leaderboard site: {site.path / 'index.html'}")
    return 1 if failures else 0
