"""Miller–Schupp and Akbulut–Kirby datasets: the issue's counts, order and determinants."""

from __future__ import annotations

import collections

import pytest
from mathgym.envs.ac.datasets import (
    akbulut_kirby,
    miller_schupp,
    miller_schupp_relator0,
    ms_max_relator_length,
)
from mathgym.envs.ac.words import cyclic_reduce


def test_ms_counts():
    ms = miller_schupp()
    assert len(ms) == 1190
    assert collections.Counter(m.n for m in ms) == {n: 170 for n in range(1, 8)}
    for n in range(1, 8):
        per_len = collections.Counter(len(m.w) for m in ms if m.n == n)
        assert [per_len[L] for L in range(1, 8)] == [2, 2, 2, 6, 18, 42, 98]


def test_ms_order_and_shape():
    ms = miller_schupp()
    keys = [(m.n, len(m.w)) for m in ms]
    assert keys == sorted(keys)
    # within one (n, |w|) group: itertools.product([1, 2, -1, -2]) order
    rank = {1: 0, 2: 1, -1: 2, -2: 3}
    for i in range(len(ms) - 1):
        if keys[i] == keys[i + 1]:
            assert [rank[a] for a in ms[i].w] < [rank[a] for a in ms[i + 1].w]
    first = ms[0]
    assert (first.n, first.w) == (1, (2,))
    assert str(first.presentation) == "x^-1 y x y^-2, x^-1 y"
    assert str(ms[1].presentation) == "x^-1 y x y^-2, x^-1 y^-1"
    for m in ms:
        r0, r1 = m.presentation.relators
        assert r0 == miller_schupp_relator0(m.n)
        assert r1 == (-1, *m.w) == cyclic_reduce(r1)
        assert sum(a for a in m.w if abs(a) == 1) == 0
        assert m.presentation.max_length <= ms_max_relator_length(m.n)


def test_ms_one_per_rotation_class():
    for n in (1, 4):
        classes = set()
        for m in miller_schupp():
            if m.n != n:
                continue
            r1 = m.presentation.relators[1]
            canon = min(r1[s:] + r1[:s] for s in range(len(r1)))
            assert canon not in classes
            classes.add(canon)


def test_ms_determinant_minus_one():
    assert {m.presentation.exponent_determinant for m in miller_schupp()} == {-1}


def test_ms_caps():
    assert [ms_max_relator_length(n) for n in range(1, 8)] == [18, 18, 20, 24, 28, 32, 36]
    assert ms_max_relator_length(2, max_w_len=3) == 2 * max(7, 4) + 2


def test_ms_subsets():
    assert len(miller_schupp(n_max=2, max_w_len=3)) == 12
    assert miller_schupp(n_max=2) == miller_schupp()[:340]
    with pytest.raises(ValueError, match="n_max must be an int >= 1"):
        miller_schupp(n_max=0)


def test_akbulut_kirby():
    assert str(akbulut_kirby(2)) == "x^2 y^-3, x y x y^-1 x^-1 y^-1"
    assert akbulut_kirby(2).to_array(7).tolist() == [1, 1, -2, -2, -2, 0, 0,
                                                     1, 2, 1, -2, -1, -2, 0]
    assert akbulut_kirby(2).exponent_determinant == 1
    assert akbulut_kirby(3).exponent_determinant == 1
    with pytest.raises(ValueError, match="n >= 1"):
        akbulut_kirby(0)
