"""Plain-Python greedy and BFS with AC-Solver's semantics: the oracle for differential tests.

Deliberately simple (Python ``heapq``, ``set`` of relator tuples, the AC family's plain-Python
``reference.apply_move``) so a reader can check it against AC-Solver's ``greedy.py`` and
``breadth_first.py`` line by line. The compiled engine must return identical node counts and
paths on small budgets. Greedy's tie-break is AC-Solver's: the zero-padded flat state tuple,
compared lexicographically.

Returns ``(solved, path, nodes)``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence

from mathgym.envs.ac.reference import apply_move

Relators = tuple[tuple[int, ...], ...]

NUM_MOVES = 12


def _flat(relators: Relators, cap: int) -> tuple[int, ...]:
    out: list[int] = []
    for r in relators:
        out.extend(r)
        out.extend([0] * (cap - len(r)))
    return tuple(out)


def _total(relators: Relators) -> int:
    return sum(len(r) for r in relators)


def reference_greedy(
    relators: Sequence[Sequence[int]], max_nodes: int, cap: int, cyclic: bool = False,
    ties: str = "shallow",
) -> tuple[bool, list[int], int]:
    """Greedy: pop min (total length, path length, flat state); success on a trivial child.

    ``ties="deep"`` pops min (total length, -path length, flat state) instead."""
    sign = {"shallow": 1, "deep": -1}[ties]
    start: Relators = tuple(tuple(r) for r in relators)
    seen = {start}
    heap = [(_total(start), 0, _flat(start, cap), start, ())]
    while heap:
        _, signed_depth, _, state, path = heapq.heappop(heap)
        depth = sign * signed_depth
        for move in range(NUM_MOVES):
            child = tuple(tuple(r) for r in apply_move(state, move, cap, cyclic))
            if _total(child) == len(child):
                return True, [*path, move], len(seen)
            if child not in seen:
                seen.add(child)
                heapq.heappush(
                    heap, (_total(child), sign * (depth + 1), _flat(child, cap), child,
                           (*path, move))
                )
        if len(seen) >= max_nodes:
            break
    return False, [], len(seen)


def reference_bfs(
    relators: Sequence[Sequence[int]], max_nodes: int, cap: int, cyclic: bool = False
) -> tuple[bool, list[int], int]:
    """Breadth-first search with AC-Solver's stopping rule (shortest path within the cap)."""
    start: Relators = tuple(tuple(r) for r in relators)
    seen = {start}
    queue = deque([(start, ())])
    while queue:
        state, path = queue.popleft()
        for move in range(NUM_MOVES):
            child = tuple(tuple(r) for r in apply_move(state, move, cap, cyclic))
            if _total(child) == len(child):
                return True, [*path, move], len(seen)
            if child not in seen:
                seen.add(child)
                queue.append((child, (*path, move)))
        if len(seen) >= max_nodes:
            break
    return False, [], len(seen)
