"""Hypothesis properties: padding never changes a loss, group-relative advantages sum to zero per
group, completion masks are prefixes ending at the first EOS."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.agents.llm.common import completion_mask
from mathgym.agents.llm.grpo import (
    LossConfig,
    dr_grpo_advantages,
    grpo_advantages,
    policy_loss,
    rloo_advantages,
)

PAD, EOS = 0, 1
FAST = settings(max_examples=40, deadline=None)
LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo", "cispo", "gspo"]


@st.composite
def batches(draw):
    """(logp, old_logp, advantages, mask) with B in 1..4, T in 1..6, every row >= 1 token."""
    B = draw(st.integers(1, 4))
    T = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    old = -torch.rand(B, T, generator=gen, dtype=torch.float64) * 3
    logp = old + 0.5 * torch.randn(B, T, generator=gen, dtype=torch.float64)
    lengths = torch.tensor([draw(st.integers(1, T)) for _ in range(B)])
    mask = (torch.arange(T).expand(B, T) < lengths.unsqueeze(1)).long()
    adv = torch.randn(B, generator=gen, dtype=torch.float64)
    return logp, old, adv, mask


@FAST
@given(batch=batches(), extra=st.integers(1, 5), loss_type=st.sampled_from(LOSS_TYPES))
def test_loss_and_gradient_are_invariant_to_padding_length(batch, extra, loss_type):
    logp, old, adv, mask = batch
    B = mask.shape[0]
    # dr_grpo divides by a constant L_max; fix it so widening the tensor does not change it
    cfg = LossConfig.preset(loss_type, max_completion_length=16, beta=0.05)
    ref = old + 0.1
    junk = torch.full((B, extra), -7.0, dtype=logp.dtype)  # whatever sits in the padding
    padded = [torch.cat([x, junk], dim=1) for x in (logp, old, ref)]
    padded_mask = torch.cat([mask, torch.zeros(B, extra, dtype=mask.dtype)], dim=1)

    logp_a = logp.clone().requires_grad_(True)
    loss_a, _ = policy_loss(logp_a, old, adv, mask, cfg, ref_logp=ref)
    loss_a.backward()
    logp_b = padded[0].clone().requires_grad_(True)
    loss_b, _ = policy_loss(logp_b, padded[1], adv, padded_mask, cfg, ref_logp=padded[2])
    loss_b.backward()
    torch.testing.assert_close(loss_a, loss_b)
    torch.testing.assert_close(logp_a.grad, logp_b.grad[:, : mask.shape[1]])
    assert torch.all(logp_b.grad[:, mask.shape[1] :] == 0)


@FAST
@given(batch=batches())
def test_on_policy_grpo_loss_is_minus_the_mean_advantage(batch):
    logp, _, adv, mask = batch
    loss, stats = policy_loss(logp, logp.detach(), adv, mask, LossConfig())
    torch.testing.assert_close(loss, -adv.mean())
    assert stats["clip_frac/region"] == 0


rewards_lists = st.integers(1, 4).flatmap(
    lambda groups: st.integers(2, 5).flatmap(
        lambda g: st.tuples(
            st.just(g),
            st.lists(
                st.floats(-5, 5, allow_nan=False) | st.sampled_from([0.0, 1.0]),
                min_size=groups * g,
                max_size=groups * g,
            ),
        )
    )
)


@FAST
@given(data=rewards_lists, scale=st.sampled_from(["group", "batch", "none"]))
def test_group_relative_advantages_sum_to_zero_per_group(data, scale):
    g, values = data
    rewards = torch.tensor(values, dtype=torch.float64)
    for adv in (
        grpo_advantages(rewards, g, scale_rewards=scale),
        dr_grpo_advantages(rewards, g),
        rloo_advantages(rewards, g),
    ):
        sums = adv.view(-1, g).sum(dim=1)
        torch.testing.assert_close(sums, torch.zeros_like(sums), atol=1e-9, rtol=0)


@FAST
@given(
    rows=st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=6), min_size=1, max_size=4),
    pad_is_eos=st.booleans(),
)
def test_completion_mask_is_a_prefix_through_the_first_eos(rows, pad_is_eos):
    pad = EOS if pad_is_eos else PAD
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    # with pad == EOS only the generated lengths tell a short truncated row from a finished one
    lengths = torch.tensor([len(r) for r in rows]) if pad_is_eos else None
    out = completion_mask(ids, EOS, pad, lengths=lengths)
    columns = (out.mask.tolist(), out.lengths.tolist(), out.is_truncated.tolist())
    zipped = zip(rows, *columns, strict=True)
    for row, mask, length, truncated in zipped:
        assert mask == [1] * length + [0] * (width - length)  # a prefix
        counted = row[:length]
        if truncated:
            assert EOS not in row
        else:
            assert counted[-1] == EOS and EOS not in counted[:-1]
    # widening the padding changes nothing but the width
    wider_ids = torch.cat([ids, torch.full((len(rows), 2), pad)], dim=1)
    wider = completion_mask(wider_ids, EOS, pad, lengths=lengths)
    assert wider.lengths.tolist() == out.lengths.tolist()
    assert wider.is_truncated.tolist() == out.is_truncated.tolist()
