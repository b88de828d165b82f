"""numba kernels vs the plain-Python reference: >= 100,000 random moves, 0 mismatches."""

from __future__ import annotations

import random

import numpy as np
import pytest
from ac_strategies import random_reduced_word
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.envs.ac import kernels, reference
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.moves import num_moves
from mathgym.envs.ac.presentation import Presentation
from mathgym.envs.ac.words import cyclic_reduce, free_reduce


def _to_array(relators, cap):
    return Presentation(relators).to_array(cap) if relators else None


def _from_array(state, lengths, k, cap):
    rels = []
    for i in range(k):
        block = state[i * cap : (i + 1) * cap]
        n = int(lengths[i])
        assert np.count_nonzero(block) == n and not block[n:].any(), "padding or lengths broken"
        rels.append(tuple(int(v) for v in block[:n]))
    return tuple(rels)


def _random_start(rng: random.Random, k: int, cap: int):
    if k == 2 and rng.random() < 0.3:
        ms = miller_schupp()[rng.randrange(1190)].presentation
        if ms.max_length <= cap:
            return ms.relators
    return tuple(random_reduced_word(rng, k, rng.randint(1, cap)) for _ in range(k))


def _walk(seed: int, k: int, cyclic: bool, n_moves_total: int) -> int:
    """Random walks, every step checked against the reference; returns moves checked."""
    rng = random.Random(seed)
    checked = 0
    n_ids = num_moves(k, inversions=True)
    while checked < n_moves_total:
        cap = rng.choice([4, 7, 12, 18, 36])
        rels = _random_start(rng, k, cap)
        state = Presentation(rels).to_array(cap)
        lengths = kernels.lengths_of(state, k, cap)
        for _ in range(rng.randint(20, 200)):
            move = rng.randrange(n_ids)
            want = reference.apply_move(rels, move, cap, cyclic)
            applied = kernels.apply_move(state, lengths, move, k, cap, cyclic)
            got = _from_array(state, lengths, k, cap)
            assert got == want, (seed, k, cyclic, cap, rels, move)
            new_len = len(reference.move_result(rels, move))
            assert applied == (0 < new_len <= cap)
            rels = want
            checked += 1
    return checked


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("cyclic", [False, True])
def test_differential_random_moves(k, cyclic):
    # 4 x 26,000 = 104,000 random moves in total
    assert _walk(seed=1000 * k + cyclic, k=k, cyclic=cyclic, n_moves_total=26_000) >= 26_000


def test_known_paths_on_kernels():
    ak2 = akbulut_kirby(2)
    for path, end in (
        ([11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2], ((-2,), (1,))),
        ([4, 11, 2, 4, 11, 9, 0, 5, 7, 3, 11, 9, 2, 8, 9, 3, 0, 0, 3], ((1,), (2,))),
    ):
        state = ak2.to_array(7)
        lengths = kernels.lengths_of(state, 2, 7)
        for move in path:
            assert not kernels.is_solved(lengths)
            kernels.apply_move(state, lengths, move, 2, 7, False)
        assert kernels.is_solved(lengths) and _from_array(state, lengths, 2, 7) == end
        assert kernels.total_length(lengths) == 2


def test_action_mask_matches_reference():
    rng = random.Random(7)
    for _ in range(3000):
        k = rng.choice([2, 3])
        cap = rng.choice([5, 7, 12])
        cyclic = rng.random() < 0.5
        rels = tuple(random_reduced_word(rng, k, rng.randint(1, cap)) for _ in range(k))
        if rng.random() < 0.2:  # powers of a generator exercise fixed conjugations
            rels = ((rng.choice([1, -1, 2, -2]),) * rng.randint(1, cap),) + rels[1:]
        if rng.random() < 0.5:  # cyclically reduced states take the fast cyclic path
            rels = tuple(cyclic_reduce(r) for r in rels)
        state = Presentation(rels).to_array(cap)
        lengths = kernels.lengths_of(state, k, cap)
        n = num_moves(k, inversions=True)
        out = np.zeros(n, dtype=np.bool_)
        kernels.action_mask(state, lengths, k, cap, cyclic, n, out, state.copy(), lengths.copy())
        assert out.tolist() == reference.action_mask(rels, cap, cyclic, inversions=True)
    ak2 = akbulut_kirby(2).to_array(7)
    out = np.zeros(12, dtype=np.bool_)
    lengths = kernels.lengths_of(ak2, 2, 7)
    kernels.action_mask(ak2, lengths, 2, 7, False, 12, out, ak2.copy(), lengths.copy())
    assert not out[:4].any()


def test_batch_equals_single():
    rng = np.random.default_rng(3)
    ms = miller_schupp()
    cap = 36
    states = np.stack([ms[i].presentation.to_array(cap) for i in rng.integers(0, 1190, 64)])
    lengths = np.stack([kernels.lengths_of(s, 2, cap) for s in states])
    single_states, single_lengths = states.copy(), lengths.copy()
    for _ in range(50):
        moves = rng.integers(0, 12, 64)
        kernels.apply_moves_batch(states, lengths, moves, 2, cap, False)
        for n in range(64):
            kernels.apply_move(single_states[n], single_lengths[n], moves[n], 2, cap, False)
    assert np.array_equal(states, single_states) and np.array_equal(lengths, single_lengths)
    masks = np.zeros((64, 12), dtype=np.bool_)
    kernels.action_masks_batch(states, lengths, 2, cap, False, 12, masks)
    for n in range(0, 64, 9):
        rels = _from_array(states[n], lengths[n], 2, cap)
        assert masks[n].tolist() == reference.action_mask(rels, cap)


def test_out_of_range_move_is_a_noop():
    state = akbulut_kirby(2).to_array(7)
    lengths = kernels.lengths_of(state, 2, 7)
    before = state.copy()
    assert not kernels.apply_move(state, lengths, 99, 2, 7, False)
    assert not kernels.apply_move(state, lengths, -1, 2, 7, False)
    assert np.array_equal(state, before)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([1, -1, 2, -2, 3, -3]), min_size=0, max_size=30))
def test_reduction_kernels_match_reference(word):
    arr = np.array(word + [0, 0], dtype=np.int8)
    n = kernels.free_reduce(arr, len(word))
    assert tuple(arr[:n].tolist()) == free_reduce(word) and not arr[n:].any()
    arr = np.array(word + [0], dtype=np.int8)
    n = kernels.cyclic_reduce(arr, len(word))
    assert tuple(arr[:n].tolist()) == cyclic_reduce(word) and not arr[n:].any()
