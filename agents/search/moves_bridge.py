"""The one place the search engine calls the AC-core move kernel.

:func:`mathgym.envs.ac.kernels.apply_move` mutates a state in place; search needs the parent
kept intact, so :func:`child_into` copies the parent into a child buffer and applies the move
there. This is a wrapper, not a second move implementation (the semantics live in the kernel).
"""

from __future__ import annotations

from mathgym.envs.ac.kernels import apply_move, total_length
from numba import njit

#: Number of generators (and relators) the search supports: AC-Solver's balanced 2x2 case.
K = 2


@njit(cache=True)
def relator_lengths(state, cap, out):
    """``out[i]`` = length of relator ``i`` of the zero-padded flat ``state``."""
    for i in range(out.shape[0]):
        n = 0
        while n < cap and state[i * cap + n] != 0:
            n += 1
        out[i] = n


@njit(cache=True)
def child_into(state, lengths, move, cap, cyclic, out, out_lengths):
    """Write ``move`` applied to ``state`` into ``out`` / ``out_lengths``; return its total length.

    A move beyond the cap leaves ``out`` equal to ``state`` (AC-Solver's no-op).
    """
    out[:] = state
    out_lengths[:] = lengths
    apply_move(out, out_lengths, move, K, cap, cyclic)
    return total_length(out_lengths)
