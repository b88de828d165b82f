"""Backward goal table: a BFS ball around the 8 trivial presentations, for bidirectional search.

AC' moves are invertible within a cap (move ``m`` from ``s`` to ``t`` is undone by
``inverse_move(m)`` from ``t``, and ``s`` is within the cap), so the states from which a trivial
presentation is reachable in ``d`` moves are exactly the BFS ball of radius ``d`` around the
trivial presentations. A forward search that generates any state of the ball is done: the path
is the forward path followed by the ball's path back to a root, each move inverted.

One ball serves every presentation with the same cap, so it is built once per
``(cap, nodes, cyclic)`` and cached in memory (and the build is one compiled BFS).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.symmetry import symmetry_tables


def trivial_states(max_relator_length: int) -> np.ndarray:
    """The 8 trivial presentations (x^±1, y^±1) and (y^±1, x^±1) as AC-Solver arrays."""
    rows = []
    for first, s0, s1 in itertools.product((1, 2), (1, -1), (1, -1)):
        row = np.zeros(2 * max_relator_length, dtype=np.int8)
        row[0] = s0 * first
        row[max_relator_length] = s1 * (3 - first)
        rows.append(row)
    return np.stack(rows)


@dataclass(frozen=True)
class GoalTable:
    """A BFS ball around the trivial presentations (packed keys, hash table, parent links)."""

    max_relator_length: int
    cyclic_reduction: bool
    nodes: int
    keys: np.ndarray
    table: np.ndarray
    parent: np.ndarray
    move: np.ndarray
    depth: np.ndarray

    def path_to_trivial(self, node: int) -> list[int]:
        """Moves from the ball state ``node`` to its trivial root (inverses of the BFS moves)."""
        from mathgym.envs.ac.moves import inverse_move

        path = []
        while self.parent[node] >= 0:
            path.append(int(inverse_move(int(self.move[node]), 2)))
            node = int(self.parent[node])
        return path


def build_goal_table(
    max_relator_length: int, nodes: int, cyclic_reduction: bool = False
) -> GoalTable:
    """Grow the ball by BFS from the trivial presentations until ``nodes`` states (or all)."""
    if nodes < 8:
        raise ValueError(f"goal table needs at least the 8 trivial states; got nodes={nodes}")
    roots = trivial_states(max_relator_length)
    bits, per_word, words = engine.packing_params(roots.shape[1], 2)
    capacity = nodes + 13
    keys = np.zeros((capacity, words), dtype=np.uint64)
    parent = np.empty(capacity, dtype=np.int32)
    move = np.empty(capacity, dtype=np.int8)
    depth = np.empty(capacity, dtype=np.int32)
    length = np.empty(capacity, dtype=np.int16)
    table = np.zeros(engine.table_size_for(capacity), dtype=np.int32)
    out = np.zeros(6, dtype=np.int64)
    engine.breadth_first(
        roots, 12, 2, bits, per_word, max_relator_length, bool(cyclic_reduction), nodes, False,
        keys, parent, move, depth, length, table,
        np.zeros(0, dtype=np.int32), np.zeros((0, 1), dtype=np.uint64),
        *symmetry_tables(False), np.zeros(3, dtype=np.int64), nodes, out,
    )
    n = int(out[1])
    return GoalTable(max_relator_length, bool(cyclic_reduction), n, keys, table,
                     parent[:n], move[:n], depth[:n])


@functools.lru_cache(maxsize=4)
def goal_table_for(max_relator_length: int, nodes: int, cyclic_reduction: bool) -> GoalTable:
    """Cached :func:`build_goal_table` (one ball per cap for a whole sweep)."""
    return build_goal_table(max_relator_length, nodes, cyclic_reduction)
