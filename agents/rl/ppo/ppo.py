"""``sb3-ppo`` and ``sb3-maskable-ppo``: SB3's PPO with AC-Solver's hyperparameters as defaults.

AC-Solver's PPO (``ac_solver/agents/ppo.py``, a CleanRL port; Shehper et al., arXiv
2408.15332) maps onto SB3 as follows:

- separate actor and critic MLPs 72 -> 256 -> 256, tanh: ``net_arch={"pi": [256, 256],
  "vf": [256, 256]}``, ``activation_fn=Tanh``; orthogonal init with gain sqrt(2), 0.01 on the
  actor's last layer and 1 on the critic's is SB3's ``ortho_init=True``;
- Adam, eps 1e-5 (SB3's ``ActorCriticPolicy`` default for Adam), lr 2.5e-4 annealed linearly
  to 0 (``learning_rate`` as a function of SB3's progress, which falls from 1 to 0 over the
  budget);
- 4 envs x 2000 steps per rollout, gamma 0.99, GAE lambda 0.95, 4 minibatches (``batch_size``
  = 8000 / 4), 1 epoch, normalised advantages;
- clip 0.2 with the value loss clipped too (``clip_range_vf=0.2``), entropy 0.01, value 0.5,
  max grad norm 0.5, target KL 0.01. One difference: SB3 stops an epoch when the approximate
  KL of a minibatch exceeds 1.5 x target_kl; CleanRL checks after the epoch.

The env side (horizon, cap, reward scaling, schedule) is :class:`~mathgym.agents.rl.common.
train.EnvConfig`. ``sb3-maskable-ppo`` is the same with sb3-contrib's ``MaskablePPO``, which
samples only moves that change the state (``action_masks()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PPOConfig:
    """PPO hyperparameters; defaults are AC-Solver's."""

    learning_rate: float = 2.5e-4
    """Adam step size at the start of training"""
    anneal_lr: bool = True
    """anneal the step size linearly to 0 over the budget (AC-Solver: yes)"""
    n_steps: int = 2000
    """steps per env per rollout (AC-Solver: 2000)"""
    num_minibatches: int = 4
    """minibatches per epoch: batch_size = n_envs * n_steps / num_minibatches"""
    n_epochs: int = 1
    """passes over each rollout (AC-Solver: 1)"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    clip_range: float = 0.2
    """PPO's surrogate clip"""
    clip_range_vf: float | None = 0.2
    """value-loss clip around the old values (None: unclipped value loss)"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """global gradient norm clip"""
    target_kl: float | None = 0.01
    """stop an epoch early when the approximate KL passes 1.5x this (None: never)"""
    normalize_advantage: bool = True
    """normalise advantages per minibatch"""
    net_arch: list[int] = field(default_factory=lambda: [256, 256])
    """hidden layers of the actor and of the critic (separate networks)"""
    activation: str = "tanh"
    """hidden activation: tanh or relu"""
    features: str = "raw"
    """what the networks see: 'raw' (AC-Solver: the state as floats) or 'one-hot' (each
    position one-hot over its 2k+1 values; agents/rl/common/networks.py OneHotACFeatures)"""


def _policy_kwargs(cfg: PPOConfig) -> dict[str, Any]:
    from torch import nn

    activations = {"tanh": nn.Tanh, "relu": nn.ReLU}
    if cfg.activation not in activations:
        raise ValueError(f"activation must be one of {sorted(activations)}, got "
                         f"{cfg.activation!r}")
    from mathgym.agents.rl.common.networks import FEATURES

    if cfg.features not in FEATURES:
        raise ValueError(f"features must be one of {sorted(FEATURES)}, got {cfg.features!r}")
    arch = [int(x) for x in cfg.net_arch]
    kwargs = {"net_arch": {"pi": arch, "vf": list(arch)},
              "activation_fn": activations[cfg.activation], "ortho_init": True}
    if FEATURES[cfg.features] is not None:  # inside the policy: model.zip carries it
        kwargs["features_extractor_class"] = FEATURES[cfg.features]
    return kwargs


def _kwargs(cfg: PPOConfig, n_envs: int) -> dict[str, Any]:
    rollout = n_envs * cfg.n_steps
    if cfg.num_minibatches < 1 or rollout % cfg.num_minibatches:
        raise ValueError(f"num_minibatches={cfg.num_minibatches} must divide the rollout of "
                         f"n_envs * n_steps = {rollout} steps")
    lr0 = float(cfg.learning_rate)
    return {
        "learning_rate": (lambda progress: lr0 * progress) if cfg.anneal_lr else lr0,
        "n_steps": cfg.n_steps, "batch_size": rollout // cfg.num_minibatches,
        "n_epochs": cfg.n_epochs, "gamma": cfg.gamma, "gae_lambda": cfg.gae_lambda,
        "clip_range": cfg.clip_range, "clip_range_vf": cfg.clip_range_vf,
        "ent_coef": cfg.ent_coef, "vf_coef": cfg.vf_coef, "max_grad_norm": cfg.max_grad_norm,
        "target_kl": cfg.target_kl, "normalize_advantage": cfg.normalize_advantage,
        "policy_kwargs": _policy_kwargs(cfg),
    }


def build_ppo(cfg: PPOConfig, venv: Any, seed: int, device: Any) -> Any:
    """SB3 ``PPO`` on ``venv`` with ``cfg``."""
    from stable_baselines3 import PPO

    return PPO("MlpPolicy", venv, seed=seed, device=device, verbose=0,
               **_kwargs(cfg, venv.num_envs))


def build_maskable_ppo(cfg: PPOConfig, venv: Any, seed: int, device: Any) -> Any:
    """sb3-contrib ``MaskablePPO`` on ``venv`` (masks from ``venv.action_masks()``)."""
    from sb3_contrib import MaskablePPO

    return MaskablePPO("MlpPolicy", venv, seed=seed, device=device, verbose=0,
                       **_kwargs(cfg, venv.num_envs))


#: learner name -> (config dataclass, builder, "module:Class" of the SB3 algorithm for loading)
LEARNERS = {
    "sb3-ppo": (PPOConfig, build_ppo, "stable_baselines3:PPO"),
    "sb3-maskable-ppo": (PPOConfig, build_maskable_ppo, "sb3_contrib:MaskablePPO"),
}
