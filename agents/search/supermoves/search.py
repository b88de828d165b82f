"""Best-first search (greedy, weighted A*, BFS order) with supermoves as extra actions.

Actions
    ``0..11`` are AC-Solver's moves; ``12 + s`` applies supermove ``s`` (its moves one after
    the other, through the AC kernel's :func:`~mathgym.envs.ac.kernels.apply_move`). A
    supermove with a step beyond the cap is not applied (no child): every stored child is the
    exact result of its plain moves. Children are generated in action order.

What a node is (the budget)
    A node is a unique state in the store, as in :mod:`mathgym.agents.search.engine`; a
    supermove child is one node, its intermediate states are not stored. ``moves_applied``
    counts every plain move application (the work), reported beside the nodes. The search
    succeeds as soon as any applied state is trivial, an intermediate state of a supermove
    included (the path then ends inside the supermove).

Priority
    ``len_weight * total length + weight * depth`` (depth in actions), ties by depth then the
    packed state, as AC-Solver's greedy: ``(1, 0)`` is greedy, ``(1, w)`` weighted A*,
    ``(0, 1)`` breadth-first order (levels by action count; shortest in actions).

Certificates
    :func:`supermove_search` rebuilds the action path, expands each supermove into its plain
    moves and re-checks the result with the benchmark's verifier
    (:func:`mathgym.verifiers.ac.verify_ac_path`) before it reports a solve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.moves_bridge import relator_lengths
from mathgym.envs.ac.kernels import apply_move
from numba import njit

STATUS_NAMES = {engine.STATUS_EXHAUSTED: "budget", engine.STATUS_SOLVED: "solved",
                engine.STATUS_EMPTY: "exhausted"}


def macro_arrays(supermoves: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """(int8[S, max_len] moves, int32[S] lengths) for the compiled search; validates ids."""
    for s in supermoves:
        if len(s) < 1 or any(not 0 <= int(m) < 12 for m in s):
            raise ValueError(f"supermove {s!r}: needs 1+ move ids in 0..11")
    width = max([len(s) for s in supermoves], default=1)
    moves = np.zeros((len(supermoves), width), np.int8)
    lens = np.zeros(len(supermoves), np.int32)
    for i, s in enumerate(supermoves):
        moves[i, :len(s)] = s
        lens[i] = len(s)
    return moves, lens


@njit(cache=True)
def apply_macro(state, lengths, moves, n, cap):
    """Apply ``moves[:n]`` in place; returns the number applied before the state became
    trivial (so ``n`` if it never did), or -1 if a step was beyond the cap (state then
    undefined)."""
    for t in range(n):
        if not apply_move(state, lengths, moves[t], 2, cap, False):
            return -1
        if lengths[0] + lengths[1] == 2:
            return t + 1
    return n


@njit(cache=True)
def macro_best_first(start, bits, per_word, cap, max_nodes, len_weight, weight, macros,
                     macro_len, keys, parent, action, depth, length, prio, table, heap, out):
    """The search loop. ``out`` (int64[6]): status, nodes, parent node of the success child,
    success action, plain moves of that action applied (its prefix length), moves applied."""
    k = 2
    size = start.shape[0]
    state = np.empty(size, np.int8)
    child = np.empty(size, np.int8)
    plen = np.empty(2, np.int32)
    clen = np.empty(2, np.int32)
    words = np.empty(keys.shape[1], np.uint64)
    pack_into = engine.pack_into
    pack_into(start, k, bits, per_word, words)
    engine.table_insert(table, keys, 0, words)
    parent[0] = -1
    action[0] = -1
    depth[0] = 0
    relator_lengths(start, cap, plen)
    length[0] = plen[0] + plen[1]
    prio[0] = len_weight * length[0]
    n = 1
    hsize = engine.heap_push(heap, 0, 0, prio, depth, keys)
    best = 0
    applied = 0
    n_actions = 12 + macros.shape[0]
    status = engine.STATUS_EMPTY
    out[2] = -1
    out[3] = -1
    out[4] = 0
    while hsize > 0:
        cur, hsize = engine.heap_pop(heap, hsize, prio, depth, keys)
        engine.unpack_into(keys[cur], k, bits, per_word, state)
        relator_lengths(state, cap, plen)
        solved = False
        for a in range(n_actions):
            # The budget is checked after a whole expansion, as the engine's greedy (so with no
            # supermoves this is greedy exactly, overshooting by at most 11 plain children), and
            # before each supermove child: 12 + S children would overshoot the documented 11.
            if a >= 12 and n >= max_nodes:
                break
            child[:] = state
            clen[:] = plen
            if a < 12:
                apply_move(child, clen, a, k, cap, False)
                applied += 1
                used = 1 if clen[0] + clen[1] == 2 else 0
            else:
                used = apply_macro(child, clen, macros[a - 12], macro_len[a - 12], cap)
                applied += macro_len[a - 12] if used < 0 else used
                if used < 0:
                    continue
                if clen[0] + clen[1] != 2:
                    used = 0
            if used > 0:
                out[2] = cur
                out[3] = a
                out[4] = used
                solved = True
                break
            pack_into(child, k, bits, per_word, words)
            _, inserted = engine.table_insert(table, keys, n, words)
            if inserted:
                parent[n] = cur
                action[n] = a
                depth[n] = depth[cur] + 1
                length[n] = clen[0] + clen[1]
                prio[n] = len_weight * length[n] + weight * depth[n]
                if length[n] < length[best]:
                    best = n
                hsize = engine.heap_push(heap, hsize, n, prio, depth, keys)
                n += 1
        if solved:
            status = engine.STATUS_SOLVED
            break
        if n >= max_nodes:
            status = engine.STATUS_EXHAUSTED
            break
    out[0] = status
    out[1] = n
    out[5] = applied
    if status != engine.STATUS_SOLVED:
        out[2] = best


@dataclass
class SupermoveResult:
    """One supermove search. ``path`` is plain AC moves (verified when ``solved``);
    ``actions`` the action path (``>= 12``: supermoves); ``nodes`` unique states stored;
    ``moves_applied`` plain move applications; ``supermoves_used`` on the path."""

    solved: bool
    path: list[int]
    actions: list[int]
    nodes: int
    moves_applied: int
    seconds: float
    status: str
    min_length: int
    supermoves_used: int
    info: dict[str, Any] = field(default_factory=dict)


def expand_actions(actions: list[int], supermoves: list[tuple[int, ...]],
                   last_prefix: int = 0) -> list[int]:
    """Plain AC moves of an action path; the last action keeps only its first
    ``last_prefix`` moves when ``last_prefix > 0`` (a solve inside a supermove)."""
    path: list[int] = []
    for i, a in enumerate(actions):
        seq = [a] if a < 12 else list(supermoves[a - 12])
        if i == len(actions) - 1 and last_prefix > 0:
            seq = seq[:last_prefix]
        path.extend(seq)
    return path


def supermove_search(relators, cap: int, supermoves: list[tuple[int, ...]], max_nodes: int,
                     len_weight: float = 1.0, weight: float = 0.0) -> SupermoveResult:
    """Search from ``relators`` (two lists of signed generator ids) under ``cap``; see the
    module docstring. A solved path that the verifier rejects raises ``RuntimeError`` (it
    would be a bug in this module; nothing false is reported)."""
    from mathgym.agents.search.api import NodeStore, prepare
    from mathgym.verifiers.ac import verify_ac_path

    if int(max_nodes) < 1:
        raise ValueError(f"max_nodes must be >= 1 (it counts the start state); got {max_nodes}")
    rels = [list(map(int, r)) for r in relators]
    flat, cap, k = prepare(rels, cap)
    bits, per_word, words = engine.packing_params(flat.size, k)
    macros, macro_len = macro_arrays(supermoves) if supermoves else (
        np.zeros((0, 1), np.int8), np.zeros(0, np.int32))
    capacity = int(max_nodes) + 12 + len(supermoves) + 1
    st = NodeStore(capacity, words)
    act = np.empty(capacity, np.int16)
    out = np.zeros(6, np.int64)
    t0 = time.perf_counter()
    macro_best_first(flat, bits, per_word, cap, int(max_nodes), float(len_weight),
                     float(weight), macros, macro_len, st.keys, st.parent, act, st.depth,
                     st.length, st.prio, st.table, st.heap, out)
    seconds = time.perf_counter() - t0
    status, nodes, node, last, prefix, applied = (int(v) for v in out)
    actions: list[int] = []
    while node >= 0 and st.parent[node] >= 0:
        actions.append(int(act[node]))
        node = int(st.parent[node])
    actions.reverse()
    solved = status == engine.STATUS_SOLVED
    if solved:
        actions.append(last)
    path = expand_actions(actions, supermoves, prefix if solved else 0)
    if solved:
        check = verify_ac_path(rels, path, cap)
        if not check.ok:
            raise RuntimeError(f"supermove path failed verification: {check.reason}")
    min_length = 2 if solved else int(st.length[int(out[2])])
    return SupermoveResult(solved, path, actions, nodes, applied, seconds,
                           STATUS_NAMES[status], min_length,
                           sum(1 for a in actions if a >= 12))
