"""``python -m mathgym.bench ac``: AC environment speed, and AC-Solver's on the same workload.

Workload (identical for every row): AK(2) padded to cap 36 (AC-Solver's PPO setting),
uniformly random actions from a seeded RNG, reset when solved or after ``--horizon`` steps.
Each number is the median of ``--repeats`` timed runs after a warm-up (numba compiled); runs
are interleaved (every round times every row once, AC-Solver included), and speed-ups are
medians of per-round ratios, so the shared machine's changing load hits both sides alike.

Rows: the single env (``ACEnv`` stepped directly, and through ``gym.make`` with its checker
wrappers), the vector env at ``num_envs`` 1 / 64 / 1024, and the move kernel alone (ns per
move, ``apply_moves_batch`` on 1024 states). AC-Solver's ``ACEnv`` runs in its own interpreter
(``--acsolver-python PATH`` or ``$MATHGYM_ACSOLVER_PYTHON``; its pinned deps clash with ours)
via :mod:`mathgym.bench.acsolver_worker`. AC-Solver's ``ACEnv`` always cyclically reduces
(``ACMove``'s default ``cyclical=True``), so speed-ups are reported against our env with
``cyclic_reduction=True`` (same semantics) and with our default ``False``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

CAP = 36


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mathgym.bench ac",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="timed runs per row (median reported)")
    p.add_argument("--horizon", type=int, default=1000, help="episode length before reset")
    p.add_argument("--single-steps", type=int, default=40_000, help="steps per single-env run")
    p.add_argument("--vector-env-steps", type=int, default=2_000_000,
                   help="env-steps per vector-env run (num_envs 1 uses 1/20 of this)")
    p.add_argument("--acsolver-python", default=os.environ.get("MATHGYM_ACSOLVER_PYTHON"),
                   help="interpreter with ac-solver installed (default $MATHGYM_ACSOLVER_PYTHON)")
    p.add_argument("--acsolver-steps", type=int, default=20_000, help="steps per AC-Solver run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny runs (smoke test, not numbers)")
    return p


def _start():
    from mathgym.envs.ac.datasets import akbulut_kirby

    return akbulut_kirby(2)


def _single_env(steps: int, horizon: int, cyclic: bool, seed: int, via_make: bool):
    import gymnasium as gym

    import mathgym  # noqa: F401
    from mathgym.envs.ac.env import ACEnv

    kwargs = dict(presentation=_start(), max_relator_length=CAP, horizon=horizon,
                  cyclic_reduction=cyclic)
    env = gym.make("mathgym/AC-v0", **kwargs) if via_make else ACEnv(**kwargs)
    rng = np.random.default_rng(seed)

    def run() -> float:
        actions = rng.integers(0, 12, steps).tolist()
        env.reset(seed=seed)
        step = env.step
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = step(a)
            if terminated or truncated:
                env.reset()
        return steps / (time.perf_counter() - t0)

    return run


def _vector_env(num_envs: int, env_steps: int, horizon: int, cyclic: bool, seed: int):
    from mathgym.envs.ac.vector_env import ACVectorEnv

    env = ACVectorEnv(num_envs=num_envs, presentation=_start(), max_relator_length=CAP,
                      horizon=horizon, cyclic_reduction=cyclic)
    batches = max(1, env_steps // num_envs)
    rng = np.random.default_rng(seed)

    def run() -> float:
        actions = rng.integers(0, 12, (batches, num_envs))
        env.reset(seed=seed)
        step = env.step
        t0 = time.perf_counter()
        for t in range(batches):
            step(actions[t])
        return batches * num_envs / (time.perf_counter() - t0)

    return run


def _kernel(cyclic: bool, seed: int, iters: int):
    from mathgym.envs.ac import kernels

    n = 1024
    states0 = np.tile(_start().to_array(CAP), (n, 1))
    lengths0 = kernels.lengths_of(states0[0], 2, CAP)[None, :].repeat(n, axis=0)
    rng = np.random.default_rng(seed)
    # walk 200 random moves first so the states are typical of the workload, not AK(2) itself
    for _ in range(200):
        kernels.apply_moves_batch(states0, lengths0, rng.integers(0, 12, n), 2, CAP, cyclic)

    def run() -> float:
        states, lengths = states0.copy(), lengths0.copy()
        moves = rng.integers(0, 12, (iters, n))
        t0 = time.perf_counter()
        for t in range(iters):
            kernels.apply_moves_batch(states, lengths, moves[t], 2, CAP, cyclic)
        return (time.perf_counter() - t0) / (iters * n) * 1e9  # ns per move

    return run


def _acsolver_runner(python: str, steps: int, horizon: int, seed: int):
    """One AC-Solver measurement per call (a fresh worker process; startup is not timed)."""
    from mathgym.bench import acsolver_worker

    calls = [0]
    versions: dict[str, Any] = {}

    def run() -> float:
        request = {"state": _start().to_array(CAP).tolist(), "steps": steps, "repeats": 1,
                   "horizon": horizon, "seed": seed + calls[0]}
        calls[0] += 1
        out = subprocess.run([python, acsolver_worker.__file__, "bench"],
                             input=json.dumps(request), capture_output=True, text=True,
                             timeout=600, check=True)
        answer = json.loads(out.stdout)
        versions.update(answer["versions"])
        return float(answer["steps_per_s"][0])

    return run, versions


def _machine() -> dict[str, Any]:
    import gymnasium
    import numba

    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "gymnasium": gymnasium.__version__,
        "threads": "single-threaded kernels (no prange); one process",
    }


def main(argv: list[str]) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    if args.quick:
        args.repeats, args.single_steps, args.vector_env_steps = 1, 500, 20_000
        args.acsolver_steps = 500
    r, h, s = args.repeats, args.horizon, args.seed
    report: dict[str, Any] = {
        "workload": {"start": "AK(2)", "max_relator_length": CAP, "horizon": h,
                     "actions": "uniform random over 12 moves", "repeats": r,
                     "statistic": "median of repeats; every round runs every row once, "
                                  "back to back, so load changes hit all rows alike; "
                                  "speed-ups are medians of per-round ratios"},
        "machine": _machine(),
    }
    runners: dict[str, Any] = {}
    for cyclic in (False, True):
        tag = "cyclic" if cyclic else "default"
        runners[f"{tag}/single_env"] = _single_env(args.single_steps, h, cyclic, s, False)
        runners[f"{tag}/single_env_gym_make"] = _single_env(args.single_steps, h, cyclic, s, True)
        for n in (1, 64, 1024):
            steps = args.vector_env_steps // 20 if n == 1 else args.vector_env_steps
            runners[f"{tag}/vector_env_{n}"] = _vector_env(n, steps, h, cyclic, s)
        runners[f"{tag}/move_kernel_ns"] = _kernel(cyclic, s, max(1, args.vector_env_steps // 1024))
    for run in runners.values():
        run()  # warm-up: compile numba kernels, fill caches
    acsolver_run, versions = (None, {})
    acsolver_error = ""
    if args.acsolver_python:
        acsolver_run, versions = _acsolver_runner(args.acsolver_python, args.acsolver_steps, h, s)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    base: list[float] = []
    for _ in range(r):
        for name, run in runners.items():
            rates[name].append(run())
        if acsolver_run is not None and not acsolver_error:
            try:
                base.append(acsolver_run())
            except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
                detail = getattr(exc, "stderr", "") or ""
                acsolver_error = f"{type(exc).__name__}: {exc} {detail[-500:]}"

    def summary(values: list[float]) -> dict[str, Any]:
        return {"median": statistics.median(values), "runs": [round(v, 1) for v in values]}

    results: dict[str, Any] = {}
    for tag in ("default", "cyclic"):
        results[tag] = {
            "single_env_steps_per_s": summary(rates[f"{tag}/single_env"]),
            "single_env_gym_make_steps_per_s": summary(rates[f"{tag}/single_env_gym_make"]),
            "vector_env_steps_per_s": {str(n): summary(rates[f"{tag}/vector_env_{n}"])
                                       for n in (1, 64, 1024)},
            "move_kernel_ns_per_move": summary(rates[f"{tag}/move_kernel_ns"]),
        }
    report["mathgym"] = results
    if acsolver_run is None:
        report["acsolver"] = {"available": False,
                              "reason": "pass --acsolver-python PATH (an interpreter with "
                                        "ac-solver) or set MATHGYM_ACSOLVER_PYTHON"}
    elif acsolver_error or len(base) != r:
        report["acsolver"] = {"available": False, "reason": acsolver_error or "incomplete"}
    else:
        report["acsolver"] = {"available": True, "python": args.acsolver_python,
                              "versions": versions, "steps_per_s": summary(base),
                              "cyclical": True}
        speedups: dict[str, Any] = {}
        for tag in ("default", "cyclic"):
            row = {}
            for key in ("single_env", "single_env_gym_make", "vector_env_1", "vector_env_64",
                        "vector_env_1024"):
                ratios = [a / b for a, b in zip(rates[f"{tag}/{key}"], base, strict=True)]
                row[key] = round(statistics.median(ratios), 1)
            speedups[tag] = row
        report["speedup_vs_acsolver"] = speedups
    report["command"] = " ".join(["python -m mathgym.bench ac", *argv])
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
