"""Prompt sources for the GRPO trainer: a seekable stream of prompts and their exact rewards.

A source is a deterministic stream: ``take(n)`` returns the next ``n`` prompts and advances a
position that ``state_dict()`` saves (a resumed run continues the stream where it stopped), and
``rewards(items, texts)`` scores each prompt's G completions (group-contiguous). Every process
of a data-parallel run takes the same global batch from the same position and keeps its slice,
so the streams never drift apart.

- :class:`MathQAPrompts`: generated MathQA problems scored by the exact MathQA verifier
  (``mathgym.verifiers.math.score_many``: parsing and comparison, never eval). The problems come
  from a training seed (:data:`TRAIN_SEED`) that no benchmark uses, and any problem whose
  question equals a public benchmark instance's question is skipped, so the split is disjoint
  from every public benchmark by construction (tested). The prompt is the ``llm`` eval agent's
  own chat (system prompt, ``few_shot`` solved examples, question, declared answer form), so
  training and evaluation agree when both use the same settings.
- :class:`ListPrompts`: a fixed list of token prompts cycled in order, with any reward function
  (the tiny-model tests' "emit token X").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mathgym.agents.llm.common.model import chat_ids

#: Problem stream of the MathQA training split (benchmarks: 20250; few-shot examples: 91001).
TRAIN_SEED = 77_003


@dataclass(frozen=True)
class PromptItem:
    """One prompt: its tokens, its global stream index (seeds its samples) and reward data."""

    ids: list[int]
    index: int
    payload: Any = None


class PromptSource(Protocol):
    """What the trainer needs from a prompt stream (see the module doc)."""

    def take(self, n: int) -> list[PromptItem]: ...

    def rewards(self, items: Sequence[PromptItem], texts: Sequence[str],
                group_size: int) -> list[float]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class ListPrompts:
    """Cycle through fixed token prompts; ``reward_fn(item, text) -> float`` scores each text."""

    def __init__(self, prompts: Sequence[Sequence[int]],
                 reward_fn: Callable[[PromptItem, str], float]) -> None:
        if not prompts or any(len(p) == 0 for p in prompts):
            raise ValueError("ListPrompts needs at least one non-empty token prompt")
        self.prompts = [list(map(int, p)) for p in prompts]
        self.reward_fn = reward_fn
        self.position = 0

    def take(self, n: int) -> list[PromptItem]:
        out = [PromptItem(self.prompts[(self.position + k) % len(self.prompts)],
                          self.position + k) for k in range(n)]
        self.position += n
        return out

    def rewards(self, items: Sequence[PromptItem], texts: Sequence[str],
                group_size: int) -> list[float]:
        return [float(self.reward_fn(items[i // group_size], t)) for i, t in enumerate(texts)]

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])


def benchmark_questions(difficulties: Sequence[int]) -> frozenset[str]:
    """Question texts of every public MathQA benchmark instance at these difficulties (levels
    and quick). The training stream skips them. Cached per difficulty (building a level
    generates its 1,700 problems)."""
    out: set[str] = set()
    for d in sorted(set(difficulties)):
        out |= _level_questions(int(d))
    return frozenset(out)


@functools.cache
def _level_questions(difficulty: int) -> frozenset[str]:
    from mathgym.envs.reasoning.benchmarks import mathqa_benchmark

    questions = {i.data["question"] for i in mathqa_benchmark(difficulty).instances}
    if difficulty == 1:
        questions |= {i.data["question"] for i in mathqa_benchmark(1, quick=True).instances}
    return frozenset(questions)


class SplitPrompts:
    """The shared half of the prompt sources over a training split of tasks (``ACPrompts``,
    ``MetamathPrompts``): item k is the split's instance k, rendered from its task's chat with
    the tokenizer's chat template, and a completion's reward is 1.0 iff the subclass's
    ``solves`` says so. The stream position is the whole state (position k is a function of k
    alone), so resuming needs only it. Subclasses set ``tokenizer`` and ``position`` and give
    ``instance(k)``, ``task(instance)`` (an ``improve.Task``) and ``solves(instance, text)``."""

    tokenizer: Any
    position: int

    def instance(self, k: int) -> Any:
        raise NotImplementedError

    def task(self, instance: Any) -> Any:
        raise NotImplementedError

    def solves(self, instance: Any, text: str) -> bool:
        raise NotImplementedError

    def take(self, n: int) -> list[PromptItem]:
        out = []
        for k in range(self.position, self.position + n):
            task = self.task(self.instance(k))
            out.append(PromptItem(chat_ids(self.tokenizer, task.messages), k, task))
        self.position += n
        return out

    def rewards(self, items: Sequence[PromptItem], texts: Sequence[str],
                group_size: int) -> list[float]:
        return [float(self.solves(self.instance(items[i // group_size].index), t))
                for i, t in enumerate(texts)]

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])


class MathQAPrompts:
    """Generated MathQA training problems (``TRAIN_SEED``), scored by the exact verifier.

    Stream order: position k is module ``modules[k % M]`` at ``difficulties[(k // M) %
    len(difficulties)]``, problem index ``i = k // (M * len(difficulties))`` of ``seed``; a
    problem whose question is a benchmark question is replaced by index ``i + j * 1_000_003`` of
    the same module for the first ``j >= 1`` that is not (far past any index the stream reaches,
    so no two positions share a problem through it).
    """

    def __init__(self, tokenizer: Any, *, difficulties: Sequence[int] = (1,),
                 modules: Sequence[str] | None = None, seed: int = TRAIN_SEED,
                 system_prompt: str | None = None, few_shot: int = 0,
                 exclude_benchmarks: bool = True) -> None:
        from mathgym.agents.llm.agent import LLMAgent
        from mathgym.envs.reasoning import DIFFICULTIES, MODULES
        from mathgym.envs.reasoning.benchmarks import BENCHMARK_SEED

        if seed == BENCHMARK_SEED:
            raise ValueError(f"seed {seed} is the benchmarks' problem stream; a training split "
                             f"needs another seed (default {TRAIN_SEED})")
        self.modules = list(MODULES if modules is None else modules)
        unknown = [m for m in self.modules if m not in MODULES]
        if unknown or not self.modules:
            raise ValueError(f"unknown MathQA modules {unknown}; known: {', '.join(MODULES)}")
        self.difficulties = [int(d) for d in difficulties]
        bad = [d for d in self.difficulties if d not in DIFFICULTIES]
        if bad or not self.difficulties:
            raise ValueError(f"difficulties {bad} not in {tuple(DIFFICULTIES)}")
        self.tokenizer = tokenizer
        self.seed = int(seed)
        self.position = 0
        self.excluded = benchmark_questions(self.difficulties) if exclude_benchmarks else set()
        # the eval agent's own prompt (few-shot examples from its FEW_SHOT_SEED stream, never a
        # benchmark's); no model is loaded
        self._agent = LLMAgent(system_prompt=system_prompt, few_shot=few_shot)

    def problem(self, k: int) -> Any:
        """The problem at stream position ``k`` (benchmark questions skipped)."""
        from mathgym.envs.reasoning import generate

        M, D = len(self.modules), len(self.difficulties)
        module, difficulty = self.modules[k % M], self.difficulties[(k // M) % D]
        index = k // (M * D)
        for extra in range(64):
            p = generate(module, difficulty, self.seed, index + extra * 1_000_003)
            if p.question not in self.excluded:
                return p
        raise RuntimeError(f"{module} at difficulty {difficulty} keeps repeating benchmark "
                           "questions; it cannot give disjoint training problems")

    def messages(self, problem: Any) -> list[dict[str, str]]:
        """The chat of one problem: the ``llm`` agent's system prompt, question and answer form."""
        data = {"module": problem.module, "difficulty": problem.difficulty,
                "question": problem.question, "answer_type": problem.answer_type,
                "spec": problem.spec}
        return self._agent.mathqa_messages(data)

    def take(self, n: int) -> list[PromptItem]:
        out = []
        for k in range(self.position, self.position + n):
            p = self.problem(k)
            out.append(PromptItem(chat_ids(self.tokenizer, self.messages(p)), k, p))
        self.position += n
        return out

    def rewards(self, items: Sequence[PromptItem], texts: Sequence[str],
                group_size: int) -> list[float]:
        from mathgym.verifiers.math import score_many

        problems = [items[i // group_size].payload for i in range(len(texts))]
        return [float(s) for s in score_many(list(texts), problems)]

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])
