"""AlphaZero-style PUCT search over AC states, guided by the policy/value net (``ac-puct``).

Design note
-----------
The tree is the search's node store (:mod:`mathgym.agents.search.engine`): a node's children
are the *unseen* states its expansion generated, appended contiguously by
:func:`.search.expand_batch`, so ``first[x] .. first[x] + count[x]`` are ``x``'s children and
``parent[x]`` is the only way back up. A state reached a second time (a transposition) is not
stored again, exactly as in greedy, so the budget unit is the same: unique states stored,
checked after each full expansion (overshoot at most 11, as greedy's).

One iteration (Python calls four numba kernels and one batched forward):

1. **select** (:func:`select_leaves`) up to ``batch`` distinct unexpanded leaves. From the
   root, descend to the child maximising ``Q(c) + c_puct * P(c) * sqrt(N(x)) / (1 + N(c))``,
   where ``Q(c) = W(c) / N(c)`` once visited and the child's own network value before (the
   first-play value), ``P(c)`` is ``π(move(c) | x)`` renormalised over the stored children.
   Each chosen path gets a **virtual loss** (``N += 1`` along it, ``W`` unchanged, i.e. a
   value-0 visit) so the next descent of the same batch is pushed elsewhere.
2. **expand** the leaves in numba (:func:`.search.expand_batch`, the guided search's); a
   trivial child ends the search with a solution.
3. **evaluate** every new child in one forward: its ``log π`` row (the priors of its own
   children, used when it is expanded) and its value.
4. **back up** (:func:`backup`) each leaf's value along its path (``W += v``; ``N`` was already
   counted by the virtual loss). A leaf whose expansion stored no new state is *dead* (value
   0, never selected again); a node all of whose children are dead is dead too.

Value. The net's value head predicts the distance-to-go ``D`` (moves left on a verified
path). PUCT wants a bounded value where larger is better, so ``v = exp(-D / tau)`` (in
``(0, 1]``, 1 at the goal): unlike ``-D`` it keeps ``Q`` on the scale of the prior term so
``c_puct`` means the same at every depth, and it saturates far from the goal, where the net's
distances are least accurate (held-out MAE 36-74 moves). Defaults ``c_puct = 0.1``,
``tau = 128``: the best of a 3 x 3 grid (``c_puct`` 0.1 / 0.5 / 1.5, ``tau`` 8 / 32 / 128)
on 50 ms1190 presentations at 10k nodes (15 solved against 7 at 1.5 / 32; docs/search.md):
AC paths are long and narrow, so the search must exploit far more than it explores.
The leaf's backed-up value is the **largest value among its new children** (one-step
lookahead; the children are evaluated anyway for their priors), 0 for a dead leaf.

Deterministic: every tie is broken by the smaller node index, the forward runs on one torch
thread. The certificate is the plain AC path from the root, re-verified with
:func:`mathgym.verifiers.ac.verify_ac_path` before it is returned.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.guided.search import GuidedResult, expand_batch, finish, new_store
from numba import njit


@njit(cache=True)
def select_leaves(batch, first, count, visits, value_sum, prior, vnet, dead, expanded,
                  pending, parent, c_puct, out):
    """Up to ``batch`` distinct unexpanded, live leaves into ``out`` (virtual loss applied
    along each path); returns how many. Stops early when the root is dead or a descent
    reaches a leaf already chosen in this batch."""
    got = 0
    while got < batch:
        if dead[0]:
            break
        cur = 0
        while expanded[cur]:
            best = -1
            best_u = -1e300
            sq = math.sqrt(visits[cur] + 1.0)
            for c in range(first[cur], first[cur] + count[cur]):
                if dead[c]:
                    continue
                q = value_sum[c] / visits[c] if visits[c] > 0 else vnet[c]
                u = q + c_puct * prior[c] * sq / (1.0 + visits[c])
                if u > best_u:
                    best_u = u
                    best = c
            if best < 0:  # every child is dead: so is this node; start again from the root
                dead[cur] = True
                break
            cur = best
        if dead[cur]:
            continue
        if pending[cur]:
            break
        pending[cur] = True
        out[got] = cur
        got += 1
        x = cur
        while x >= 0:  # virtual loss: a value-0 visit until the backup adds the real value
            visits[x] += 1
            x = parent[x]
    return got


@njit(cache=True)
def attach_children(leaves, got, first_new, n, parent, move, logp, first, count, prior,
                    expanded):
    """Record each leaf's children (the new nodes ``first_new..n-1`` it generated, contiguous
    and in leaf order) and their priors ``π(move | leaf)`` renormalised over them."""
    x = first_new
    for b in range(got):
        leaf = leaves[b]
        start = x
        while x < n and parent[x] == leaf:
            x += 1
        first[leaf] = start
        count[leaf] = x - start
        expanded[leaf] = True
        total = 0.0
        for c in range(start, x):
            prior[c] = math.exp(logp[leaf, move[c]])
            total += prior[c]
        for c in range(start, x):
            prior[c] = prior[c] / total if total > 0 else 1.0 / (x - start)


@njit(cache=True)
def set_values(first_new, n, dist, tau, vnet):
    """``vnet[x] = exp(-D(x) / tau)`` for the new nodes (``dist[x - first_new]`` = D(x))."""
    for x in range(first_new, n):
        vnet[x] = math.exp(-dist[x - first_new] / tau)


@njit(cache=True)
def backup(leaves, got, first, count, vnet, visits, value_sum, dead, pending, parent):
    """Add each leaf's value (its best new child's, 0 if it stored none) along its path."""
    for b in range(got):
        leaf = leaves[b]
        pending[leaf] = False
        v = 0.0
        if count[leaf] == 0:
            dead[leaf] = True
        for c in range(first[leaf], first[leaf] + count[leaf]):
            if vnet[c] > v:
                v = vnet[c]
        x = leaf
        while x >= 0:
            value_sum[x] += v
            x = parent[x]
        x = leaf  # a node whose children are all dead is dead
        while dead[x] and parent[x] >= 0:
            p = parent[x]
            alive = False
            for c in range(first[p], first[p] + count[p]):
                if not dead[c]:
                    alive = True
                    break
            if alive:
                break
            dead[p] = True
            x = p


def puct_search(relators: Any, cap: int, net: Any, max_nodes: int, *, batch: int = 16,
                c_puct: float = 0.1, tau: float = 128.0) -> GuidedResult:
    """Run the PUCT loop of the module docstring within ``max_nodes`` stored states.

    ``net`` has ``evaluate(x) -> (log π float64[B, 12], distance-to-go float64[B])``
    (:class:`~.net.PolicyValueNet`). ``status`` is ``solved``, ``budget`` or ``exhausted``
    (every reachable state under the cap was stored). A solved path the verifier rejects
    raises ``RuntimeError``.
    """
    if not (float(c_puct) > 0 and float(tau) > 0):
        raise ValueError(f"c_puct and tau must be > 0; got {c_puct}, {tau}")
    rels, cap, bits, per_word, st, calls = new_store(relators, cap, max_nodes, batch, net,
                                                      with_prio=False)
    logp = calls.logp
    capacity = st.parent.shape[0]
    vnet = np.zeros(capacity, np.float64)
    prior = np.zeros(capacity, np.float64)
    visits = np.zeros(capacity, np.float64)
    value_sum = np.zeros(capacity, np.float64)
    first = np.zeros(capacity, np.int64)
    count = np.zeros(capacity, np.int64)
    dead = np.zeros(capacity, np.bool_)
    expanded = np.zeros(capacity, np.bool_)
    pending = np.zeros(capacity, np.bool_)
    leaves = np.empty(int(batch), np.int64)
    res = np.array([-1, -1, -1, 0], np.int64)

    def evaluate(lo: int, hi: int) -> None:
        if hi > lo:
            set_values(lo, hi, calls(lo, hi), float(tau), vnet)

    t0 = time.perf_counter()
    n = 1
    evaluate(0, 1)
    status = engine.STATUS_EMPTY
    while True:
        got = select_leaves(int(batch), first, count, visits, value_sum, prior, vnet, dead,
                            expanded, pending, st.parent, float(c_puct), leaves)
        if got == 0:
            break  # the root is dead: every reachable state is stored
        first_new = n
        n = expand_batch(leaves, got, bits, per_word, cap, int(max_nodes), n, st.keys,
                         st.parent, st.move, st.depth, st.length, st.table, res)
        if res[0] == engine.STATUS_SOLVED:
            status = engine.STATUS_SOLVED
            break
        evaluate(first_new, n)
        attach_children(leaves, got, first_new, n, st.parent, st.move, logp, first, count,
                        prior, expanded)
        backup(leaves, got, first, count, vnet, visits, value_sum, dead, pending, st.parent)
        if res[0] == engine.STATUS_EXHAUSTED:
            status = engine.STATUS_EXHAUSTED
            break
    return finish(st, res, status, n, rels, cap, time.perf_counter() - t0, calls.seconds,
                  calls.forwards, "PUCT", {"max_depth": int(st.depth[:n].max())})
