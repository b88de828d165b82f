"""Network shapes shared by the learners, as SB3 ``policy_kwargs``, and the AC feature layers.

AC-Solver feeds its network the raw AC state as floats (letters ``±1 .. ±k``, ``0`` padding):
a relator's letter ``y^-1`` is then "between" ``x^-1`` and padding, an order the problem does
not have. :class:`OneHotACFeatures` instead gives each position a one-hot vector over the
``2k + 1`` values, so the first linear layer learns one embedding per (position, letter): a
position-wise embedding, parameter-free in the extractor itself. It lives in the policy, so a
saved ``model.zip`` carries it: the observation space, the env and the ``sb3`` eval agent are
unchanged (they feed the raw state either way).
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

#: ``features`` values of :class:`~mathgym.agents.rl.ppo.ppo.PPOConfig` -> extractor class
#: (``None``: SB3's default ``FlattenExtractor``, the raw state as floats).
FEATURES: dict[str, type[BaseFeaturesExtractor] | None] = {}


def ac_solver_policy_kwargs() -> dict[str, Any]:
    """AC-Solver's PPO network: separate actor and critic MLPs, two hidden layers of 256, tanh.

    For AC-v0 on two relators of length 36 that is 72 -> 256 -> 256 -> 12 (actor) and
    72 -> 256 -> 256 -> 1 (critic), as in AC-Solver's ``ppo/agent.py`` (Shehper et al.,
    arXiv 2408.15332). Use as ``PPO("MlpPolicy", env, policy_kwargs=ac_solver_policy_kwargs())``.
    """
    return {"net_arch": {"pi": [256, 256], "vf": [256, 256]}, "activation_fn": nn.Tanh}


def one_hot_ac(obs: torch.Tensor, k: int) -> torch.Tensor:
    """``(B, D)`` AC states with values in ``[-k, k]`` -> ``(B, D * (2k + 1))`` one-hot floats.

    Position ``p``'s block is ``[obs == -k, ..., obs == 0, ..., obs == k]``; values are rounded
    first (SB3 hands the int8 state over as floats).
    """
    values = torch.arange(-k, k + 1, device=obs.device, dtype=obs.dtype)  # (2k+1,)
    return (obs.round().unsqueeze(-1) == values).flatten(1).to(torch.float32)


class OneHotACFeatures(BaseFeaturesExtractor):
    """SB3 features extractor: the AC state one-hot per position (see :func:`one_hot_ac`).

    ``observation_space`` must be a ``Box`` with integer bounds ``[-k, k]`` (AC-v0's
    ``Box(-k, k, (k * cap,), int8)``); the features have ``D * (2k + 1)`` entries: 360 for
    AC-Solver's 72-entry state.
    """

    def __init__(self, observation_space: spaces.Box) -> None:
        if not isinstance(observation_space, spaces.Box) or len(observation_space.shape) != 1:
            raise ValueError(f"OneHotACFeatures needs a flat Box observation space (AC-v0's), "
                             f"got {observation_space}")
        k = int(round(float(observation_space.high.max())))
        if k < 1 or float(observation_space.low.min()) != -k:
            raise ValueError(f"OneHotACFeatures needs bounds [-k, k] (AC letters), got "
                             f"[{observation_space.low.min()}, {observation_space.high.max()}]")
        super().__init__(observation_space, features_dim=observation_space.shape[0] * (2 * k + 1))
        self.k = k

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return one_hot_ac(observations, self.k)


FEATURES.update({"raw": None, "one-hot": OneHotACFeatures})
