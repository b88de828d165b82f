"""Code shared by mathgym's reinforcement learners (SB3 style: one folder per algorithm family
over this ``common``): the SB3 ``VecEnv`` over the numba vector envs, the device helper, the
space checks and the shared network shapes.
"""

from __future__ import annotations

from mathgym.agents.rl.common.device import resolve_device
from mathgym.agents.rl.common.networks import ac_solver_policy_kwargs
from mathgym.agents.rl.common.spaces import check_sb3_env, check_sb3_spaces
from mathgym.agents.rl.common.vec_env import SB3VecEnv

__all__ = [
    "SB3VecEnv",
    "ac_solver_policy_kwargs",
    "check_sb3_env",
    "check_sb3_spaces",
    "resolve_device",
]
