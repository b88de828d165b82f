"""``sb3-dqn``: SB3's DQN (Mnih et al. 2015) with an MLP Q-network.

Off-policy: the replay buffer is part of every checkpoint (:mod:`mathgym.agents.rl.common.
checkpoint`), so keep ``buffer_size`` modest on long runs (each transition stores two
observations of ``2 * cap`` int8 plus action, reward and done).

With ``action_mask=true`` the learner is ``MaskedDQN`` (``masked.py``): exploration, the greedy
action and the TD target's max range over the allowed actions only, read from the end of the
observation (the ProgSynth family's default). With it off, ``MaskedDQN`` is SB3's DQN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DQNConfig:
    """DQN hyperparameters."""

    learning_rate: float = 1e-4
    """Adam step size"""
    buffer_size: int = 100_000
    """replay buffer capacity, in transitions"""
    learning_starts: int = 10_000
    """env steps of uniform random actions before the first update"""
    batch_size: int = 256
    """transitions per gradient step"""
    gamma: float = 0.99
    """discount factor"""
    train_freq: int = 4
    """vector-env steps between updates"""
    gradient_steps: int = 1
    """gradient steps per update"""
    target_update_interval: int = 1000
    """env steps between target network copies"""
    exploration_fraction: float = 0.1
    """fraction of the budget over which epsilon falls from 1 to exploration_final_eps"""
    exploration_final_eps: float = 0.05
    """final epsilon of the epsilon-greedy policy"""
    max_grad_norm: float = 10.0
    """gradient norm clip"""
    net_arch: list[int] = field(default_factory=lambda: [256, 256])
    """hidden layers of the Q-network"""
    action_mask: bool = False
    """explore, act and bootstrap only over allowed actions (MaskedDQN, agents/rl/dqn/masked.py;
    the observation must end with the mask: the ProgSynth family's default)"""


def build_dqn(cfg: DQNConfig, venv: Any, seed: int, device: Any) -> Any:
    """SB3 ``DQN`` on ``venv`` with ``cfg`` (``MaskedDQN`` with ``action_mask``)."""
    from mathgym.agents.rl.dqn.masked import MaskedDQN

    return MaskedDQN(
        "MlpPolicy", venv, seed=seed, device=device, verbose=0,
        mask_size=int(venv.action_space.n) if cfg.action_mask else None,
        learning_rate=cfg.learning_rate, buffer_size=cfg.buffer_size,
        learning_starts=cfg.learning_starts, batch_size=cfg.batch_size, gamma=cfg.gamma,
        train_freq=cfg.train_freq, gradient_steps=cfg.gradient_steps,
        target_update_interval=cfg.target_update_interval,
        exploration_fraction=cfg.exploration_fraction,
        exploration_final_eps=cfg.exploration_final_eps, max_grad_norm=cfg.max_grad_norm,
        policy_kwargs={"net_arch": [int(x) for x in cfg.net_arch]},
    )


LEARNERS = {"sb3-dqn": (DQNConfig, build_dqn, "mathgym.agents.rl.dqn.masked:MaskedDQN")}
