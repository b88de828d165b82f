"""Greedy with the network as tie-breaker (``ac-greedy-net``).

Greedy's order is (total length, depth, packed state). Here the network only reorders states
of equal total length: the priority is

    total length + (q(V) * 2**20 + q(-log π)) / 2**41,    q(z) = floor(2**20 * z / (1 + z))

where ``V`` is the child's predicted distance-to-go and ``-log π`` the parent's policy score
of the move that made it. ``q`` maps ``[0, inf)`` monotonically onto 20-bit integers, so the
fraction is below 1 and exact in float64 (lengths < 128 need 7 bits, 7 + 41 < 53): two states
of different total length keep greedy's order, and among equal lengths the smaller value
comes first, then the more probable move (values within 2**-20 relative of each other tie),
then greedy's own (depth, state) tie-break. Why a separate agent and not an ``ac-guided``
weight: ``ac-guided``'s priority is a weighted *sum*, which with any finite weight lets an
unbounded ``V`` or ``-log π`` outweigh a length difference; this one cannot.

Node accounting as greedy: ``batch`` = 1 (the default) pops one node, expands it in numba
(the budget checked after each full expansion, overshoot at most 11 states), evaluates its new
children in one forward and pushes them; with ``batch`` > 1 several nodes are popped per
forward (faster, slightly less greedy). The certificate is the verified plain AC path.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.guided.search import (
    GuidedResult,
    expand_batch,
    finish,
    new_store,
    pop_batch,
)
from numba import njit

#: Bits of each quantised tie-break key.
TIE_BITS = 20


@njit(cache=True)
def _quantise(z):
    if z < 0.0:
        z = 0.0
    q = np.floor((1 << TIE_BITS) * (z / (1.0 + z)))
    return min(q, (1 << TIE_BITS) - 1.0)


@njit(cache=True)
def push_tiebroken(first, n, logp, dist, parent, move, depth, length, prio, heap, hsize,
                   keys):
    """Priorities (module docstring) of nodes ``first..n-1`` and push them in order;
    ``dist[i - first]`` is node ``i``'s predicted distance-to-go, ``logp[parent]`` the parent's
    policy row."""
    scale = 2.0 ** (2 * TIE_BITS + 1)
    for x in range(first, n):
        p = parent[x]
        nlp = -logp[p, move[x]] if p >= 0 else 0.0
        tie = _quantise(dist[x - first]) * (1 << TIE_BITS) + _quantise(nlp)
        prio[x] = length[x] + tie / scale
        hsize = engine.heap_push(heap, hsize, x, prio, depth, keys)
    return hsize


def tiebreak_search(relators: Any, cap: int, net: Any, max_nodes: int, *,
                    batch: int = 1) -> GuidedResult:
    """Greedy best-first within ``max_nodes`` stored states, ties broken by ``net``
    (``evaluate(x) -> (log π, distance-to-go)``; ``None``: plain greedy, node for node)."""
    rels, cap, bits, per_word, st, evaluate = new_store(relators, cap, max_nodes, batch, net)
    logp = evaluate.logp
    nodes = np.empty(int(batch), np.int64)
    res = np.array([-1, -1, -1, 0], np.int64)
    t0 = time.perf_counter()
    n = 1
    hsize = push_tiebroken(0, 1, logp, evaluate(0, 1), st.parent, st.move, st.depth,
                           st.length, st.prio, st.heap, 0, st.keys)
    status = engine.STATUS_EMPTY
    while hsize > 0:
        got, hsize = pop_batch(st.heap, hsize, int(batch), st.prio, st.depth, st.keys, nodes)
        first = n
        n = expand_batch(nodes, got, bits, per_word, cap, int(max_nodes), n, st.keys,
                         st.parent, st.move, st.depth, st.length, st.table, res)
        if res[0] >= 0:
            status = int(res[0])
            break
        hsize = push_tiebroken(first, n, logp, evaluate(first, n), st.parent, st.move,
                               st.depth, st.length, st.prio, st.heap, hsize, st.keys)
    return finish(st, res, status, n, rels, cap, time.perf_counter() - t0,
                  evaluate.seconds, evaluate.forwards, "tie-break")
