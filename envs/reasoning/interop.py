"""Interop with LLM training stacks: JSONL datasets and reward adapters.

- :func:`to_rows` / :func:`write_jsonl`: prompt/answer/metadata rows with the same columns in
  every row (``spec`` is a JSON string because its keys vary by answer type), loadable with
  ``datasets.load_dataset("json", data_files=...)``.
- :func:`trl_reward`: TRL's ``reward_funcs`` signature ``(completions, **columns) -> list[float]``
  (reads the ``answer``, ``answer_type`` and ``spec`` columns of :func:`to_rows`).
- :func:`compute_score`: verl's ``compute_score(data_source, solution_str, ground_truth,
  extra_info)``; ``extra_info`` carries ``answer_type`` and ``spec``.

Both adapters score through ``mathgym.verifiers.math.score``; completions are parsed, never run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mathgym.envs.reasoning.registry import generate, module_infos

from mathgym.types import ANSWER_TYPES, Problem

#: Default prompt: the question plus the answer-format convention the verifier extracts.
DEFAULT_TEMPLATE = "{question}\nGive the final answer inside \\boxed{{}}."

#: Columns of every row, in order.
COLUMNS: tuple[str, ...] = (
    "prompt", "answer", "answer_type", "spec", "module", "difficulty", "seed", "index",
)


def to_rows(
    modules: Sequence[str] | None = None,
    difficulties: Iterable[int] = (1,),
    per_module: int = 10,
    seed: int = 0,
    template: str = DEFAULT_TEMPLATE,
) -> list[dict[str, Any]]:
    """Rows for every (module, difficulty, index < per_module), in that order.

    ``template`` is formatted with ``question``; the default asks for a ``\\boxed{}`` answer.
    """
    names = list(modules) if modules is not None else list(module_infos())
    if per_module < 0:
        raise ValueError(f"per_module must be >= 0, got {per_module}")
    rows = []
    for module in names:
        for difficulty in difficulties:
            for index in range(per_module):
                p = generate(module, difficulty, seed, index)
                rows.append({
                    "prompt": template.format(question=p.question),
                    "answer": p.answer,
                    "answer_type": p.answer_type,
                    "spec": json.dumps(dict(p.spec), sort_keys=True),
                    "module": p.module,
                    "difficulty": p.difficulty,
                    "seed": p.seed,
                    "index": p.index,
                })
    return rows


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write rows as JSON lines atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=False, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def reference_problem(answer: str, answer_type: str, spec: Any = None) -> Problem:
    """A :class:`Problem` carrying only what the verifier needs: answer, type and spec."""
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"answer_type {answer_type!r} is not one of {ANSWER_TYPES}")
    if isinstance(spec, str):
        spec = json.loads(spec) if spec else {}
    return Problem(
        module="external", difficulty=1, seed=0, index=0, question="",
        answer=str(answer), answer_type=answer_type, spec=dict(spec or {}),
    )


def _completion_text(completion: Any) -> str:
    """TRL passes strings, or chat messages (``[{"role", "content"}, ...]``): take the last."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        return str(completion[-1].get("content", ""))
    raise ValueError(
        f"completion must be a string or a list of chat messages, got {type(completion).__name__}"
    )


def trl_reward(completions: Sequence[Any], **columns: Any) -> list[float]:
    """TRL ``reward_funcs`` entry: one score per completion, from the dataset's columns."""
    from mathgym.verifiers.math import score

    for key in ("answer", "answer_type"):
        if key not in columns:
            raise ValueError(
                f"trl_reward needs the dataset column {key!r} (rows from to_rows() have it)"
            )
    specs = columns.get("spec") or [None] * len(completions)
    return [
        float(score(_completion_text(c), reference_problem(a, t, s)))
        for c, a, t, s in zip(
            completions, columns["answer"], columns["answer_type"], specs, strict=True
        )
    ]


def compute_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: Mapping | None = None
) -> float:
    """verl ``compute_score``: ``extra_info`` must hold ``answer_type`` (and ``spec`` if any)."""
    from mathgym.verifiers.math import score

    info = dict(extra_info or {})
    if "answer_type" not in info:
        raise ValueError(
            "compute_score needs extra_info['answer_type'] (and extra_info['spec'] for types "
            "with parameters); put the to_rows() columns into verl's extra_info"
        )
    return float(score(solution_str, reference_problem(ground_truth, info["answer_type"],
                                                       info.get("spec"))))
