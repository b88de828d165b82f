"""Per-token log-probabilities and entropies from logits, computed in float32.

Both read logits `(B, T, V)` already aligned with the tokens they score (the logits at position
t-1 predict token t; the caller shifts). They upcast to float32 so a bf16 model's loss is not
computed in bf16.
"""

from __future__ import annotations

import torch


def selective_log_softmax(logits: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
    """log softmax(logits)[token]: the log-probability of each chosen token, `(B, T)`.

    Gathers before normalising (logit - logsumexp) so the full `(B, T, V)` log-softmax is never
    materialised.
    """
    logits = logits.float()  # (B, T, V)
    chosen = logits.gather(-1, token_ids.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return chosen - torch.logsumexp(logits, dim=-1)  # (B, T)


def token_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the next-token distribution at each position, `(B, T)`, in nats.

    H = logsumexp(z) - sum_v softmax(z)_v z_v, which equals -sum p log p without taking log 0.
    """
    logits = logits.float()  # (B, T, V)
    probs = torch.softmax(logits, dim=-1)  # (B, T, V)
    return torch.logsumexp(logits, dim=-1) - (probs * logits).sum(dim=-1)  # (B, T)
