"""Code shared by the LM agent and the LM trainers: masks over padded token batches, per-token
log-probabilities and entropies (exported here); the model loader, the sampler, LoRA
(``common.lora``) and data parallel (``common.distributed``) are submodules."""

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
