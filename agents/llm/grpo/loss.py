"""The GRPO-family policy loss as one pure function: `policy_loss(...) -> (loss, stats)`.

Design note. Every variant here is the same clipped surrogate built from four choices, and each
choice is a small function a test can pin:

1. the importance ratio r = pi_theta / pi_old, per token (PPO, GRPO) or per sequence as the
   geometric mean of the token ratios (GSPO);
2. the per-token objective: PPO's clipped min(r A, clip(r, 1-eps_low, 1+eps_high) A) (GRPO, DAPO's
   clip-higher), or CISPO's sg(clip(r)) * A * log pi_theta;
3. optional terms multiplied or added per token: the sampler-vs-trainer importance weight
   (truncated / masked IS, `sampler_importance_weights`) and beta * KL(pi_theta || pi_ref);
4. the aggregation of the `(B, T)` per-token loss into a scalar (verl's names: token-mean,
   seq-mean-token-sum, seq-mean-token-mean, seq-mean-token-sum-norm). The loss types differ mostly
   here, and this is where "length bias" lives.

Four log-probabilities are kept apart, each `(B, T)` over completion tokens:
- `logp`: the policy being trained, pi_theta, with gradient;
- `old_logp`: pi_old, the policy that the ratio is measured against (the trainer's own forward
  pass at sampling time; equal to `logp.detach()` on the first of `num_iterations`);
- `ref_logp`: the frozen reference for the KL penalty;
- `sampler_logp`: what the sampler (vLLM, a bf16 KV-cache sampler) reported; it enters only
  through `sampler_importance_weights(old_logp, sampler_logp, ...)`.

Nothing here knows about gradient accumulation, processes or optimisers: a trainer that splits a
batch passes `num_tokens` (the token count of the whole batch the loss should be a mean over) to
the token-mean losses and scales the others itself.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import torch
from mathgym.agents.llm.common.logprobs import token_entropy

LossType = Literal["grpo", "bnpo", "dr_grpo", "dapo", "cispo", "gspo"]
Aggregation = Literal[
    "token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"
]
KLEstimator = Literal["k1", "k2", "k3"]
ISMode = Literal["token_truncate", "token_mask", "sequence_truncate", "sequence_mask"]


@dataclass
class LossConfig:
    """Hyperparameters of `policy_loss`. `LossConfig.preset(loss_type)` gives each paper's."""

    loss_type: LossType = "grpo"
    """grpo | bnpo | dr_grpo | dapo | cispo | gspo; picks the objective and the aggregation."""
    epsilon_low: float = 0.2
    """PPO clip: the ratio is clipped below at 1 - epsilon_low."""
    epsilon_high: float = 0.2
    """Clip above at 1 + epsilon_high; DAPO's clip-higher uses 0.28 (DAPO section 3.1)."""
    delta: float | None = None
    """Two-sided clipping (INTELLECT-2, arXiv 2505.07291): also cap r at delta (> 1 + eps_high)
    where A < 0, so a very unlikely token with negative advantage cannot blow the loss up."""
    cispo_clip_max: float = 5.0
    """CISPO: the IS weight is clamped at this value (ScaleRL's eps_max, arXiv 2510.13786, and
    TRL's `epsilon_high` for cispo). MiniMax-M1's 1 + eps_high^IS is this number."""
    importance_sampling_level: Literal["token", "sequence"] = "token"
    """token: r_t per token. sequence: GSPO's s_i = exp(mean_t log r_t), one ratio per sequence."""
    beta: float = 0.0
    """KL coefficient to the reference policy; 0 needs no `ref_logp`."""
    kl_estimator: KLEstimator = "k3"
    """k1 = log(pi/pi_ref), k2 = (log ratio)^2 / 2, k3 = r - 1 - log r with r = pi_ref/pi."""
    kl_ratio_correction: bool = False
    """Multiply the per-token KL by the (differentiable) ratio pi_theta/pi_old, so its gradient is
    the unbiased reverse-KL gradient for samples from pi_old (DeepSeek-V3.2, arXiv 2512.02556).
    Off here as in GRPO's eq. 3; TRL 1.16 turns it on by default (`use_bias_correction_kl`)."""
    max_completion_length: int | None = None
    """dr_grpo's constant divisor; None uses the tensor's T (constant only if T is fixed)."""
    aggregation: Aggregation | None = None
    """Override the loss type's aggregation (None: the loss type's own)."""

    @classmethod
    def preset(cls, loss_type: LossType, **overrides) -> LossConfig:
        """Each paper's defaults: dapo clip-higher 0.2/0.28; gspo 3e-4/4e-4 (GSPO section 5.1),
        at sequence level; the others PPO's 0.2/0.2."""
        base = {
            "dapo": {"epsilon_low": 0.2, "epsilon_high": 0.28},
            "gspo": {"epsilon_low": 3e-4, "epsilon_high": 4e-4},
        }.get(loss_type, {})
        return cls(loss_type=loss_type, **{**base, **overrides})

    def resolved_aggregation(self) -> Aggregation:
        if self.aggregation is not None:
            return self.aggregation
        return DEFAULT_AGGREGATION[self.loss_type]

    def replace(self, **changes) -> LossConfig:
        return dataclasses.replace(self, **changes)


# Which normalisation each loss type uses (the aggregation functions below):
DEFAULT_AGGREGATION: dict[str, Aggregation] = {
    # GRPO (DeepSeekMath eq. 3): 1/G sum_i 1/|o_i| sum_t  -- per-sequence token mean, batch mean
    "grpo": "seq-mean-token-mean",
    # GSPO (arXiv 2507.18071, eq. 5): 1/G sum_i of a per-sequence value
    "gspo": "seq-mean-token-mean",
    # TRL's bnpo: token mean over the local batch
    "bnpo": "token-mean",
    # DAPO (arXiv 2503.14476, eq. 8, "token-level policy gradient loss"): 1/sum_i|o_i| sum_i sum_t
    "dapo": "token-mean",
    # CISPO (MiniMax-M1, arXiv 2506.13585, eq. 4): 1/sum_i|o_i| sum_i sum_t
    "cispo": "token-mean",
    # Dr. GRPO (arXiv 2503.20783, eq. 3 and appendix): sum_i sum_t / (G * L_max), no 1/|o_i|
    "dr_grpo": "seq-mean-token-sum-norm",
}


# ---------------------------------------------------------------------------------------------
# Aggregations: (B, T) per-token loss and mask -> scalar. verl's names (verl core_algos.agg_loss).
# ---------------------------------------------------------------------------------------------


def token_mean(
    per_token: torch.Tensor, mask: torch.Tensor, num_tokens: torch.Tensor | float | None = None
) -> torch.Tensor:
    """sum_{i,t} x_it m_it / sum_{i,t} m_it: every token weighs the same, so long completions
    weigh more (DAPO's point: a long bad answer is punished per token). `num_tokens` replaces the
    denominator with the token count of the whole (accumulated, all-process) batch."""
    denominator = mask.sum() if num_tokens is None else num_tokens
    return (per_token * mask).sum() / torch.clamp(torch.as_tensor(denominator), min=1.0)


def seq_mean_token_sum(per_token: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """1/B sum_i sum_t x_it m_it: each sequence's token sum, averaged over sequences."""
    return (per_token * mask).sum(dim=1).mean()


def seq_mean_token_mean(per_token: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """1/B sum_i (1/|o_i|) sum_t x_it m_it: GRPO's. Each sequence weighs the same whatever its
    length, which Dr. GRPO shows favours long wrong answers (their per-token penalty is diluted).
    A fully masked sequence contributes 0 and still counts in B."""
    per_sequence = (per_token * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (B,)
    return per_sequence.mean()


def seq_mean_token_sum_norm(
    per_token: torch.Tensor, mask: torch.Tensor, max_completion_length: int | None = None
) -> torch.Tensor:
    """sum_{i,t} x_it m_it / (B * L_max): Dr. GRPO's (and TRL's dr_grpo). A constant divisor
    instead of 1/|o_i|, so there is no length bias. L_max defaults to T (constant only if the
    batch is padded to a fixed width: pass `max_completion_length`). verl's mode of this name
    divides by T alone, without 1/B, so its scale grows with the batch size."""
    B, T = mask.shape
    L = T if max_completion_length is None else max_completion_length
    return (per_token * mask).sum() / (B * L)


def aggregate(
    per_token: torch.Tensor,
    mask: torch.Tensor,
    mode: Aggregation,
    *,
    num_tokens: torch.Tensor | float | None = None,
    max_completion_length: int | None = None,
) -> torch.Tensor:
    """Apply the aggregation called `mode` (verl's names)."""
    per_token = per_token.expand_as(mask) if per_token.shape != mask.shape else per_token
    if mode == "token-mean":
        return token_mean(per_token, mask, num_tokens)
    if mode == "seq-mean-token-sum":
        return seq_mean_token_sum(per_token, mask)
    if mode == "seq-mean-token-mean":
        return seq_mean_token_mean(per_token, mask)
    if mode == "seq-mean-token-sum-norm":
        return seq_mean_token_sum_norm(per_token, mask, max_completion_length)
    raise ValueError(f"unknown aggregation {mode!r}")


# ---------------------------------------------------------------------------------------------
# KL to the reference and the sampler-vs-trainer importance weight
# ---------------------------------------------------------------------------------------------


def kl_estimate(
    logp: torch.Tensor, ref_logp: torch.Tensor, estimator: KLEstimator = "k3"
) -> torch.Tensor:
    """Per-token estimate of KL(pi_theta || pi_ref) from samples of pi_theta, `(B, T)`.

    Schulman, "Approximating KL Divergence" (2020), with log_r = log pi_ref - log pi_theta:
    k1 = -log_r (unbiased, high variance, can be negative); k2 = log_r^2 / 2 (biased, low
    variance); k3 = exp(log_r) - 1 - log_r (unbiased, >= 0; GRPO's eq. 4).
    """
    log_r = ref_logp - logp  # (B, T)
    if estimator == "k1":
        return -log_r
    if estimator == "k2":
        return 0.5 * log_r**2
    if estimator == "k3":
        return torch.exp(log_r) - 1 - log_r
    raise ValueError(f"unknown KL estimator {estimator!r}")


@torch.no_grad()
def sampler_importance_weights(
    old_logp: torch.Tensor,
    sampler_logp: torch.Tensor,
    completion_mask: torch.Tensor,
    *,
    mode: ISMode = "token_truncate",
    clip_max: float | None = 2.0,
    clip_min: float | None = None,
) -> torch.Tensor:
    """Correct for the sampler's distribution differing from the trainer's (vLLM or a bf16
    sampler vs the fp32 trainer: Yao et al. 2025, "Your efficient RL framework secretly brings
    you off-policy RL training"; Qi et al. 2025, arXiv 2510.26788).

    rho = pi_old / pi_sampler per token (token_*) or its product over the sequence (sequence_*),
    then truncated, rho <- clamp(rho, clip_min, clip_max) (TIS), or masked, rho <- 0 outside
    [clip_min, clip_max] (MIS). Returns `(B, T)` or `(B, 1)`, no gradient; multiply the per-token
    policy loss by it. Mirrors TRL's `vllm_importance_sampling_mode` (whose default is
    sequence_mask with clip_max 3.0). A NaN sampler logprob (unscored token) gives weight 1.
    """
    diff = torch.nan_to_num((old_logp - sampler_logp) * completion_mask, nan=0.0)  # (B, T)
    if mode.startswith("sequence"):
        diff = diff.sum(dim=1, keepdim=True)  # (B, 1)
    rho = torch.exp(diff)
    if mode.endswith("truncate"):
        return torch.clamp(rho, min=clip_min, max=clip_max)
    if mode.endswith("mask"):
        low = -math.inf if clip_min is None else clip_min
        high = math.inf if clip_max is None else clip_max
        return rho.masked_fill((rho < low) | (rho > high), 0.0)
    raise ValueError(f"unknown importance-sampling mode {mode!r}")


# ---------------------------------------------------------------------------------------------
# The loss
# ---------------------------------------------------------------------------------------------


def importance_ratio(
    logp: torch.Tensor, old_logp: torch.Tensor, mask: torch.Tensor, level: str
) -> torch.Tensor:
    """r = pi_theta / pi_old: `(B, T)` per token, or `(B, 1)` for GSPO's sequence level,
    s_i = exp(1/|o_i| sum_t log r_it) (GSPO eq. 7: the geometric mean of the token ratios)."""
    log_ratio = logp - old_logp  # (B, T)
    if level == "token":
        return torch.exp(log_ratio)
    if level == "sequence":
        mean_log_ratio = (log_ratio * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)  # (B,)
        return torch.exp(mean_log_ratio).unsqueeze(1)  # (B, 1)
    raise ValueError(f"importance_sampling_level must be 'token' or 'sequence', not {level!r}")


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over counted tokens; a `(B, 1)` per-sequence value averages over counted sequences.

    (TRL averages a per-sequence statistic over all B sequences, fully masked ones included.)
    """
    if x.shape[1] == 1 and mask.shape[1] != 1:
        mask = (mask.sum(dim=1, keepdim=True) > 0).to(mask.dtype)
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


def policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    completion_mask: torch.Tensor,
    cfg: LossConfig,
    *,
    ref_logp: torch.Tensor | None = None,
    is_weight: torch.Tensor | None = None,
    logits: torch.Tensor | None = None,
    entropy: torch.Tensor | None = None,
    num_tokens: torch.Tensor | float | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The loss to minimise (minus the surrogate objective) and detached diagnostics.

    logp, old_logp, ref_logp: (B, T) per-token log-probabilities of the completion tokens;
    advantages: (B,) or (B, T); completion_mask: (B, T) from `completion_mask(...)`;
    is_weight: (B, T) or (B, 1) from `sampler_importance_weights`; logits (B, T, V) or entropy
    (B, T) only feed the entropy statistic; num_tokens: the token-mean denominator when the batch
    is split (dapo, cispo, bnpo).

    stats (0-dim tensors): clip_frac/low, clip_frac/high, clip_frac/region (the fraction of
    counted tokens where clipping zeroes the gradient), ratio/mean, approx_kl (k3 of pi_old vs
    pi_theta, CleanRL's), kl (to the reference, if beta > 0), entropy, is_weight/mean.

    Computed in at least float32: bf16 log-probabilities are upcast (exp of a bf16 log-ratio is
    off by up to 0.4 %, and a bf16 token count is not exact past 256).
    """
    dtype = torch.promote_types(logp.dtype, torch.float32)
    logp, old_logp = logp.to(dtype), old_logp.to(dtype)  # (B, T)
    ref_logp = None if ref_logp is None else ref_logp.to(dtype)  # (B, T)
    mask = completion_mask.to(dtype)  # (B, T)
    advantages = advantages.to(dtype)
    adv = advantages.unsqueeze(1) if advantages.dim() == 1 else advantages  # (B, 1) or (B, T)
    level = "sequence" if cfg.loss_type == "gspo" else cfg.importance_sampling_level
    ratio = importance_ratio(logp, old_logp, mask, level)  # (B, T) or (B, 1)

    if cfg.loss_type == "cispo":
        # CISPO (MiniMax-M1 eq. 4-5): REINFORCE with a clipped, stop-gradient IS weight. Every
        # token keeps its gradient (no token is dropped by clipping), only its weight is capped.
        weight = torch.clamp(ratio, max=cfg.cispo_clip_max).detach()
        per_token_loss = -weight * adv * logp  # (B, T)
    elif cfg.loss_type in ("grpo", "bnpo", "dr_grpo", "dapo", "gspo"):
        # PPO's clipped surrogate (Schulman et al. 2017, eq. 7), clip-higher when
        # epsilon_high > epsilon_low (DAPO eq. 10). GSPO: the same with the sequence ratio.
        clipped_ratio = torch.clamp(ratio, 1 - cfg.epsilon_low, 1 + cfg.epsilon_high)
        unclipped_ratio = ratio if cfg.delta is None else torch.clamp(ratio, max=cfg.delta)
        pg_loss1 = -adv * unclipped_ratio
        pg_loss2 = -adv * clipped_ratio
        per_token_loss = torch.max(pg_loss1, pg_loss2)  # (B, T) or (B, 1)
    else:
        raise ValueError(f"unknown loss_type {cfg.loss_type!r}")

    if is_weight is not None:  # sampler-vs-trainer correction (TIS / MIS)
        per_token_loss = per_token_loss * is_weight

    per_token_kl = None
    if cfg.beta != 0.0:
        if ref_logp is None:
            raise ValueError("beta != 0 needs ref_logp")
        per_token_kl = kl_estimate(logp, ref_logp, cfg.kl_estimator)  # (B, T)
        kl_term = per_token_kl * ratio if cfg.kl_ratio_correction else per_token_kl
        per_token_loss = per_token_loss + cfg.beta * kl_term

    loss = aggregate(
        per_token_loss.expand_as(mask),
        mask,
        cfg.resolved_aggregation(),
        num_tokens=num_tokens,
        max_completion_length=cfg.max_completion_length,
    )

    with torch.no_grad():
        stats: dict[str, torch.Tensor] = {}
        if cfg.loss_type == "cispo":
            is_high = ratio > cfg.cispo_clip_max
            is_low = torch.zeros_like(is_high)
        else:
            # clipped where the min picks the constant branch: the gradient is zero there
            is_low = (ratio < 1 - cfg.epsilon_low) & (adv < 0)
            is_high = (ratio > 1 + cfg.epsilon_high) & (adv > 0)
        stats["clip_frac/low"] = _masked_mean(is_low.to(mask.dtype), mask)
        stats["clip_frac/high"] = _masked_mean(is_high.to(mask.dtype), mask)
        stats["clip_frac/region"] = _masked_mean((is_low | is_high).to(mask.dtype), mask)
        stats["ratio/mean"] = _masked_mean(ratio, mask)
        log_ratio = logp - old_logp
        stats["approx_kl"] = _masked_mean(torch.exp(log_ratio) - 1 - log_ratio, mask)
        if per_token_kl is not None:
            stats["kl"] = _masked_mean(per_token_kl, mask)
        if entropy is None and logits is not None:
            entropy = token_entropy(logits)
        if entropy is not None:
            stats["entropy"] = _masked_mean(entropy, mask)
        if is_weight is not None:
            stats["is_weight/mean"] = _masked_mean(is_weight, mask)
    return loss, stats
