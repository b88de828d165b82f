"""``progsynth-random``: masked-random episodes in ``mathgym/MathProgSynth-v0``.

Each episode picks uniformly among the actions the type mask allows, until the graph is
complete; episodes repeat until one earns reward 1 or the env-step budget runs out. The floor
any learned policy must beat.
"""

from __future__ import annotations

import numpy as np

from mathgym.harness.agent import Agent, Attempt


class ProgSynthRandomAgent(Agent):
    """Uniform over the masked actions; certificate = the winning episode's actions."""

    name = "progsynth-random"
    version = "1"

    def __init__(self) -> None:
        super().__init__()

    def supports(self, benchmark) -> bool:
        return benchmark.env_id == "mathgym/MathProgSynth-v0"

    def attempt(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        rng = np.random.default_rng(seed)
        env = benchmark.make_env(instance)
        steps = episodes = 0
        try:
            while steps < budget:
                _, info = env.reset(seed=int(rng.integers(2**31)))
                episodes += 1
                actions: list[int] = []
                terminated = False
                reward = 0.0
                while not terminated and steps < budget:
                    valid = np.flatnonzero(info["action_mask"])
                    a = int(rng.choice(valid))
                    _, reward, terminated, _, info = env.step(a)
                    actions.append(a)
                    steps += 1
                if terminated and reward >= 1.0:
                    return Attempt(True, actions, float(steps), {"episodes": episodes})
        finally:
            env.close()
        return Attempt(False, None, float(steps), {"episodes": episodes})


AGENTS: dict[str, type] = {ProgSynthRandomAgent.name: ProgSynthRandomAgent}
