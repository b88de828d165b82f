"""Metamath prompts for the GRPO trainer: a seekable stream of set.mm theorems and exact rewards.

:class:`MetamathPrompts` implements :class:`~mathgym.agents.llm.grpo.prompts.PromptSource` over
a Metamath training split (``envs/metamath/training.py``, e.g. ``metamath/train-quick``: small
train-split set.mm theorems disjoint from every ``formal/metamath-*`` benchmark, each with a
known first-goal proof).

- **The prompt** is one user turn in the ``llm`` eval agent's Metamath wording: its first
  multi-turn message (``multiturn.metamath_first_message``: ``Prove <label>: <statement>``,
  the env's observation of the initial state, the first ``SHOW_CANDIDATES`` candidates,
  numbered) with its closing ``Your action:`` replaced by a request for the whole proof, under
  :data:`SYSTEM_PROMPT`, the eval agent's Metamath instructions turned from "one step per
  reply" into "one action per line". The grammar is the eval agent's
  (``multiturn.parse_metamath_action``: a label, ``label ; var := expr ; ...``, or a
  candidate's number), so what the model learns to write here is what it sends, one line a
  turn, in ``mathgym eval --agent llm`` on ``formal/metamath-*``.
- **The reward** is 1.0 iff the completion's lines, replayed as Metamath-v0 actions on the
  first open goal (``metamath_search.replay_text``, the replay ``mm_search`` uses), reach a
  proved state whose assembled proof our kernel accepts under the usage rule for a theorem
  that states the instance's statement (``metamath_search.proof_reward``: the check of the
  benchmark verifier, on the library's parsed database), else 0.0. The text is parsed by the
  strict action grammar, never evaluated.
- **Items** carry an ``improve.Task`` (family ``"metamath"``, the chat, ``proof_steps`` = the
  split's known first-goal proof, one action per step (the Metamath hint's steps), ``data``
  with ``theorem``, ``statement`` and ``database``): what ``trainer_hook.task_for`` hands the
  ``mm_search`` and ``guided`` improvers.
- **Resumable**: the stream position is the whole state (position k is a function of k alone).
"""

from __future__ import annotations

from typing import Any

from mathgym.agents.llm.grpo.prompts import SplitPrompts

#: The single-turn Metamath instructions: the eval agent's (``multiturn.SYSTEM_PROMPTS``), for
#: a whole proof in one reply, one action per line.
SYSTEM_PROMPT = (
    "You prove Metamath (set.mm) theorems backwards. Each step applies a theorem or hypothesis "
    "label to the first open goal. Reply with the whole proof, one action per line and nothing "
    "else: a label, e.g. ax-mp, optionally with substitutions, e.g. ax-mp ; ph := ( ps -> ch ), "
    "or the number of a listed candidate, e.g. 0. Example: for the goal |- ( ph -> ph ) with "
    "the candidates 0: syl, 1: id, the reply 1 proves it."
)
#: What replaces the multi-turn prompt's closing ``Your action:``.
ASK = "Your proof, one action per line:"


class MetamathPrompts(SplitPrompts):
    """The prompts of a Metamath training split, scored by the kernel under the usage rule."""

    def __init__(self, tokenizer: Any, split: Any = "metamath/train-quick", *,
                 system_prompt: str | None = None) -> None:
        from mathgym.envs.metamath.training import MetamathSplit, split_named

        if isinstance(split, str):
            split = split_named(split)
        if not isinstance(split, MetamathSplit):
            raise ValueError(f"split must be a Metamath training split id or a MetamathSplit, "
                             f"got {split!r}")
        self.split = split
        self.tokenizer = tokenizer
        self.system_prompt = SYSTEM_PROMPT if system_prompt is None else system_prompt
        self.position = 0
        self._provers: dict[str, Any] = {}

    def instance(self, k: int) -> Any:
        """The split's instance at stream position ``k``."""
        return self.split.instance(k)

    def prover(self, instance: Any) -> Any:
        """The env's prover of the instance's theorem (cached per label)."""
        from mathgym.envs.metamath.library import load_library
        from mathgym.envs.metamath.prover import Prover

        label = instance.data["theorem"]
        if label not in self._provers:
            self._provers[label] = Prover(load_library(instance.data["database"]), label)
        return self._provers[label]

    def messages(self, instance: Any) -> list[dict[str, str]]:
        """The chat of one instance: the system prompt and the eval agent's first Metamath
        message (theorem, observation, numbered candidates), asking for the whole proof."""
        from mathgym.agents.llm.multiturn import SHOW_CANDIDATES, metamath_first_message

        prover = self.prover(instance)
        state = prover.initial_state()
        info = {"candidates": prover.candidates(state, SHOW_CANDIDATES)}
        first = metamath_first_message(dict(instance.data), prover.observation(state), info)
        user = first.removesuffix("Your action:") + ASK
        return [{"role": "system", "content": self.system_prompt},
                {"role": "user", "content": user}]

    def task(self, instance: Any) -> Any:
        """The improvers' view of one instance (family metamath, the chat, the known proof's
        actions as ``proof_steps``, data with theorem, statement and database)."""
        from mathgym.agents.llm.improve.base import Task

        data = dict(instance.data)
        return Task(tuple(self.messages(instance)), family="metamath",
                    proof_steps=tuple(data["actions"]), data={**data, "id": instance.id})

    def solves(self, instance: Any, text: str) -> bool:
        """Whether the completion ``text`` proves ``instance`` (see the module doc)."""
        from mathgym.agents.llm.improve.metamath_search import proof_reward

        return proof_reward(self.prover(instance), text, instance.data["statement"]) == 1.0

