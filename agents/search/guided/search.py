"""Policy/value-guided best-first search with the network called once per batch.

Loop (Python drives batches; numba does every per-node step)
    1. pop the ``batch`` best frontier nodes (:func:`pop_batch`);
    2. expand them in order, appending unseen children to the node store, stopping at the
       first trivial child or once the budget is reached after a full expansion, exactly
       where greedy stops (:func:`expand_batch`);
    3. one-hot encode all new children straight from their packed keys and run **one**
       forward pass: each child's ``log π(.|child)`` is stored (used when it is expanded) and
       its value ``V(child)`` (predicted moves to go) enters its priority;
    4. push the children (:func:`push_children`) with priority
       ``w_len * total length + w_depth * depth + w_pi * (-log π(move | parent)) +
       w_cum * (-log π of the whole path) + w_value * V(child)``, ties by depth then packed
       state as in greedy.

With ``batch=1`` and ``w_pi = w_cum = w_value = w_depth = 0`` this is AC-Solver's greedy, node for
node (a test checks it), so every difference is the network's doing. Nodes are unique states
stored, the same unit as every other search. Deterministic: the engine is, and the forward
runs with one torch thread on CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.guided.features import FEATURES, MAX_CAP, encode_nodes
from mathgym.agents.search.moves_bridge import relator_lengths
from mathgym.envs.ac.kernels import apply_move
from numba import njit


@njit(cache=True)
def pop_batch(heap, hsize, count, prio, depth, keys, out):
    """Pop up to ``count`` best nodes into ``out``; returns (popped, heap size)."""
    got = 0
    while got < count and hsize > 0:
        node, hsize = engine.heap_pop(heap, hsize, prio, depth, keys)
        out[got] = node
        got += 1
    return got, hsize


@njit(cache=True)
def expand_batch(nodes, count, bits, per_word, cap, max_nodes, n, keys, parent, move, depth,
                 length, table, res):
    """Expand ``nodes[:count]`` in order; returns the new node count. ``res`` (int64[4]):
    status (-1 go on, else an engine status), parent and move of the trivial child,
    index of the shortest node (kept across calls)."""
    k = 2
    size = 2 * cap
    state = np.empty(size, np.int8)
    child = np.empty(size, np.int8)
    plen = np.empty(2, np.int32)
    clen = np.empty(2, np.int32)
    words = np.empty(keys.shape[1], np.uint64)
    res[0] = -1
    best = res[3]
    for b in range(count):
        cur = nodes[b]
        engine.unpack_into(keys[cur], k, bits, per_word, state)
        relator_lengths(state, cap, plen)
        for m in range(12):
            child[:] = state
            clen[:] = plen
            apply_move(child, clen, m, k, cap, False)
            if clen[0] + clen[1] == 2:
                res[0] = engine.STATUS_SOLVED
                res[1] = cur
                res[2] = m
                res[3] = best
                return n
            engine.pack_into(child, k, bits, per_word, words)
            _, inserted = engine.table_insert(table, keys, n, words)
            if inserted:
                parent[n] = cur
                move[n] = m
                depth[n] = depth[cur] + 1
                length[n] = clen[0] + clen[1]
                if length[n] < length[best]:
                    best = n
                n += 1
        if n >= max_nodes:
            res[0] = engine.STATUS_EXHAUSTED
            break
    res[3] = best
    return n


@njit(cache=True)
def push_children(first, n, logp, value, w_len, w_depth, w_pi, w_cum, w_value, cum, parent,
                  move, depth, length, prio, heap, hsize, keys):
    """Priorities of nodes ``first..n-1`` (``value[i - first]`` is node ``i``'s predicted
    distance-to-go; ``logp[node]`` its policy row, used for its children; ``cum[node]`` the
    path's summed ``-log π``) and push them in order."""
    for x in range(first, n):
        p = parent[x]
        pi_term = 0.0
        if p >= 0:
            pi_term = -logp[p, move[x]]
            cum[x] = cum[p] + pi_term
        else:
            cum[x] = 0.0
        prio[x] = (w_len * length[x] + w_depth * depth[x] + w_pi * pi_term + w_cum * cum[x]
                   + w_value * value[x - first])
        hsize = engine.heap_push(heap, hsize, x, prio, depth, keys)
    return hsize


@dataclass
class GuidedResult:
    """One guided search; ``path`` verified when ``solved``; ``forwards`` network calls."""

    solved: bool
    path: list[int]
    nodes: int
    seconds: float
    net_seconds: float
    forwards: int
    status: str
    min_length: int
    info: dict[str, Any] = field(default_factory=dict)


def guided_search(relators, cap: int, net: Any, max_nodes: int, *, batch: int = 32,
                  w_len: float = 1.0, w_depth: float = 0.0, w_pi: float = 1.0,
                  w_value: float = 0.0, w_cum: float = 0.0) -> GuidedResult:
    """Run the loop in the module docstring. ``net`` has ``evaluate(x) -> (logp, value)``
    (:class:`~.net.PolicyValueNet`; ``None`` = no network: zeros, i.e. batched greedy).
    A solved path the verifier rejects raises ``RuntimeError``."""
    rels, cap, bits, per_word, st, evaluate = new_store(relators, cap, max_nodes, batch, net)
    logp = evaluate.logp
    cum = np.zeros(st.parent.shape[0], np.float64)
    nodes = np.empty(int(batch), np.int64)
    res = np.array([-1, -1, -1, 0], np.int64)
    t0 = time.perf_counter()
    n = 1
    hsize = push_children(0, 1, logp, evaluate(0, 1), w_len, w_depth, w_pi, w_cum, w_value,
                          cum, st.parent, st.move, st.depth, st.length, st.prio, st.heap, 0,
                          st.keys)
    status = engine.STATUS_EMPTY
    while hsize > 0:
        got, hsize = pop_batch(st.heap, hsize, int(batch), st.prio, st.depth, st.keys, nodes)
        first = n
        n = expand_batch(nodes, got, bits, per_word, cap, int(max_nodes), n, st.keys,
                         st.parent, st.move, st.depth, st.length, st.table, res)
        if res[0] >= 0:
            status = int(res[0])
            break
        hsize = push_children(first, n, logp, evaluate(first, n), w_len, w_depth, w_pi,
                              w_cum, w_value, cum, st.parent, st.move, st.depth, st.length, st.prio,
                              st.heap, hsize, st.keys)
    return finish(st, res, status, n, rels, cap, time.perf_counter() - t0,
                  evaluate.seconds, evaluate.forwards, "guided")


class NetCalls:
    """The batched network call of the guided searches: ``calls(lo, hi)`` one-hot encodes the
    stored nodes ``lo..hi-1`` straight from their packed keys, runs **one** forward, stores
    their ``log π`` rows in ``logp`` and returns their predicted distance-to-go (float64);
    ``net=None`` gives zeros and no call. Counts the forwards and their seconds."""

    def __init__(self, net: Any, st: Any, logp: np.ndarray, batch: int, k: int, bits: int,
                 per_word: int, cap: int) -> None:
        self.net, self.st, self.logp = net, st, logp
        self.k, self.bits, self.per_word, self.cap = k, bits, per_word, cap
        self.feats = np.zeros((12 * int(batch), FEATURES), np.float32)
        self.seconds, self.forwards = 0.0, 0

    def __call__(self, lo: int, hi: int) -> np.ndarray:
        if self.net is None or hi <= lo:
            return np.zeros(max(hi - lo, 0))
        t = time.perf_counter()
        x = self.feats[:hi - lo]
        encode_nodes(self.st.keys, np.arange(lo, hi, dtype=np.int64), self.k, self.bits,
                     self.per_word, self.cap, x)
        lp, dist = self.net.evaluate(x)
        self.logp[lo:hi] = lp
        self.seconds += time.perf_counter() - t
        self.forwards += 1
        return np.ascontiguousarray(dist, np.float64)


def new_store(relators, cap: int, max_nodes: int, batch: int, net: Any, *,
              with_prio: bool = True) -> tuple[list, int, int, int, Any, NetCalls]:
    """The set-up every network-guided search shares (``guided_search``, ``puct``,
    ``tiebreak``): checked budget and batch, a
    :class:`~mathgym.agents.search.api.NodeStore` for ``max_nodes`` (+ one expansion's
    overshoot) holding the root as node 0, and the :class:`NetCalls` over it. Returns
    ``(rels, cap, bits, per_word, store, calls)``; ``calls.logp`` is the ``log π`` table."""
    from mathgym.agents.search.api import NodeStore, prepare

    if int(max_nodes) < 1 or int(batch) < 1:
        raise ValueError(f"max_nodes and batch must be >= 1; got {max_nodes}, {batch}")
    rels = [list(map(int, r)) for r in relators]
    flat, cap, k = prepare(rels, cap)
    if cap > MAX_CAP:
        raise ValueError(f"cap {cap} exceeds the network's MAX_CAP {MAX_CAP}")
    bits, per_word, words = engine.packing_params(flat.size, k)
    capacity = int(max_nodes) + 13
    st = NodeStore(capacity, words, with_prio=with_prio)
    engine.add_root(flat, 0, k, bits, per_word, cap, st.keys, st.parent, st.move, st.depth,
                    st.length, st.table, np.zeros((0, 5), np.int8), np.zeros(0, np.int8),
                    engine.work_buffers(flat.size, k, words))
    logp = np.zeros((capacity, 12), np.float64)
    return rels, cap, bits, per_word, st, NetCalls(net, st, logp, batch, k, bits, per_word, cap)


def finish(st: Any, res: np.ndarray, status: int, n: int, rels: list, cap: int,
           seconds: float, net_seconds: float, forwards: int, label: str,
           info: dict[str, Any] | None = None) -> GuidedResult:
    """The :class:`GuidedResult` of a search over node store ``st`` (``res`` as
    :func:`expand_batch` leaves it): the path to the trivial child, verified (a rejected path
    raises ``RuntimeError`` naming ``label``), or to the shortest state when unsolved."""
    from mathgym.verifiers.ac import verify_ac_path

    solved = status == engine.STATUS_SOLVED
    node = int(res[1]) if solved else int(res[3])
    path: list[int] = []
    while node >= 0 and st.parent[node] >= 0:
        path.append(int(st.move[node]))
        node = int(st.parent[node])
    path.reverse()
    if solved:
        path.append(int(res[2]))
        check = verify_ac_path(rels, path, cap)
        if not check.ok:
            raise RuntimeError(f"{label} path failed verification: {check.reason}")
    names = {engine.STATUS_SOLVED: "solved", engine.STATUS_EXHAUSTED: "budget",
             engine.STATUS_EMPTY: "exhausted"}
    return GuidedResult(solved, path, n, seconds, net_seconds, forwards, names[status],
                        2 if solved else int(st.length[int(res[3])]), dict(info or {}))
