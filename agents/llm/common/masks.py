"""Masks over padded token batches: written once, tested on EOS first, last and missing.

Layout assumed everywhere in `mathgym.agents.llm`:

    prompt_ids      (B, P)  left-padded:  [pad pad p0 p1 p2]
    completion_ids  (B, T)  right-padded: [c0 c1 EOS pad pad]

Left-padding the prompts puts every completion's first token in the same column P, so one forward
pass over `cat([prompt_ids, completion_ids], 1)` scores every completion token at positions
P-1 .. P+T-2, and the model needs `position_ids` that ignore the left pad
(`position_ids_from_mask`).

What counts in a completion (`completion_mask`): its tokens through the first EOS, that EOS
included (the policy chose to stop, and that choice is rewarded or punished like any other), and
nothing after it. A completion with no EOS ran out of budget: it is flagged `is_truncated`, and with
`mask_truncated_completions=True` (DAPO section 3.4, TRL's option of the same name) it is masked
out entirely, because its reward judges an answer the policy never finished.

Pad versus EOS:
- pad == EOS (common: `tokenizer.pad_token = tokenizer.eos_token`): the padding after a finished
  completion is more EOS, and "through the first EOS" already excludes it. But a truncated
  completion shorter than the batch width, padded with EOS, looks finished: pass `lengths` (the
  sampler knows how many tokens it generated) and positions past them are padding whatever
  their id.
- pad != EOS: a trailing run of pad tokens is padding. A completion that stopped early without EOS
  (a stop string, or a list padded to the batch's longest) counts only its tokens before that run
  and is truncated.

TRL difference (documented in docs/llm.md): TRL decides truncation on the unpadded token list and
treats a completion whose last real token is the pad id as finished. In a padded tensor a real
trailing pad token cannot be told from padding, so here it is padding and the completion is
truncated unless an EOS precedes it. The two agree whenever the model never emits the pad token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch


class CompletionMask(NamedTuple):
    """The result of `completion_mask`."""

    mask: torch.Tensor  # (B, T) long: 1 on counted tokens, 0 elsewhere
    is_truncated: torch.Tensor  # (B,) bool: no EOS within the completion
    lengths: torch.Tensor  # (B,) long: counted tokens (before mask_truncated_completions)


def _eos_ids(eos_token_id: int | Sequence[int]) -> list[int]:
    return [int(eos_token_id)] if isinstance(eos_token_id, int) else [int(e) for e in eos_token_id]


def completion_mask(
    completion_ids: torch.Tensor,
    eos_token_id: int | Sequence[int],
    pad_token_id: int | None = None,
    *,
    lengths: torch.Tensor | None = None,
    mask_truncated_completions: bool = False,
) -> CompletionMask:
    """Mask of the tokens that count in each right-padded completion.

    1 from the first token through the first EOS inclusive, 0 after it. Without an EOS the
    completion is truncated: it counts up to its right padding (the trailing run of `pad_token_id`
    when pad != EOS, else all T tokens), or nothing at all with `mask_truncated_completions`.
    `eos_token_id` may be several ids (chat models often stop on `<|im_end|>` or `<|endoftext|>`).
    `lengths` (B,), the number of tokens each completion really has, makes padding exact: nothing
    at or past it counts, nor is an EOS there.
    """
    B, T = completion_ids.shape
    device = completion_ids.device
    eos = torch.tensor(_eos_ids(eos_token_id), device=device, dtype=completion_ids.dtype)
    positions = torch.arange(T, device=device).expand(B, T)  # (B, T)

    is_eos = torch.isin(completion_ids, eos)  # (B, T)
    if lengths is not None:
        lengths = lengths.to(device)
        is_eos = is_eos & (positions < lengths.unsqueeze(1))
    has_eos = is_eos.any(dim=1)  # (B,)
    first_eos = torch.where(has_eos, is_eos.int().argmax(dim=1), T)  # (B,); argmax = first max

    if lengths is not None:
        unpadded_length = lengths  # (B,)
    elif pad_token_id is None or pad_token_id in eos.tolist():
        unpadded_length = torch.full((B,), T, device=device)  # (B,)
    else:
        not_pad = completion_ids != pad_token_id  # (B, T)
        # index of the last non-pad token + 1, or 0 for an all-pad row
        last_from_end = not_pad.flip(1).int().argmax(dim=1)  # (B,)
        unpadded_length = torch.where(not_pad.any(dim=1), T - last_from_end, 0)

    counted = torch.where(has_eos, first_eos + 1, unpadded_length)  # (B,)
    mask = (positions < counted.unsqueeze(1)).long()  # (B, T)
    is_truncated = ~has_eos  # (B,)
    if mask_truncated_completions:
        mask = mask * (~is_truncated).long().unsqueeze(1)
    return CompletionMask(mask=mask, is_truncated=is_truncated, lengths=counted)


def prompt_mask(
    prompt_ids: torch.Tensor,
    pad_token_id: int | None = None,
    *,
    lengths: torch.Tensor | None = None,
) -> torch.Tensor:
    """Attention mask of left-padded prompts `(B, P)`: 0 on the leading pad run, 1 after it.

    Give `lengths` (B,) when it is known (the tokenizer returns it): a prompt may itself begin with
    the pad id (pad == BOS or pad == EOS in some tokenizers), which only the lengths can tell from
    padding. Without `lengths`, the leading run of `pad_token_id` is the padding.
    """
    B, P = prompt_ids.shape
    if lengths is not None:
        positions = torch.arange(P, device=prompt_ids.device).expand(B, P)  # (B, P)
        return (positions >= (P - lengths.to(prompt_ids.device)).unsqueeze(1)).long()
    if pad_token_id is None:
        return torch.ones_like(prompt_ids, dtype=torch.long)
    seen_token = (prompt_ids != pad_token_id).long().cumsum(dim=1) > 0  # (B, P)
    return seen_token.long()


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions 0, 1, 2, ... counted over attended tokens only (left pad gets 0).

    With left-padded prompts the first real token must be position 0, whatever the padding.
    """
    return (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)


def pad_sequences(
    sequences: Sequence[Sequence[int]], pad_token_id: int, *, side: str, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad token lists into `(ids (B, L), mask (B, L))`: `side="left"` for prompts, `"right"`
    for completions. The mask comes from the lengths, so it is exact even if a list holds the
    pad id."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    width = max((len(s) for s in sequences), default=0)
    ids = torch.full((len(sequences), width), pad_token_id, dtype=torch.long, device=device)
    mask = torch.zeros((len(sequences), width), dtype=torch.long, device=device)
    for row, seq in enumerate(sequences):
        n = len(seq)
        if n == 0:
            continue
        cols = slice(width - n, width) if side == "left" else slice(0, n)
        ids[row, cols] = torch.tensor(list(seq), dtype=torch.long, device=device)
        mask[row, cols] = 1
    return ids, mask
