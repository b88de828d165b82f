"""Wrappers that fit mathgym's envs to learners that need arrays (Stable-Baselines3).

``HashedTextFeatures`` turns a Text observation (Metamath, MathQA, Lean) into a fixed-size
vector of hashed token counts and passes ``action_masks()`` through; ``compat`` holds the
small error types the envs use to meet SB3's expectations. See docs/rl.md.
"""

from __future__ import annotations

from mathgym.envs.wrappers.compat import UnsupportedRenderMode, check_render_mode
from mathgym.envs.wrappers.hashed_text import HashedTextFeatures, stable_bucket

__all__ = ["HashedTextFeatures", "UnsupportedRenderMode", "check_render_mode", "stable_bucket"]
