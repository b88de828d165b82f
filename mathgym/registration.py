"""Gymnasium registration of every mathgym environment.

Entry points are strings, so registering costs nothing: an environment's module (and numba,
sympy, ...) is imported only when the environment is made.
"""

from __future__ import annotations

import gymnasium as gym

#: id -> keyword arguments of :func:`gymnasium.register`.
ENV_SPECS: dict[str, dict] = {
    "mathgym/AC-v0": {
        "entry_point": "mathgym.envs.ac.env:ACEnv",
        "vector_entry_point": "mathgym.envs.ac.vector_env:ACVectorEnv",
    },
    "mathgym/AC-MillerSchupp-v0": {
        "entry_point": "mathgym.envs.ac.env:ACMillerSchuppEnv",
        "vector_entry_point": "mathgym.envs.ac.vector_env:ACMillerSchuppVectorEnv",
    },
    "mathgym/MathQA-v0": {
        "entry_point": "mathgym.envs.reasoning.mathqa_env:MathQAEnv",
    },
    "mathgym/MathProgSynth-v0": {
        "entry_point": "mathgym.envs.reasoning.progsynth_env:MathProgSynthEnv",
    },
    "mathgym/Metamath-v0": {
        "entry_point": "mathgym.envs.metamath.env:MetamathEnv",
    },
    "mathgym/Lean-v0": {
        "entry_point": "mathgym.envs.lean.env:LeanEnv",
    },
}


def register_envs() -> None:
    """Register every id in :data:`ENV_SPECS` with Gymnasium; calling it again is harmless."""
    for env_id, kwargs in ENV_SPECS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, **kwargs)
