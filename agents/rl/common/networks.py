"""Network shapes shared by the learners, as SB3 ``policy_kwargs``."""

from __future__ import annotations

from typing import Any

from torch import nn


def ac_solver_policy_kwargs() -> dict[str, Any]:
    """AC-Solver's PPO network: separate actor and critic MLPs, two hidden layers of 256, tanh.

    For AC-v0 on two relators of length 36 that is 72 -> 256 -> 256 -> 12 (actor) and
    72 -> 256 -> 256 -> 1 (critic), as in AC-Solver's ``ppo/agent.py`` (Shehper et al.,
    arXiv 2408.15332). Use as ``PPO("MlpPolicy", env, policy_kwargs=ac_solver_policy_kwargs())``.
    """
    return {"net_arch": {"pi": [256, 256], "vf": [256, 256]}, "activation_fn": nn.Tanh}
