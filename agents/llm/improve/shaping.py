"""Critique-GRPO's shaped loss on off-policy tokens, -A f(pi) with f(pi) = pi / (pi + gamma).

Critique-GRPO (Zhang et al. 2025, arXiv 2506.03106; code:
zhangxy-2019/critique-GRPO, ``verl/verl/critique_grpo/critique_core_algos.py``,
``compute_token_on_off_policy_loss`` with ``off_policy_reshape="p_div_p_0.1"``, the setting of
its training script) trains the tokens of a refinement, which were not sampled from
pi(. | prompt), with

    loss_t = -A * f(pi_theta(o_t)),   f(p) = p / (p + gamma),   gamma = 0.1,

with no importance ratio and no clipping (the policy shaping of LUFFY, which their code
builds on). The gradient is d loss_t / d log pi = -A * gamma * p / (p + gamma)^2. Unlike the
log-likelihood's -A, it vanishes for tokens the policy already finds likely and for tokens it
finds very unlikely, and is largest at p = gamma: rare-but-plausible tokens get the push.

``mixed_policy_loss`` combines it with the trainer's own objective by linearity: every
aggregation in ``grpo/loss.py`` is linear in the per-token loss for a fixed mask, so the loss of
a batch whose shaped rows use -A f(pi) and whose other rows use the clipped surrogate equals
``policy_loss`` with the shaped rows' advantages set to 0, plus the aggregate of the shaped
term over the same mask. (Their code puts both in one tensor and averages over the response
mask, ``loss_remove_token_mean`` dividing by the padded length: our aggregation is the
trainer's loss type's, the same for both parts.) A KL term (beta > 0) still applies to the
shaped rows' tokens; the clip statistics count those tokens as unclipped.
"""

from __future__ import annotations

import torch


def shaping_f(prob: torch.Tensor, gamma: float = 0.1) -> torch.Tensor:
    """f(p) = p / (p + gamma), elementwise."""
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0 (Critique-GRPO uses 0.1), got {gamma!r}")
    return prob / (prob + gamma)


def shaped_per_token_loss(logp: torch.Tensor, advantages: torch.Tensor,
                          gamma: float = 0.1) -> torch.Tensor:
    """-A * f(exp(logp)) per token, (B, T); ``advantages`` (B,) or (B, T)."""
    adv = advantages.unsqueeze(1) if advantages.dim() == 1 else advantages
    return -adv.to(torch.float32) * shaping_f(torch.exp(logp.float()), gamma)


def mixed_policy_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                      completion_mask: torch.Tensor, cfg, shaped_rows: torch.Tensor | None,
                      *, gamma: float = 0.1, **policy_loss_kwargs
                      ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``policy_loss`` on the plain rows plus the shaped loss on ``shaped_rows`` (B,) bool.

    With no shaped row it *is* ``policy_loss(...)`` (the same call, the same result), so a
    trainer without an improver is unchanged. Extra stats: ``shaped/loss`` (the added term) and
    ``shaped/prob`` (mean pi on shaped tokens).
    """
    from mathgym.agents.llm.grpo.loss import aggregate, policy_loss

    if shaped_rows is None or not bool(shaped_rows.any()):
        return policy_loss(logp, old_logp, advantages, completion_mask, cfg,
                           **policy_loss_kwargs)
    shaped = shaped_rows.to(device=logp.device, dtype=torch.bool)
    adv = advantages.unsqueeze(1) if advantages.dim() == 1 else advantages  # (B, 1) or (B, T)
    plain_adv = adv.masked_fill(shaped.unsqueeze(1), 0.0)
    plain_adv = plain_adv.squeeze(1) if advantages.dim() == 1 else plain_adv
    loss, stats = policy_loss(logp, old_logp, plain_adv, completion_mask, cfg,
                              **policy_loss_kwargs)
    mask = completion_mask.to(torch.float32)
    per_token = shaped_per_token_loss(logp, adv.expand_as(mask), gamma)
    per_token = per_token * shaped.unsqueeze(1).to(per_token.dtype)  # 0 on plain rows
    term = aggregate(per_token, mask, cfg.resolved_aggregation(),
                     num_tokens=policy_loss_kwargs.get("num_tokens"),
                     max_completion_length=cfg.max_completion_length)
    with torch.no_grad():
        shaped_mask = mask * shaped.unsqueeze(1)
        stats = dict(stats)
        stats["shaped/loss"] = term.detach()
        stats["shaped/prob"] = (torch.exp(logp.float()) * shaped_mask).sum() / \
            shaped_mask.sum().clamp(min=1.0)
    return loss + term, stats
