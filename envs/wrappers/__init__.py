"""Wrappers that fit mathgym's envs to learners that need arrays (Stable-Baselines3).

``HashedTextFeatures`` turns a Text observation (Metamath, MathQA, Lean) into a fixed-size
vector of hashed token counts and passes ``action_masks()`` through; ``ProgSynthFeatures``
gives MathProgSynth-v0's state as features an MLP can read, ending with the action mask;
``compat`` holds what the envs use to meet SB3's expectations (``TextSpace``,
``UnsupportedRenderMode``). See docs/rl.md.
"""

from __future__ import annotations

from mathgym.envs.wrappers.compat import (
    TextHasNoShape,
    TextSpace,
    UnsupportedRenderMode,
    check_render_mode,
)
from mathgym.envs.wrappers.hashed_text import HashedTextFeatures, stable_bucket
from mathgym.envs.wrappers.progsynth_features import ProgSynthFeatures

__all__ = [
    "HashedTextFeatures",
    "ProgSynthFeatures",
    "TextHasNoShape",
    "TextSpace",
    "UnsupportedRenderMode",
    "check_render_mode",
    "stable_bucket",
]
