"""Advantage estimators for outcome rewards: one scalar reward per completion, one advantage.

Layout: `rewards` is `(B,)` with B = num_prompts * G, the G completions of one prompt contiguous
(rows 0..G-1 are prompt 0's group, TRL's `repeat_interleave` order). Every estimator returns `(B,)`;
the loss broadcasts it over the completion's tokens.

Standard deviations are unbiased (Bessel's correction), as `torch.std` and TRL's `nanstd`; the
default `eps = 1e-4` is TRL's. A group whose rewards are all equal carries no signal: every
group-relative estimator (grpo in all three scale modes, dr_grpo, rloo, reinforce_pp with
`group_baseline=True`) gives it exactly zero advantage, because r - baseline is already 0 before
any scaling. Plain reinforce_pp has no group baseline, so it does not (REINFORCE++ by design).
"""

from __future__ import annotations

from typing import Literal

import torch

ScaleRewards = Literal["group", "batch", "none"]
Estimator = Literal["grpo", "dr_grpo", "rloo", "reinforce_pp"]


def _grouped(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    if rewards.dim() != 1 or rewards.numel() % group_size != 0:
        raise ValueError(
            f"rewards must be (num_prompts * group_size,), got {tuple(rewards.shape)} "
            f"with group_size={group_size}"
        )
    return rewards.view(-1, group_size)  # (num_prompts, G)


def _std(x: torch.Tensor, dim: int | None = None, keepdim: bool = False) -> torch.Tensor:
    """Unbiased std; 0 (not NaN) when there is a single value."""
    n = x.numel() if dim is None else x.shape[dim]
    if n < 2:
        return torch.zeros_like(x.mean() if dim is None else x.mean(dim=dim, keepdim=keepdim))
    return x.std() if dim is None else x.std(dim=dim, keepdim=keepdim)


def grpo_advantages(
    rewards: torch.Tensor,
    group_size: int,
    *,
    scale_rewards: ScaleRewards = "group",
    eps: float = 1e-4,
) -> torch.Tensor:
    """Group-relative advantage (DeepSeekMath, arXiv 2402.03300, section 4.1.2, outcome case):

        A_i = (r_i - mean(r_group)) / (std + eps)

    `scale_rewards` picks the std, as TRL's `GRPOConfig.scale_rewards` does:
    - "group": the std of the group (the GRPO paper);
    - "batch": the std of the whole batch, the mean still the group's (Lite PPO, "Tricks or
      Traps? Part I", arXiv 2508.08221: group mean, batch std);
    - "none": no division (Dr. GRPO, arXiv 2503.20783, section 3.1: dividing by the group std
      over-weights questions that are nearly always or nearly never solved).
    """
    grouped = _grouped(rewards, group_size)  # (N, G)
    centred = (grouped - grouped.mean(dim=1, keepdim=True)).view(-1)  # (B,)
    if scale_rewards == "none":
        return centred
    if scale_rewards == "group":
        std = _std(grouped, dim=1, keepdim=True).expand_as(grouped).reshape(-1)  # (B,)
    elif scale_rewards == "batch":
        std = _std(rewards).expand_as(rewards)  # (B,)
    else:
        raise ValueError(f"scale_rewards must be 'group', 'batch' or 'none', not {scale_rewards!r}")
    return centred / (std + eps)


def dr_grpo_advantages(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Dr. GRPO (arXiv 2503.20783, eq. 3 / "GRPO Done Right"): A_i = r_i - mean(r_group).

    The group-std division is one of the two normalisations Dr. GRPO removes (the other, 1/|o_i|,
    is the loss's: `loss_type="dr_grpo"`). Same as `grpo_advantages(scale_rewards="none")`.
    """
    return grpo_advantages(rewards, group_size, scale_rewards="none")


def rloo_advantages(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al. 2024, arXiv 2402.14740, eq. 7):

        A_i = r_i - 1/(G-1) * sum_{j != i} r_j  =  G/(G-1) * (r_i - mean(r_group))

    Each completion's baseline is the mean of its siblings, so it is independent of the completion
    itself and the estimator stays unbiased. Needs G >= 2.
    """
    if group_size < 2:
        raise ValueError("rloo needs group_size >= 2 (the leave-one-out baseline)")
    grouped = _grouped(rewards, group_size)  # (N, G)
    baseline = (grouped.sum(dim=1, keepdim=True) - grouped) / (group_size - 1)  # (N, G)
    return (grouped - baseline).view(-1)  # (B,)


def reinforce_pp_advantages(
    rewards: torch.Tensor,
    group_size: int | None = None,
    *,
    group_baseline: bool = False,
    eps: float = 1e-4,
) -> torch.Tensor:
    """REINFORCE++ (Hu, arXiv 2501.03262, section 3.2): normalise over the global batch.

        A_i = (r_i - mean(r_batch)) / (std(r_batch) + eps)

    With `group_baseline=True` (REINFORCE++-baseline, verl's `reinforce_plus_plus_baseline`),
    subtract the group mean first, then normalise the result over the batch.

    verl's outcome-reward version whitens the per-token returns, so there each completion weighs by
    its length; with one reward per completion and no per-token KL in the reward, this per-sequence
    form is the paper's.
    """
    if group_baseline:
        if group_size is None:
            raise ValueError("group_baseline=True needs group_size")
        grouped = _grouped(rewards, group_size)  # (N, G)
        rewards = (grouped - grouped.mean(dim=1, keepdim=True)).view(-1)  # (B,)
    return (rewards - rewards.mean()) / (_std(rewards) + eps)


def compute_advantages(
    rewards: torch.Tensor,
    group_size: int,
    estimator: Estimator = "grpo",
    *,
    scale_rewards: ScaleRewards = "group",
    eps: float = 1e-4,
) -> torch.Tensor:
    """Dispatch on `estimator`: "grpo" (with `scale_rewards`), "dr_grpo", "rloo", "reinforce_pp"
    (with the group baseline, so zero-variance groups get zero advantage)."""
    if estimator == "grpo":
        return grpo_advantages(rewards, group_size, scale_rewards=scale_rewards, eps=eps)
    if estimator == "dr_grpo":
        return dr_grpo_advantages(rewards, group_size)
    if estimator == "rloo":
        return rloo_advantages(rewards, group_size)
    if estimator == "reinforce_pp":
        return reinforce_pp_advantages(rewards, group_size, group_baseline=True, eps=eps)
    raise ValueError(f"unknown advantage estimator {estimator!r}")


def zero_variance_groups(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """`(num_prompts,)` bool: groups whose rewards are all equal (no learning signal). Their
    fraction is the stability signal "frac_reward_zero_std"."""
    grouped = _grouped(rewards, group_size)  # (N, G)
    return grouped.amax(dim=1) == grouped.amin(dim=1)
