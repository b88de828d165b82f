"""Shorten a verified AC path by replacing segments with shortcuts a small BFS finds.

For a path with states ``s_0 .. s_T`` (``s_T`` trivial), walk ``i = 0, 1, ...``: grow a
breadth-first ball of at most ``ball_nodes`` states around ``s_i`` (the engine's BFS, plain AC
moves under the instance's cap, every state stored with its BFS depth, i.e. its distance from
``s_i`` within the ball), find the *latest* later state ``s_j`` of the path in the ball, and if
its depth ``d`` is below ``j - i`` replace moves ``i .. j-1`` by the ball's ``d`` moves. The
states after ``s_j`` are unchanged, so the walk goes on from ``i + 1`` of the new path. Every
ball is exact, so each splice is a real path between the same two states; the result is
re-verified anyway, and a path that fails is an error (nothing false enters the data).
"""

from __future__ import annotations

import numpy as np


def _ball(state: np.ndarray, cap: int, ball_nodes: int):
    """BFS ball (node store) of at most ``ball_nodes`` states around flat ``state``."""
    from mathgym.agents.search import engine
    from mathgym.agents.search.api import _fresh_counters, setup_search

    s = setup_search(state, ball_nodes, cap, False, with_prio=False)
    st = s.store
    engine.breadth_first(
        s.flat.reshape(1, -1), 12, s.k, s.bits, s.per_word, s.cap, False, s.max_nodes, False,
        st.keys, st.parent, st.move, st.depth, st.length, st.table, s.goal_table, s.goal_keys,
        s.sym_map, s.sym_swap, _fresh_counters(), s.max_nodes, s.out)
    return s


def shorten_path(relators, path: list[int], cap: int, ball_nodes: int = 1000) -> list[int]:
    """The path after every BFS shortcut of the module docstring (``path`` itself if none)."""
    from mathgym.agents.search import engine
    from mathgym.agents.search.guided.dataset import path_states
    from mathgym.verifiers.ac import verify_ac_path

    if int(ball_nodes) < 2:
        raise ValueError(f"ball_nodes must be >= 2, got {ball_nodes}")
    rels = [list(map(int, r)) for r in relators]
    if not verify_ac_path(rels, list(path), cap).ok:
        raise ValueError("shorten_path needs a verified path; this one does not verify")
    moves = [int(m) for m in path]
    i = 0
    while i < len(moves) - 1:
        # s_0 .. s_T: path_states gives the state before each move, so one dummy move more
        states = path_states(rels, moves + [0], cap)
        s = _ball(states[i], cap, int(ball_nodes))
        words = np.empty(s.store.keys.shape[1], np.uint64)
        for j in range(len(moves), i + 1, -1):
            engine.pack_into(states[j], s.k, s.bits, s.per_word, words)
            node = engine.table_find(s.store.table, s.store.keys, words)
            if node >= 0 and int(s.store.depth[node]) < j - i:
                shortcut: list[int] = []
                while s.store.parent[node] >= 0:
                    shortcut.append(int(s.store.move[node]))
                    node = int(s.store.parent[node])
                moves = moves[:i] + shortcut[::-1] + moves[j:]
                break
        i += 1
    check = verify_ac_path(rels, moves, cap)
    if not check.ok:
        raise RuntimeError(f"shortened path failed verification: {check.reason}")
    return moves
