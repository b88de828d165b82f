"""The network's view of a state: a fixed-size one-hot encoding, computed in numba.

A state (two relators, each zero-padded to the instance's cap ``L``) becomes
``float32[2 * MAX_CAP * 4]``: for relator ``r`` and position ``j < L`` one of four channels
(``x``, ``x^-1``, ``y``, ``y^-1``) is 1, padding is all zeros. ``MAX_CAP`` = 36 is the largest
ac/ms1190 cap, so one network serves every cap up to it. Encoding runs straight from the
search's packed node keys (:func:`encode_nodes`), so the guided search hands torch one array
per batch and no Python touches a node.
"""

from __future__ import annotations

import numpy as np
from mathgym.agents.search import engine
from numba import njit

MAX_CAP = 36
CHANNELS = 4
FEATURES = 2 * MAX_CAP * CHANNELS


@njit(cache=True)
def _channel(letter):
    # x -> 0, x^-1 -> 1, y -> 2, y^-1 -> 3
    if letter > 0:
        return 2 * (letter - 1)
    return 2 * (-letter - 1) + 1


@njit(cache=True)
def encode_state_into(state, cap, out_row):
    """One-hot of flat int8 ``state`` (two blocks of ``cap``) into ``out_row`` (zeroed here)."""
    out_row[:] = 0.0
    for r in range(2):
        for j in range(cap):
            v = state[r * cap + j]
            if v != 0:
                out_row[(r * MAX_CAP + j) * CHANNELS + _channel(v)] = 1.0


@njit(cache=True)
def encode_nodes(keys, nodes, k, bits, per_word, cap, out):
    """``out[i]`` = one-hot of node ``nodes[i]``'s packed state (``out``: float32[B, F])."""
    state = np.empty(2 * cap, np.int8)
    for i in range(nodes.shape[0]):
        engine.unpack_into(keys[nodes[i]], k, bits, per_word, state)
        encode_state_into(state, cap, out[i])


def encode_states(states: np.ndarray, cap: int) -> np.ndarray:
    """float32[N, F] one-hot of int8[N, 2 * cap] states (dataset building, tests)."""
    if cap > MAX_CAP:
        raise ValueError(f"cap {cap} exceeds the network's MAX_CAP {MAX_CAP}")
    states = np.ascontiguousarray(states, dtype=np.int8)
    out = np.zeros((states.shape[0], FEATURES), np.float32)
    for i in range(states.shape[0]):
        encode_state_into(states[i], cap, out[i])
    return out
