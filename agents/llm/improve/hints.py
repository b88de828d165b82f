"""Hint templates per family: the extra context of the guide in product sampling.

The hint is appended to the last user message of the plain chat (``hinted_messages``); the
system prompt and the answer format stay, so the two contexts differ only by the hint.

- reasoning: the reference answer, "Hint: the final answer is 42.";
- AC: a known solving path, whole or its first k moves ("Hint: a solving path begins with
  [3, 0, 11]."), in the list form the llm agent asks the model to emit;
- Metamath: the first k steps of the set.mm proof.

A hint only ever enters the *guide* context. The trainer scores every sample under the plain
prompt, and evaluation prompts are rendered without any hint (tested by scanning them).
"""

from __future__ import annotations

from collections.abc import Sequence

from mathgym.agents.llm.improve.base import Task

FAMILIES = ("reasoning", "ac", "metamath")


def format_path(path: Sequence[int]) -> str:
    """An AC path in the text form the llm agent's prompt asks for: ``[3, 0, 11]``."""
    return "[" + ", ".join(str(int(m)) for m in path) + "]"


def hint_text(task: Task, *, first_k: int | None = None) -> str:
    """The hint for ``task``'s family; ``first_k`` keeps only the first k AC moves or Metamath
    steps (None: all). Raises ValueError naming what the task lacks."""
    if first_k is not None and (not isinstance(first_k, int) or first_k < 1):
        raise ValueError(f"first_k must be an int >= 1 or None, got {first_k!r}")
    if task.family == "reasoning":
        if task.answer is None:
            raise ValueError("a reasoning hint needs the reference answer: set Task.answer")
        return f"Hint: the final answer is {task.answer}."
    if task.family == "ac":
        if not task.path:
            raise ValueError("an AC hint needs a known solving path: set Task.path (move ids)")
        moves = list(task.path)
        if first_k is None or first_k >= len(moves):
            return f"Hint: the path {format_path(moves)} solves it."
        return f"Hint: a solving path begins with {format_path(moves[:first_k])}."
    if task.family == "metamath":
        if not task.proof_steps:
            raise ValueError("a Metamath hint needs a known proof: set Task.proof_steps "
                             "(set.mm's steps, or a proof the env accepts)")
        steps = list(task.proof_steps)
        shown = steps if first_k is None else steps[:first_k]
        return "Hint: a proof begins with the steps " + " ".join(shown) + "."
    raise ValueError(f"no hint template for family {task.family!r}; known: {FAMILIES}")


def hinted_messages(messages: Sequence[dict[str, str]], hint: str) -> list[dict[str, str]]:
    """A copy of the chat with ``hint`` on a new line after the last user message."""
    out = [dict(m) for m in messages]
    for m in reversed(out):
        if m["role"] == "user":
            m["content"] = f"{m['content']}\n{hint}"
            return out
    raise ValueError("the chat has no user message to attach the hint to")
