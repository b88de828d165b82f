"""Reference semantics: the issue's known facts, move table, and hypothesis properties."""

from __future__ import annotations

import pytest
from ac_strategies import presentations
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.envs.ac import moves, reference
from mathgym.envs.ac.datasets import akbulut_kirby
from mathgym.envs.ac.reference import apply_move, apply_moves, exponent_determinant

PATH_A = [11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2]
PATH_B = [4, 11, 2, 4, 11, 9, 0, 5, 7, 3, 11, 9, 2, 8, 9, 3, 0, 0, 3]


def test_known_ak2_paths_end_states():
    ak2 = akbulut_kirby(2).relators
    end_a = apply_moves(ak2, PATH_A, 7)
    end_b = apply_moves(ak2, PATH_B, 7)
    assert end_a == ((-2,), (1,))  # (y^-1, x)
    assert end_b == ((1,), (2,))  # (x, y)
    assert reference.is_solved(end_a) and reference.is_solved(end_b)
    # the paths are minimal in the sense that no prefix is already solved
    for path in (PATH_A, PATH_B):
        assert not any(reference.is_solved(apply_moves(ak2, path[:t], 7)) for t in range(len(path)))


def test_moves_0_to_3_are_noops_on_ak2_at_cap_7():
    ak2 = akbulut_kirby(2).relators
    for m in range(4):
        assert apply_move(ak2, m, 7) == ak2
    mask = reference.action_mask(ak2, 7)
    # r0 has length 5, r1 length 6: every concatenation and the conjugations that grow r1
    # (no cancellation at either end) exceed cap 7
    assert mask == [False] * 4 + [True, True, True, True, False, True, False, True]


def test_move_table_matches_acsolver_for_k2():
    names = [moves.move_name(m, 2) for m in range(12)]
    assert names == [
        "r1 <- r1 r0", "r0 <- r0 r1^-1", "r1 <- r1 r0^-1", "r0 <- r0 r1",
        "r1 <- x^-1 r1 x", "r0 <- y^-1 r0 y", "r1 <- y^-1 r1 y", "r0 <- x r0 x^-1",
        "r1 <- x r1 x^-1", "r0 <- y r0 y^-1", "r1 <- y r1 y^-1", "r0 <- x^-1 r0 x",
    ]
    assert moves.num_moves(2) == 12 and moves.num_moves(2, inversions=True) == 14
    assert moves.num_moves(3) == 30 and moves.num_moves(4) == 56
    assert [moves.inverse_move(m, 2) for m in range(12)] == [2, 3, 0, 1, 8, 9, 10, 11, 4, 5, 6, 7]
    assert moves.move_name(12, 2) == "r0 <- r0^-1"


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_general_k_numbering_is_a_bijection(k):
    table = moves.move_table(k, inversions=True)
    want = {("concat", i, j, s) for i in range(k) for j in range(k) if i != j for s in (1, -1)}
    want |= {("conj", i, g, 0) for i in range(k) for g in range(-k, k + 1) if g}
    want |= {("invert", i, 0, 0) for i in range(k)}
    got = [(m.kind, m.i, m.other, m.sign) for m in table]
    assert len(got) == len(set(got)) == len(want) and set(got) == want
    for m, parts in enumerate(got):
        assert moves.encode_move(*parts, num_generators=k) == m


def test_concatenation_and_conjugation_by_hand():
    # r1 <- r1 r0^-1 with cancellation at the junction
    k3 = ((1, 2), (3, 2), (1,))
    m = moves.encode_move("concat", 1, 0, -1, num_generators=3)
    assert apply_move(k3, m, 10) == ((1, 2), (3, -1), (1,))
    st_ = ((1, 2), (2, 2, -1))
    assert apply_move(st_, 2, 10) == ((1, 2), (2, 2, -1, -2, -1))  # r1 r0^-1 = y y x^-1 y^-1 x^-1
    assert apply_move(((1, 2), (-2, 1)), 0, 10) == ((1, 2), (-2, 1, 1, 2))
    assert apply_move(((1, 2), (-2, -1)), 0, 10) == ((1, 2), (-2, -1))  # r1 r0 = 1: no-op
    # conjugation r1 <- x^-1 r1 x: both ends cancel, one end cancels, none cancels
    assert apply_move(((2,), (1, 2, -1)), 4, 10) == ((2,), (2,))
    assert apply_move(((2,), (1, 2)), 4, 10) == ((2,), (2, 1))
    assert apply_move(((2,), (2, 2)), 4, 10) == ((2,), (-1, 2, 2, 1))
    assert apply_move(((2,), (2, 2)), 4, 3) == ((2,), (2, 2))  # over the cap: no-op
    # powers of the conjugator are fixed
    assert apply_move(((2,), (-1, -1)), 4, 10) == ((2,), (-1, -1))


def test_cyclic_reduction_option():
    state = ((1, 2, -1), (2, 2))
    assert apply_move(state, 8, 10) == ((1, 2, -1), (1, 2, 2, -1))  # r1 <- x r1 x^-1
    # AC-Solver cyclically reduces every relator after the move, r0 included
    assert apply_move(state, 8, 10, cyclic_reduction=True) == ((2,), (2, 2))
    # the cap is tested on the freely reduced length, before cyclic reduction
    assert apply_move(((2,), (2, 2)), 8, 3, cyclic_reduction=True) == ((2,), (2, 2))
    assert apply_move(((2,), (2, 2)), 8, 4, cyclic_reduction=True) == ((2,), (2, 2))
    assert apply_move(((2,), (2, 2)), 8, 4) == ((2,), (1, 2, 2, -1))
    assert reference.cyclic_reduce((1, 2, 2, -1)) == (2, 2)
    assert reference.cyclic_reduce((1, -1, 2)) == (2,)


def test_determinants_of_ak():
    assert exponent_determinant(akbulut_kirby(2).relators) == 1
    assert exponent_determinant(akbulut_kirby(3).relators) == 1
    assert reference.determinant([[2, 0, 1], [1, 3, 2], [1, 1, 2]]) == 6
    assert reference.determinant([[0, 1], [1, 0]]) == -1


def _laplace(m):
    if len(m) == 1:
        return m[0][0]
    return sum((-1) ** c * m[0][c] * _laplace([row[:c] + row[c + 1 :] for row in m[1:]])
               for c in range(len(m)))


@given(st.integers(1, 4).flatmap(
    lambda n: st.lists(st.lists(st.integers(-3, 3), min_size=n, max_size=n), min_size=n,
                       max_size=n)))
def test_bareiss_matches_laplace(matrix):
    assert reference.determinant(matrix) == _laplace(matrix)


@settings(max_examples=300, deadline=None)
@given(presentations(k=2), st.integers(0, 11), st.integers(1, 24), st.booleans())
def test_every_move_preserves_determinant_k2(state, move, cap, cyclic):
    before = exponent_determinant(state)
    assert exponent_determinant(apply_move(state, move, cap, cyclic)) == before


@settings(max_examples=200, deadline=None)
@given(presentations(k=3, max_len=6), st.integers(0, 32), st.integers(1, 16))
def test_every_move_preserves_determinant_up_to_inversion_k3(state, move, cap):
    after = exponent_determinant(apply_move(state, move, cap))
    before = exponent_determinant(state)
    assert after == (-before if move >= 30 and apply_move(state, move, cap) != state else before)


@settings(max_examples=400, deadline=None)
@given(presentations(k=2), st.sampled_from(moves.INVERSE_PAIRS_K2), st.booleans())
def test_inverse_pairs_restore_state(state, pair, flip):
    a, b = pair if not flip else pair[::-1]
    cap = 1000  # no cap is hit
    once = apply_move(state, a, cap)
    if once == state:  # only r1 r0 = 1 (determinant 0) or a power of the conjugator
        assert exponent_determinant(state) == 0 or a >= 4
    assert apply_move(once, b, cap) == state or exponent_determinant(state) == 0


@settings(max_examples=200, deadline=None)
@given(presentations(k=3, max_len=6), st.integers(0, 29))
def test_inverse_moves_restore_state_k3(state, move):
    once = apply_move(state, move, 1000)
    if once != state:
        assert apply_move(once, moves.inverse_move(move, 3), 1000) == state


def test_bad_move_ids():
    with pytest.raises(ValueError, match="move id 14 is out of range for 2 generators"):
        moves.decode_move(12 + 2, 2)
    with pytest.raises(ValueError, match="num_generators must be >= 2"):
        moves.num_moves(1)
