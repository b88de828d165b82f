"""``python -m mathgym.bench ac``: AC environment speed, and AC-Solver's on the same workload.

Workload (identical for every row): AK(2) padded to cap 36 (AC-Solver's PPO setting),
uniformly random actions from a seeded RNG, reset when solved or after ``--horizon`` steps.
Each number is the median of ``--repeats`` timed runs after a warm-up (numba compiled).

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


def _median_rate(fn, repeats: int) -> dict[str, Any]:
    rates = [fn() for _ in range(repeats)]
    return {"median": statistics.median(rates), "runs": [round(r, 1) for r in rates]}


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


def _acsolver(python: str, steps: int, repeats: int, horizon: int, seed: int) -> dict[str, Any]:
    from mathgym.bench import acsolver_worker

    request = {"state": _start().to_array(CAP).tolist(), "steps": steps, "repeats": repeats,
               "horizon": horizon, "seed": seed}
    try:
        out = subprocess.run([python, acsolver_worker.__file__, "bench"],
                             input=json.dumps(request), capture_output=True, text=True,
                             timeout=600, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        return {"available": False, "reason": f"{type(exc).__name__}: {exc} {detail[-500:]}"}
    answer = json.loads(out.stdout)
    rates = answer["steps_per_s"]
    return {"available": True, "python": python, "versions": answer["versions"],
            "steps_per_s": {"median": statistics.median(rates),
                            "runs": [round(r, 1) for r in rates]},
            "cyclical": True}


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
                     "statistic": "median of repeats"},
        "machine": _machine(),
    }
    results: dict[str, Any] = {}
    for cyclic in (False, True):
        tag = "cyclic" if cyclic else "default"
        row: dict[str, Any] = {}
        for name, make in (
            ("single_env_steps_per_s", lambda c=cyclic: _single_env(
                args.single_steps, h, c, s, via_make=False)),
            ("single_env_gym_make_steps_per_s", lambda c=cyclic: _single_env(
                args.single_steps, h, c, s, via_make=True)),
        ):
            run = make()
            run()  # warm-up: compile numba kernels, fill caches
            row[name] = _median_rate(run, r)
        row["vector_env_steps_per_s"] = {}
        for n in (1, 64, 1024):
            steps = args.vector_env_steps // 20 if n == 1 else args.vector_env_steps
            run = _vector_env(n, steps, h, cyclic, s)
            run()
            row["vector_env_steps_per_s"][str(n)] = _median_rate(run, r)
        run = _kernel(cyclic, s, iters=max(1, args.vector_env_steps // 1024))
        run()
        row["move_kernel_ns_per_move"] = _median_rate(run, r)
        results[tag] = row
    report["mathgym"] = results
    if args.acsolver_python:
        ac = _acsolver(args.acsolver_python, args.acsolver_steps, min(r, 3), h, s)
        report["acsolver"] = ac
        if ac["available"]:
            base = ac["steps_per_s"]["median"]
            report["speedup_vs_acsolver"] = {
                tag: {
                    "single_env": round(row["single_env_steps_per_s"]["median"] / base, 1),
                    "single_env_gym_make": round(
                        row["single_env_gym_make_steps_per_s"]["median"] / base, 1),
                    **{f"vector_env_{n}": round(v["median"] / base, 1)
                       for n, v in row["vector_env_steps_per_s"].items()},
                }
                for tag, row in results.items()
            }
    else:
        report["acsolver"] = {"available": False,
                              "reason": "pass --acsolver-python PATH (an interpreter with "
                                        "ac-solver) or set MATHGYM_ACSOLVER_PYTHON"}
    report["command"] = " ".join(["python -m mathgym.bench ac", *argv])
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
