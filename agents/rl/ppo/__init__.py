"""PPO learners (SB3's ``PPO`` and sb3-contrib's ``MaskablePPO``) in AC-Solver's configuration."""

from __future__ import annotations

from mathgym.agents.rl.ppo.ppo import LEARNERS, PPOConfig

__all__ = ["LEARNERS", "PPOConfig"]
