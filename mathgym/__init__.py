"""mathgym: sparse-reward math environments for reinforcement learning.

``import mathgym`` registers every environment with Gymnasium (``gym.make("mathgym/AC-v0")``).
The code lives in one namespace spread over four top-level folders:

- ``mathgym.envs``         (``envs/``): environment families (AC, reasoning, Metamath, Lean);
- ``mathgym.agents``       (``agents/``): search agents, learners, language-model policies;
- ``mathgym.verifiers``    (``verifiers/``): certificate checkers, independent of the fast kernels;
- ``mathgym.leaderboards`` (``leaderboards/``): verified submissions and generated boards;

plus this small core (registration, CLI, shared types, the evaluation harness and benchmarks).
"""

from mathgym.registration import register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["__version__", "register_envs"]
