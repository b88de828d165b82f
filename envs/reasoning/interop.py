"""Interop with LLM training stacks: prompt/answer/metadata rows as JSONL or ``datasets``.

:func:`to_rows` / :func:`write_jsonl` produce rows with the same columns in every row
(``spec`` is a JSON string because its keys vary by answer type), loadable with
``datasets.load_dataset("json", data_files=...)``. :func:`to_dataset` builds the Hugging Face
``datasets.Dataset`` of a benchmark (one row per instance, the columns of
:mod:`mathgym.harness.export` plus :data:`COLUMNS`, and the verifier hook
``mathgym.verifiers.math:check``), or of generated problems like :func:`to_rows`; ``mathgym
export`` writes it. The reward adapters that consume these columns live with the verifier:
``mathgym.verifiers.math.trl_reward`` (TRL ``reward_funcs``) and
``mathgym.verifiers.math.compute_score`` (verl).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathgym.envs.reasoning.registry import generate, module_infos

if TYPE_CHECKING:  # datasets is imported only when a dataset is built (it takes seconds)
    from datasets import Dataset

#: Default prompt: the question plus the answer-format convention the verifier extracts.
DEFAULT_TEMPLATE = "{question}\nGive the final answer inside \\boxed{{}}."

#: Columns of every row, in order.
COLUMNS: tuple[str, ...] = (
    "prompt", "answer", "answer_type", "spec", "module", "difficulty", "seed", "index",
)
#: The verifier hook of exported rows: ``check(answer_text, reference, answer_type, spec)``.
VERIFIER = "mathgym.verifiers.math:check"


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


def _hook(answer: str, answer_type: str, spec: str) -> dict[str, str]:
    from mathgym.harness.export import hook_columns

    return hook_columns(VERIFIER, {"reference": answer, "answer_type": answer_type,
                                   "spec": json.loads(spec)}, "answer_text")


def features() -> dict[str, Any]:
    """``datasets`` feature types of the reasoning columns beyond the common ones."""
    from datasets import Value

    return {"question": Value("string"), "module": Value("string"),
            "difficulty": Value("int64"), "seed": Value("int64"), "index": Value("int64")}


def benchmark_rows(benchmark: Any, template: str = DEFAULT_TEMPLATE) -> list[dict[str, Any]]:
    """One export row per instance of a reasoning benchmark, in the benchmark's order.

    The answer is regenerated from the instance's ``(module, difficulty, seed, index)`` and
    must hash to its ``answer_sha256``: a generator that changed would export wrong answers.
    """
    from mathgym.envs.reasoning.benchmarks import instance_problem

    from mathgym.harness.export import instance_columns, json_text

    rows = []
    for inst in benchmark.instances:
        p = instance_problem(inst)
        if hashlib.sha256(p.answer.encode()).hexdigest() != inst.data["answer_sha256"]:
            raise ValueError(f"{benchmark.full_id} {inst.id}: the generator's answer no longer "
                             "matches the benchmark's answer hash; this mathgym cannot export it")
        spec = json_text(dict(p.spec))
        rows.append({
            **instance_columns(benchmark, inst),
            "prompt": template.format(question=p.question),
            "answer": p.answer,
            "answer_type": p.answer_type,
            "spec": spec,
            **_hook(p.answer, p.answer_type, spec),
            "question": p.question,
            "module": p.module,
            "difficulty": p.difficulty,
            "seed": p.seed,
            "index": p.index,
        })
    return rows


def to_dataset(
    benchmark: Any = None,
    *,
    modules: Sequence[str] | None = None,
    difficulties: Iterable[int] = (1,),
    per_module: int = 10,
    seed: int = 0,
    template: str = DEFAULT_TEMPLATE,
) -> Dataset:
    """A Hugging Face ``datasets.Dataset``: one row per problem, with the verifier hook.

    ``benchmark`` (an id such as ``"reasoning/mathqa-l1"``, or a Benchmark): its instances, in
    order. Without it: generated problems exactly as :func:`to_rows` picks them (``benchmark``
    and ``content_hash`` are then None, ``instance_id`` is ``module/difficulty/seed/index``).
    Check an answer with ``mathgym.harness.export.call_verifier(row, answer_text)``.
    """
    from mathgym.harness import export

    if benchmark is not None:
        return export.to_dataset(benchmark, "reasoning/", template=template)
    rows = []
    for row in to_rows(modules, difficulties, per_module, seed, template):
        p = generate(row["module"], row["difficulty"], row["seed"], row["index"])
        coords = {k: row[k] for k in ("module", "difficulty", "seed", "index")}
        rows.append({
            "benchmark": None,
            "content_hash": None,
            "instance_id": "/".join(str(coords[k]) for k in coords),
            "instance_data": export.json_text(coords),
            "strata": export.json_text({"category": p.module.split("__")[0],
                                        "module": p.module}),
            "prompt": row["prompt"],
            "answer": row["answer"],
            "answer_type": row["answer_type"],
            "spec": row["spec"],
            **_hook(row["answer"], row["answer_type"], row["spec"]),
            "question": p.question,
            **coords,
        })
    return export.rows_dataset(rows, features())
