"""Answer-guided product-of-experts sampling: q(o_t) ∝ π(o_t|prompt)^λ · π(o_t|prompt+hint)^(1-λ).

Design note. With verifiable rewards the trainer holds the answer; the guide is the same
policy shown the answer (``hints.py``). Each token is drawn from the normalised product of the
two next-token distributions. With temperature T and logits a (plain) and b (hinted),

    log q = λ log softmax(a/T) + (1-λ) log softmax(b/T) - log Z = log softmax(λ a/T + (1-λ) b/T),

so the product is one softmax of mixed logits (the normalisers cancel); top-p then filters q.
At λ = 1 the mixed logits are a/T exactly (1·x + 0·y == x in floating point), so the draw is
plain sampling's, token for token for a seed (tested against ``common.sampling.sample``).
transformers' ``ClassifierFreeGuidanceLogitsProcessor`` (batched: conditional rows first,
unconditional second, ``uncond + g * (cond - uncond)`` on logits) and its unbatched variant (the
same on log-softmaxes) compute this log-linear mix ``g * cond + (1 - g) * uncond`` for inference;
here cond = the hinted context, uncond = the plain one, g = 1-λ restricted to [0, 1] (a product
of experts; CFG uses g > 1 to extrapolate), and the draws are recorded for training.

Batching: both contexts go through one forward pass of 2B rows (rows 0..B-1 plain, B..2B-1
hinted), left-padded to one width, each row with its own positions (``position_ids_from_mask``
ignores the pad), in one KV cache. After each draw row i's token is fed to rows i and B+i.
With a second model as the guide (eval option: two models) the guide rows run in its own pass.

Off-policy correction (``GuidedConfig.correction``), weights the trainer multiplies in
(``base.improvement_weights``, which reuses ``grpo.loss.sampler_importance_weights``; its
rho = exp(old_logp - sampler_logp) clamped at clip_max is exactly π_old/q truncated):

- ``none``: treated as on-policy (the row's sampler logp becomes log π(o_t | prompt));
- ``token``: w_t = min(π(o_t | prompt) / q(o_t), c);
- ``sequence``: w = min(prod_t π(o_t | prompt) / q(o_t), c).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from mathgym.agents.llm.common.masks import position_ids_from_mask
from mathgym.agents.llm.common.sampling import (
    Samples,
    _check,
    _eos_tensor,
    left_pad,
    top_p_filter,
)
from mathgym.agents.llm.improve.base import (
    CORRECTIONS,
    ImproveContext,
    ImprovedSample,
    Improver,
    check_batch,
)
from mathgym.agents.llm.improve.hints import hint_text, hinted_messages
from mathgym.agents.llm.improve.schedules import LambdaSchedule


def product_logits(plain: torch.Tensor, hinted: torch.Tensor, lam: float,
                   temperature: float = 1.0) -> torch.Tensor:
    """Mixed logits λ a/T + (1-λ) b/T, whose softmax is the normalised product of experts."""
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda must be in [0, 1], got {lam!r}")
    t = 1.0 if temperature == 0 else temperature
    return lam * (plain.float() / t) + (1.0 - lam) * (hinted.float() / t)


@dataclass(frozen=True)
class GuidedSamples(Samples):
    """:class:`Samples` of q, plus each chosen token's logprob under each expert alone.

    ``logprobs`` are log q(o_t) (before top-p, the ``sample`` convention);
    ``plain_logprobs`` log π_T(o_t | prompt); ``hint_logprobs`` log π_T(o_t | prompt + hint).
    """

    plain_logprobs: torch.Tensor | None = None
    hint_logprobs: torch.Tensor | None = None

    def plain_tokens_logp(self, i: int) -> list[float]:
        return self.plain_logprobs[i, : int(self.lengths[i])].tolist()


def _forward(model, ids, attention, positions, cache):
    return model(input_ids=ids, attention_mask=attention, position_ids=positions, cache=cache,
                 use_cache=True, logits_to_keep=1)


@torch.no_grad()
def guided_sample(model, prompts: Sequence[Sequence[int]], hinted_prompts: Sequence[Sequence[int]],
                  *, lam: float, max_new_tokens: int, eos_token_id: int | Sequence[int],
                  pad_token_id: int, temperature: float = 1.0, top_p: float = 1.0,
                  seeds: Sequence[int] | None = None, guide_model=None,
                  repeats: int = 1) -> GuidedSamples:
    """``repeats`` completions per prompt drawn from the product of ``model`` on ``prompts[i]``
    (weight λ) and on ``hinted_prompts[i]`` (weight 1-λ); ``guide_model`` (default: ``model``)
    scores the second context. Decoding, seeds, EOS and padding exactly as ``sampling.sample``;
    rows are prompt-major (row ``i * repeats + j``). ``repeats > 1`` runs each context's
    prefill once and copies its KV cache to its rows, as ``sampling.sample`` does for a GRPO
    group: the same samples as passing each prompt ``repeats`` times, without G-fold prefills
    of the (long, few-shot) prompts.
    """
    from transformers import DynamicCache

    _check(max_new_tokens, temperature, top_p)
    if len(prompts) != len(hinted_prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(hinted_prompts)} hinted prompts; "
                         "pass one hinted prompt per prompt")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda must be in [0, 1], got {lam!r}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    greedy = temperature == 0.0
    B = len(prompts) * repeats
    if not greedy and (seeds is None or len(seeds) != B):
        raise ValueError("sampling (temperature > 0) needs one seed per row (len(prompts) x "
                         "repeats): pass seeds=[...]")
    device = next(model.parameters()).device
    same = guide_model is None or guide_model is model
    if same:  # one pass: 2B rows, one cache, own positions per row
        ids, attention = left_pad(list(prompts) + list(hinted_prompts), pad_token_id, device)
        caches = [DynamicCache()]
        streams = [(model, ids, attention)]
    else:
        ids_p, att_p = left_pad(prompts, pad_token_id, device)
        ids_h, att_h = left_pad(hinted_prompts, pad_token_id, device)
        caches = [DynamicCache(), DynamicCache()]
        streams = [(model, ids_p, att_p), (guide_model, ids_h, att_h)]
    eos = _eos_tensor(eos_token_id, device)
    generators = None
    if not greedy:
        generators = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]

    out_ids = torch.full((B, max_new_tokens), int(pad_token_id), dtype=torch.long, device=device)
    out_logp = torch.zeros((B, max_new_tokens), dtype=torch.float32, device=device)
    out_plain = torch.zeros_like(out_logp)
    out_hint = torch.zeros_like(out_logp)
    lengths = torch.zeros(B, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)

    attentions, next_pos, logits = [], [], []
    for (m, ids, att), cache in zip(streams, caches, strict=True):
        positions = position_ids_from_mask(att)
        out = _forward(m, ids, att, positions, cache)
        last = out.logits[:, -1, :].float()
        if repeats > 1:  # [p_0..p_n-1 (, h_0..h_n-1)] -> each row repeated: prompt-major
            cache.batch_repeat_interleave(repeats)
            att, positions = att.repeat_interleave(repeats, 0), positions.repeat_interleave(
                repeats, 0)
            last = last.repeat_interleave(repeats, 0)
        attentions.append(att)
        next_pos.append(positions[:, -1:] + 1)
        logits.append(last)
    t_eff = 1.0 if greedy else temperature
    for t in range(max_new_tokens):
        both = logits[0] if same else torch.cat(logits, dim=0)  # (2B, V)
        plain, hinted = both[:B], both[B:]
        mixed = product_logits(plain, hinted, lam, t_eff)  # (B, V)
        logp_all = torch.log_softmax(mixed, dim=-1)
        if greedy:
            token = torch.argmax(mixed, dim=-1)
        else:
            probs = torch.softmax(top_p_filter(mixed, top_p), dim=-1).cpu()
            token = torch.stack([
                torch.multinomial(probs[i], 1, generator=generators[i])[0] for i in range(B)
            ]).to(device)
        token = torch.where(done, torch.full_like(token, int(pad_token_id)), token)
        live = ~done
        out_ids[:, t] = token
        pick = token.unsqueeze(1)
        for store, dist in ((out_logp, logp_all),
                            (out_plain, torch.log_softmax(plain / t_eff, dim=-1)),
                            (out_hint, torch.log_softmax(hinted / t_eff, dim=-1))):
            chosen = dist.gather(1, pick).squeeze(1)
            store[:, t] = torch.where(live, chosen, torch.zeros_like(chosen))
        lengths = lengths + live.long()
        done = done | (live & torch.isin(token, eos))
        if bool(done.all()) or t == max_new_tokens - 1:
            break
        feeds = [torch.cat([token, token])] if same else [token, token]
        logits = []
        for k, ((m, _, _), cache) in enumerate(zip(streams, caches, strict=True)):
            att = attentions[k]
            attentions[k] = torch.cat([att, torch.ones((att.shape[0], 1), dtype=att.dtype,
                                                       device=device)], dim=1)
            out = _forward(m, feeds[k].unsqueeze(1), attentions[k], next_pos[k], cache)
            next_pos[k] = next_pos[k] + 1
            logits.append(out.logits[:, -1, :].float())
    width = max(int(lengths.max()), 1)
    return GuidedSamples(out_ids[:, :width].clone(), lengths, out_logp[:, :width].clone(), ~done,
                         None, out_plain[:, :width].clone(), out_hint[:, :width].clone())


@dataclass
class GuidedConfig:
    """Options of :class:`GuidedImprover`."""

    schedule: LambdaSchedule = field(default_factory=LambdaSchedule)
    """λ over training (schedules.py); λ = 1 turns guidance off"""
    correction: str = "token"
    """off-policy correction: none | token | sequence (module doc)"""
    clip: float = 2.0
    """c: the cap of the token or sequence weight"""
    when: str = "always"
    """always: every group is sampled guided; all_failed: only groups whose G plain responses
    all failed (Guide, arXiv 2506.13923, adds hints only there)"""
    per_group: int | None = None
    """guided responses per chosen group, replacing responses 0..k-1 (None: all G)"""
    first_k: int | None = None
    """hint only the first k AC moves / Metamath steps (None: all)"""

    def __post_init__(self) -> None:
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, got {self.correction!r}")
        if self.when not in ("always", "all_failed"):
            raise ValueError(f"when must be 'always' or 'all_failed', got {self.when!r}")
        if self.per_group is not None and (not isinstance(self.per_group, int)
                                           or self.per_group < 1):
            raise ValueError(f"per_group must be an int >= 1 or None, got {self.per_group!r}")
        if not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip!r}")


class GuidedImprover(Improver):
    """Resample chosen groups from the answer-guided product q; see the module doc.

    Cost: with ``when="always"`` and ``per_group=None`` every plain response is replaced (the
    plain samples only supply the 'all failed' test and the logs), so a step samples twice;
    ``all_failed`` resamples only the groups that carry no signal.
    """

    name: ClassVar[str] = "guided"

    def __init__(self, config: GuidedConfig | None = None, *, guide_model: Any = None) -> None:
        self.config = config or GuidedConfig()
        self.guide_model = guide_model
        self.last_prompts: list[list[int]] = []
        self.last_hinted: list[list[int]] = []

    def improve(self, prompts, responses, rewards, context: ImproveContext
                ) -> list[ImprovedSample]:
        c = self.config
        G = context.group_size
        n = check_batch(prompts, responses, rewards, G)
        lam = c.schedule.value(context.step)
        k = G if c.per_group is None else min(c.per_group, G)
        rows: list[tuple[int, int]] = []
        for g in range(n):
            if c.when == "all_failed" and max(rewards[g * G:(g + 1) * G]) >= context.success:
                continue
            rows.extend((g, j) for j in range(k))
        if not rows:
            return []
        hinted: dict[int, list[int]] = {}
        for g, _ in rows:
            if g not in hinted:
                task = context.tasks[g]
                hint = hint_text(task, first_k=c.first_k)
                hinted[g] = context.render(hinted_messages(task.messages, hint))
        groups = list(dict.fromkeys(g for g, _ in rows))  # each k rows, in order
        self.last_prompts = [list(prompts[g]) for g, _ in rows]
        self.last_hinted = [hinted[g] for g, _ in rows]
        seeds = [context.draw_seed(self.name, g, j) for g, j in rows]
        out = guided_sample(context.model, [list(prompts[g]) for g in groups],
                            [hinted[g] for g in groups], repeats=k, lam=lam,
                            max_new_tokens=context.max_new_tokens,
                            eos_token_id=context.eos_token_id,
                            pad_token_id=context.pad_token_id,
                            temperature=context.temperature, top_p=context.top_p,
                            seeds=seeds if context.temperature > 0 else None,
                            guide_model=self.guide_model)
        samples = []
        for i, (g, j) in enumerate(rows):
            ids = out.tokens(i)
            n_tok = len(ids)
            samples.append(ImprovedSample(
                group=g, replaces=j, prompt_ids=tuple(prompts[g]), completion_ids=tuple(ids),
                reward=context.reward(g, ids),
                sampler_logp=tuple(out.logprobs[i, :n_tok].tolist()),
                policy_logp=tuple(out.plain_logprobs[i, :n_tok].tolist()),
                loss="policy", correction=c.correction, clip=c.clip, source=self.name,
                info={"lambda": lam, "truncated": bool(out.is_truncated[i])}))
        c.schedule.observe([s.reward for s in samples])  # adaptive λ: the guided reward rate
        return samples

    def state_dict(self) -> dict[str, Any]:
        return {"schedule": self.config.schedule.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.config.schedule.load_state_dict(state.get("schedule", {}))
