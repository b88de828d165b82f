"""The narrow hook between the GRPO trainer and an improver, so the trainer stays one trainer.

The trainer calls three things, and only when an improver is configured:

1. ``hook.improve_part(part, items, ...)`` right after a prompt batch is sampled and scored
   (before DAPO's overlong shaping and dynamic sampling, so an improved group can become
   informative): it runs the improver and returns the part with replaced rows and a per-row
   ``improved`` list;
2. ``hook.weights(old_logp, completion_mask, improved_rows)``: the off-policy weights to
   multiply into the sampler-mismatch weight (``base.improvement_weights``);
3. ``hook.loss(...)``: ``shaping.mixed_policy_loss``, the trainer's ``policy_loss`` plus the
   shaped term on shaped rows.

``make_improver(name, options)`` builds an improver from JSON-ready config (``GRPOConfig``'s
``improver`` and ``improver_options``), naming any unknown option.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import torch
from mathgym.agents.llm.improve.base import (
    ImproveContext,
    ImprovedSample,
    Improver,
    Task,
    apply_improvements,
    improvement_weights,
)
from mathgym.agents.llm.improve.shaping import mixed_policy_loss

IMPROVERS = ("guided", "critique", "ac_search")


def _fields(cls, options: dict[str, Any], where: str) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown {where} option(s) {unknown}; known: {sorted(known)}")
    return dict(options)


def make_improver(name: str, options: dict[str, Any] | None = None) -> Improver:
    """An improver by name: ``guided`` (options of ``GuidedConfig``, with ``schedule`` a dict of
    ``LambdaSchedule`` fields), ``critique`` (``CritiqueConfig`` fields plus ``critic``: rule |
    rule_reference | ac_env), ``ac_search`` (``SearchConfig`` fields)."""
    options = dict(options or {})
    if name == "guided":
        from mathgym.agents.llm.improve.guided import GuidedConfig, GuidedImprover
        from mathgym.agents.llm.improve.schedules import LambdaSchedule

        schedule = LambdaSchedule(**_fields(LambdaSchedule, options.pop("schedule", {}),
                                            "guided schedule"))
        return GuidedImprover(GuidedConfig(schedule=schedule,
                                           **_fields(GuidedConfig, options, "guided")))
    if name == "critique":
        from mathgym.agents.llm.improve.critique import (
            ACFeedbackCritic,
            CritiqueConfig,
            CritiqueImprover,
            RuleCritic,
        )

        critics = {"rule": lambda: RuleCritic(with_reference=False),
                   "rule_reference": lambda: RuleCritic(with_reference=True),
                   "ac_env": ACFeedbackCritic}
        critic = options.pop("critic", "rule_reference")
        if critic not in critics:
            raise ValueError(f"unknown critic {critic!r}; known: {sorted(critics)} (a critic "
                             "model is built in Python: CritiqueImprover(ModelCritic(...)))")
        return CritiqueImprover(critics[critic](),
                                CritiqueConfig(**_fields(CritiqueConfig, options, "critique")))
    if name == "ac_search":
        from mathgym.agents.llm.improve.search import ACSearchImprover, SearchConfig

        return ACSearchImprover(SearchConfig(**_fields(SearchConfig, options, "ac_search")))
    raise ValueError(f"unknown improver {name!r}; known: {IMPROVERS}")


def task_for(item: Any, source: Any = None) -> Task:
    """The :class:`Task` of a trainer prompt item: its payload when it is a Task; a MathQA
    problem (``MathQAPrompts``) becomes a reasoning task with its answer, its chat the
    source's own ``messages(problem)`` (the chat its prompt tokens were rendered from)."""
    payload = getattr(item, "payload", None)
    if isinstance(payload, Task):
        return payload
    if payload is not None and hasattr(payload, "answer") and hasattr(payload, "question"):
        data = {"module": payload.module, "difficulty": payload.difficulty,
                "question": payload.question, "answer_type": payload.answer_type,
                "spec": dict(payload.spec)}
        if source is not None and callable(getattr(source, "messages", None)):
            messages = source.messages(payload)
        else:
            from mathgym.agents.llm.agent import LLMAgent

            messages = LLMAgent().mathqa_messages(data)
        return Task(tuple(messages), answer=str(payload.answer), data=data)
    raise ValueError("an improver needs to know each prompt's task: give PromptItems whose "
                     "payload is an improve.Task (or a MathQA Problem)")


class TrainerHook:
    """What the trainer holds when ``improver`` is configured (see the module doc)."""

    def __init__(self, improver: Improver, *, seed: int = 0) -> None:
        self.improver = improver
        self.seed = int(seed)
        self.gamma = float(getattr(getattr(improver, "config", None), "gamma", 0.1))
        self.last: dict[str, float] = {}
        self._step: int | None = None
        self._totals = [0, 0.0, 0]  # improved samples this step, summed reward, shaped ones

    def improve_part(self, part: dict[str, Any], items: Sequence[Any], *, model: Any,
                     tokenizer: Any, source: Any, group_size: int, step: int,
                     max_new_tokens: int, temperature: float, top_p: float, pad_id: int
                     ) -> dict[str, Any]:
        """``part`` (the trainer's sampled rows: prompts, completion_ids (B, T), lengths (B,),
        sampler_logp (B, T), task (B,), texts) with the improver's samples merged in."""
        G = group_size
        lengths = part["lengths"].tolist()
        responses = [part["completion_ids"][i, :n].tolist() for i, n in enumerate(lengths)]
        sampler = [part["sampler_logp"][i, :n].tolist() for i, n in enumerate(lengths)]
        rewards = part["task"].tolist()

        def reward(g: int, ids: Sequence[int]) -> float:
            text = tokenizer.decode(list(ids), skip_special_tokens=True)
            return float(source.rewards([items[g]], [text], 1)[0])

        ctx = ImproveContext(tasks=[task_for(it, source) for it in items], group_size=G,
                             reward_fn=reward, tokenizer=tokenizer, model=model, step=step,
                             seed=self.seed, max_new_tokens=max_new_tokens,
                             temperature=temperature, top_p=top_p,
                             group_keys=[getattr(it, "index", g) for g, it in enumerate(items)])
        was_training = model.training
        model.eval()
        try:
            improved = self.improver.improve([list(it.ids) for it in items], responses, rewards,
                                             ctx)
        finally:
            model.train(was_training)
        merged = apply_improvements(part["prompts"], responses, rewards, sampler, improved, G)
        B = len(merged.completion_ids)
        T = max([len(c) for c in merged.completion_ids] + [1])
        ids = torch.full((B, T), int(pad_id), dtype=torch.long)
        logp = torch.zeros((B, T), dtype=torch.float32)
        for i, (c, s) in enumerate(zip(merged.completion_ids, merged.sampler_logp, strict=True)):
            ids[i, :len(c)] = torch.tensor(c, dtype=torch.long)
            logp[i, :len(s)] = torch.tensor(s, dtype=torch.float32)
        out = dict(part)
        out["completion_ids"], out["sampler_logp"] = ids, logp
        out["lengths"] = torch.tensor([len(c) for c in merged.completion_ids], dtype=torch.long)
        out["task"] = torch.tensor(merged.rewards, dtype=torch.float32)
        out["texts"] = [t if s is None else tokenizer.decode(list(s.completion_ids),
                                                             skip_special_tokens=True)
                        for t, s in zip(part["texts"], merged.improved, strict=True)]
        out["improved"] = merged.improved
        if step != self._step:  # the step's totals over its sampling rounds
            self._step, self._totals = step, [0, 0.0, 0]
        self._totals[0] += merged.num_improved()
        self._totals[1] += sum(s.reward for s in improved)
        self._totals[2] += sum(s.loss == "shaped" for s in improved)
        n = self._totals[0]
        self.last = {"improve/replaced": float(n),
                     "improve/reward": self._totals[1] / n if n else 0.0,
                     "improve/shaped": float(self._totals[2])}
        return out

    @staticmethod
    def fill_unsampled(sampler_logp: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
        """Rows never sampled from the policy (NaN) take the trainer's own logprobs."""
        return torch.where(torch.isnan(sampler_logp), logp, sampler_logp)

    @staticmethod
    def weights(old_logp: torch.Tensor, completion_mask: torch.Tensor,
                improved: Sequence[ImprovedSample | None]) -> torch.Tensor:
        return improvement_weights(old_logp, completion_mask, improved)

    def loss(self, logp, old_logp, advantages, completion_mask, cfg,
             improved: Sequence[ImprovedSample | None], **policy_loss_kwargs):
        shaped = torch.tensor([s is not None and s.loss == "shaped" for s in improved],
                              device=logp.device)
        return mixed_policy_loss(logp, old_logp, advantages, completion_mask, cfg, shaped,
                                 gamma=self.gamma, **policy_loss_kwargs)

    def state_dict(self) -> dict[str, Any]:
        return {"improver": self.improver.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.improver.load_state_dict(state.get("improver", {}))
