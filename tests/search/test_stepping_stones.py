"""The stepping-stone goal table: a search that meets a known path finishes along it, verified."""

from __future__ import annotations

import numpy as np
from mathgym.agents.search import engine
from mathgym.agents.search.api import weighted_astar
from mathgym.agents.search.stepping_stones import build_stone_table
from mathgym.envs.ac.datasets import akbulut_kirby
from mathgym.envs.ac.reference import apply_moves
from mathgym.verifiers.ac import verify_ac_path


def test_search_meeting_a_known_path_returns_a_verified_path() -> None:
    ak2 = akbulut_kirby(2).relators
    known = weighted_astar(ak2, 100_000, 7, weight=0.0)
    assert known.solved and len(known.path) > 4
    # the table holds every state of the path (start and trivial end included), so the first
    # expansion generates one and the search finishes along the stored suffix
    table = build_stone_table([(ak2, known.path, 7)], 7)
    assert table.nodes == len(known.path) + 1
    result = weighted_astar(ak2, 50, 7, weight=0.0, goal=table)
    assert result.solved and result.nodes <= 13 < known.nodes
    assert verify_ac_path(ak2, result.path, 7).ok


def test_relabeled_paths_are_valid_suffixes_and_cap_filters() -> None:
    ak2 = akbulut_kirby(2).relators
    known = weighted_astar(ak2, 100_000, 7, weight=0.0)
    table = build_stone_table([(ak2, known.path, 7)], 7, symmetries=True)
    assert table.nodes > len(known.path) + 1
    bits, per_word, _ = engine.packing_params(14, 2)
    for node in range(0, table.nodes, max(1, table.nodes // 50)):
        state = np.zeros(14, np.int8)
        engine.unpack_into(table.keys[node], 2, bits, per_word, state)
        rels = tuple(tuple(int(v) for v in state[i * 7:(i + 1) * 7] if v) for i in range(2))
        suffix = table.path_to_trivial(node)
        final = apply_moves(rels, suffix, 7)
        assert sum(len(r) for r in final) == 2, (node, rels)
    # a cap below the path's longest relator keeps only the suffix that fits
    longest = max(max(len(r) for r in apply_moves(ak2, known.path[:i], 7))
                  for i in range(len(known.path) + 1))
    assert build_stone_table([(ak2, known.path, 7)], longest - 1).nodes < len(known.path)
