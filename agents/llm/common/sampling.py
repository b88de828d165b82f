"""A batched sampler with a KV cache, and length-normalised beam search.

Layout (the one `masks.py` documents): prompts are left-padded to a common width P, so every
sequence's next token is read from the last column and every completion starts in the same
column; positions ignore the left pad (`position_ids_from_mask`). One forward pass over the
prompts fills a `DynamicCache`; each later step feeds one token per row.

Decoding per row:
- ``temperature == 0``: greedy (argmax), the same tokens as ``model.generate(do_sample=False)``
  (tested token for token);
- else logits / temperature, then nucleus (top-p) filtering (the smallest set of most likely
  tokens whose mass reaches ``top_p``; the top token always stays), then one draw from that
  row's own ``torch.Generator``, seeded by ``seeds[i]``. A row's draws depend only on its seed
  and its logits, never on the other rows or the global RNG: deterministic for a seed on CPU.
  The generators live on the CPU, so the draws are the same on every device given the logits.

A row stops at its first EOS (kept in the completion, counted in its length); finished rows are
fed ``pad_token_id`` until every row is done or ``max_new_tokens`` is reached, and positions past
a row's length are ``pad_token_id`` in ``completion_ids``. Because pad may equal EOS (SmolLM2:
both ``<|im_end|>``), ``lengths`` says how many tokens are real: pass it to
`completion_mask(..., lengths=...)`. ``is_truncated`` marks rows that never emitted EOS.

``logprobs`` are the sampler's log-probabilities of the chosen tokens under the distribution it
drew from before top-p truncation: ``log_softmax(logits / temperature)`` (raw ``log_softmax``
when greedy). A trainer compares them with its own recomputed logprobs for the truncated
importance-sampling correction (sampler/trainer mismatch, docs/llm.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from mathgym.agents.llm.common.masks import position_ids_from_mask


@dataclass(frozen=True)
class Samples:
    """The result of :func:`sample` (and :func:`beam_search`)."""

    completion_ids: torch.Tensor  # (B, T) long, right-padded with pad_token_id
    lengths: torch.Tensor  # (B,) long: real tokens per completion (EOS included)
    logprobs: torch.Tensor  # (B, T) float32: sampler logprob per token, 0 past lengths
    is_truncated: torch.Tensor  # (B,) bool: no EOS within max_new_tokens
    scores: torch.Tensor | None = None  # (B,) beam search: length-normalised sum of logprobs

    def tokens(self, i: int) -> list[int]:
        """Row ``i``'s real tokens (EOS included when it stopped)."""
        return self.completion_ids[i, : int(self.lengths[i])].tolist()


def left_pad(prompts: Sequence[Sequence[int]], pad_token_id: int,
             device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """``(input_ids, attention_mask)`` (B, P) of token lists, left-padded with ``pad_token_id``."""
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token; got an empty batch or prompt")
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), int(pad_token_id), dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(list(p), dtype=torch.long)
        mask[i, width - len(p):] = 1
    return ids.to(device), mask.to(device)


def _check(max_new_tokens: int, temperature: float, top_p: float) -> None:
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be an int >= 1, got {max_new_tokens!r}")
    if not temperature >= 0.0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature!r}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")


def _eos_tensor(eos_token_id: int | Sequence[int], device: torch.device) -> torch.Tensor:
    ids = [int(eos_token_id)] if isinstance(eos_token_id, int) else [int(e) for e in eos_token_id]
    return torch.tensor(ids, dtype=torch.long, device=device)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """``logits`` (B, V) with every token outside each row's nucleus set to ``-inf``.

    The nucleus is the smallest prefix of tokens sorted by probability whose mass reaches
    ``top_p``; the most likely token is always kept, so a tiny ``top_p`` is greedy.
    """
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    mass_before = torch.cumsum(probs, dim=-1) - probs  # mass of strictly more likely tokens
    drop_sorted = mass_before >= top_p
    drop_sorted[:, 0] = False
    drop = torch.zeros_like(drop_sorted).scatter(1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


@torch.no_grad()
def sample(model, prompts: Sequence[Sequence[int]], *, max_new_tokens: int,
           eos_token_id: int | Sequence[int], pad_token_id: int, temperature: float = 1.0,
           top_p: float = 1.0, seeds: Sequence[int] | None = None,
           repeats: int = 1) -> Samples:
    """Sample ``repeats`` completions per prompt (token lists) with a KV cache; see the module
    doc. Rows are prompt-major: row ``i * repeats + j`` is prompt ``i``'s ``j``-th sample.

    ``seeds[i]`` seeds row ``i``'s generator (required when ``temperature > 0``; the same prompt
    repeated with different seeds gives independent samples for pass@k and GRPO groups).
    ``repeats > 1`` runs the prompt's prefill once and copies its KV cache to its rows (a GRPO
    group shares one prompt), the same samples as passing each prompt ``repeats`` times.
    """
    from transformers import DynamicCache

    _check(max_new_tokens, temperature, top_p)
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    greedy = temperature == 0.0
    if not greedy and (seeds is None or len(seeds) != len(prompts) * repeats):
        raise ValueError("sampling (temperature > 0) needs one seed per row (len(prompts) * "
                         "repeats): pass seeds=[...]")
    device = next(model.parameters()).device
    input_ids, attention = left_pad(prompts, pad_token_id, device)
    B = input_ids.shape[0] * repeats
    eos = _eos_tensor(eos_token_id, device)
    generators = None
    if not greedy:
        generators = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]

    out_ids = torch.full((B, max_new_tokens), int(pad_token_id), dtype=torch.long, device=device)
    out_logp = torch.zeros((B, max_new_tokens), dtype=torch.float32, device=device)
    lengths = torch.zeros(B, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)

    cache = DynamicCache()
    positions = position_ids_from_mask(attention)
    out = model(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                cache=cache, use_cache=True, logits_to_keep=1)
    first_logits = out.logits[:, -1, :]
    if repeats > 1:  # one prefill per prompt, its cache copied to the prompt's rows
        cache.batch_repeat_interleave(repeats)
        first_logits = first_logits.repeat_interleave(repeats, dim=0)
        attention = attention.repeat_interleave(repeats, dim=0)
        positions = positions.repeat_interleave(repeats, dim=0)
    next_pos = positions[:, -1:] + 1  # (B, 1)
    for t in range(max_new_tokens):
        logits = first_logits.float() if t == 0 else out.logits[:, -1, :].float()  # (B, V)
        if greedy:
            logp_all = torch.log_softmax(logits, dim=-1)
            token = torch.argmax(logits, dim=-1)
        else:
            scaled = logits / temperature
            logp_all = torch.log_softmax(scaled, dim=-1)
            probs = torch.softmax(top_p_filter(scaled, top_p), dim=-1).cpu()
            token = torch.stack([
                torch.multinomial(probs[i], 1, generator=generators[i])[0] for i in range(B)
            ]).to(device)
        token = torch.where(done, torch.full_like(token, int(pad_token_id)), token)
        live = ~done
        out_ids[:, t] = token
        chosen = logp_all.gather(1, token.unsqueeze(1)).squeeze(1)  # (B,)
        out_logp[:, t] = torch.where(live, chosen, torch.zeros_like(chosen))
        lengths = lengths + live.long()
        done = done | (live & torch.isin(token, eos))
        if bool(done.all()) or t == max_new_tokens - 1:
            break
        attention = torch.cat([attention, torch.ones((B, 1), dtype=attention.dtype,
                                                     device=device)], dim=1)
        out = model(input_ids=token.unsqueeze(1), attention_mask=attention, position_ids=next_pos,
                    cache=cache, use_cache=True, logits_to_keep=1)
        next_pos = next_pos + 1
    width = max(int(lengths.max()), 1)
    return Samples(out_ids[:, :width].clone(), lengths, out_logp[:, :width].clone(), ~done)


@torch.no_grad()
def beam_search(model, prompt: Sequence[int], *, beams: int, max_new_tokens: int,
                eos_token_id: int | Sequence[int], pad_token_id: int,
                length_penalty: float = 1.0) -> Samples:
    """The ``beams`` best completions of one prompt by length-normalised beam search.

    Keeps ``beams`` live hypotheses; each step extends them by every token and ranks the best
    ``2 * beams`` by summed logprob; an extension ending in EOS within the top ``beams`` ranks
    becomes a finished hypothesis
    scored ``sum(logprob) / length ** length_penalty``, the others (best first) refill the live
    set. Stops when ``beams`` hypotheses have finished or at ``max_new_tokens`` (the live ones
    are then added as truncated). Rows come back best first. ``beams=1`` is greedy decoding.
    Deterministic (no sampling).
    """
    from transformers import DynamicCache

    _check(max_new_tokens, 0.0, 1.0)
    if not isinstance(beams, int) or beams < 1:
        raise ValueError(f"beams must be an int >= 1, got {beams!r}")
    device = next(model.parameters()).device
    eos = set(_eos_tensor(eos_token_id, device).tolist())
    input_ids, attention = left_pad([prompt], pad_token_id, device)
    cache = DynamicCache()
    positions = position_ids_from_mask(attention)
    out = model(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                cache=cache, use_cache=True, logits_to_keep=1)
    # Live hypotheses: token lists and per-token logprobs; the cache holds one row per live beam.
    live_tokens: list[list[int]] = [[]]
    live_logps: list[list[float]] = [[]]
    live_scores = torch.zeros(1, device=device)
    finished: list[tuple[float, list[int], list[float], bool]] = []
    next_pos = positions[:, -1:] + 1
    for t in range(max_new_tokens):
        logp = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)  # (W, V)
        total = (live_scores.unsqueeze(1) + logp).flatten()
        V = logp.shape[1]
        top = torch.topk(total, k=min(2 * beams, total.numel()))
        keep_rows: list[int] = []
        keep_tokens: list[int] = []
        new_tokens, new_logps, new_scores = [], [], []
        for rank, (value, flat) in enumerate(zip(top.values.tolist(), top.indices.tolist(),
                                                 strict=True)):
            row, tok = divmod(flat, V)
            tokens = live_tokens[row] + [tok]
            logps = live_logps[row] + [float(logp[row, tok])]
            if tok in eos:
                if rank >= beams:  # as in transformers: EOS outside the top `beams` is dropped
                    continue
                finished.append((value / len(tokens) ** length_penalty, tokens, logps, False))
                if len(finished) >= beams:
                    break
                continue
            if len(keep_rows) < beams:
                keep_rows.append(row)
                keep_tokens.append(tok)
                new_tokens.append(tokens)
                new_logps.append(logps)
                new_scores.append(value)
        if len(finished) >= beams or not keep_rows:
            break
        if t == max_new_tokens - 1:
            for tokens, logps, value in zip(new_tokens, new_logps, new_scores, strict=True):
                finished.append((value / len(tokens) ** length_penalty, tokens, logps, True))
            break
        index = torch.tensor(keep_rows, dtype=torch.long, device=device)
        cache.reorder_cache(index)
        attention = torch.cat([attention[index], torch.ones((len(keep_rows), 1),
                                                            dtype=attention.dtype,
                                                            device=device)], dim=1)
        next_pos = next_pos[index]
        live_tokens, live_logps = new_tokens, new_logps
        live_scores = torch.tensor(new_scores, device=device)
        out = model(input_ids=torch.tensor(keep_tokens, device=device).unsqueeze(1),
                    attention_mask=attention, position_ids=next_pos, cache=cache,
                    use_cache=True)
        next_pos = next_pos + 1
    finished.sort(key=lambda h: -h[0])
    best = finished[:beams]
    width = max(len(h[1]) for h in best)
    ids = torch.full((len(best), width), int(pad_token_id), dtype=torch.long)
    logps = torch.zeros((len(best), width), dtype=torch.float32)
    for i, (_, tokens, lp, _) in enumerate(best):
        ids[i, : len(tokens)] = torch.tensor(tokens)
        logps[i, : len(lp)] = torch.tensor(lp)
    return Samples(
        ids.to(device),
        torch.tensor([len(h[1]) for h in best], device=device),
        logps.to(device),
        torch.tensor([h[3] for h in best], device=device),
        torch.tensor([h[0] for h in best], device=device),
    )
