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

import numpy as np

#: Bump when the training loop's behaviour changes (results record it as the agent version).
TRAIN_VERSION = "3"
CHECKPOINT_NAME = "checkpoint.pt"
MODEL_NAME = "model.zip"
RUN_NAME = "run.json"
TRAINING_NAME = "training.json"
RESULTS_NAME = "results.json"
SPLITS = ("benchmark", "random")


@dataclass
class EnvConfig:
    """The env side of a training run; defaults are AC-Solver's."""

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
def split_config(learner: str, overrides: dict[str, Any]) -> tuple[Any, EnvConfig]:
    """The learner's config and the env config, with ``overrides`` applied and checked."""
    table = learners()
    if learner not in table:
        raise ValueError(f"unknown learner {learner!r}; known learners: {', '.join(table)}")
    algo_cls = table[learner][0]
    algo_fields = {f.name: f for f in dataclasses.fields(algo_cls)}
    env_fields = {f.name: f for f in dataclasses.fields(EnvConfig)}
    algo_kw, env_kw = {}, {}
    for key, value in overrides.items():
        if key in env_fields:
            env_kw[key] = value
        elif key in algo_fields:
            algo_kw[key] = value
        else:
            raise ValueError(
                f"--config {key}: not a setting of {learner}; its settings are "
                f"{', '.join(sorted(algo_fields))}; env settings: {', '.join(sorted(env_fields))}")
    algo_cfg, env_cfg = algo_cls(**algo_kw), EnvConfig(**env_kw)
    for cfg in (algo_cfg, env_cfg):
        for f in dataclasses.fields(cfg):
            _check_type(cfg, f)
    if env_cfg.split not in SPLITS:
        raise ValueError(f"--config split={env_cfg.split!r}: must be one of {SPLITS}")
    if env_cfg.reward not in ("length", "sparse"):
        raise ValueError(f"--config reward={env_cfg.reward!r}: must be 'length' or 'sparse'")
    for name in ("n_envs", "horizon", "max_relator_length", "split_size", "torch_threads"):
        if getattr(env_cfg, name) < 1:
            raise ValueError(f"--config {name}={getattr(env_cfg, name)}: must be >= 1")
    if env_cfg.reward_clip is not None and len(env_cfg.reward_clip) != 2:
        raise ValueError("--config reward_clip: give [low, high], e.g. reward_clip=[-10,1000], "
                         "or reward_clip=null")
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


def resolved_config(algo_cfg: Any, env_cfg: EnvConfig) -> dict[str, Any]:
    """The full JSON-ready config of a run (learner and env settings, defaults included)."""
    return {**dataclasses.asdict(algo_cfg), **dataclasses.asdict(env_cfg)}


# ----------------------------------------------------------------------------- instances
def _ac_starts(benchmark: Any, cap: int) -> np.ndarray:
    """The benchmark's presentations as ``(N, 2 * cap)`` AC-Solver states at the env's cap."""
    from mathgym.envs.ac.env import fit_presentation
    from mathgym.envs.ac.presentation import as_presentation

    if benchmark.env_id != "mathgym/AC-v0":
        raise ValueError(f"mathgym train supports the AC benchmarks (env mathgym/AC-v0); "
                         f"{benchmark.full_id} uses {benchmark.env_id!r}")
    rows = []
    for inst in benchmark.instances:
        p = as_presentation(inst.data["presentation"])
        if max(p.lengths) > cap:
            raise ValueError(f"instance {inst.id} has a relator longer than the training cap "
                             f"{cap}: raise --config max_relator_length")
        rows.append(fit_presentation(p, 2, cap, inst.id).to_array(cap))
    return np.stack(rows).astype(np.int8)


def random_split(size: int, moves: int, cap: int, seed: int, exclude: np.ndarray) -> np.ndarray:
    """``size`` distinct presentations, each ``moves`` seeded random AC moves from ``<x, y | x,
    y>`` at ``cap``, none trivial and none equal to a row of ``exclude`` (the benchmark's).

    The training split of "train, then evaluate": AC-trivial by construction (the moves run
    backwards solve them) and disjoint from the benchmark's instances.
    """
    from mathgym.envs.ac.env import ACEnv

    rng = np.random.default_rng([seed, 20261201])
    env = ACEnv("x, y", max_relator_length=cap, horizon=moves + 1)
    seen = {row.tobytes() for row in np.asarray(exclude, dtype=np.int8)}
    out: list[np.ndarray] = []
    tries = 0
    while len(out) < size:
        tries += 1
        if tries > 100 * size + 1000:
            raise ValueError(f"could not draw {size} distinct presentations with {moves} moves "
                             "at this cap: lower split_size or raise split_moves")
        state, _ = env.reset()
        for move in rng.integers(0, 12, moves):
            state, *_ = env.step(int(move))
        key = np.asarray(state, dtype=np.int8)
        if env.state_presentation.is_trivial or key.tobytes() in seen:
            continue
        seen.add(key.tobytes())
        out.append(key)
    return np.stack(out)


# ----------------------------------------------------------------------------- solve log
class SolveLog:
    """Shortest verified path per training instance, the curve and solve counts."""

    def __init__(self, benchmark: Any | None, cyclic_cap: int | None = None) -> None:
        self.benchmark = benchmark  # None: a random split (nothing to certify)
        self.cyclic_cap = cyclic_cap  # the training cap when the env reduces cyclically
        self.best: dict[int, dict[str, Any]] = {}
        self.env_solved: set[int] = set()
        self.episodes_solved = 0
        self.rejected_at_cap = 0
        self.curve: list[list[int]] = [[0, 0]]

    def __call__(self, index: int, path: list[int], step: int) -> None:
        """A training episode solved instance ``index`` by ``path`` at run step ``step``."""
        self.episodes_solved += 1
        self.env_solved.add(index)
        if self.benchmark is None:
            return
        best = self.best.get(index)
        if self.cyclic_cap is not None:
            from mathgym.agents.rl.common.cyclic import expand_cyclic_path

            if best is not None and len(path) >= best["env_length"]:
                best["finds"] += 1
                return
            env_length = len(path)
            path = expand_cyclic_path(self.benchmark.instances[index].data["relators"], path,
                                      self.cyclic_cap)
        else:
            env_length = len(path)
        if best is not None and len(path) >= len(best["path"]):
            best["finds"] += 1
            return
        verdict = self.benchmark.check(self.benchmark.instances[index], path)
        if not verdict.ok:  # left the instance's cap on the way: not a certificate of it
            self.rejected_at_cap += 1
            return
        if best is None:
            self.best[index] = {"path": path, "step": step, "first_step": step, "finds": 1,
                                "env_length": env_length}
            self.curve.append([step, len(self.best)])
        else:
            best.update(path=path, step=step, finds=best["finds"] + 1, env_length=env_length)

    def state(self) -> dict[str, Any]:
        return {"best": self.best, "env_solved": sorted(self.env_solved),
                "episodes_solved": self.episodes_solved, "rejected_at_cap": self.rejected_at_cap,
                "curve": self.curve}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best = {int(k): dict(v) for k, v in state["best"].items()}
        self.env_solved = set(state["env_solved"])
        self.episodes_solved = int(state["episodes_solved"])
        self.rejected_at_cap = int(state["rejected_at_cap"])
        self.curve = [list(p) for p in state["curve"]]


# ----------------------------------------------------------------------------- outputs
def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
                   env_cfg: EnvConfig, finished: bool) -> dict[str, Any]:
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
    from mathgym.agents.rl.common.schedule import SelectionSchedule
    from mathgym.agents.rl.common.training_env import TrainingACVectorEnv
    from mathgym.agents.rl.common.vec_env import SB3VecEnv
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecMonitor

    from mathgym.harness.outdir import OutDirLock
    from mathgym.harness.registry import get_benchmark
    from mathgym.harness.results import atomic_write_text, dumps, write_results

    algo_cfg, env_cfg = split_config(args.learner, args.config)
    config = resolved_config(algo_cfg, env_cfg)
    benchmark = get_benchmark(args.benchmark)
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
        cap = env_cfg.max_relator_length
        bench_starts = _ac_starts(benchmark, cap)
        if env_cfg.split == "benchmark":
            starts = bench_starts
            log = SolveLog(benchmark, cap if env_cfg.cyclic_reduction else None)
        else:
            starts = random_split(env_cfg.split_size, env_cfg.split_moves, cap, args.seed,
                                  bench_starts)
            log = SolveLog(None)
        schedule = SelectionSchedule(len(starts), seed=args.seed, p_unsolved=env_cfg.p_unsolved)
        max_reward = float(env_cfg.horizon * cap * 2)
        scale = env_cfg.reward_scale
        if scale is None:
            scale = 1.0 / max_reward if env_cfg.reward == "length" else 1.0
        vec = TrainingACVectorEnv(
            starts, schedule, env_cfg.n_envs, cap, env_cfg.horizon, env_cfg.reward, scale,
            None if env_cfg.reward_clip is None else tuple(env_cfg.reward_clip), on_solved=log,
            cyclic_reduction=env_cfg.cyclic_reduction)
        venv = VecMonitor(SB3VecEnv(vec))  # VecMonitor: episode return and length logs
        build = learners()[args.learner][1]
        model = build(algo_cfg, venv, args.seed, device)

        ckpt_path = out / CHECKPOINT_NAME
        session = 0
        wall_before = 0.0
        if args.resume and ckpt_path.exists():
            ckpt = load_checkpoint(ckpt_path)
            set_model_state(model, ckpt["model"])
            vec.set_state(ckpt["env"])
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
            block = training_block(args.learner, steps, log, sha[0], env_cfg, finished)
            atomic_write_text(out / TRAINING_NAME, dumps(block))
            if log.benchmark is not None:
                doc = build_results_doc(benchmark, args.learner, config, budget, args.seed,
                                        steps, log, block,
                                        wall_before + time.perf_counter() - start)
                write_results(out / RESULTS_NAME, doc)

        def save(m: Any) -> None:
            save_checkpoint(ckpt_path, {
                "model": model_state(m), "env": vec.state(), "log": log.state(),
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
        return training_block(args.learner, int(model.num_timesteps), log, sha[0], env_cfg, True)
    finally:
        lock.release()
