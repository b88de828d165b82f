"""DAPO's reward-side techniques (Yu et al. 2025, arXiv 2503.14476): overlong reward shaping
(section 3.4, eq. 13) and dynamic sampling (section 3.2, eq. 11).

Both act on rewards before the advantages, so they compose with every estimator and loss.
"""

from __future__ import annotations

import torch


def overlong_penalty(lengths: torch.Tensor, max_length: int, cache_length: int) -> torch.Tensor:
    """DAPO eq. 13, the soft overlong punishment added to the task reward, `(B,)`:

        R_length(y) = 0                              if |y| <= L_max - L_cache
                    = ((L_max - L_cache) - |y|) / L_cache   if L_max - L_cache < |y| <= L_max
                    = -1                             if |y| > L_max

    A linear ramp from 0 to -1 over the last `cache_length` tokens of the budget, so a model is
    told it is running long before it is cut off. `lengths` are completion lengths in tokens
    (`CompletionMask.lengths`). Same numbers as TRL's `get_soft_overlong_punishment`.
    """
    if cache_length < 0 or cache_length > max_length:
        raise ValueError("need 0 <= cache_length <= max_length")
    lengths = lengths.to(torch.float32)
    start = max_length - cache_length  # L_max - L_cache
    ramp = (start - lengths) / cache_length if cache_length > 0 else torch.zeros_like(lengths)
    penalty = torch.where(lengths <= start, torch.zeros_like(lengths), ramp)
    return torch.where(lengths > max_length, torch.full_like(lengths, -1.0), penalty)


def dynamic_sampling_keep(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """DAPO's dynamic sampling (eq. 11, the constraint 0 < |{o_i correct}| < G): the indices
    `(K,)` of the groups to keep, in order.

    A group whose rewards are all equal (for 0/1 accuracy rewards: all 0 or all 1) has zero
    advantage under every group-relative estimator, so it only dilutes the batch; DAPO drops it
    and samples more prompts until the batch is full. Generalised here to any zero-variance group.
    Rows of the kept groups: `kept_rows(keep, group_size)`.
    """
    grouped = rewards.view(-1, group_size)  # (N, G)
    informative = grouped.amax(dim=1) != grouped.amin(dim=1)  # (N,)
    return torch.nonzero(informative, as_tuple=False).flatten()


def kept_rows(kept_groups: torch.Tensor, group_size: int) -> torch.Tensor:
    """The `(K * G,)` row indices of the completions in `kept_groups`, group-contiguous."""
    offsets = torch.arange(group_size, device=kept_groups.device)
    return (kept_groups.unsqueeze(1) * group_size + offsets).flatten()
