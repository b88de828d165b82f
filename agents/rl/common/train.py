"""``mathgym train``: the training loop every learner shares (solve while training, checkpoints).

Design note
-----------
A learner (``sb3-ppo``, ``sb3-maskable-ppo``, ``sb3-dqn``; :data:`LEARNERS`) is an SB3
algorithm built by a small function in its own folder (``agents/rl/ppo/``, ``agents/rl/dqn/``)
from a ``@dataclass`` of hyperparameters. Everything else is here and shared:

- **Solving while training** (AC-Solver's protocol, ``split="benchmark"``). The envs start from
  the benchmark's own presentations, chosen by :class:`~mathgym.agents.rl.common.schedule.
  SelectionSchedule` (a first pass in order, then 75% unsolved / 25% solved, seeded). Every
  episode's actions are recorded in numpy by :class:`~mathgym.agents.rl.common.training_env.
  TrainingACVectorEnv`; when an episode solves its presentation, the path is replayed by the
  benchmark's verifier under the *instance's* cap (the env runs at one cap for all, AC-Solver's
  36, so a path may leave the instance's cap) and the shortest verified path is kept as the
  instance's certificate, with the run's env-step count at the moment it was found as its cost.
  ``results.json`` (schema-valid, atomic, through :mod:`mathgym.harness.results`) is rewritten
  at every checkpoint: one record per instance for seed ``--seed``; solved records carry the
  path and that cost, unsolved ones the steps spent so far. A top-level ``"training"`` block
  holds the learner, steps, the solved-vs-steps curve and the model's sha256.
- **Train, then evaluate** (``split="random"``): the envs start from ``split_size``
  presentations made by ``split_moves`` seeded random AC moves from the trivial one, none of
  them a benchmark instance; only ``model.zip`` and ``training.json`` are written, and
  ``mathgym eval --agent sb3 --config checkpoint=OUT/model.zip`` attempts the benchmark.
- **Kill -9 safe.** Every ``checkpoint_every`` env steps, at a rollout boundary, the whole
  state (:mod:`mathgym.agents.rl.common.checkpoint`) is written atomically, then ``model.zip``
  and ``results.json``. ``--resume`` rebuilds the model from the stored config, restores the
  state and calls SB3's ``learn`` with ``reset_num_timesteps=False``, so the run continues as if
  never stopped (on CPU, torch on the configured threads). One writer per ``--out``
  (:class:`~mathgym.harness.outdir.OutDirLock`).
- **Readable while running**: a tqdm bar (steps/s, solved), SB3's logger to CSV and
  TensorBoard under ``OUT/logs/session-K`` (K counts the resumes).

- **Families** (:mod:`mathgym.agents.rl.common.families`): what differs per env is in one
  module each beside this loop: ``ac`` (the numba vector env, AC-Solver's protocol, the random
  split), ``progsynth`` (a generated training split disjoint from the benchmarks by seed, the
  feature wrapper, MaskedDQN's defaults) and ``metamath`` (solving while training behind
  ``HashedTextFeatures``). A family gives its env config dataclass, its splits, learner defaults
  and ``build(benchmark, env_cfg, seed)``: the SB3 VecEnv, its checkpoint state and the
  :class:`~mathgym.agents.rl.common.solve_log.SolveLog`.

Budget unit: env steps, summed over the envs (AC's ``search_nodes`` count one per env step).
The run stops exactly at the budget (it must be a multiple of ``n_envs``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bump when the training loop's behaviour changes (results record it as the agent version).
TRAIN_VERSION = "3"
CHECKPOINT_NAME = "checkpoint.pt"
MODEL_NAME = "model.zip"
RUN_NAME = "run.json"
TRAINING_NAME = "training.json"
RESULTS_NAME = "results.json"
SPLITS = ("benchmark", "random")  # the AC family's (each family lists its own)


@dataclass
class EnvConfig:
    """The env side of an AC training run (the AC family's); defaults are AC-Solver's."""

    n_envs: int = 4
    """parallel envs (AC-Solver: 4)"""
    horizon: int = 2000
    """episode length (AC-Solver: 2000)"""
    max_relator_length: int = 36
    """relator-length cap of the training env (AC-Solver: 36 for all of ms1190)"""
    reward: str = "length"
    """'length' (minus the total relator length each step, max_reward on solving) or 'sparse'"""
    reward_scale: float | None = None
    """multiplier of the clipped reward; None: 1 / max_reward for 'length' (AC-Solver), 1 for
    'sparse'"""
    reward_clip: list[float] | None = field(default_factory=lambda: [-10.0, 1000.0])
    """clip the env's reward to [low, high] before scaling (AC-Solver: [-10, 1000]); None: no
    clip"""
    cyclic_reduction: bool = True
    """cyclically reduce every relator after each move, as AC-Solver's env does; paths are
    rewritten as plain AC moves (agents/rl/common/cyclic.py) before they are verified"""
    p_unsolved: float = 0.75
    """after the first pass, probability that a reset draws an unsolved presentation"""
    split: str = "benchmark"
    """'benchmark': solve the benchmark while training; 'random': a disjoint training split"""
    split_size: int = 1000
    """split="random": number of training presentations"""
    split_moves: int = 20
    """split="random": seeded random AC moves from the trivial presentation per presentation"""
    torch_threads: int = 1
    """torch CPU threads (fixed, so a resumed run computes exactly what an uninterrupted one
    does)"""


@dataclass
class TrainArgs:
    """One ``mathgym train`` invocation."""

    benchmark: str
    """benchmark id, e.g. ac/ms1190"""
    learner: str
    """learner name (see LEARNERS)"""
    budget: int
    """training env steps"""
    out: str
    """output folder"""
    seed: int = 0
    """seed of the model, the schedule and the split"""
    config: dict[str, Any] = field(default_factory=dict)
    """KEY=VALUE overrides of the learner's and the env's config"""
    resume: bool = False
    """continue the run in out"""
    checkpoint_every: int = 200_000
    """env steps between checkpoints (taken at the next rollout boundary)"""
    device: str = "auto"
    """torch device: auto, cpu, cuda, cuda:N"""
    progress: bool = True
    """show a progress bar"""


def learners() -> dict[str, tuple[type, Any, str]]:
    """learner name -> (config dataclass, builder, "module:Class" of its SB3 algorithm)."""
    from mathgym.agents.rl.dqn import LEARNERS as DQN_LEARNERS
    from mathgym.agents.rl.ppo import LEARNERS as PPO_LEARNERS

    return {**PPO_LEARNERS, **DQN_LEARNERS}


def algorithm_class(learner: str) -> type:
    """The SB3 algorithm class of ``learner`` (e.g. ``PPO`` for ``sb3-ppo``)."""
    import importlib

    module, _, name = learners()[learner][2].partition(":")
    return getattr(importlib.import_module(module), name)


# ----------------------------------------------------------------------------- config
def split_config(learner: str, overrides: dict[str, Any],
                 family: Any = None) -> tuple[Any, Any]:
    """The learner's config and the env config, with ``overrides`` applied and checked.

    ``family`` (:class:`~mathgym.agents.rl.common.families.Family`; default AC) gives the env
    config class, the splits and learner defaults of its own.
    """
    if family is None:
        from mathgym.agents.rl.common.families.ac import family as ac_family

        family = ac_family()
    table = learners()
    if learner not in table:
        raise ValueError(f"unknown learner {learner!r}; known learners: {', '.join(table)}")
    algo_cls, env_cls = table[learner][0], family.config_class
    algo_fields = {f.name: f for f in dataclasses.fields(algo_cls)}
    env_fields = {f.name: f for f in dataclasses.fields(env_cls)}
    algo_kw, env_kw = dict(family.learner_defaults.get(learner, {})), {}
    for key, value in overrides.items():
        if key in env_fields:
            env_kw[key] = value
        elif key in algo_fields:
            algo_kw[key] = value
        else:
            raise ValueError(
                f"--config {key}: not a setting of {learner}; its settings are "
                f"{', '.join(sorted(algo_fields))}; env settings ({family.name}): "
                f"{', '.join(sorted(env_fields))}")
    algo_cfg, env_cfg = algo_cls(**algo_kw), env_cls(**env_kw)
    for cfg in (algo_cfg, env_cfg):
        for f in dataclasses.fields(cfg):
            _check_type(cfg, f)
    if env_cfg.split not in family.splits:
        raise ValueError(f"--config split={env_cfg.split!r}: must be one of {family.splits}")
    for name in ("n_envs", "torch_threads"):
        if getattr(env_cfg, name) < 1:
            raise ValueError(f"--config {name}={getattr(env_cfg, name)}: must be >= 1")
    family.check(env_cfg)
    return algo_cfg, env_cfg


def _check_type(cfg: Any, f: dataclasses.Field) -> None:
    value = getattr(cfg, f.name)
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    if value is None or default is None or value == default:
        return
    ok = {bool: isinstance(value, bool), int: isinstance(value, int) and not isinstance(
        value, bool), float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str), list: isinstance(value, list)}.get(type(default), True)
    if not ok:
        raise ValueError(f"--config {f.name}={value!r}: expected a {type(default).__name__} "
                         f"like the default {default!r}")


def resolved_config(algo_cfg: Any, env_cfg: Any) -> dict[str, Any]:
    """The full JSON-ready config of a run (learner and env settings, defaults included)."""
    return {**dataclasses.asdict(algo_cfg), **dataclasses.asdict(env_cfg)}


# ----------------------------------------------------------------------------- families
# The AC family's starts and split, and the solve log, live beside this loop (re-exported here).
from mathgym.agents.rl.common.families.ac import ac_starts as _ac_starts  # noqa: E402, F401
from mathgym.agents.rl.common.families.ac import random_split  # noqa: E402, F401
from mathgym.agents.rl.common.solve_log import SolveLog  # noqa: E402


# ----------------------------------------------------------------------------- outputs
def _save_model_zip(model: Any, path: Path) -> str:
    """``model.save`` to ``path`` atomically; returns the file's sha256."""
    buf = io.BytesIO()
    model.save(buf)
    data = buf.getvalue()
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def training_block(learner: str, steps: int, log: SolveLog, sha: str | None,
                   env_cfg: Any, finished: bool, family: str = "ac",
                   config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``"training"`` block of results.json (and the content of training.json)."""
    return {
        "learner": learner,
        "steps": int(steps),
        "curve": [list(map(int, p)) for p in log.curve] + (
            [[int(steps), len(log.best)]] if log.curve[-1][0] != steps else []),
        "checkpoint_sha256": sha,
        "split": env_cfg.split,
        "finished": bool(finished),
        "solved_at_training_cap": len(log.env_solved),
        "episodes_solved": int(log.episodes_solved),
        "paths_rejected_at_instance_cap": int(log.rejected_at_cap),
        "family": family,
        "config": config if config is not None else dataclasses.asdict(env_cfg),
    }


def build_results_doc(benchmark: Any, learner: str, config: dict[str, Any], budget: int,
                      seed: int, steps: int, log: SolveLog, training: dict[str, Any],
                      wall_time: float) -> dict[str, Any]:
    """results.json of a solve-while-training run (records verified by the harness)."""
    from mathgym.harness.environment import capture_environment, utc_now
    from mathgym.harness.runner import build_results, finish_record

    records = []
    for index, inst in enumerate(benchmark.instances):
        best = log.best.get(index)
        raw = {"claimed": best is not None, "certificate": None if best is None else best["path"],
               "cost": int(steps) if best is None else int(best["step"]), "wall_time": 0.0,
               "info": {} if best is None else {"first_solved_step": int(best["first_step"]),
                                                "path_length": len(best["path"]),
                                                "env_path_length": int(best["env_length"]),
                                                "times_solved": int(best["finds"])},
               "error": None}
        records.append(finish_record(benchmark, inst, budget, seed, raw))
    agent = {"name": learner, "version": TRAIN_VERSION, "config": config}
    run = {"command": "train", "wall_time": round(float(wall_time), 3), "finished_at": utc_now()}
    doc = build_results(benchmark, agent, budget, [seed], list(benchmark.instances), records,
                        capture_environment(), run)
    doc["training"] = training
    return doc


# ----------------------------------------------------------------------------- the loop
def _callback(state: dict[str, Any]):
    """SB3 callback: checkpoints at rollout boundaries, exact stop at the budget, progress."""
    from stable_baselines3.common.callbacks import BaseCallback

    class TrainCallback(BaseCallback):
        def _on_rollout_start(self) -> None:
            if self.num_timesteps - state["last_checkpoint"] >= state["checkpoint_every"]:
                state["save"](self.model)

        def _on_step(self) -> bool:
            bar = state["bar"]
            if bar is not None and self.n_calls % 64 == 0:
                bar.set_postfix(solved=state["solved"](), refresh=False)
                bar.update(self.num_timesteps - bar.n)  # redraws at most once a second
            return self.num_timesteps < state["budget"]

    return TrainCallback()


def train(args: TrainArgs) -> dict[str, Any]:
    """Run (or resume) one training run; returns the final training block."""
    import torch
    from mathgym.agents.rl.common.checkpoint import (
        load_checkpoint,
        model_state,
        rng_states,
        save_checkpoint,
        set_model_state,
        set_rng_states,
    )
    from mathgym.agents.rl.common.device import resolve_device
    from mathgym.agents.rl.common.families import family_for
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecMonitor

    from mathgym.harness.outdir import OutDirLock
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.results import atomic_write_text, dumps, write_results

    benchmark = get_benchmark(args.benchmark)
    family = family_for(benchmark)
    algo_cfg, env_cfg = split_config(args.learner, args.config, family)
    config = resolved_config(algo_cfg, env_cfg)
    budget = args.budget
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"--budget {budget!r}: give a whole number of env steps >= 1")
    if budget % env_cfg.n_envs:
        raise ValueError(f"--budget {budget} is not a multiple of n_envs={env_cfg.n_envs}: the "
                         f"run stops exactly at the budget, after a whole vector step; use "
                         f"{budget - budget % env_cfg.n_envs}")
    if args.checkpoint_every < 1:
        raise ValueError(f"--checkpoint-every {args.checkpoint_every}: must be >= 1 env steps")
    device = resolve_device(args.device)
    out = Path(args.out)
    identity = {"benchmark": benchmark.full_id, "content_hash": benchmark.content_hash,
                "learner": args.learner, "version": TRAIN_VERSION, "config": config,
                "budget": budget, "seed": args.seed}

    lock = OutDirLock(out).acquire()
    try:
        run_file = out / RUN_NAME
        if run_file.exists() and not args.resume:
            raise ValueError(f"{run_file} already exists: pass --resume to continue that run, "
                             "or choose another --out")
        if args.resume and run_file.exists():
            stored = json.loads(run_file.read_text(encoding="utf-8"))
            want = json.loads(json.dumps(identity))
            diff = sorted(k for k in set(stored) | set(want) if stored.get(k) != want.get(k))
            if diff:
                raise ValueError(f"--resume with other settings than the run in {out} "
                                 f"(differs in: {', '.join(diff)}); use the original command "
                                 "or another --out")
        elif (out / RESULTS_NAME).exists() or (out / CHECKPOINT_NAME).exists():
            raise ValueError(f"{out} holds another run's files; choose another --out")
        else:
            atomic_write_text(run_file, dumps(identity))

        torch.set_num_threads(env_cfg.torch_threads)
        setup = family.build(benchmark, env_cfg, args.seed)
        log = setup.log
        venv = VecMonitor(setup.venv)  # VecMonitor: episode return and length logs
        build = learners()[args.learner][1]
        model = build(algo_cfg, venv, args.seed, device)

        ckpt_path = out / CHECKPOINT_NAME
        session = 0
        wall_before = 0.0
        if args.resume and ckpt_path.exists():
            ckpt = load_checkpoint(ckpt_path)
            set_model_state(model, ckpt["model"])
            setup.set_state(ckpt["env"])
            log.set_state(ckpt["log"])
            set_rng_states(model, ckpt["rng"])
            session = int(ckpt["session"]) + 1
            wall_before = float(ckpt["wall_time"])
        logs = out / "logs" / f"session-{session}"
        model.set_logger(configure(str(logs), ["csv", "tensorboard"]))

        start = time.perf_counter()
        sha: list[str | None] = [None]
        state: dict[str, Any] = {"budget": budget, "checkpoint_every": args.checkpoint_every,
                                 "last_checkpoint": model.num_timesteps, "bar": None,
                                 "solved": lambda: len(log.best) if log.benchmark is not None
                                 else len(log.env_solved)}

        def write_outputs(m: Any, finished: bool) -> None:
            sha[0] = _save_model_zip(m, out / MODEL_NAME)
            steps = int(m.num_timesteps)
            block = training_block(args.learner, steps, log, sha[0], env_cfg, finished,
                                   family.name, config)
            atomic_write_text(out / TRAINING_NAME, dumps(block))
            if log.benchmark is not None:
                doc = build_results_doc(benchmark, args.learner, config, budget, args.seed,
                                        steps, log, block,
                                        wall_before + time.perf_counter() - start)
                write_results(out / RESULTS_NAME, doc)

        def save(m: Any) -> None:
            save_checkpoint(ckpt_path, {
                "model": model_state(m), "env": setup.state(), "log": log.state(),
                "rng": rng_states(m), "session": session,
                "wall_time": wall_before + time.perf_counter() - start,
            })
            write_outputs(m, finished=False)
            state["last_checkpoint"] = m.num_timesteps

        state["save"] = save
        remaining = budget - int(model.num_timesteps)
        if remaining > 0:
            if args.progress:
                from tqdm import tqdm

                state["bar"] = tqdm(total=budget, initial=int(model.num_timesteps),
                                    unit="step", unit_scale=True, mininterval=1.0,
                                    desc=f"{args.learner} {benchmark.id}", file=sys.stderr)
            try:
                model.learn(remaining, callback=_callback(state),
                            reset_num_timesteps=not (args.resume and ckpt_path.exists()))
            finally:
                if state["bar"] is not None:
                    state["bar"].n = int(model.num_timesteps)
                    state["bar"].set_postfix(solved=state["solved"]())
                    state["bar"].close()
        save(model)
        write_outputs(model, finished=True)
        return training_block(args.learner, int(model.num_timesteps), log, sha[0], env_cfg, True,
                              family.name, config)
    finally:
        lock.release()
