"""AC prompts for the GRPO trainer: a seekable stream of AC presentations and their exact rewards.

:class:`ACPrompts` implements :class:`~mathgym.agents.llm.grpo.prompts.PromptSource` over an AC
training split (``envs/ac/training.py``, e.g. ``ac/train-quick``: generated Miller–Schupp
presentations disjoint from every AC benchmark, each with a verified greedy path).

- **The prompt** is the ``llm`` eval agent's own single-turn AC chat (``LLMAgent.ac_messages``:
  the presentation in AC's text view, the numbered moves, the request for a path as move ids),
  rendered with the tokenizer's chat template exactly as the agent renders it, so training and
  ``mathgym eval --agent llm`` on ``ac/quick`` see the same kind of prompt.
- **The reward** is 1.0 iff the path the agent would parse from the completion
  (``agent.parse_move_ids``) solves the instance as the agent's evaluation counts it: the
  path's prefix up to its first trivial state (the agent stops there and submits that prefix,
  within the env's horizon) is accepted by the benchmark verifier
  (``envs.ac.benchmarks.verify_certificate``: ``verifiers.ac.verify_ac_path`` under the
  instance's cap, no cyclic reduction). Else 0.0. The text is never evaluated.
- **Items** carry an ``improve.Task`` (family ``"ac"``, the chat, the known solving ``path``,
  ``data`` with ``relators`` and ``max_relator_length``): what ``trainer_hook.task_for`` hands
  the ``ac_search``, ``guided`` and ``critique`` (``ac_env`` critic) improvers.
- **Resumable**: the stream position is the whole state (position k is a function of k alone).
"""

from __future__ import annotations

from typing import Any

from mathgym.agents.llm.grpo.prompts import SplitPrompts


def solves(instance: Any, text: str) -> bool:
    """Whether the completion ``text`` solves ``instance`` as the llm agent's single-turn AC
    evaluation counts it (see the module doc), decided by the benchmark verifier."""
    from mathgym.agents.llm.agent import parse_move_ids
    from mathgym.envs.ac.benchmarks import ENV_HORIZON, verify_certificate
    from mathgym.envs.ac.moves import num_moves
    from mathgym.envs.ac.reference import apply_move

    path = parse_move_ids(text, num_moves(2, False))[:ENV_HORIZON]
    state = tuple(tuple(int(x) for x in r) for r in instance.data["relators"])
    cap = int(instance.data["max_relator_length"])
    for pos, move in enumerate(path):
        state = apply_move(state, int(move), cap, False)
        if all(len(r) == 1 for r in state):
            return verify_certificate(instance, path[: pos + 1]).ok
    return False


class ACPrompts(SplitPrompts):
    """The prompts of an AC training split, scored by the AC benchmark verifier."""

    def __init__(self, tokenizer: Any, split: Any = "ac/train-quick", *,
                 system_prompt: str | None = None) -> None:
        from mathgym.agents.llm.agent import LLMAgent
        from mathgym.envs.ac.training import AC_TRAINING_SPLITS, ACSplit

        if isinstance(split, str):
            if split not in AC_TRAINING_SPLITS:
                raise ValueError(f"unknown AC training split {split!r}; known: "
                                 f"{', '.join(AC_TRAINING_SPLITS)}")
            split = AC_TRAINING_SPLITS[split]
        if not isinstance(split, ACSplit):
            raise ValueError(f"split must be an AC training split id or an ACSplit, got "
                             f"{split!r}")
        self.split = split
        self.tokenizer = tokenizer
        self.position = 0
        # the eval agent's own AC chat (its system prompt unless one is given); no model loaded
        self._agent = LLMAgent(system_prompt=system_prompt)

    def instance(self, k: int) -> Any:
        """The split's instance at stream position ``k``."""
        return self.split.instance(k)

    def messages(self, instance: Any) -> list[dict[str, str]]:
        """The chat of one instance: exactly what the llm agent sends for it."""
        return self._agent.ac_messages(dict(instance.data))

    def task(self, instance: Any) -> Any:
        """The improvers' view of one instance (family ac, the chat, the known path, data)."""
        from mathgym.agents.llm.improve.base import Task

        data = dict(instance.data)
        return Task(tuple(self.messages(instance)), family="ac",
                    path=tuple(int(m) for m in data["path"]),
                    data={**data, "id": instance.id})

    def solves(self, instance: Any, text: str) -> bool:
        """Whether ``text`` solves ``instance`` (:func:`solves`)."""
        return solves(instance, text)
