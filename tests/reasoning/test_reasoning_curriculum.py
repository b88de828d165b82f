"""Curriculum: promotion/demotion thresholds, window semantics, bounds."""

from __future__ import annotations

import pytest
from mathgym.envs.reasoning import Curriculum


def test_promotes_after_a_full_window_at_the_threshold():
    c = Curriculum(level=1, promote_at=0.8, demote_at=0.2, window=10)
    for _ in range(8):
        assert c.update(True) == 1  # window not full yet
    assert c.update(False) == 1
    assert c.update(False) == 2  # 8/10 = 0.8 >= promote_at on the full window


def test_exact_threshold_behaviour():
    c = Curriculum(level=2, promote_at=0.8, demote_at=0.2, window=5)
    for outcome in (1, 1, 1, 1):
        c.update(outcome)
    assert c.level == 2
    assert c.update(0) == 3  # 4/5 = 0.8 >= promote_at
    assert c.solve_rate is None  # window cleared after a move
    for _ in range(4):
        c.update(False)
    assert c.update(1) == 2  # 1/5 = 0.2 <= demote_at


def test_bounds_are_respected():
    c = Curriculum(level=5, window=3)
    for _ in range(10):
        c.update(True)
    assert c.level == 5
    c = Curriculum(level=1, window=3)
    for _ in range(10):
        c.update(False)
    assert c.level == 1


def test_middle_rates_hold_the_level():
    c = Curriculum(level=3, promote_at=0.9, demote_at=0.1, window=4)
    for outcome in [1, 0] * 20:
        c.update(outcome)
    assert c.level == 3 and c.solve_rate == 0.5


@pytest.mark.parametrize("kwargs", [
    {"promote_at": 0.2, "demote_at": 0.5}, {"window": 0}, {"level": 6}, {"demote_at": -0.1},
])
def test_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        Curriculum(**kwargs)
