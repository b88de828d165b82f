"""``random``: uniform random legal moves in the benchmark's env (the floor every agent must beat).

The agent builds the instance's env with :meth:`Benchmark.make_env`, resets it with the attempt
seed and takes actions uniformly among the legal ones (``info["action_mask"]`` when the env
provides one, else every action of its ``Discrete`` action space). When an episode ends without
success (terminated or truncated) it resets and starts a fresh walk. One env step costs one unit
of budget; it stops when the budget is spent.

Success is read from ``info["is_success"]`` (the SB3 convention), else ``info["solved"]``, else
"terminated with positive reward". The certificate is the list of action ids of the successful
episode, which is the AC certificate format (move ids applied from the instance).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from mathgym.harness.agent import Agent, Attempt
from mathgym.harness.benchmark import Benchmark, Instance

#: Budget units in which one env step is one unit.
STEP_UNITS = ("env_steps", "search_nodes")

#: benchmark full id -> whether its env's action space is Discrete (probed once per process).
_DISCRETE: dict[str, bool] = {}


def _succeeded(info: dict[str, Any], reward: float, terminated: bool) -> bool:
    for key in ("is_success", "solved"):
        if key in info:
            return bool(info[key])
    return bool(terminated and reward > 0)


class RandomAgent(Agent):
    """Uniform random walk over legal actions, restarted at every episode end."""

    name = "random"
    version = "1"

    def __init__(self) -> None:
        super().__init__()

    def supports(self, benchmark: Benchmark) -> bool:
        """Benchmarks whose env has ``Discrete`` actions and whose budget counts env steps
        (or nodes, one per step). Text-action envs (Lean, MathQA) need a policy, not dice."""
        if benchmark.env_id is None or benchmark.budget_unit not in STEP_UNITS:
            return False
        if benchmark.full_id not in _DISCRETE:
            env = benchmark.make_env(benchmark.instances[0])
            try:
                _DISCRETE[benchmark.full_id] = isinstance(env.action_space, gym.spaces.Discrete)
            finally:
                env.close()
        return _DISCRETE[benchmark.full_id]

    def attempt(
        self, benchmark: Benchmark, instance: Instance, budget: float, seed: int
    ) -> Attempt:
        env = benchmark.make_env(instance)
        try:
            if not isinstance(env.action_space, gym.spaces.Discrete):
                raise ValueError(
                    f"the random agent needs a Discrete action space; {benchmark.full_id} has "
                    f"{env.action_space}. Use an agent made for text actions instead."
                )
            n_actions = int(env.action_space.n)
            rng = np.random.default_rng(seed)
            _, info = env.reset(seed=seed)
            path: list[int] = []
            steps = 0
            episodes = 1
            while steps < budget:
                mask = info.get("action_mask")
                legal = np.flatnonzero(mask) if mask is not None else np.arange(n_actions)
                if legal.size == 0:  # a dead end: start over
                    _, info = env.reset()
                    path, episodes = [], episodes + 1
                    continue
                action = int(legal[rng.integers(legal.size)])
                _, reward, terminated, truncated, info = env.step(action)
                steps += 1
                path.append(action)
                if _succeeded(info, float(reward), terminated):
                    return Attempt(True, path, steps, {"episodes": episodes})
                if terminated or truncated:
                    _, info = env.reset()
                    path, episodes = [], episodes + 1
            return Attempt(False, None, steps, {"episodes": episodes})
        finally:
            env.close()


AGENTS = {"random": RandomAgent}
