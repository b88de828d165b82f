"""DQN learner (SB3's ``DQN``)."""

from __future__ import annotations

from mathgym.agents.rl.dqn.dqn import LEARNERS, DQNConfig

__all__ = ["DQNConfig", "LEARNERS"]
