"""Code shared by the LM agent and the LM trainers: masks over padded token batches, per-token
log-probabilities and entropies."""

from mathgym.agents.llm.common.logprobs import selective_log_softmax, token_entropy
from mathgym.agents.llm.common.masks import (
    CompletionMask,
    completion_mask,
    pad_sequences,
    position_ids_from_mask,
    prompt_mask,
)

__all__ = [
    "CompletionMask",
    "completion_mask",
    "pad_sequences",
    "position_ids_from_mask",
    "prompt_mask",
    "selective_log_softmax",
    "token_entropy",
]
