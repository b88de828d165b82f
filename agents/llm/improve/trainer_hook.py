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
import os
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
from mathgym.agents.llm.improve.critique import LeanREPLCritic
from mathgym.agents.llm.improve.shaping import mixed_policy_loss

IMPROVERS = ("guided", "critique", "ac_search", "mm_search")
#: ``critic=lean_repl`` options (besides ``CritiqueConfig``'s), see :func:`lean_repl_critic`.
LEAN_CRITIC_OPTIONS = ("lean_backend", "lean_transcripts", "max_tactics")
LEAN_BACKENDS = ("auto", "repl", "replay")


def _fields(cls, options: dict[str, Any], where: str) -> dict[str, Any]:
    known = {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown {where} option(s) {unknown}; known: {sorted(known)}")
    return dict(options)


def make_improver(name: str, options: dict[str, Any] | None = None) -> Improver:
    """An improver by name: ``guided`` (options of ``GuidedConfig``, with ``schedule`` a dict of
    ``LambdaSchedule`` fields), ``critique`` (``CritiqueConfig`` fields plus ``critic``: rule |
    rule_reference | ac_env | lean_repl, the last with :data:`LEAN_CRITIC_OPTIONS`),
    ``ac_search`` (``SearchConfig`` fields), ``mm_search`` (``MetamathSearchConfig`` fields)."""
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

        critic = options.pop("critic", "rule_reference")
        lean = {k: options.pop(k) for k in LEAN_CRITIC_OPTIONS
                if critic == "lean_repl" and k in options}
        critics = {"rule": lambda: RuleCritic(with_reference=False),
                   "rule_reference": lambda: RuleCritic(with_reference=True),
                   "ac_env": ACFeedbackCritic,
                   "lean_repl": lambda: lean_repl_critic(
                       backend=lean.get("lean_backend", "auto"),
                       transcripts=lean.get("lean_transcripts"),
                       max_tactics=lean.get("max_tactics", 16))}
        if critic not in critics:
            raise ValueError(f"unknown critic {critic!r}; known: {sorted(critics)} (a critic "
                             "model is built in Python: CritiqueImprover(ModelCritic(...)))")
        config = CritiqueConfig(**_fields(CritiqueConfig, options, "critique"))
        return CritiqueImprover(critics[critic](), config)
    if name == "ac_search":
        from mathgym.agents.llm.improve.search import ACSearchImprover, SearchConfig

        return ACSearchImprover(SearchConfig(**_fields(SearchConfig, options, "ac_search")))
    if name == "mm_search":
        from mathgym.agents.llm.improve.metamath_search import (
            MetamathSearchConfig,
            MetamathSearchImprover,
        )

        return MetamathSearchImprover(MetamathSearchConfig(
            **_fields(MetamathSearchConfig, options, "mm_search")))
    raise ValueError(f"unknown improver {name!r}; known: {IMPROVERS}")


def lean_repl_critic(backend: str = "auto", transcripts: str | None = None,
                     max_tactics: int = 16) -> LeanREPLCritic:
    """``critique``'s ``critic=lean_repl``: a ``LeanREPLCritic``, checked at build time that it
    has something to run tactics on, so a run fails at once and says how to fix it.

    ``lean_backend``: ``auto`` (the local Lean REPL when one is configured, as Lean-v0 is
    configured: ``$MATHGYM_LEAN_PROJECT`` or ``$MATHGYM_LEAN_REPL_CMD``; else the task's
    recorded transcript), ``repl`` (a local REPL is required) or ``replay`` (the recorded
    transcripts are required, and no local REPL may be configured, since the critic uses one
    when it is). ``lean_transcripts``: the folder of recorded ``NAME.in`` /
    ``NAME.expected.out`` pairs a task's bare ``transcript`` name is looked up in (None:
    ``$MATHGYM_LEAN_TRANSCRIPTS``, else ``../shared/lean-repl-transcripts``).
    ``max_tactics``: tactics run per critique.
    """
    from mathgym.envs.lean.config import INSTALL_HELP, lean_available
    from mathgym.envs.lean.errors import LeanNotAvailableError
    from mathgym.envs.lean.transcripts import transcripts_dir

    if backend not in LEAN_BACKENDS:
        raise ValueError(f"lean_backend must be one of {LEAN_BACKENDS}, got {backend!r}")
    if not isinstance(max_tactics, int) or isinstance(max_tactics, bool) or max_tactics < 1:
        raise ValueError(f"max_tactics must be an int >= 1, got {max_tactics!r}")
    repl = lean_available()
    if backend == "repl" and not repl:
        raise LeanNotAvailableError("critic=lean_repl with lean_backend=repl needs a local Lean "
                                    f"REPL (or use lean_backend=replay).\n\n{INSTALL_HELP}")
    if backend == "replay" and repl:
        raise ValueError("lean_backend=replay, but a local Lean REPL is configured "
                         "($MATHGYM_LEAN_PROJECT / $MATHGYM_LEAN_REPL_CMD) and LeanREPLCritic "
                         "runs on it when it is: unset them, or use lean_backend=auto or repl")
    folder = None
    if not repl:
        try:
            folder = transcripts_dir(transcripts)
        except FileNotFoundError as err:
            raise LeanNotAvailableError(
                f"critic=lean_repl has no Lean to run tactics on: no local Lean REPL is "
                f"configured and {err}; or configure a REPL:\n\n{INSTALL_HELP}") from None
    if transcripts is None or folder is None:
        return LeanREPLCritic(max_tactics=max_tactics)
    return _FolderLeanCritic(max_tactics=max_tactics, folder=str(folder))


@dataclasses.dataclass
class _FolderLeanCritic(LeanREPLCritic):
    """A ``LeanREPLCritic`` whose tasks' bare transcript names are read from ``folder``
    (``lean_transcripts``) instead of the default transcript folder."""

    folder: str = ""

    def critique(self, task: Task, text: str, reward: float) -> str:
        name = task.data.get("transcript")
        if isinstance(name, str) and name and os.sep not in name:
            task = dataclasses.replace(
                task, data={**task.data, "transcript": os.path.join(self.folder, name)})
        return super().critique(task, text, reward)


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
