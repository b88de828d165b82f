"""``python -m mathgym.bench rl``: SB3 PPO training speed on AC, DummyVecEnv vs SB3VecEnv.

Workload (identical for every row): ``mathgym/AC-MillerSchupp-v0`` (AC-Solver's 1190
presentations, cap 36, horizon 2000, sparse reward), SB3 ``PPO("MlpPolicy")`` with AC-Solver's
network (separate actor and critic MLPs 72 -> 256 -> 256, tanh:
:func:`mathgym.agents.rl.common.networks.ac_solver_policy_kwargs`), rollouts of
``--rollout`` env steps (``n_steps = rollout / n_envs``), 4 epochs of 4 minibatches per update
(AC-Solver's ``update_epochs`` and ``num_minibatches``), on ``resolve_device(--device)``.

Rows, at ``n_envs`` 8 / 64 / 1024 each:
- ``learn``: env steps per second of ``model.learn`` (rollouts *and* updates), over
  ``--rollouts`` rollouts after one warm-up rollout;
- ``rollout``: env steps per second of the rollout phase of those same runs (SB3's
  ``collect_rollouts``: the policy's forward pass, the VecEnv step, the buffer), and
  ``train_share``, the fraction of ``learn``'s time spent in the updates;
- ``vec_env``: env steps per second of the SB3 ``VecEnv`` alone (random actions, no policy).

``dummy`` is SB3's ``DummyVecEnv`` over single ``ACMillerSchuppEnv`` (what
``make_vec_env("mathgym/AC-MillerSchupp-v0")`` builds); ``sb3vec`` is
:class:`mathgym.agents.rl.SB3VecEnv` over the numba ``ACMillerSchuppVectorEnv``. Each number is
the median of ``--repeats`` rounds; a round times every row once, back to back, so the shared
machine's load changes hit all rows alike; speed-ups are medians of per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ENV_ID = "mathgym/AC-MillerSchupp-v0"
N_ENVS = (8, 64, 1024)
BACKENDS = ("dummy", "sb3vec")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mathgym.bench rl",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed rounds (median reported)")
    p.add_argument("--rollout", type=int, default=8192,
                   help="env steps per PPO rollout (all envs together)")
    p.add_argument("--rollouts", type=int, default=2, help="timed rollouts+updates per run")
    p.add_argument("--vec-env-steps", type=int, default=16384,
                   help="env steps per timed VecEnv-alone run")
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny runs (smoke test, not numbers)")
    return p


def _make_vec_env(backend: str, n_envs: int, seed: int):
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecMonitor

    import mathgym  # noqa: F401
    from mathgym.agents.rl import SB3VecEnv

    if backend == "dummy":
        return make_vec_env(ENV_ID, n_envs=n_envs, seed=seed)
    return VecMonitor(SB3VecEnv(ENV_ID, n_envs=n_envs, seed=seed))


def _learn_runner(backend: str, n_envs: int,
                  args: argparse.Namespace) -> Callable[[], dict[str, float]]:
    from stable_baselines3 import PPO

    from mathgym.agents.rl import ac_solver_policy_kwargs, resolve_device

    n_steps = max(1, args.rollout // n_envs)
    rollout = n_steps * n_envs
    model = PPO(
        "MlpPolicy", _make_vec_env(backend, n_envs, args.seed), n_steps=n_steps,
        batch_size=max(1, rollout // 4), n_epochs=4, learning_rate=2.5e-4,
        policy_kwargs=ac_solver_policy_kwargs(), device=resolve_device(args.device),
        seed=args.seed, verbose=0,
    )
    model.learn(rollout)  # warm-up: numba compile, torch allocations
    spent = {"collect_rollouts": 0.0, "train": 0.0}
    for phase in spent:  # time SB3's two phases on this model only
        setattr(model, phase, _timed(getattr(model, phase), spent, phase))

    def run() -> dict[str, float]:
        spent.update(collect_rollouts=0.0, train=0.0)
        t0 = time.perf_counter()
        model.learn(rollout * args.rollouts, reset_num_timesteps=False)
        elapsed = time.perf_counter() - t0
        steps = rollout * args.rollouts
        return {"learn": steps / elapsed, "rollout": steps / spent["collect_rollouts"],
                "train_share": spent["train"] / elapsed}

    return run


def _timed(method: Callable[..., Any], spent: dict[str, float], key: str) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t0

    return timed


def _vec_env_runner(backend: str, n_envs: int, args: argparse.Namespace) -> Callable[[], float]:
    venv = _make_vec_env(backend, n_envs, args.seed)
    venv.reset()
    rng = np.random.default_rng(args.seed)
    n_steps = max(1, args.vec_env_steps // n_envs)

    def run() -> float:
        actions = rng.integers(0, 12, (n_steps, n_envs))
        t0 = time.perf_counter()
        for a in actions:
            venv.step(a)
        return n_steps * n_envs / (time.perf_counter() - t0)

    run()  # warm-up
    return run


def _machine(args: argparse.Namespace) -> dict[str, Any]:
    import sb3_contrib
    import stable_baselines3
    import torch

    from mathgym.agents.rl import resolve_device
    from mathgym.bench.ac import _machine as ac_machine

    info = ac_machine()
    info.update({
        "torch": torch.__version__,
        "stable_baselines3": stable_baselines3.__version__,
        "sb3_contrib": sb3_contrib.__version__,
        "device": str(resolve_device(args.device)),
        "torch_threads": torch.get_num_threads(),
        "threads": "torch as above; numba kernels single-threaded; one process",
    })
    return info


def main(argv: list[str]) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    if args.quick:
        args.repeats, args.rollout, args.rollouts, args.vec_env_steps = 1, 1024, 1, 2048
    import torch

    torch.set_num_threads(args.threads)
    report: dict[str, Any] = {
        "workload": {
            "env": ENV_ID, "horizon": 2000, "max_relator_length": 36, "reward": "sparse",
            "algorithm": "SB3 PPO, MlpPolicy, AC-Solver's net (pi/vf 256-256 tanh)",
            "rollout_env_steps": args.rollout, "timed_rollouts": args.rollouts,
            "n_epochs": 4, "minibatches": 4, "repeats": args.repeats,
            "statistic": "median of repeats; every round runs every row once, back to back; "
                         "speed-ups are medians of per-round ratios",
        },
        "machine": _machine(args),
    }
    runners: dict[str, Callable[[], Any]] = {}
    for n in N_ENVS:
        for backend in BACKENDS:
            runners[f"learn/{backend}/{n}"] = _learn_runner(backend, n, args)
            runners[f"vec_env/{backend}/{n}"] = _vec_env_runner(backend, n, args)
    rates: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, run in runners.items():
            result = run()
            if isinstance(result, dict):  # a learn run: learn, rollout and train_share
                for kind, value in result.items():
                    rates.setdefault(name.replace("learn/", f"{kind}/"), []).append(value)
            else:
                rates.setdefault(name, []).append(result)

    def summary(values: list[float]) -> dict[str, Any]:
        return {"median": round(statistics.median(values), 1),
                "runs": [round(v, 1) for v in values]}

    report["train_share_of_learn_time"] = {
        backend: {str(n): round(statistics.median(rates[f"train_share/{backend}/{n}"]), 2)
                  for n in N_ENVS}
        for backend in BACKENDS
    }
    for kind in ("learn", "rollout", "vec_env"):
        report[f"{kind}_env_steps_per_s"] = {
            backend: {str(n): summary(rates[f"{kind}/{backend}/{n}"]) for n in N_ENVS}
            for backend in BACKENDS
        }
        report[f"{kind}_speedup_sb3vec_vs_dummy"] = {
            str(n): round(statistics.median(
                a / b for a, b in zip(rates[f"{kind}/sb3vec/{n}"], rates[f"{kind}/dummy/{n}"],
                                      strict=True)), 1)
            for n in N_ENVS
        }
    report["command"] = " ".join(["python -m mathgym.bench rl", *argv])
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
