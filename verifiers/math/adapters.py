"""Reward adapters for RL trainers: TRL ``reward_funcs`` and verl ``compute_score``.

Both score through the worker pool (hard timeout), so they are safe to call from trainer
threads. Rows carry the reference ``answer``, its ``answer_type`` (default ``"expression"``)
and an optional ``spec`` (a dict, or its JSON string as stored by HF datasets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mathgym.verifiers.math.api import check_many

DEFAULT_ANSWER_TYPE = "expression"


def completion_text(completion: Any) -> str:
    """The text of a TRL completion: a str, or chat messages (the last message's content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if isinstance(completion, Sequence) and completion:
        content = completion[-1].get("content", "") if isinstance(completion[-1], Mapping) else ""
        if isinstance(content, str):
            return content
        if isinstance(content, Sequence):  # multimodal parts: [{"type": "text", "text": ...}]
            return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    if isinstance(completion, Sequence) and not completion:
        return ""
    raise ValueError(
        f"completion must be a str or a list of chat messages, got {type(completion).__name__}"
    )


def _column(columns: Mapping[str, Any], name: str, n: int, default: Any) -> list:
    values = columns.get(name)
    if values is None:
        return [default] * n
    if isinstance(values, (str, Mapping)) or not isinstance(values, Sequence):
        raise ValueError(f"column {name!r} must be a list with one value per completion")
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
    return list(values)


def trl_reward(completions: Sequence[Any], **columns: Any) -> list[float]:
    """TRL ``GRPOTrainer(reward_funcs=[trl_reward])``: 1.0 per correct completion, else 0.0.

    ``columns`` are the dataset columns TRL passes per completion: ``answer`` (required),
    ``answer_type`` and ``spec`` (optional). Other keyword arguments (``prompts``,
    ``completion_ids``, ``trainer_state``, ...) are ignored.
    """
    n = len(completions)
    if "answer" not in columns:
        raise ValueError("trl_reward needs an 'answer' column with the reference answers")
    answers = _column(columns, "answer", n, None)
    types = _column(columns, "answer_type", n, DEFAULT_ANSWER_TYPE)
    specs = _column(columns, "spec", n, None)
    items = [(completion_text(c), str(a), t or DEFAULT_ANSWER_TYPE, s)
             for c, a, t, s in zip(completions, answers, types, specs, strict=True)]
    return [v.score for v in check_many(items)]


def compute_score(data_source: str, solution_str: str, ground_truth: Any,
                  extra_info: Mapping[str, Any] | None = None, **_: Any) -> float:
    """verl's custom reward function (``custom_reward_function.name: compute_score``).

    ``ground_truth`` is the reference answer text (or a dict with ``answer``, ``answer_type``,
    ``spec``); ``extra_info`` may carry ``answer_type`` and ``spec``. ``data_source`` is not
    used: every row is scored by its declared type.
    """
    info = dict(extra_info or {})
    if isinstance(ground_truth, Mapping):
        info = {**info, **ground_truth}
        ground_truth = ground_truth.get("answer")
    if not isinstance(ground_truth, str):
        raise ValueError(f"ground_truth must be the reference answer text, got {ground_truth!r}")
    item = (solution_str, ground_truth, info.get("answer_type") or DEFAULT_ANSWER_TYPE,
            info.get("spec"))
    return check_many([item])[0].score
