"""Advantage estimators on a hand-computed batch: one informative group and one all-equal."""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.grpo import (
    compute_advantages,
    dr_grpo_advantages,
    grpo_advantages,
    reinforce_pp_advantages,
    rloo_advantages,
    zero_variance_groups,
)

# group 0: one success in four; group 1: all four succeed (zero variance)
REWARDS = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
G = 4
EPS = 1e-4
# group 0: mean 0.25, centred (0.75, -0.25, -0.25, -0.25), unbiased std sqrt(0.75 / 3) = 0.5
CENTRED = [0.75, -0.25, -0.25, -0.25, 0.0, 0.0, 0.0, 0.0]
# batch: five ones and three zeros, mean 0.625, unbiased var (5 * 0.375^2 + 3 * 0.625^2) / 7
BATCH_STD = math.sqrt(1.875 / 7)


def close(actual, expected):
    assert actual.tolist() == pytest.approx(expected, abs=1e-6)


def test_grpo_group_scaling():
    close(grpo_advantages(REWARDS, G), [c / (0.5 + EPS) for c in CENTRED])


def test_grpo_batch_scaling_keeps_the_group_mean():
    close(
        grpo_advantages(REWARDS, G, scale_rewards="batch"), [c / (BATCH_STD + EPS) for c in CENTRED]
    )


def test_grpo_no_scaling_and_dr_grpo():
    close(grpo_advantages(REWARDS, G, scale_rewards="none"), CENTRED)
    close(dr_grpo_advantages(REWARDS, G), CENTRED)


def test_rloo_leave_one_out_baseline():
    # completion 0: baseline (0 + 0 + 0) / 3 = 0; the others: (1 + 0 + 0) / 3
    close(rloo_advantages(REWARDS, G), [1.0, -1 / 3, -1 / 3, -1 / 3, 0.0, 0.0, 0.0, 0.0])


def test_reinforce_pp_normalises_over_the_batch():
    close(
        reinforce_pp_advantages(REWARDS),
        [(r - 0.625) / (BATCH_STD + EPS) for r in REWARDS.tolist()],
    )
    # with the group baseline: the centred rewards, normalised by their batch std sqrt(0.75 / 7)
    std = math.sqrt(0.75 / 7)
    close(
        reinforce_pp_advantages(REWARDS, G, group_baseline=True), [c / (std + EPS) for c in CENTRED]
    )


@pytest.mark.parametrize("estimator", ["grpo", "dr_grpo", "rloo", "reinforce_pp"])
@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_a_zero_variance_group_gets_zero_advantage(estimator, scale):
    adv = compute_advantages(REWARDS, G, estimator, scale_rewards=scale)
    assert adv[4:].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert adv[0] > 0 and (adv[1:4] < 0).all()


def test_zero_variance_groups():
    assert zero_variance_groups(REWARDS, G).tolist() == [False, True]


def test_bad_shapes_and_modes():
    with pytest.raises(ValueError):
        grpo_advantages(REWARDS, 3)
    with pytest.raises(ValueError):
        grpo_advantages(REWARDS, G, scale_rewards="global")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rloo_advantages(REWARDS, 1)
