"""Reinforcement learners on mathgym's envs, built on Stable-Baselines3 (docs/rl.md).

Layout as in SB3: one folder per algorithm family over ``common/`` (the SB3 ``VecEnv`` over
the numba vector envs, ``resolve_device``, space checks, network shapes, and the training
loop of ``mathgym train``). ``AGENTS`` registers ``sb3``, a trained model as a harness agent.
Re-exports are lazy (PEP 562), so ``import mathgym.agents.rl`` does not import torch until a
name is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from mathgym.agents.rl.eval_agent import AGENTS, SB3Agent  # noqa: F401  (torch-free)

_EXPORTS: dict[str, str] = {
    "SB3VecEnv": "common.vec_env",
    "resolve_device": "common.device",
    "check_sb3_env": "common.spaces",
    "check_sb3_spaces": "common.spaces",
    "ac_solver_policy_kwargs": "common.networks",
}

__all__ = sorted([*_EXPORTS, "AGENTS", "SB3Agent"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
