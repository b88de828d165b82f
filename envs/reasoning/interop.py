"""Interop with LLM training stacks: prompt/answer/metadata rows as JSONL.

:func:`to_rows` / :func:`write_jsonl` produce rows with the same columns in every row
(``spec`` is a JSON string because its keys vary by answer type), loadable with
``datasets.load_dataset("json", data_files=...)``. The reward adapters that consume these
columns live with the verifier: ``mathgym.verifiers.math.trl_reward`` (TRL ``reward_funcs``)
and ``mathgym.verifiers.math.compute_score`` (verl).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mathgym.envs.reasoning.registry import generate, module_infos

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
