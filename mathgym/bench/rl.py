"""``python -m mathgym.bench rl``: PPO training speed on AC, side by side with AC-Solver's own loop.

Workload (every row): AC-Solver's PPO on the Miller-Schupp presentations, cap 36, horizon 2000,
cyclic reduction after every move (AC-Solver's ``ACEnv``), the "length" reward; AC-Solver's
network (separate actor and critic MLPs 72 -> 256 -> 256, tanh, orthogonal init); AC-Solver's
update: rollouts of ``--rollout`` env steps (``n_steps = rollout / n_envs``), **1 epoch of 4
minibatches**, clip 0.2 with the value loss clipped, entropy 0.01, value 0.5, max grad norm
0.5, Adam 2.5e-4 (eps 1e-5). Torch on ``--threads`` CPU threads (default 1) in every row.

Rows (``learn``: env steps per second *including the updates*), at ``n_envs`` 8 / 64 / 1024:

- ``acsolver``: AC-Solver's own training loop (``ac_solver.agents.training.ppo_training_loop``,
  PyPI ``ac-solver``) in its own interpreter (:mod:`mathgym.bench.acsolver_worker`), timed
  around the loop only (its env construction is not timed). Its venv (its pins clash with
  ours)::

      python3 -m venv /tmp/acsolver-venv
      /tmp/acsolver-venv/bin/pip install torch==2.13.0
      /tmp/acsolver-venv/bin/pip install numpy==1.24.3 gymnasium==0.28.1 tqdm
      /tmp/acsolver-venv/bin/pip install --no-deps ac-solver

  then ``--acsolver-python /tmp/acsolver-venv/bin/python`` (or ``$MATHGYM_ACSOLVER_PYTHON``;
  ``/tmp/acsolver-venv/bin/python`` is tried when it exists). Without it the row is skipped
  with the reason. Its ``training.py`` imports ``wandb`` at module level: the worker installs
  an empty stub module (logging is off).
- ``sb3_dummy``: SB3 ``PPO("MlpPolicy")`` on ``DummyVecEnv`` over single ``ACMillerSchuppEnv``
  (what ``make_vec_env`` builds);
- ``sb3_sb3vec``: the same on :class:`mathgym.agents.rl.SB3VecEnv` over the numba
  ``ACMillerSchuppVectorEnv``;
- ``lean``: :class:`mathgym.agents.rl.ppo.lean_ppo.LeanPPO`, a one-file torch PPO over the
  numba vector env (no SB3).

What differs between rows, and why: SB3 checks ``target_kl`` per minibatch, CleanRL/AC-Solver
after the epoch: with one epoch AC-Solver's check changes nothing, so SB3 runs with
``target_kl=None`` (the same update). SB3 bootstraps episodes cut by the horizon; AC-Solver does
not (lean does, as SB3). AC-Solver's loop starts envs from its own presentation files and
resets each env in Python when it finishes; ours start from the same 1190 presentations.

Profile (``profile``): seconds per env step in each phase of the ``learn`` runs:
``forward`` (the policy's rollout forward pass), ``env_kernel`` (the numba vector step),
``vec_env_api`` (SB3VecEnv's conversion: the per-env info dicts SB3's API requires; for
DummyVecEnv, ``env`` is its whole per-env Python step), ``sb3_rollout_other`` (the rest of
SB3's ``collect_rollouts``: buffer, callbacks, per-env info scan, tensor conversion),
``update`` (SB3's ``train``, lean's minibatch forward, backward and Adam steps).

``flops_bound``: the FLOPs of the two 256x256 networks per env step (one forward in the
rollout, forward and backward ~3x forward per epoch in the update), and the steps/s that the
measured matmul rate of this machine on ``--threads`` threads would allow if nothing but those
FLOPs ran: an upper bound for any PPO loop with this network on this CPU.

Each number is the median of ``--repeats`` rounds; a round times every row once, back to back,
so the shared machine's load changes hit all rows alike; ratios are medians of per-round
ratios. ``machine.load_average_1m`` (before and after) says how busy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ENV_ID = "mathgym/AC-MillerSchupp-v0"
N_ENVS = (8, 64, 1024)
ROWS = ("acsolver", "sb3_dummy", "sb3_sb3vec", "lean")
CAP, HORIZON, NET = 36, 2000, [256, 256]
DEFAULT_ACSOLVER = "/tmp/acsolver-venv/bin/python"
VENV_HOWTO = ("python3 -m venv /tmp/acsolver-venv && /tmp/acsolver-venv/bin/pip install "
              "torch==2.13.0 && /tmp/acsolver-venv/bin/pip install numpy==1.24.3 "
              "gymnasium==0.28.1 tqdm && /tmp/acsolver-venv/bin/pip install --no-deps ac-solver")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mathgym.bench rl",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed rounds (median reported)")
    p.add_argument("--rollout", type=int, default=8192,
                   help="env steps per PPO rollout (all envs together)")
    p.add_argument("--rollouts", type=int, default=2,
                   help="timed rollouts+updates per run (>= 2: AC-Solver's lr schedule)")
    p.add_argument("--n-envs", type=int, nargs="+", default=list(N_ENVS), help="env counts")
    p.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS, help="rows to run")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (every row)")
    p.add_argument("--acsolver-python", default=os.environ.get("MATHGYM_ACSOLVER_PYTHON"),
                   help=f"AC-Solver's interpreter (default: {DEFAULT_ACSOLVER} if it exists)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny runs (smoke test, not numbers)")
    return p


def _timed(method: Callable[..., Any], spent: dict[str, float], key: str) -> Callable[..., Any]:
    """``method`` wrapped so that its run time is added to ``spent[key]``."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t0

    return timed


def _vector_env(n_envs: int, seed: int):
    from mathgym.envs.ac.vector_env import ACMillerSchuppVectorEnv

    return ACMillerSchuppVectorEnv(num_envs=n_envs, max_relator_length=CAP, horizon=HORIZON,
                                   cyclic_reduction=True, reward="length")


# ----------------------------------------------------------------------------- rows
def _sb3_runner(backend: str, n_envs: int, args: argparse.Namespace):
    """SB3 PPO on DummyVecEnv or SB3VecEnv; returns ``run() -> (steps/s, profile)``."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecMonitor

    import mathgym  # noqa: F401
    from mathgym.agents.rl import SB3VecEnv, ac_solver_policy_kwargs

    kw = {"max_relator_length": CAP, "horizon": HORIZON, "cyclic_reduction": True,
          "reward": "length"}
    if backend == "sb3_dummy":
        venv = make_vec_env(ENV_ID, n_envs=n_envs, seed=args.seed, env_kwargs=kw)
        inner = None
    else:
        sb3vec = SB3VecEnv(_vector_env(n_envs, args.seed))
        venv, inner = VecMonitor(sb3vec), sb3vec.venv
    n_steps = max(1, args.rollout // n_envs)
    rollout = n_steps * n_envs
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=max(1, rollout // 4), n_epochs=1,
                learning_rate=2.5e-4, clip_range=0.2, clip_range_vf=0.2, ent_coef=0.01,
                vf_coef=0.5, max_grad_norm=0.5, target_kl=None, gamma=0.99, gae_lambda=0.95,
                policy_kwargs=ac_solver_policy_kwargs(), device="cpu", seed=args.seed,
                verbose=0)
    model.learn(rollout)  # warm-up: numba compile, torch allocations
    spent = dict.fromkeys(("collect", "update", "forward", "env", "env_kernel"), 0.0)
    model.collect_rollouts = _timed(model.collect_rollouts, spent, "collect")
    model.train = _timed(model.train, spent, "update")
    model.policy.forward = _timed(model.policy.forward, spent, "forward")
    model.env.step = _timed(model.env.step, spent, "env")
    if inner is not None:
        inner.step = _timed(inner.step, spent, "env_kernel")

    def run() -> tuple[float, dict[str, float]]:
        for key in spent:
            spent[key] = 0.0
        steps = rollout * args.rollouts
        t0 = time.perf_counter()
        model.learn(steps, reset_num_timesteps=False)
        elapsed = time.perf_counter() - t0
        per = {k: v / steps for k, v in spent.items()}
        profile = {"forward": per["forward"], "update": per["update"],
                   "sb3_rollout_other": per["collect"] - per["forward"] - per["env"]}
        if inner is None:
            profile["env"] = per["env"]
        else:
            profile["env_kernel"] = per["env_kernel"]
            profile["vec_env_api"] = per["env"] - per["env_kernel"]
        profile["other"] = (elapsed - spent["collect"] - spent["update"]) / steps
        return steps / elapsed, profile

    return run


def _lean_runner(n_envs: int, args: argparse.Namespace):
    from mathgym.agents.rl.ppo.lean_ppo import LeanPPO, LeanPPOConfig

    n_steps = max(1, args.rollout // n_envs)
    cfg = LeanPPOConfig(n_steps=n_steps, num_minibatches=4, n_epochs=1, anneal_lr=False,
                        target_kl=None, net_arch=list(NET), seed=args.seed)
    model = LeanPPO(cfg, _vector_env(n_envs, args.seed))
    model.learn(n_steps * n_envs)  # warm-up

    def run() -> tuple[float, dict[str, float]]:
        for key in model.timings:
            model.timings[key] = 0.0
        steps = n_steps * n_envs * args.rollouts
        t0 = time.perf_counter()
        model.learn(steps)
        elapsed = time.perf_counter() - t0
        t = model.timings
        profile = {"forward": t["forward"] / steps, "env_kernel": t["env"] / steps,
                   "rollout_store": t["store"] / steps, "gae": t["gae"] / steps,
                   "update": t["update"] / steps,
                   "other": (elapsed - sum(t.values())) / steps}
        return steps / elapsed, profile

    return run


def _acsolver_runner(python: str, n_envs: int, args: argparse.Namespace):
    """AC-Solver's own loop, one fresh worker process per call (startup not timed)."""
    from mathgym.bench import acsolver_worker

    n_steps = max(1, args.rollout // n_envs)
    calls = [0]

    def run() -> tuple[float, dict[str, float]]:
        request = {"num_envs": n_envs, "num_steps": n_steps, "updates": args.rollouts,
                   "threads": args.threads, "seed": args.seed + calls[0]}
        calls[0] += 1
        out = subprocess.run([python, acsolver_worker.__file__, "ppo"],
                             input=json.dumps(request), capture_output=True, text=True,
                             timeout=3600, check=True)
        answer = json.loads(out.stdout)
        return float(answer["steps_per_s"]), {"versions": answer["versions"]}

    return run


# ----------------------------------------------------------------------------- FLOPs
def _flops_bound(args: argparse.Namespace) -> dict[str, Any]:
    """FLOPs per env step of AC-Solver's two networks, and the bound the matmul rate gives."""
    import torch

    sizes = [72, *NET]
    macs = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    per_net = macs + NET[-1] * 12, macs + NET[-1] * 1  # actor, critic (multiply-adds)
    forward = 2 * sum(per_net)  # FLOPs of one sample through both nets
    per_step = forward * (1 + 3 * 1)  # rollout forward + 1 epoch of forward and backward
    batch = max(64, args.rollout // 4)
    a, b = torch.randn(batch, 256), torch.randn(256, 256)
    for _ in range(3):
        a @ b
    reps = 20 if args.quick else 200
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    gflops = 2 * batch * 256 * 256 * reps / (time.perf_counter() - t0) / 1e9
    return {"flops_per_forward": forward, "flops_per_env_step": per_step,
            "matmul_gflops_measured": round(gflops, 2), "matmul_shape": [batch, 256, 256],
            "bound_env_steps_per_s": round(gflops * 1e9 / per_step, 1),
            "note": "per env step: 1 rollout forward + ~3 forwards (forward+backward) per "
                    "epoch, 1 epoch; bias, tanh, softmax, Adam not counted: a bound, not an "
                    "estimate"}


def _machine(args: argparse.Namespace) -> dict[str, Any]:
    import sb3_contrib
    import stable_baselines3
    import torch

    from mathgym.bench.ac import _machine as ac_machine

    info = ac_machine()
    info.update({"torch": torch.__version__, "stable_baselines3": stable_baselines3.__version__,
                 "sb3_contrib": sb3_contrib.__version__, "device": "cpu",
                 "torch_threads": torch.get_num_threads(),
                 "threads": "torch as above in every row (AC-Solver's worker too); numba "
                            "kernels single-threaded; one process per row kind"})
    return info


def _acsolver_python(args: argparse.Namespace) -> tuple[str | None, str]:
    python = args.acsolver_python
    if python is None and os.path.exists(DEFAULT_ACSOLVER):
        python = DEFAULT_ACSOLVER
    if python is None:
        return None, ("no AC-Solver interpreter: make its venv (" + VENV_HOWTO + ") and pass "
                      "--acsolver-python /tmp/acsolver-venv/bin/python")
    if not os.path.exists(python):
        return None, f"--acsolver-python {python}: no such file; make it with: {VENV_HOWTO}"
    return python, ""


def main(argv: list[str]) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    if args.quick:
        args.repeats, args.rollout, args.rollouts = 1, 256, 2
        args.n_envs = [n for n in args.n_envs if n <= 64] or [8]
    if args.rollouts < 2:
        raise SystemExit(f"--rollouts {args.rollouts}: give >= 2 (AC-Solver's linear lr "
                         "schedule divides by the number of updates - 1)")
    for n in args.n_envs:
        if n < 1 or args.rollout % n:
            raise SystemExit(f"--n-envs {n}: must be >= 1 and divide --rollout {args.rollout}")
    import torch

    torch.set_num_threads(args.threads)
    load_before = round(os.getloadavg()[0], 2)
    report: dict[str, Any] = {
        "workload": {
            "env": ENV_ID, "horizon": HORIZON, "max_relator_length": CAP,
            "cyclic_reduction": True, "reward": "length",
            "network": "AC-Solver's: separate actor and critic MLPs 72-256-256, tanh",
            "update": "1 epoch of 4 minibatches (AC-Solver's), clip 0.2, value clip 0.2",
            "rollout_env_steps": args.rollout, "timed_rollouts": args.rollouts,
            "repeats": args.repeats, "torch_threads": args.threads,
            "statistic": "median of repeats; every round runs every row once, back to back; "
                         "ratios are medians of per-round ratios",
        },
        "machine": _machine(args),
    }
    python, reason = _acsolver_python(args)
    runners: dict[str, Callable[[], tuple[float, dict[str, Any]]]] = {}
    skipped: dict[str, str] = {}
    for n in args.n_envs:
        for row in args.rows:
            if row == "acsolver":
                if python is None:
                    skipped[row] = reason
                    continue
                runners[f"acsolver/{n}"] = _acsolver_runner(python, n, args)
            elif row == "lean":
                runners[f"lean/{n}"] = _lean_runner(n, args)
            else:
                runners[f"{row}/{n}"] = _sb3_runner(row, n, args)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    profiles: dict[str, list[dict[str, Any]]] = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in list(runners.items()):
            try:
                rate, profile = run()
            except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
                detail = (getattr(exc, "stderr", "") or "")[-800:]
                skipped[name.split("/")[0]] = f"{type(exc).__name__}: {exc} {detail}"
                del runners[name]
                rates.pop(name), profiles.pop(name)
                continue
            rates[name].append(rate)
            profiles[name].append(profile)

    learn: dict[str, dict[str, Any]] = {}
    profile_out: dict[str, dict[str, Any]] = {}
    for name, values in rates.items():
        row, n = name.split("/")
        learn.setdefault(row, {})[n] = {"median": round(statistics.median(values), 1),
                                        "runs": [round(v, 1) for v in values]}
        if row == "acsolver":
            report["acsolver_versions"] = profiles[name][-1]["versions"]
            continue
        keys = profiles[name][0].keys()
        profile_out.setdefault(row, {})[n] = {
            k: round(statistics.median(p[k] for p in profiles[name]) * 1e6, 2) for k in keys}
    report["learn_env_steps_per_s"] = learn
    report["profile_us_per_env_step"] = profile_out
    ratios: dict[str, dict[str, float]] = {}
    for row in learn:
        for n in learn[row]:
            base = rates.get(f"acsolver/{n}")
            if row == "acsolver" or not base:
                continue
            ratios.setdefault(row, {})[n] = round(statistics.median(
                a / b for a, b in zip(rates[f"{row}/{n}"], base, strict=True)), 2)
    report["ratio_vs_acsolver_same_n_envs"] = ratios
    best_base = max((statistics.median(v) for k, v in rates.items() if k.startswith("acsolver/")),
                    default=None)
    if best_base:
        report["ratio_vs_acsolver_best_n_envs"] = {
            row: {n: round(v["median"] / best_base, 2) for n, v in learn[row].items()}
            for row in learn if row != "acsolver"}
    report["skipped"] = skipped
    report["flops_bound"] = _flops_bound(args)
    report["machine"]["load_average_1m_before_after"] = [load_before,
                                                         round(os.getloadavg()[0], 2)]
    report["command"] = " ".join(["python -m mathgym.bench rl", *argv])
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
