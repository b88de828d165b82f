"""Every loss type on one 2-sequence batch, computed by hand; KL, IS weights, stats, gradients.

The batch (B = 2, T = 3; the second sequence has two counted tokens):

    ratio r = pi/pi_old   seq 0: 1.0  1.5  0.5        A_0 = +1
                          seq 1: 1.1  0.7  (2.0, masked)   A_1 = -2
    logp                  seq 0: -1.0 -2.0 -0.5
                          seq 1: -0.2 -3.0 -1.0

PPO per-token loss -min(r A, clip(r, 0.8, 1.2) A):
    seq 0: -1.0, -1.2 (r = 1.5 clipped at 1.2), -0.5 (r = 0.5 < 0.8 but A > 0: not clipped)
    seq 1: 2.2, 1.6 (r = 0.7 clipped at 0.8 since A < 0)
so the token sums are -2.7 and 3.8, the token means -0.9 and 1.9, over 5 tokens 1.1.
"""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.grpo import (
    LossConfig,
    aggregate,
    kl_estimate,
    policy_loss,
    sampler_importance_weights,
    seq_mean_token_mean,
    seq_mean_token_sum,
    seq_mean_token_sum_norm,
    token_mean,
)

RATIO = torch.tensor([[1.0, 1.5, 0.5], [1.1, 0.7, 2.0]])
LOGP = torch.tensor([[-1.0, -2.0, -0.5], [-0.2, -3.0, -1.0]])
OLD_LOGP = LOGP - RATIO.log()
ADV = torch.tensor([1.0, -2.0])
MASK = torch.tensor([[1, 1, 1], [1, 1, 0]])


def assert_values(actual: torch.Tensor, expected) -> None:
    torch.testing.assert_close(
        actual, torch.tensor(expected, dtype=actual.dtype), atol=1e-6, rtol=0
    )


def run(cfg: LossConfig, logp: torch.Tensor = LOGP, **kwargs):
    return policy_loss(logp, OLD_LOGP, ADV, MASK, cfg, **kwargs)


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        # GRPO: mean over sequences of the per-sequence token mean: (-0.9 + 1.9) / 2
        (LossConfig(loss_type="grpo"), 0.5),
        # bnpo: token mean over the batch: (-2.7 + 3.8) / 5
        (LossConfig(loss_type="bnpo"), 0.22),
        # Dr. GRPO: token sum over B * L_max = 2 * 4
        (LossConfig(loss_type="dr_grpo", max_completion_length=4), 1.1 / 8),
        # dr_grpo without L_max divides by T = 3
        (LossConfig(loss_type="dr_grpo"), 1.1 / 6),
        # DAPO: clip-higher 1.28 lets r = 1.5 reach -1.28: (-1 - 1.28 - 0.5 + 3.8) / 5
        (LossConfig.preset("dapo"), 1.02 / 5),
        # CISPO with clip_max 1.3: -sg(min(r, 1.3)) A logp, token mean over 5
        #   seq 0: 1 * 1 * 1 + 1.3 * 1 * 2 + 0.5 * 1 * 0.5 = 3.85
        #   seq 1: -(1.1 * 2 * 0.2) - (0.7 * 2 * 3) = -4.64
        (LossConfig(loss_type="cispo", cispo_clip_max=1.3), (3.85 - 4.64) / 5),
        # GSPO, eps 0.2: s_0 = 0.75^(1/3), s_1 = 0.77^(1/2), both inside [0.8, 1.2]:
        #   (-s_0 + 2 s_1) / 2
        (
            LossConfig(loss_type="gspo"),
            (-(0.75 ** (1 / 3)) + 2 * math.sqrt(0.77)) / 2,
        ),
        # GSPO preset, eps 3e-4 / 4e-4: s_1 * A_1 is clipped at (1 - 3e-4) * -2
        (LossConfig.preset("gspo"), (-(0.75 ** (1 / 3)) + 2 * (1 - 3e-4)) / 2),
        # grpo at sequence level is GSPO
        (LossConfig(loss_type="grpo", importance_sampling_level="sequence"), None),
    ],
    ids=[
        "grpo",
        "bnpo",
        "dr_grpo",
        "dr_grpo_T",
        "dapo",
        "cispo",
        "gspo",
        "gspo_preset",
        "grpo_seq",
    ],
)
def test_every_loss_type_by_hand(cfg, expected):
    if expected is None:
        expected = (-(0.75 ** (1 / 3)) + 2 * math.sqrt(0.77)) / 2
    loss, _ = run(cfg)
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_aggregations_by_hand():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 100.0]])
    assert token_mean(x, MASK).item() == pytest.approx(15 / 5)
    assert token_mean(x, MASK, num_tokens=10).item() == pytest.approx(15 / 10)
    assert seq_mean_token_sum(x, MASK).item() == pytest.approx((6 + 9) / 2)
    assert seq_mean_token_mean(x, MASK).item() == pytest.approx((2 + 4.5) / 2)
    assert seq_mean_token_sum_norm(x, MASK, 5).item() == pytest.approx(15 / 10)
    assert aggregate(x, MASK, "seq-mean-token-mean").item() == pytest.approx(3.25)


def test_a_fully_masked_sequence_counts_in_the_batch_but_adds_nothing():
    x = torch.tensor([[1.0, 2.0], [7.0, 7.0]])
    mask = torch.tensor([[1, 1], [0, 0]])
    assert seq_mean_token_mean(x, mask).item() == pytest.approx(1.5 / 2)
    assert token_mean(x, mask).item() == pytest.approx(1.5)


def test_kl_estimators_by_hand():
    logp = torch.tensor([[-1.0, -1.0]])
    ref = torch.tensor([[-1.0, -1.0 + math.log(2)]])  # pi_ref / pi = 1 and 2
    assert kl_estimate(logp, ref, "k3").tolist()[0] == pytest.approx([0.0, 1 - math.log(2)])
    assert kl_estimate(logp, ref, "k1").tolist()[0] == pytest.approx([0.0, -math.log(2)])
    assert kl_estimate(logp, ref, "k2").tolist()[0] == pytest.approx([0.0, math.log(2) ** 2 / 2])


@pytest.mark.parametrize("estimator", ["k3", "k1"])
def test_grpo_with_a_kl_penalty(estimator):
    # pi_ref / pi = 2 at one counted token of each sequence, 1 elsewhere
    log2 = math.log(2)
    ref = LOGP + torch.tensor([[0.0, log2, 0.0], [log2, 0.0, 0.0]])
    per_token = (1 - log2) if estimator == "k3" else -log2
    kl_term = 0.1 * (per_token / 3 + per_token / 2) / 2  # beta * GRPO mean of the KL
    loss, stats = run(LossConfig(loss_type="grpo", beta=0.1, kl_estimator=estimator), ref_logp=ref)
    assert loss.item() == pytest.approx(0.5 + kl_term, abs=1e-6)
    assert stats["kl"].item() == pytest.approx(2 * per_token / 5, abs=1e-6)
    with pytest.raises(ValueError):
        run(LossConfig(beta=0.1))


def test_sampler_importance_weights_truncate_and_mask():
    # pi_old / pi_sampler = 3 at (0, 0), 0.5 at (1, 1); the masked (1, 2) is ignored
    sampler = OLD_LOGP - torch.tensor([[math.log(3), 0, 0], [0, math.log(0.5), 5.0]])
    truncate = sampler_importance_weights(OLD_LOGP, sampler, MASK, clip_max=2.0)
    assert_values(truncate, [[2.0, 1.0, 1.0], [1.0, 0.5, 1.0]])
    masked = sampler_importance_weights(OLD_LOGP, sampler, MASK, mode="token_mask", clip_max=2.0)
    assert_values(masked, [[0.0, 1.0, 1.0], [1.0, 0.5, 1.0]])
    seq = sampler_importance_weights(
        OLD_LOGP, sampler, MASK, mode="sequence_truncate", clip_max=2.0
    )
    assert_values(seq, [[2.0], [0.5]])
    seq_mask = sampler_importance_weights(
        OLD_LOGP, sampler, MASK, mode="sequence_mask", clip_max=2.0, clip_min=0.6
    )
    assert_values(seq_mask, [[0.0], [0.0]])
    # in the loss: GRPO with seq 0's tokens (-2, -1.2, -0.5), seq 1's (2.2, 0.8)
    loss, stats = run(LossConfig(), is_weight=truncate)
    assert loss.item() == pytest.approx((-3.7 / 3 + 3.0 / 2) / 2, abs=1e-6)
    assert stats["is_weight/mean"].item() == pytest.approx(5.5 / 5)


def test_stats_by_hand():
    _, stats = run(LossConfig())
    assert stats["clip_frac/high"].item() == pytest.approx(1 / 5)  # r = 1.5 with A > 0
    assert stats["clip_frac/low"].item() == pytest.approx(1 / 5)  # r = 0.7 with A < 0
    assert stats["clip_frac/region"].item() == pytest.approx(2 / 5)
    assert stats["ratio/mean"].item() == pytest.approx((1 + 1.5 + 0.5 + 1.1 + 0.7) / 5)
    approx_kl = sum(r - 1 - math.log(r) for r in (1, 1.5, 0.5, 1.1, 0.7)) / 5
    assert stats["approx_kl"].item() == pytest.approx(approx_kl, abs=1e-6)
    # uniform logits over 4 tokens: entropy log 4 everywhere
    _, stats = run(LossConfig(), logits=torch.zeros(2, 3, 4))
    assert stats["entropy"].item() == pytest.approx(math.log(4), abs=1e-6)
    assert all(not v.requires_grad for v in stats.values())


def test_the_clipped_objective_has_zero_gradient_where_the_ratio_is_clipped():
    logp = LOGP.clone().requires_grad_(True)
    loss, _ = run(LossConfig(loss_type="grpo"), logp=logp)
    loss.backward()
    # unclipped tokens: d/dlogp of -A r / (|o_i| B) is itself, since dr/dlogp = r
    expected = [[-1.0 / 6, 0.0, -0.5 / 6], [2 * 1.1 / 4, 0.0, 0.0]]
    assert_values(logp.grad, expected)


def test_cispo_keeps_the_gradient_of_clipped_tokens():
    logp = LOGP.clone().requires_grad_(True)
    loss, _ = run(LossConfig(loss_type="cispo", cispo_clip_max=1.3), logp=logp)
    loss.backward()
    # d/dlogp of -sg(w) A logp / 5 = -w A / 5: the clipped token (w = 1.3) keeps its gradient
    expected = [[-1.0 / 5, -1.3 / 5, -0.5 / 5], [2.2 / 5, 1.4 / 5, 0.0]]
    assert_values(logp.grad, expected)


def test_two_sided_clipping_caps_the_ratio_for_negative_advantages():
    # INTELLECT-2's delta (> 1 + eps): r = 2 with A = -1 costs 2 unclipped, delta = 1.3 with it;
    # with A = +1 the ordinary clip at 1.2 binds first, so delta changes nothing there
    logp, old = torch.tensor([[math.log(2.0)]]), torch.tensor([[0.0]])
    mask = torch.ones(1, 1)
    for adv, without, with_delta in [(-1.0, 2.0, 1.3), (1.0, -1.2, -1.2)]:
        a = torch.tensor([adv])
        assert policy_loss(logp, old, a, mask, LossConfig())[0].item() == pytest.approx(without)
        loss = policy_loss(logp, old, a, mask, LossConfig(delta=1.3))[0]
        assert loss.item() == pytest.approx(with_delta)


def test_bf16_log_probabilities_are_upcast_and_keep_their_gradient():
    logp = LOGP.bfloat16().requires_grad_(True)
    loss, _ = policy_loss(logp, OLD_LOGP.bfloat16(), ADV, MASK, LossConfig())
    assert loss.dtype == torch.float32
    reference, _ = policy_loss(
        LOGP.bfloat16().float(), OLD_LOGP.bfloat16().float(), ADV, MASK, LossConfig()
    )
    assert loss.item() == pytest.approx(reference.item(), abs=1e-6)
    loss.backward()
    assert logp.grad is not None and logp.grad.dtype == torch.bfloat16


def test_the_loss_follows_the_input_dtype_and_rejects_unknown_types():
    loss, _ = policy_loss(LOGP.double(), OLD_LOGP.double(), ADV.double(), MASK, LossConfig())
    assert loss.dtype == torch.float64
    with pytest.raises(ValueError):
        run(LossConfig(loss_type="ppo"))  # type: ignore[arg-type]


def test_selective_log_softmax_and_token_entropy():
    from mathgym.agents.llm.common import selective_log_softmax, token_entropy

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, generator=gen)
    tokens = torch.tensor([[0, 4, 2], [1, 1, 3]])
    expected = torch.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(selective_log_softmax(logits, tokens), expected)
    p = torch.softmax(logits, -1)
    torch.testing.assert_close(token_entropy(logits), -(p * p.log()).sum(-1))
    # a one-hot distribution has zero entropy, without log 0
    peaked = torch.tensor([[[0.0, -1e4, -1e4]]])
    assert token_entropy(peaked).item() == pytest.approx(0.0, abs=1e-6)
    assert token_entropy(logits.bfloat16()).dtype == torch.float32
