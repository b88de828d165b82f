"""Public search functions: AC-Solver-compatible greedy and BFS, beam, weighted A*, bidirectional.

All functions take ``presentation`` in any form the AC env accepts (text, a ``Presentation``,
relator sequences, or an AC-Solver flat array), a node budget ``max_nodes`` (unique states
generated, including the start), the relator length cap ``max_relator_length`` (default: the
array's block size for AC-Solver arrays, otherwise the AC family's default for that
presentation) and ``cyclic_reduction``. They return a :class:`SearchResult`.

Semantics of :func:`greedy_search` and :func:`bfs` match AC-Solver 0.1.0 exactly (same node
counts and paths): children are generated in move order 0..11; the search stops with success
as soon as a generated child is trivial, before the duplicate check; the budget is checked after
each full expansion (so ``nodes`` may exceed ``max_nodes`` by up to 11); visited states are never
re-queued; greedy pops the smallest (total length, path length, state tuple).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.result import SearchResult

_STATUS = {
    engine.STATUS_EXHAUSTED: "budget",
    engine.STATUS_SOLVED: "solved",
    engine.STATUS_EMPTY: "exhausted",
}


# ----------------------------------------------------------------------------- inputs


def prepare(presentation: Any, max_relator_length: int | None) -> tuple[np.ndarray, int, int]:
    """Return (flat int8 AC-Solver array, cap L, number of generators) for any accepted input."""
    from mathgym.envs.ac.presentation import as_presentation

    if isinstance(presentation, np.ndarray) or (
        isinstance(presentation, (list, tuple))
        and presentation
        and all(isinstance(v, (int, np.integer)) for v in presentation)
    ):
        array = np.asarray(presentation)
        if array.ndim != 1 or array.size % 2:
            raise ValueError(
                f"presentation array must be flat with an even length (two zero-padded "
                f"relator blocks); got shape {array.shape}"
            )
        natural = array.size // 2
    else:
        natural = None
    pres = as_presentation(presentation)
    if pres.num_generators != 2 or len(pres.relators) != 2:
        raise ValueError(
            f"search supports balanced presentations with 2 generators and 2 relators (the "
            f"AC-Solver move set); got {pres.num_generators} generators and "
            f"{len(pres.relators)} relators"
        )
    longest = max(len(r) for r in pres.relators)
    if max_relator_length is None:
        max_relator_length = natural if natural is not None else default_cap(pres)
    if max_relator_length < longest:
        raise ValueError(
            f"max_relator_length={max_relator_length} is shorter than the longest relator "
            f"({longest} letters) of {pres}; pass max_relator_length >= {longest}"
        )
    flat = np.ascontiguousarray(pres.to_array(max_relator_length), dtype=np.int8)
    return flat, int(max_relator_length), 2


def default_cap(pres: Any) -> int:
    """Cap used when none is given for a non-array input: the AC family's default if it has one,
    else AC-Solver's Miller–Schupp rule ``2 * max(longest relator, 8) + 2``."""
    try:
        from mathgym.envs.ac import default_max_relator_length  # type: ignore[attr-defined]

        return int(default_max_relator_length(pres))
    except ImportError:
        longest = max(len(r) for r in pres.relators)
        return 2 * max(longest, 8) + 2


# ----------------------------------------------------------------------------- node store


class NodeStore:
    """Preallocated arrays for one search of ``capacity`` nodes."""

    def __init__(self, capacity: int, words: int, with_prio: bool = True) -> None:
        self.keys = np.zeros((capacity, words), dtype=np.uint64)
        self.parent = np.empty(capacity, dtype=np.int32)
        self.move = np.empty(capacity, dtype=np.int8)
        self.depth = np.empty(capacity, dtype=np.int32)
        self.length = np.empty(capacity, dtype=np.int16)
        self.prio = np.empty(capacity if with_prio else 1, dtype=np.float64)
        self.table = np.zeros(engine.table_size_for(capacity), dtype=np.int32)
        self.heap = np.empty(capacity if with_prio else 1, dtype=np.int32)


_EMPTY_TABLE = np.zeros(0, dtype=np.int32)
_EMPTY_KEYS = np.zeros((0, 1), dtype=np.uint64)


def _path_to(store_parent: np.ndarray, store_move: np.ndarray, node: int) -> list[int]:
    path: list[int] = []
    while node >= 0 and store_parent[node] >= 0:
        path.append(int(store_move[node]))
        node = int(store_parent[node])
    path.reverse()
    return path


def _replay(flat: np.ndarray, path: list[int], cap: int, cyclic: bool) -> np.ndarray:
    from mathgym.agents.search.moves_bridge import child_into, relator_lengths

    state = flat.copy()
    out = np.empty_like(state)
    lengths = np.empty(2, dtype=np.int32)
    out_lengths = np.empty(2, dtype=np.int32)
    relator_lengths(state, cap, lengths)
    for m in path:
        child_into(state, lengths, m, cap, cyclic, out, out_lengths)
        state, out = out, state
        lengths, out_lengths = out_lengths, lengths
    return state


def make_result(
    out: np.ndarray, store: NodeStore, flat: np.ndarray, cap: int, cyclic: bool, seconds: float,
    algorithm: str, goal: Any = None, info: dict[str, Any] | None = None,
    symmetry: bool = False,
) -> SearchResult:
    """Turn the engine's ``out`` record and node store into a :class:`SearchResult`: rebuild
    the path from parent links (plus the goal ball's tail; lifted to real moves under
    symmetry) and replay it from ``flat`` for the final presentation."""
    from mathgym.envs.ac.presentation import Presentation

    status, nodes, hit_parent, hit_move, hit_goal, best = (int(v) for v in out)
    if status == engine.STATUS_SOLVED:
        path = _path_to(store.parent, store.move, hit_parent) + [hit_move]
        if hit_goal >= 0:
            path += goal.path_to_trivial(hit_goal)
    else:
        path = _path_to(store.parent, store.move, best)
    if symmetry:
        from mathgym.agents.search.symmetry import lift_path

        path = lift_path(flat, path, cap, cyclic)
    final_state = _replay(flat, path, cap, cyclic)
    final = Presentation.from_array(final_state)
    min_length = int(np.count_nonzero(final_state)) if status == engine.STATUS_SOLVED else int(
        store.length[best]
    )
    extra: dict[str, Any] = {"algorithm": algorithm}
    if symmetry:
        extra["symmetry"] = True
    if info:
        extra.update(info)
    return SearchResult(
        solved=status == engine.STATUS_SOLVED,
        path=path,
        nodes=nodes,
        final=final,
        seconds=seconds,
        status=_STATUS[status],
        min_length=min_length,
        max_relator_length=cap,
        info=extra,
    )


def _symmetry_arrays(symmetry: bool, goal: Any) -> tuple[np.ndarray, np.ndarray]:
    from mathgym.agents.search.symmetry import symmetry_tables

    if symmetry and goal is not None:
        raise ValueError(
            "symmetry=True cannot be combined with a goal table (the backward ball stores "
            "actual presentations, the symmetric search canonical ones); drop one of them"
        )
    return symmetry_tables(bool(symmetry))


def _fresh_counters() -> np.ndarray:
    """Loop counters of a new engine search (``ctr[0] == 0`` means: start from scratch)."""
    return np.zeros(3, dtype=np.int64)


def _check_budget(max_nodes: int) -> int:
    if int(max_nodes) < 1:
        raise ValueError(f"max_nodes must be >= 1 (it counts the start state); got {max_nodes}")
    return int(max_nodes)


@dataclass
class SearchSetup:
    """Everything an engine call needs besides the algorithm's own knobs: the start state and
    its packing, the node store, the result record, the goal table and the symmetry tables."""

    max_nodes: int
    flat: np.ndarray
    cap: int
    k: int
    bits: int
    per_word: int
    store: NodeStore
    out: np.ndarray
    goal_table: np.ndarray
    goal_keys: np.ndarray
    sym_map: np.ndarray
    sym_swap: np.ndarray


def setup_search(
    presentation: Any, max_nodes: int, max_relator_length: int | None, cyclic_reduction: bool,
    goal: Any = None, symmetry: bool = False, extra_capacity: int = 12, with_prio: bool = True,
) -> SearchSetup:
    """Validate the inputs and allocate one search (``max_nodes + extra_capacity + 1`` nodes:
    the budget may overshoot by one expansion)."""
    max_nodes = _check_budget(max_nodes)
    flat, cap, k = prepare(presentation, max_relator_length)
    bits, per_word, words = engine.packing_params(flat.size, k)
    store = NodeStore(max_nodes + extra_capacity + 1, words, with_prio=with_prio)
    goal_table, goal_keys = _goal_arrays(goal, cap, cyclic_reduction, words)
    sym_map, sym_swap = _symmetry_arrays(symmetry, goal)
    return SearchSetup(max_nodes, flat, cap, k, bits, per_word, store,
                       np.zeros(6, dtype=np.int64), goal_table, goal_keys, sym_map, sym_swap)


# ----------------------------------------------------------------------------- searches


def weighted_astar(
    presentation: Any,
    max_nodes: int = 10_000,
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    weight: float = 1.0,
    goal: Any = None,
    symmetry: bool = False,
) -> SearchResult:
    """Best-first search on priority ``total length + weight * depth`` (ties: depth, state).

    ``weight=0`` is AC-Solver's greedy search. ``goal`` (a :class:`GoalTable` for the same cap)
    makes it bidirectional: it also succeeds when a child lies in the backward ball.
    ``symmetry=True`` searches orbits under the 16 relabelings
    (:mod:`mathgym.agents.search.symmetry`): ties then break on canonical states, so it is a
    different search from AC-Solver's, with paths lifted back to real moves.
    """
    name = "greedy" if weight == 0 else "weighted_astar"
    return _best_first(presentation, max_nodes, max_relator_length, cyclic_reduction, 1.0,
                       float(weight), goal, symmetry, name, {"weight": float(weight)})


def _best_first(
    presentation: Any, max_nodes: int, max_relator_length: int | None, cyclic_reduction: bool,
    len_weight: float, weight: float, goal: Any, symmetry: bool, name: str,
    info: dict[str, Any],
) -> SearchResult:
    s = setup_search(presentation, max_nodes, max_relator_length, cyclic_reduction, goal,
                     symmetry)
    st = s.store
    t0 = time.perf_counter()
    engine.best_first(
        s.flat, 12, s.k, s.bits, s.per_word, s.cap, bool(cyclic_reduction), s.max_nodes,
        float(len_weight), float(weight), st.keys, st.parent, st.move, st.depth, st.length,
        st.prio, st.table, st.heap, s.goal_table, s.goal_keys, s.sym_map, s.sym_swap,
        _fresh_counters(), s.max_nodes, s.out,
    )
    seconds = time.perf_counter() - t0
    return make_result(s.out, st, s.flat, s.cap, cyclic_reduction, seconds, name, goal,
                       info, symmetry)


#: Tie orders of :func:`greedy_search` among frontier states of equal total length.
TIES = ("shallow", "deep")


def greedy_search(
    presentation: Any,
    max_nodes: int = 10_000,
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    symmetry: bool = False,
    ties: str = "shallow",
) -> SearchResult:
    """AC-Solver's greedy search: pop the smallest (total length, path length, state).

    ``ties="deep"`` pops the *deepest* of the shortest states instead (order: total length,
    then the longest path, then state). AC-Solver's shallow-first tie makes greedy a
    breadth-first search across a plateau of equal lengths; deep-first follows one corridor
    across it, which is what the long (100-900 move) paths of the hardest solved
    presentations do. ``symmetry=True`` is the symmetry-reduced variant (not AC-Solver's: see
    :func:`weighted_astar`)."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    if ties == "shallow":
        return weighted_astar(presentation, max_nodes, max_relator_length, cyclic_reduction,
                              0.0, symmetry=symmetry)
    return _best_first(presentation, max_nodes, max_relator_length, cyclic_reduction,
                       engine.DEEP_LEN_WEIGHT, -1.0, None, symmetry, "greedy",
                       {"weight": 0.0, "ties": "deep"})


def bfs(
    presentation: Any,
    max_nodes: int = 10_000,
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    goal: Any = None,
    symmetry: bool = False,
) -> SearchResult:
    """AC-Solver's breadth-first search; the path is a shortest one within the cap.

    ``symmetry=True`` runs BFS on orbits (still shortest paths: relabelings preserve length);
    node counts then count orbits, not presentations."""
    s = setup_search(presentation, max_nodes, max_relator_length, cyclic_reduction, goal,
                     symmetry, with_prio=False)
    st = s.store
    t0 = time.perf_counter()
    engine.breadth_first(
        s.flat.reshape(1, -1), 12, s.k, s.bits, s.per_word, s.cap, bool(cyclic_reduction),
        s.max_nodes, True, st.keys, st.parent, st.move, st.depth, st.length, st.table,
        s.goal_table, s.goal_keys, s.sym_map, s.sym_swap, _fresh_counters(), s.max_nodes, s.out,
    )
    seconds = time.perf_counter() - t0
    return make_result(s.out, st, s.flat, s.cap, cyclic_reduction, seconds, "bfs", goal,
                       symmetry=symmetry)


def beam_search(
    presentation: Any,
    max_nodes: int = 10_000,
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    width: int = 1000,
    goal: Any = None,
    symmetry: bool = False,
) -> SearchResult:
    """Beam search keeping the ``width`` shortest new presentations per level
    (``symmetry=True``: per level, the ``width`` shortest new orbits)."""
    _check_budget(max_nodes)
    if int(width) < 1:
        raise ValueError(f"beam width must be >= 1; got {width}")
    s = setup_search(presentation, max_nodes, max_relator_length, cyclic_reduction, goal,
                     symmetry, extra_capacity=12 * int(width))
    st = s.store
    t0 = time.perf_counter()
    engine.beam(
        s.flat, 12, s.k, s.bits, s.per_word, s.cap, bool(cyclic_reduction), s.max_nodes,
        int(width), st.keys, st.parent, st.move, st.depth, st.length, st.prio, st.table,
        st.heap, s.goal_table, s.goal_keys, s.sym_map, s.sym_swap, s.out,
    )
    seconds = time.perf_counter() - t0
    return make_result(s.out, st, s.flat, s.cap, cyclic_reduction, seconds, "beam", goal,
                       {"width": int(width)}, symmetry)


def bidirectional_search(
    presentation: Any,
    max_nodes: int = 10_000,
    max_relator_length: int | None = None,
    cyclic_reduction: bool = False,
    goal_nodes: int = 1_000_000,
    weight: float = 0.0,
) -> SearchResult:
    """Greedy (or weighted A*) forward search that meets a backward BFS ball around the trivial
    presentations (built once per cap and cached; moves are invertible, so a forward state found
    in the ball completes a path). ``max_nodes`` counts forward states only; the ball's size is
    ``goal_nodes`` (shared by every presentation with the same cap)."""
    from mathgym.agents.search.goal import goal_table_for

    _, cap, _ = prepare(presentation, max_relator_length)
    goal = goal_table_for(cap, goal_nodes, cyclic_reduction)
    result = weighted_astar(presentation, max_nodes, cap, cyclic_reduction, weight, goal)
    result.info.update({"algorithm": "bidirectional", "goal_nodes": goal.nodes})
    return result


def _goal_arrays(goal: Any, cap: int, cyclic: bool, words: int) -> tuple[np.ndarray, np.ndarray]:
    if goal is None:
        return _EMPTY_TABLE, _EMPTY_KEYS
    if goal.max_relator_length != cap or goal.cyclic_reduction != bool(cyclic):
        raise ValueError(
            f"goal table was built for cap {goal.max_relator_length} (cyclic "
            f"{goal.cyclic_reduction}); this search uses cap {cap} (cyclic {bool(cyclic)})"
        )
    if goal.keys.shape[1] != words:
        raise ValueError("goal table packing does not match this search's state size")
    return goal.table, goal.keys
