"""``python -m mathgym.bench reasoning``: generator and verifier throughput.

Reports problems/s for every module (difficulty 1 unless ``--difficulty``), verifier
checks/s per answer type (each problem's own reference answer, so every check runs the full
parse-and-compare path) and masked-random MathProgSynth steps/s, as the median of ``--runs``
timed runs after a warm-up. One process (plus the verifier's worker pool): per-core numbers.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections import defaultdict


def _rate(fn, items: list, min_seconds: float) -> float:
    """Items per second of ``fn(item)``, cycling through ``items`` for at least min_seconds."""
    done = 0
    start = time.perf_counter()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m mathgym.bench reasoning")
    parser.add_argument("--modules", nargs="*", default=None, help="modules (default: all)")
    parser.add_argument("--difficulty", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported")
    parser.add_argument("--seconds", type=float, default=0.3, help="minimum time per run")
    parser.add_argument("--skip-verifier", action="store_true")
    args = parser.parse_args(argv or [])

    from mathgym.envs.reasoning import MODULES, generate

    modules = args.modules or list(MODULES)
    problems_per_s: dict[str, float] = {}
    for module in modules:
        counter = iter(range(10**9))

        def one(_: int, module: str = module, counter=counter) -> None:
            generate(module, args.difficulty, 0, next(counter))

        _rate(one, [0] * 20, 0.05)  # warm-up (imports, caches)
        runs = [_rate(one, [0] * 50, args.seconds) for _ in range(args.runs)]
        problems_per_s[module] = round(statistics.median(runs), 1)

    report: dict = {
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "system": platform.system()},
        "difficulty": args.difficulty,
        "runs": args.runs,
        "problems_per_second": problems_per_s,
    }
    if args.skip_verifier:
        return report

    from mathgym.verifiers.math import score

    by_type: dict[str, list] = defaultdict(list)
    for module in MODULES:
        for index in range(40):
            p = generate(module, args.difficulty if module != "arithmetic__add_or_sub" else 4,
                         1, index)
            if len(by_type[p.answer_type]) < 200:
                by_type[p.answer_type].append(p)
    checks_per_s: dict[str, float] = {}
    for answer_type, problems in sorted(by_type.items()):
        def check(p) -> None:
            if score(p.answer, p) != 1.0:
                raise AssertionError(f"{p.module}: reference answer {p.answer!r} scored < 1")

        _rate(check, problems[:20], 0.05)  # warm the worker
        runs = [_rate(check, problems, args.seconds) for _ in range(args.runs)]
        checks_per_s[answer_type] = round(statistics.median(runs), 1)
    report["verifier_checks_per_second"] = checks_per_s
    report["progsynth_env_steps_per_second"] = round(_progsynth_steps(args), 1)
    return report


def _progsynth_steps(args: argparse.Namespace) -> float:
    """Masked-random steps/s in MathProgSynth-v0 (resets and verifier calls included)."""
    import numpy as np

    from mathgym.envs.reasoning.progsynth_env import MathProgSynthEnv

    env = MathProgSynthEnv(difficulty=args.difficulty)
    rng = np.random.default_rng(0)
    state = {"info": env.reset(seed=0)[1]}

    def step(_: int) -> None:
        action = int(rng.choice(np.flatnonzero(state["info"]["action_mask"])))
        _, _, terminated, _, info = env.step(action)
        state["info"] = env.reset()[1] if terminated else info

    _rate(step, [0] * 20, 0.05)
    return statistics.median(_rate(step, [0] * 50, args.seconds) for _ in range(args.runs))
