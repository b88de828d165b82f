"""Our masks, advantages, importance weights and losses against TRL 1.16's `GRPOTrainer`.

TRL's own code computes each reference value: `_generate_and_score_completions` (padding,
completion masks, `mask_truncated_completions`, advantages under each `scale_rewards`, the vLLM
importance-sampling ratio) and `_compute_loss` (every loss type), driven on fixed token lists,
rewards and logprobs (tests/llm/trl_harness.py says how). Losses agree within 1e-5, and so do
their gradients with respect to the policy's logprobs.
"""

from __future__ import annotations

import math

import pytest
import torch

trl = pytest.importorskip("trl", reason="TRL (the `test` extra) is not installed")
# transformers 5 warns about TRL's use of deprecated gradient-checkpointing names
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
trl_harness = pytest.importorskip("trl_harness")

from mathgym.agents.llm.common import completion_mask, pad_sequences  # noqa: E402
from mathgym.agents.llm.grpo import (  # noqa: E402
    LossConfig,
    grpo_advantages,
    policy_loss,
    rloo_advantages,
    sampler_importance_weights,
)

PAD, EOS = trl_harness.PAD, trl_harness.EOS
L_MAX = 4
G = 4
# two prompts (one left-padded) x four completions: finished at various lengths, one EOS-only,
# two truncated at L_MAX (no EOS)
PROMPTS = [[3, 4], [5]]
COMPLETIONS = [
    [5, 6, EOS],
    [7, EOS],
    [8, 9, 10, 11],
    [EOS],
    [12, 13, 14, EOS],
    [15, 16, 17, 18],
    [19, EOS],
    [20, 21, EOS],
]
# group 0 informative, group 1 informative; the zero-variance case is its own test
REWARDS = [1.0, 0.0, 0.5, 0.0, 1.0, 1.0, 0.0, 0.25]


@pytest.fixture(scope="module")
def trainer():
    return trl_harness.build_trainer()


def prompt_lists(n_completions: int = len(COMPLETIONS), group: int = G) -> list[list[int]]:
    return [PROMPTS[i // group % len(PROMPTS)] for i in range(n_completions)]


def trl_score(trainer, rewards=REWARDS, group=G, completions=COMPLETIONS, **kwargs) -> dict:
    return trl_harness.score(
        trainer,
        prompt_lists(len(completions), group),
        completions,
        rewards,
        num_generations=group,
        **kwargs,
    )


def our_completion_ids(completions=COMPLETIONS) -> torch.Tensor:
    ids, _ = pad_sequences(completions, PAD, side="right")
    return ids


def fixed_logps(shape, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logp, old_logp, ref_logp): the policy's differs enough from the old one that some
    ratios leave [0.8, 1.28] on both sides."""
    gen = torch.Generator().manual_seed(seed)
    old = -torch.rand(shape, generator=gen) * 3 - 0.1
    logp = old + 0.4 * torch.randn(shape, generator=gen)
    ref = old + 0.2 * torch.randn(shape, generator=gen)
    return logp, old, ref


# --- masks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask_truncated", [False, True])
def test_completion_mask_equals_trls(trainer, mask_truncated):
    trainer.mask_truncated_completions = mask_truncated
    try:
        out = trl_score(trainer)
    finally:
        trainer.mask_truncated_completions = False
    ours = completion_mask(
        our_completion_ids(), EOS, PAD, mask_truncated_completions=mask_truncated
    )
    assert torch.equal(out["completion_ids"], our_completion_ids())
    assert torch.equal(out["completion_mask"].long(), ours.mask)
    assert ours.is_truncated.tolist() == [False, False, True, False, False, True, False, False]


def test_trl_difference_a_trailing_pad_token_counts_as_finished_in_trl(trainer):
    """TRL judges truncation on the unpadded list, where a last token equal to the pad id means
    "finished" (`ids[-1] not in eos_and_pad`). In a padded tensor that token is padding, so here
    the completion is truncated and its pad token does not count. They agree whenever the model
    never emits the pad token (pad != EOS); documented in masks.py and docs/llm.md."""
    completions = [[5, PAD], [5, EOS]]
    trainer.mask_truncated_completions = True
    try:
        out = trl_score(trainer, rewards=[1.0, 0.0], group=2, completions=completions)
    finally:
        trainer.mask_truncated_completions = False
    assert out["completion_mask"].tolist() == [[1, 1], [1, 1]]  # TRL: both finished, pad counted
    ours = completion_mask(our_completion_ids(completions), EOS, PAD)
    assert ours.is_truncated.tolist() == [True, False]
    assert ours.mask.tolist() == [[1, 0], [1, 1]]


# --- advantages --------------------------------------------------------------------------------


@pytest.mark.parametrize("scale_rewards", ["group", "batch", "none"])
@pytest.mark.parametrize("group", [2, 4])
def test_advantages_equal_trls(trainer, scale_rewards, group):
    trainer.scale_rewards = scale_rewards
    try:
        out = trl_score(trainer, group=group)
    finally:
        trainer.scale_rewards = "group"
    ours = grpo_advantages(torch.tensor(REWARDS), group, scale_rewards=scale_rewards)
    torch.testing.assert_close(ours, out["advantages"], atol=1e-6, rtol=0)


@pytest.mark.parametrize("scale_rewards", ["group", "batch", "none"])
def test_a_zero_variance_group_gets_zero_advantage_in_both(trainer, scale_rewards):
    rewards = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    trainer.scale_rewards = scale_rewards
    try:
        out = trl_score(trainer, rewards=rewards)
    finally:
        trainer.scale_rewards = "group"
    ours = grpo_advantages(torch.tensor(rewards), G, scale_rewards=scale_rewards)
    assert out["advantages"][:4].tolist() == [0.0] * 4 == ours[:4].tolist()
    torch.testing.assert_close(ours, out["advantages"], atol=1e-6, rtol=0)


def test_rloo_advantages_equal_trls_rloo_trainer():
    rloo_trainer = trl_harness.build_trainer("rloo")
    for group in (2, 4):
        # RLOOTrainer always scores old logprobs (unused here: beta = 0, no KL in the reward)
        out = trl_score(rloo_trainer, group=group, old_logp=torch.zeros(len(COMPLETIONS), L_MAX))
        ours = rloo_advantages(torch.tensor(REWARDS), group)
        torch.testing.assert_close(ours, out["advantages"], atol=1e-6, rtol=0)


# --- losses ------------------------------------------------------------------------------------

# (our config, TRL attributes): every loss type both have, with clip-higher, KL and delta variants
LOSS_CASES = {
    "grpo": (LossConfig(loss_type="grpo"), {"loss_type": "grpo"}),
    "bnpo": (LossConfig(loss_type="bnpo"), {"loss_type": "bnpo"}),
    "dr_grpo": (
        LossConfig(loss_type="dr_grpo", max_completion_length=L_MAX),
        {"loss_type": "dr_grpo"},
    ),
    "dapo": (LossConfig.preset("dapo"), {"loss_type": "dapo", "epsilon_high": 0.28}),
    # TRL's epsilon_high is CISPO's absolute cap on the IS weight
    "cispo": (
        LossConfig(loss_type="cispo", cispo_clip_max=1.25),
        {"loss_type": "cispo", "epsilon_high": 1.25},
    ),
    # GSPO is TRL's grpo at importance_sampling_level="sequence"
    "gspo": (
        LossConfig(loss_type="gspo", epsilon_low=0.1, epsilon_high=0.15),
        {
            "loss_type": "grpo",
            "importance_sampling_level": "sequence",
            "epsilon_low": 0.1,
            "epsilon_high": 0.15,
        },
    ),
    # TRL's default multiplies the KL by the ratio (use_bias_correction_kl); GRPO's eq. 3 does not
    "grpo_kl": (
        LossConfig(loss_type="grpo", beta=0.04),
        {"loss_type": "grpo", "beta": 0.04, "use_bias_correction_kl": False},
    ),
    "grpo_kl_ratio": (
        LossConfig(loss_type="grpo", beta=0.04, kl_ratio_correction=True),
        {"loss_type": "grpo", "beta": 0.04},
    ),
    "dapo_kl": (
        LossConfig.preset("dapo", beta=0.1),
        {"loss_type": "dapo", "epsilon_high": 0.28, "beta": 0.1, "use_bias_correction_kl": False},
    ),
    "gspo_kl": (
        LossConfig(loss_type="gspo", beta=0.04, kl_ratio_correction=True),
        {"loss_type": "grpo", "importance_sampling_level": "sequence", "beta": 0.04},
    ),
    "grpo_delta": (LossConfig(loss_type="grpo", delta=1.3), {"loss_type": "grpo", "delta": 1.3}),
}
TRL_DEFAULTS = {
    "loss_type": "dapo",
    "epsilon_low": 0.2,
    "epsilon_high": 0.2,
    "beta": 0.0,
    "importance_sampling_level": "token",
    "delta": None,
    "use_bias_correction_kl": True,
}
ARGS_ATTRS = ("delta", "use_bias_correction_kl")


def set_trl(trainer, attrs: dict) -> None:
    for key, value in {**TRL_DEFAULTS, **attrs}.items():
        setattr(trainer.args if key in ARGS_ATTRS else trainer, key, value)


def entropy_of(logp: torch.Tensor) -> torch.Tensor:
    """A fixed per-token entropy (B, T) for the statistics comparison."""
    return torch.linspace(0.1, 2.0, logp.numel()).view_as(logp)


def trl_loss_and_grad(trainer, attrs, scored, logp, old, ref, is_ratio=None):
    set_trl(trainer, attrs)
    inputs = dict(scored)
    inputs["old_per_token_logps"] = old
    if attrs.get("beta", 0.0):
        inputs["ref_per_token_logps"] = ref
    if is_ratio is not None:
        inputs["importance_sampling_ratio"] = is_ratio
    logp = logp.clone().requires_grad_(True)
    loss = trl_harness.loss(trainer, inputs, logp, entropy=entropy_of(logp))
    loss.backward()
    metrics = {k: v[-1] for k, v in trainer._metrics["train"].items() if v}
    set_trl(trainer, {})
    return loss.detach(), logp.grad, metrics


def our_loss_and_grad(cfg, logp, old, ref, advantages, mask, is_weight=None):
    logp = logp.clone().requires_grad_(True)
    loss, stats = policy_loss(
        logp,
        old,
        advantages,
        mask,
        cfg,
        ref_logp=ref,
        is_weight=is_weight,
        entropy=entropy_of(logp),
    )
    loss.backward()
    return loss.detach(), logp.grad, stats


@pytest.mark.parametrize("case", list(LOSS_CASES))
@pytest.mark.parametrize("mask_truncated", [False, True])
def test_loss_and_gradient_equal_trls(trainer, case, mask_truncated):
    cfg, attrs = LOSS_CASES[case]
    trainer.mask_truncated_completions = mask_truncated
    try:
        scored = trl_score(trainer)
    finally:
        trainer.mask_truncated_completions = False
    mask = completion_mask(
        our_completion_ids(), EOS, PAD, mask_truncated_completions=mask_truncated
    )
    advantages = grpo_advantages(torch.tensor(REWARDS), G)
    logp, old, ref = fixed_logps(mask.mask.shape)

    trl_value, trl_grad, metrics = trl_loss_and_grad(trainer, attrs, scored, logp, old, ref)
    ours, our_grad, stats = our_loss_and_grad(cfg, logp, old, ref, advantages, mask.mask)
    assert abs(ours.item() - trl_value.item()) < 1e-5, (ours.item(), trl_value.item())
    torch.testing.assert_close(our_grad, trl_grad, atol=1e-6, rtol=1e-5)
    # TRL averages a per-sequence (GSPO) clip flag over all B sequences, fully masked (truncated)
    # ones included; ours over the sequences that count in the loss. Equal when none is masked.
    sequence_level_masked = cfg.loss_type == "gspo" and mask_truncated
    if cfg.loss_type != "cispo" and not sequence_level_masked:
        for ours_key, trl_key in [
            ("clip_frac/low", "clip_ratio/low_mean"),
            ("clip_frac/high", "clip_ratio/high_mean"),
            ("clip_frac/region", "clip_ratio/region_mean"),
        ]:
            assert stats[ours_key].item() == pytest.approx(metrics[trl_key], abs=1e-6)
    assert stats["entropy"].item() == pytest.approx(metrics["entropy"], abs=1e-6)
    if cfg.beta and not cfg.kl_ratio_correction:  # TRL logs the ratio-weighted KL
        assert stats["kl"].item() == pytest.approx(metrics["kl"], abs=1e-6)


def test_the_batch_really_exercises_clipping(trainer):
    """Guard for the test above: its logprobs clip on both sides for DAPO's 0.2 / 0.28."""
    mask = completion_mask(our_completion_ids(), EOS, PAD).mask
    logp, old, _ = fixed_logps(mask.shape)
    _, stats = policy_loss(
        logp, old, grpo_advantages(torch.tensor(REWARDS), G), mask, LossConfig.preset("dapo")
    )
    assert stats["clip_frac/low"] > 0 and stats["clip_frac/high"] > 0


# --- sampler-vs-trainer importance sampling ------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "clip_min", "clip_max"),
    [
        ("token_truncate", None, 1.5),
        ("token_mask", 0.5, 1.5),
        ("sequence_truncate", None, 2.0),
        ("sequence_mask", 0.3, 3.0),
    ],
)
def test_sampler_importance_weights_and_corrected_loss_equal_trls(
    trainer, mode, clip_min, clip_max
):
    mask = completion_mask(our_completion_ids(), EOS, PAD).mask
    logp, old, ref = fixed_logps(mask.shape, seed=1)
    gen = torch.Generator().manual_seed(2)
    sampler = old + 0.5 * torch.randn(mask.shape, generator=gen)
    sampler_lists = [sampler[i, : len(c)].tolist() for i, c in enumerate(COMPLETIONS)]

    trainer.use_vllm = True
    trainer.vllm_importance_sampling_correction = True
    trainer.vllm_importance_sampling_mode = mode
    trainer.vllm_importance_sampling_clip_min = clip_min
    trainer.vllm_importance_sampling_clip_max = clip_max
    try:
        scored = trl_score(trainer, old_logp=old, sampler_logp=sampler_lists)
        trl_weight = scored["importance_sampling_ratio"]
        # TRL pads sampler logprobs with 0; ours are masked the same way
        ours = sampler_importance_weights(
            old, sampler, mask, mode=mode, clip_min=clip_min, clip_max=clip_max
        )
        torch.testing.assert_close(ours, trl_weight, atol=1e-6, rtol=1e-5)
        trl_value, trl_grad, _ = trl_loss_and_grad(
            trainer, {"loss_type": "grpo"}, scored, logp, old, ref, is_ratio=trl_weight
        )
    finally:
        trainer.use_vllm = False
        trainer.vllm_importance_sampling_correction = False
    advantages = grpo_advantages(torch.tensor(REWARDS), G)
    value, grad, _ = our_loss_and_grad(LossConfig(), logp, old, ref, advantages, mask, ours)
    assert abs(value.item() - trl_value.item()) < 1e-5
    torch.testing.assert_close(grad, trl_grad, atol=1e-6, rtol=1e-5)


# --- DAPO overlong shaping -----------------------------------------------------------------------


def test_overlong_penalty_equals_trls():
    from mathgym.agents.llm.grpo import overlong_penalty
    from trl.rewards import get_soft_overlong_punishment

    lengths = list(range(0, 14))
    theirs = get_soft_overlong_punishment(max_completion_len=10, soft_punish_cache=4)(
        [[1] * n for n in lengths]
    )
    ours = overlong_penalty(torch.tensor(lengths), 10, 4)
    assert ours.tolist() == pytest.approx(theirs)
    assert not math.isnan(sum(theirs))
