"""A seeded short ``mathgym train`` run learns: on ``test/ac-easy`` (16 presentations three
random moves from trivial, ``test_ppo_learns.py``'s set) PPO solving while training solves far
more episodes than random moves do in the same env, schedule and number of steps, and at least
as many distinct presentations; every certificate in results.json verifies and costs between
its length and the budget.
"""

from __future__ import annotations

import json

import numpy as np
from ac_easy_plugin import EASY_ID, FAST_PPO, easy_benchmark, register
from mathgym.agents.rl.common.schedule import SelectionSchedule
from mathgym.agents.rl.common.train import TrainArgs, _ac_starts, train
from mathgym.agents.rl.common.training_env import TrainingACVectorEnv

BUDGET = 65_536


def _random_agent(n_envs: int, seed: int) -> tuple[int, int]:
    """Episodes solved and distinct presentations solved by uniform random moves."""
    bench = easy_benchmark()
    starts = _ac_starts(bench, FAST_PPO["max_relator_length"])
    solved: set[int] = set()
    episodes = [0]

    def on_solved(index: int, path: list[int], step: int) -> None:
        episodes[0] += 1
        solved.add(index)

    env = TrainingACVectorEnv(starts, SelectionSchedule(len(starts), seed), n_envs,
                              FAST_PPO["max_relator_length"], FAST_PPO["horizon"], "sparse",
                              on_solved=on_solved)  # FAST_PPO: no cyclic reduction
    env.reset()
    rng = np.random.default_rng(seed)
    for _ in range(BUDGET // n_envs):
        env.step(rng.integers(0, 12, n_envs))
    return episodes[0], len(solved)


def test_training_solves_more_than_random_moves(tmp_path):
    register()
    out = tmp_path / "run"
    block = train(TrainArgs(benchmark=EASY_ID, learner="sb3-ppo", budget=BUDGET, out=str(out),
                            seed=0, config=dict(FAST_PPO), device="cpu", progress=False))
    random_episodes, random_distinct = _random_agent(FAST_PPO["n_envs"], seed=0)
    # seen: 1000+ episodes and all 16 presentations, against 30-40 random episodes
    assert block["episodes_solved"] > 10 * max(random_episodes, 1), (block, random_episodes)
    doc = json.loads((out / "results.json").read_text())
    solved = [r for r in doc["results"] if r["solved"]]
    assert len(solved) >= max(random_distinct, 8), (len(solved), random_distinct)
    assert all(len(r["certificate"]) <= r["cost"] <= BUDGET for r in solved)
    assert doc["metrics"]["solved"] == len(solved) == block["curve"][-1][1]
    steps = [p[0] for p in block["curve"]]
    assert steps == sorted(steps) and steps[-1] == BUDGET
