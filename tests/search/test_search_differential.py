"""Compiled searches vs the plain-Python reference search, and the exact hash set."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.agents.search import beam_search, bfs, bidirectional_search, engine, greedy_search
from mathgym.agents.search.goal import build_goal_table
from mathgym.agents.search.reference_search import reference_bfs, reference_greedy
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length
from mathgym.envs.ac.reference import apply_moves
from mathgym.verifiers.ac import verify_ac_path


def _cases() -> list[tuple[tuple[tuple[int, ...], ...], int]]:
    ms = miller_schupp()
    picks = [ms[i] for i in (0, 1, 5, 170, 171, 400, 700, 1000, 1189)]
    cases = [(m.presentation.relators, ms_max_relator_length(m.n)) for m in picks]
    cases.append((akbulut_kirby(2).relators, 7))
    cases.append((akbulut_kirby(3).relators, 9))
    return cases


def test_greedy_matches_reference_nodes_and_paths() -> None:
    for relators, cap in _cases():
        for budget in (1, 37, 400):
            ok, path, nodes = reference_greedy(relators, budget, cap)
            result = greedy_search(relators, budget, cap)
            assert (result.solved, result.nodes) == (ok, nodes), (relators, budget)
            if ok:
                assert result.path == path


def test_bfs_matches_reference_nodes_and_paths() -> None:
    for relators, cap in _cases():
        for budget in (1, 37, 400):
            ok, path, nodes = reference_bfs(relators, budget, cap)
            result = bfs(relators, budget, cap)
            assert (result.solved, result.nodes) == (ok, nodes), (relators, budget)
            if ok:
                assert result.path == path


def test_solved_reference_cases_agree_on_path() -> None:
    ak2 = akbulut_kirby(2).relators
    ok, path, nodes = reference_greedy(ak2, 10_000, 7)
    result = greedy_search(ak2, 10_000, 7)
    assert ok and result.solved and result.path == path and result.nodes == nodes


def test_unsolved_path_leads_to_reported_shortest_state() -> None:
    ak3 = akbulut_kirby(3)
    result = greedy_search(ak3, 2_000, 13)
    assert not result.solved
    final = apply_moves(ak3.relators, result.path, 13)
    assert sum(len(r) for r in final) == result.min_length == result.final.total_length
    assert result.min_length <= ak3.total_length


def test_beam_and_bidirectional_paths_verify() -> None:
    ak2 = akbulut_kirby(2)
    beam = beam_search(ak2, 200_000, 7, width=64)
    assert beam.solved
    assert verify_ac_path(ak2, beam.path, 7).ok
    # greedy alone needs 3596 nodes; a 20k ball around the trivial states is met earlier
    bidir = bidirectional_search(ak2, 10_000, 7, goal_nodes=20_000)
    assert bidir.solved and bidir.nodes < 3596
    assert verify_ac_path(ak2, bidir.path, 7).ok


def test_goal_table_paths_lead_to_trivial() -> None:
    goal = build_goal_table(9, 5_000)
    bits, per_word, _ = engine.packing_params(18, 2)
    state = np.empty(18, dtype=np.int8)
    for node in (0, 7, 8, 100, 2_000, goal.nodes - 1):
        engine.unpack_into(goal.keys[node], 2, bits, per_word, state)
        relators = tuple(tuple(int(v) for v in state[i * 9:(i + 1) * 9] if v) for i in range(2))
        end = apply_moves(relators, goal.path_to_trivial(node), 9)
        assert all(len(r) == 1 for r in end), node


# ----------------------------------------------------------------------------- hash set

_letter = st.sampled_from([-2, -1, 1, 2])
_relator = st.lists(_letter, min_size=1, max_size=6)
_state = st.tuples(_relator, _relator)


def _flat(state, cap: int = 6) -> np.ndarray:
    out = np.zeros(2 * cap, dtype=np.int8)
    for i, r in enumerate(state):
        out[i * cap:i * cap + len(r)] = r
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(_state, min_size=1, max_size=300))
def test_hash_set_never_merges_distinct_states(states) -> None:
    """Random states (many repeats, slot collisions at load <= 1/2): exact dedup, no merging."""
    bits, per_word, words = engine.packing_params(12, 2)
    capacity = len(states)
    keys = np.zeros((capacity, words), dtype=np.uint64)
    table = np.zeros(engine.table_size_for(capacity), dtype=np.int32)
    packed = np.empty(words, dtype=np.uint64)
    index_of: dict[tuple[int, ...], int] = {}
    n = 0
    for s in states:
        flat = _flat(s)
        engine.pack_into(flat, 2, bits, per_word, packed)
        node, inserted = engine.table_insert(table, keys, n, packed)
        key = tuple(int(v) for v in flat)
        if key in index_of:
            assert not inserted and node == index_of[key]
        else:
            assert inserted and node == n
            index_of[key] = n
            n += 1
    assert n == len(index_of)
    back = np.empty(12, dtype=np.int8)
    for key, node in index_of.items():
        engine.unpack_into(keys[node], 2, bits, per_word, back)
        assert tuple(int(v) for v in back) == key
        engine.pack_into(np.array(key, dtype=np.int8), 2, bits, per_word, packed)
        assert engine.table_find(table, keys, packed) == node


@settings(max_examples=200, deadline=None)
@given(_state, _state)
def test_packing_preserves_acsolver_tuple_order(a, b) -> None:
    """Unsigned word order of packed states == Python tuple order of the int8 arrays."""
    bits, per_word, words = engine.packing_params(12, 2)
    fa, fb = _flat(a), _flat(b)
    pa, pb = np.empty(words, np.uint64), np.empty(words, np.uint64)
    engine.pack_into(fa, 2, bits, per_word, pa)
    engine.pack_into(fb, 2, bits, per_word, pb)
    ta, tb = tuple(int(v) for v in fa), tuple(int(v) for v in fb)
    assert (tuple(int(v) for v in pa) < tuple(int(v) for v in pb)) == (ta < tb)
    assert (tuple(int(v) for v in pa) == tuple(int(v) for v in pb)) == (ta == tb)
