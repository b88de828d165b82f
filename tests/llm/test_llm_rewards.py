"""DAPO's overlong reward shaping (eq. 13) and dynamic sampling (eq. 11) on hand-made cases."""

from __future__ import annotations

import pytest
import torch
from mathgym.agents.llm.grpo import dynamic_sampling_keep, kept_rows, overlong_penalty


def test_overlong_penalty_at_the_boundaries():
    # L_max = 10, L_cache = 4: no penalty up to 6, a ramp to -1 at 10, -1 beyond
    lengths = torch.tensor([0, 6, 7, 8, 10, 11, 50])
    expected = [0.0, 0.0, -0.25, -0.5, -1.0, -1.0, -1.0]
    assert overlong_penalty(lengths, 10, 4).tolist() == pytest.approx(expected)


def test_overlong_penalty_without_a_cache_is_a_hard_cut():
    assert overlong_penalty(torch.tensor([10, 11]), 10, 0).tolist() == [0.0, -1.0]
    with pytest.raises(ValueError):
        overlong_penalty(torch.tensor([1]), 10, 11)


def test_dynamic_sampling_drops_exactly_the_all_zero_and_all_one_groups():
    rewards = torch.tensor([0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0], dtype=torch.float32)
    keep = dynamic_sampling_keep(rewards, 3)
    assert keep.tolist() == [1, 3]
    assert kept_rows(keep, 3).tolist() == [3, 4, 5, 9, 10, 11]
    assert rewards[kept_rows(keep, 3)].tolist() == [1, 0, 1, 0, 1, 0]


def test_dynamic_sampling_keeps_nothing_when_every_group_agrees():
    assert dynamic_sampling_keep(torch.tensor([1.0, 1.0, 0.0, 0.0]), 2).tolist() == []
