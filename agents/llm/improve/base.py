"""The ``Improver`` interface: turn a sampled GRPO batch into a better one (issue 13).

Design note. AlphaGo Zero learns from its search's improved move, not only from its own move.
Here an *improver* looks at one sampled batch (the prompts, the G responses per prompt and
their rewards) and returns improved samples: each is a completion for one group's prompt that
replaces one of that group's G responses, so the group size, the advantage estimator and the
loss stay the trainer's own. Three improvers ship (``docs/improve.md``):

- :class:`~mathgym.agents.llm.improve.guided.GuidedImprover`: answer-guided product sampling;
- :class:`~mathgym.agents.llm.improve.critique.CritiqueImprover`: Critique-GRPO refinements;
- :class:`~mathgym.agents.llm.improve.search.ACSearchImprover`: AC search completes a path.

What an improved sample carries, and why:

- ``prompt_ids``: the prompt the trainer scores it under. Always the group's plain prompt
  (never a hinted or refinement prompt): the policy learns to produce the improvement *without*
  the help, and the answer never enters what the trainer conditions on.
- ``completion_ids`` and ``reward`` (from the trainer's own reward function, so improved and
  plain responses are judged alike).
- ``sampler_logp``: per token, the log-probability under the distribution the tokens were
  really drawn from (the product q for guided sampling, the refinement context for a
  critique, 0 = a point mass for a search result). The trainer needs it for importance
  weights: the tokens are off-policy for pi(. | prompt).
- ``loss``: ``"policy"`` (the trainer's clipped surrogate, times the weight of ``correction``)
  or ``"shaped"`` (Critique-GRPO's -A f(pi) on every token, ``shaping.py``), for targets whose
  sampling distribution is not the policy's in any useful sense.
- ``correction``: ``"none"`` (treated as on-policy), ``"token"`` (w_t = min(pi_old/q, c) per
  token) or ``"sequence"`` (w = min(prod_t pi_old/q, c)), computed by
  :func:`improvement_weights` from the trainer's old logprobs.
- ``group`` and ``replaces``: which group, and which of its G responses (0-based) it replaces.

A toy improver, complete (it is tested in ``tests/llm/test_improve_base.py``): when a whole
group failed, replace its first response by the reference answer, trained with the shaped loss.

.. code-block:: python

    class ReferenceImprover(Improver):
        name = "reference"

        def improve(self, prompts, responses, rewards, context):
            out = []
            for g, task in enumerate(context.tasks):
                if max(rewards[g * context.group_size:(g + 1) * context.group_size]) >= 1:
                    continue
                ids = context.encode(f"\\\\boxed{{{task.answer}}}") + [context.eos_token_id]
                out.append(ImprovedSample(
                    group=g, replaces=0, prompt_ids=tuple(prompts[g]),
                    completion_ids=tuple(ids), reward=context.reward(g, ids),
                    sampler_logp=(0.0,) * len(ids), loss="shaped", source=self.name))
            return out

The trainer's side is two calls: ``merged = apply_improvements(batch rows, improved, G)``
before the advantages, and ``improvement_weights(old_logp, ...)`` / ``mixed_policy_loss``
(``shaping.py``) in the loss. With no improver configured neither is called.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch

LossKind = Literal["policy", "shaped"]
Correction = Literal["none", "token", "sequence"]
CORRECTIONS: tuple[str, ...] = ("none", "token", "sequence")


def row_seed(*parts: Any) -> int:
    """A 63-bit seed from ``parts``: sha256 of their text, so it is the same in every process
    whatever ``PYTHONHASHSEED`` is (Python's ``hash`` of a string is not)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class Task:
    """What an improver may know about one group's problem (the trainer never shows it to the
    policy). ``messages``: the plain chat the prompt was rendered from. ``family``: reasoning |
    ac | metamath. ``answer``: the reference answer (reasoning). ``path``: a known solving AC
    path. ``proof_steps``: a known proof's steps (Metamath: set.mm's, or one the env
    accepts). ``data``: the instance's data (AC: ``relators`` and ``max_relator_length``)."""

    messages: tuple[dict[str, str], ...]
    family: str = "reasoning"
    answer: str | None = None
    path: tuple[int, ...] | None = None
    proof_steps: tuple[str, ...] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        """The last user message: the question as the policy saw it."""
        for message in reversed(self.messages):
            if message["role"] == "user":
                return message["content"]
        raise ValueError("task.messages has no user message")


@dataclass
class ImproveContext:
    """Everything an improver may use besides the batch itself.

    ``reward_fn(group, completion_ids) -> float`` is the trainer's reward for a completion of
    that group's prompt (the verifier), so improved samples are scored like plain ones.
    ``model``/``tokenizer``: the policy (improvers sample from it under no_grad). ``step`` and
    ``seed`` make every improver's draws a function of (seed, step, group, slot).
    """

    tasks: Sequence[Task]
    group_size: int
    reward_fn: Callable[[int, Sequence[int]], float]
    tokenizer: Any = None
    model: Any = None
    step: int = 0
    seed: int = 0
    max_new_tokens: int = 64
    temperature: float = 1.0
    top_p: float = 1.0
    success: float = 1.0
    """a reward >= this counts as solved (critique selection, 'all failed' tests)"""
    group_keys: Sequence[Any] | None = None
    """a stable key per group for seeds (the trainer: each prompt's global stream index, so a
    draw does not depend on the batch layout or the number of processes); None: the index"""

    def __post_init__(self) -> None:
        if not isinstance(self.group_size, int) or self.group_size < 1:
            raise ValueError(f"group_size must be an int >= 1, got {self.group_size!r}")

    def draw_seed(self, tag: str, group: int, *parts: Any) -> int:
        """The seed of one draw: ``row_seed(seed, tag, step, group key, *parts)``."""
        key = group if self.group_keys is None else self.group_keys[group]
        return row_seed(self.seed, tag, self.step, key, *parts)

    def reward(self, group: int, completion_ids: Sequence[int]) -> float:
        return float(self.reward_fn(group, list(completion_ids)))

    @property
    def eos_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_token_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(self.tokenizer.eos_token_id if pad is None else pad)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, no special tokens added."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def render(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Prompt ids of a chat, as the llm agent renders it (template, generation prompt)."""
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                  add_generation_prompt=True)
        return self.encode(text)


@dataclass(frozen=True)
class ImprovedSample:
    """One improved completion of group ``group``'s prompt, replacing response ``replaces``
    (0-based within the group). See the module doc for each field's role."""

    group: int
    replaces: int
    prompt_ids: tuple[int, ...]
    completion_ids: tuple[int, ...]
    reward: float
    sampler_logp: tuple[float, ...]
    loss: LossKind = "policy"
    correction: Correction = "none"
    clip: float = 2.0
    """c, the cap of the token or sequence importance weight"""
    policy_logp: tuple[float, ...] | None = None
    """log pi(o_t | plain prompt) at sampling time, when the sampler knew it (guided)"""
    source: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.completion_ids:
            raise ValueError(f"improved sample of group {self.group} has no completion tokens")
        if len(self.sampler_logp) != len(self.completion_ids):
            raise ValueError(
                f"sampler_logp has {len(self.sampler_logp)} values for "
                f"{len(self.completion_ids)} completion tokens (one per token, please)")
        if self.policy_logp is not None and len(self.policy_logp) != len(self.completion_ids):
            raise ValueError("policy_logp needs one value per completion token")
        if self.loss not in ("policy", "shaped"):
            raise ValueError(f"loss must be 'policy' or 'shaped', got {self.loss!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, got {self.correction!r}")
        if not self.clip > 0:
            raise ValueError(f"clip (the weight cap c) must be > 0, got {self.clip!r}")
        if not math.isfinite(self.reward):
            raise ValueError(f"reward must be finite, got {self.reward!r}")


class Improver:
    """Base class of improvers: override :meth:`improve` (and ``name``)."""

    name: ClassVar[str] = "improver"

    def improve(self, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                rewards: Sequence[float], context: ImproveContext) -> list[ImprovedSample]:
        """Improved samples for a batch.

        ``prompts``: one token list per group (N); ``responses``: N * G completion token lists,
        group-contiguous (rows g*G .. g*G+G-1 answer prompt g); ``rewards``: N * G floats.
        At most one sample may replace a given (group, response).
        """
        raise NotImplementedError

    def observe(self, rewards: Sequence[float]) -> None:
        """Called by the trainer with the rewards of the step's final batch (adaptive λ)."""

    def state_dict(self) -> dict[str, Any]:
        """State to checkpoint (kill -9 resume); stateless improvers return {}."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


def check_batch(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                rewards: Sequence[float], group_size: int) -> int:
    """The number of groups N, after checking the shapes agree (N * G rows)."""
    n = len(prompts)
    if len(responses) != n * group_size or len(rewards) != n * group_size:
        raise ValueError(
            f"{n} prompts with group size {group_size} need {n * group_size} responses and "
            f"rewards; got {len(responses)} and {len(rewards)}")
    return n


def search_target(group: int, prompt: Sequence[int], ids: Sequence[int],
                  group_rewards: Sequence[float], context: ImproveContext, *, loss: str,
                  source: str, info: dict[str, Any]) -> ImprovedSample | None:
    """A verified search result as a training target, or None when the trainer's reward of its
    rendered tokens ``ids`` misses ``context.success`` (the reward must agree with the
    search's own check). It replaces the group's first lowest-reward response; it was not
    sampled, so its ``sampler_logp`` is 0 per token (a point mass) and no correction applies.
    Shared by the AC and Metamath search improvers."""
    reward = context.reward(group, list(ids))
    if reward < context.success:
        return None
    low = min(group_rewards)
    slot = next(i for i, r in enumerate(group_rewards) if r == low)
    return ImprovedSample(group=group, replaces=slot, prompt_ids=tuple(prompt),
                          completion_ids=tuple(ids), reward=reward,
                          sampler_logp=(0.0,) * len(ids), loss=loss, correction="none",
                          source=source, info=info)


@dataclass
class MergedBatch:
    """The batch after :func:`apply_improvements`: the same N * G rows, some replaced.

    Row lists: ``prompt_ids``, ``completion_ids``, ``rewards``, ``sampler_logp``;
    ``improved[b]`` is the :class:`ImprovedSample` now in row b, or None (the plain sample).
    """

    prompt_ids: list[list[int]]
    completion_ids: list[list[int]]
    rewards: list[float]
    sampler_logp: list[list[float]]
    improved: list[ImprovedSample | None]

    def shaped_rows(self) -> torch.Tensor:
        """(B,) bool: rows trained with the shaped loss."""
        return torch.tensor([s is not None and s.loss == "shaped" for s in self.improved])

    def num_improved(self) -> int:
        return sum(s is not None for s in self.improved)


def apply_improvements(prompt_ids: Sequence[Sequence[int]],
                       completion_ids: Sequence[Sequence[int]], rewards: Sequence[float],
                       sampler_logp: Sequence[Sequence[float]],
                       improved: Sequence[ImprovedSample], group_size: int) -> MergedBatch:
    """Put each improved sample in the row it replaces: row ``group * G + replaces``.

    ``prompt_ids`` are per row (B = N * G). The group size never changes. Two samples for the
    same row, or a sample whose prompt is not its group's prompt, are errors (an improver bug).

    The row's ``sampler_logp`` is what the trainer's own sampler-vs-trainer check needs: the
    sampler's log pi(o_t | plain prompt), i.e. the sample's ``policy_logp`` when the sampler
    knew it (guided), else NaN ("never sampled from the policy": the trainer fills it with its
    own logprob, so the mismatch weight is 1 and the logprob-gap statistic ignores the row).
    The distribution the tokens were really drawn from stays in ``improved[b].sampler_logp``,
    which :func:`improvement_weights` reads.
    """
    B = len(completion_ids)
    if B % group_size or len(prompt_ids) != B or len(rewards) != B or len(sampler_logp) != B:
        raise ValueError(f"need B = N * {group_size} rows in every list; got prompts "
                         f"{len(prompt_ids)}, completions {B}, rewards {len(rewards)}, "
                         f"sampler_logp {len(sampler_logp)}")
    out = MergedBatch([list(p) for p in prompt_ids], [list(c) for c in completion_ids],
                      [float(r) for r in rewards], [list(s) for s in sampler_logp], [None] * B)
    for s in improved:
        if not 0 <= s.replaces < group_size or not 0 <= s.group < B // group_size:
            raise ValueError(f"improved sample ({s.source}) replaces response {s.replaces} of "
                             f"group {s.group}; the batch has {B // group_size} groups of "
                             f"{group_size}")
        row = s.group * group_size + s.replaces
        if out.improved[row] is not None:
            raise ValueError(f"two improved samples replace response {s.replaces} of group "
                             f"{s.group}")
        if list(s.prompt_ids) != out.prompt_ids[row]:
            raise ValueError(f"improved sample ({s.source}) of group {s.group} has a prompt that "
                             "is not the group's: improved samples are scored under the plain "
                             "prompt")
        out.completion_ids[row] = list(s.completion_ids)
        out.rewards[row] = float(s.reward)
        out.sampler_logp[row] = list(s.policy_logp) if s.policy_logp is not None \
            else [math.nan] * len(s.completion_ids)
        out.improved[row] = s
    return out


@torch.no_grad()
def improvement_weights(old_logp: torch.Tensor, completion_mask: torch.Tensor,
                        improved: Sequence[ImprovedSample | None]) -> torch.Tensor:
    """(B, T) weights the trainer multiplies into the per-token policy loss: 1 on plain rows,
    shaped rows and correction "none"; for "token" w_t = min(pi_old(o_t)/q(o_t), c) and for
    "sequence" w = min(prod_t pi_old(o_t)/q(o_t), c) on the row's tokens.

    ``old_logp`` (B, T) is the trainer's log pi_old(o_t | plain prompt) of the merged batch.
    Uses :func:`~mathgym.agents.llm.grpo.loss.sampler_importance_weights` in its
    ``token_truncate`` / ``sequence_truncate`` modes: its rho = exp(old_logp - sampler_logp),
    clamped at ``clip_max``, is exactly this weight with sampler_logp = log q.
    """
    from mathgym.agents.llm.grpo.loss import sampler_importance_weights

    B, T = old_logp.shape
    weights = torch.ones((B, T), dtype=torch.float32, device=old_logp.device)
    for b, s in enumerate(improved):
        if s is None or s.loss == "shaped" or s.correction == "none":
            continue
        n = min(len(s.sampler_logp), T)
        q = torch.zeros((1, T), dtype=torch.float32, device=old_logp.device)
        q[0, :n] = torch.tensor(s.sampler_logp[:n], dtype=torch.float32)
        mode = "token_truncate" if s.correction == "token" else "sequence_truncate"
        w = sampler_importance_weights(old_logp[b:b + 1].float(), q,
                                       completion_mask[b:b + 1].float(), mode=mode,
                                       clip_max=s.clip)
        weights[b] = w.expand(1, T)[0]
    return weights
