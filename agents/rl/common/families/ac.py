"""The AC family of ``mathgym train``: AC-Solver's protocol on the numba vector env.

Env settings: :class:`~mathgym.agents.rl.common.train.EnvConfig` (AC-Solver's defaults).
``split="benchmark"`` trains on the benchmark's presentations (the selection schedule, every
solving path verified under the instance's cap, rewritten as plain AC moves when the env
reduces cyclically); ``split="random"`` on :func:`random_split`, disjoint from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mathgym.agents.rl.common.families import Family, Setup
from mathgym.agents.rl.common.solve_log import SolveLog


def ac_starts(benchmark: Any, cap: int) -> np.ndarray:
    """The benchmark's presentations as ``(N, 2 * cap)`` AC-Solver states at the env's cap."""
    from mathgym.envs.ac.env import fit_presentation
    from mathgym.envs.ac.presentation import as_presentation

    if benchmark.env_id != "mathgym/AC-v0":
        raise ValueError(f"the AC family trains on the AC benchmarks (env mathgym/AC-v0); "
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


def check(cfg: Any) -> None:
    """AC-only settings: reward, cap, clip."""
    if cfg.reward not in ("length", "sparse"):
        raise ValueError(f"--config reward={cfg.reward!r}: must be 'length' or 'sparse'")
    for name in ("horizon", "max_relator_length", "split_size"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"--config {name}={getattr(cfg, name)}: must be >= 1")
    if cfg.reward_clip is not None and len(cfg.reward_clip) != 2:
        raise ValueError("--config reward_clip: give [low, high], e.g. reward_clip=[-10,1000], "
                         "or reward_clip=null")


def build(benchmark: Any, cfg: Any, seed: int) -> Setup:
    """``TrainingACVectorEnv`` (numba) behind ``SB3VecEnv``, over the benchmark or the split."""
    from mathgym.agents.rl.common.cyclic import expand_cyclic_path
    from mathgym.agents.rl.common.schedule import SelectionSchedule
    from mathgym.agents.rl.common.training_env import TrainingACVectorEnv
    from mathgym.agents.rl.common.vec_env import SB3VecEnv

    cap = cfg.max_relator_length
    bench_starts = ac_starts(benchmark, cap)
    if cfg.split == "benchmark":
        starts = bench_starts
        rewrite = None
        if cfg.cyclic_reduction:
            def rewrite(index: int, path: list[int]) -> list[int]:
                return expand_cyclic_path(benchmark.instances[index].data["relators"], path, cap)
        log = SolveLog(benchmark, rewrite)
    else:
        starts = random_split(cfg.split_size, cfg.split_moves, cap, seed, bench_starts)
        log = SolveLog(None)
    schedule = SelectionSchedule(len(starts), seed=seed, p_unsolved=cfg.p_unsolved)
    max_reward = float(cfg.horizon * cap * 2)
    scale = cfg.reward_scale
    if scale is None:
        scale = 1.0 / max_reward if cfg.reward == "length" else 1.0
    vec = TrainingACVectorEnv(
        starts, schedule, cfg.n_envs, cap, cfg.horizon, cfg.reward, scale,
        None if cfg.reward_clip is None else tuple(cfg.reward_clip), on_solved=log,
        cyclic_reduction=cfg.cyclic_reduction)
    return Setup(SB3VecEnv(vec), log, vec.state, vec.set_state)


def family() -> Family:
    from mathgym.agents.rl.common.train import EnvConfig

    return Family("ac", EnvConfig, ("benchmark", "random"), build, check)
