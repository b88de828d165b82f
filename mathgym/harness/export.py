"""Benchmarks as Hugging Face ``datasets``: one row per instance, with a verifier hook.

Researchers move tasks into training stacks (TRL, verl, their own) as a ``datasets.Dataset``.
:func:`to_dataset` builds one for any AC, reasoning or Metamath benchmark; :func:`save` writes it
with ``save_to_disk`` (or as one Parquet file) atomically. ``mathgym export`` is the command.

Every family's rows share these columns (the family adds its own, see its ``interop`` module):

- ``benchmark`` (``"ac/quick@1"``), ``content_hash``, ``instance_id``;
- ``prompt``: the task as text, for a language model;
- ``answer``: a known answer as text (reasoning: the reference answer; AC: the shortest known
  path as a JSON list; Metamath: a known proof), or None when none is known;
- ``answer_type`` and ``spec`` (JSON text): how an answer is read;
- ``instance_data`` and ``strata`` (JSON text): the benchmark's instance exactly, so
  ``Instance(row["instance_id"], json.loads(row["instance_data"]), json.loads(row["strata"]))``
  is the instance the leaderboard's verifier checks against;
- the verifier hook: ``verifier`` names a function (``"mathgym.verifiers.ac:verify_ac_path"``),
  ``verifier_kwargs`` (JSON text) are its keyword arguments for this row, and
  ``verifier_certificate`` names the argument that takes the candidate answer. So::

      fn = importlib.import_module(module).<function>   # module, function = verifier.split(":")
      fn(**json.loads(row["verifier_kwargs"]), **{row["verifier_certificate"]: candidate})

  :func:`call_verifier` does exactly that, for the hooks of :data:`VERIFIER_HOOKS` only: a row
  is data, and a data file must not choose what code runs. No code is pickled into a dataset.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # datasets is imported only when a dataset is built (it takes seconds)
    from datasets import Dataset

#: Hook name -> (what its result means). The only functions :func:`call_verifier` will call.
VERIFIER_HOOKS: dict[str, str] = {
    "mathgym.verifiers.math:check": "a Verdict; correct when its score is 1",
    "mathgym.verifiers.ac:verify_ac_path": "an ACPathResult; correct when ok",
    "mathgym.verifiers.metamath.certificate:verify_theorem_proof": "(ok, reason)",
}

#: Family adapters: benchmark id prefix -> module with ``benchmark_rows`` and ``FEATURES``.
ADAPTERS: dict[str, str] = {
    "ac/": "mathgym.envs.ac.interop",
    "reasoning/": "mathgym.envs.reasoning.interop",
    "formal/metamath-": "mathgym.envs.metamath.interop",
}

#: Columns every exported row has, in order (each family appends its own).
COMMON_COLUMNS: tuple[str, ...] = (
    "benchmark", "content_hash", "instance_id", "prompt", "answer", "answer_type", "spec",
    "instance_data", "strata", "verifier", "verifier_kwargs", "verifier_certificate",
)

PARQUET_NAME = "data.parquet"


def common_features() -> dict[str, Any]:
    """``datasets`` feature types of :data:`COMMON_COLUMNS` (all strings; ``answer`` may be
    None)."""
    from datasets import Value

    return {name: Value("string") for name in COMMON_COLUMNS}


def json_text(obj: Any) -> str:
    """Canonical JSON text (sorted keys): the same bytes for the same data."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def hook_columns(verifier: str, kwargs: Mapping[str, Any], certificate: str) -> dict[str, str]:
    """The three verifier-hook columns of a row (``verifier`` must be a known hook)."""
    if verifier not in VERIFIER_HOOKS:
        raise ValueError(f"unknown verifier hook {verifier!r}; known: {sorted(VERIFIER_HOOKS)}")
    return {"verifier": verifier, "verifier_kwargs": json_text(dict(kwargs)),
            "verifier_certificate": certificate}


def instance_columns(benchmark: Any, instance: Any) -> dict[str, str]:
    """``benchmark``, ``content_hash``, ``instance_id``, ``instance_data`` and ``strata``."""
    return {
        "benchmark": benchmark.full_id,
        "content_hash": benchmark.content_hash,
        "instance_id": instance.id,
        "instance_data": json_text(dict(instance.data)),
        "strata": json_text(dict(instance.strata)),
    }


def _hook(name: Any) -> Callable[..., Any]:
    if not isinstance(name, str) or name not in VERIFIER_HOOKS:
        raise ValueError(f"verifier {name!r} is not one of mathgym's verifier hooks "
                         f"{sorted(VERIFIER_HOOKS)}; a dataset row cannot name other code")
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def call_verifier(row: Mapping[str, Any], candidate: Any) -> tuple[bool, str]:
    """Check ``candidate`` with the row's verifier hook: ``(ok, reason)``.

    ``candidate`` is what the row's ``verifier_certificate`` argument takes: answer text
    (reasoning), a list of move ids (AC), proof text (Metamath). ``ValueError`` when the row
    names no known hook or its ``verifier_kwargs`` is not a JSON object.
    """
    fn = _hook(row.get("verifier"))
    try:
        kwargs = json.loads(row["verifier_kwargs"])
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"row {row.get('instance_id')!r}: verifier_kwargs is not JSON "
                         f"text ({err})") from None
    param = row.get("verifier_certificate")
    if not isinstance(kwargs, dict) or not isinstance(param, str) or param in kwargs:
        raise ValueError(f"row {row.get('instance_id')!r}: verifier_kwargs must be a JSON object "
                         "without the verifier_certificate argument")
    result = fn(**kwargs, **{param: candidate})
    if isinstance(result, tuple):
        return bool(result[0]), str(result[1])
    if hasattr(result, "score"):
        return result.score >= 1.0, str(getattr(result, "reason", ""))
    return bool(result.ok), str(getattr(result, "reason", ""))


def adapter(benchmark_id: str) -> ModuleType:
    """The family module that turns this benchmark into rows; ``ValueError`` if none does."""
    for prefix, module in ADAPTERS.items():
        if benchmark_id.startswith(prefix):
            return importlib.import_module(module)
    families = ", ".join(f"{p}*" for p in ADAPTERS)
    raise ValueError(f"benchmark {benchmark_id!r} has no dataset export; exportable: "
                     f"{families} (see `mathgym benchmarks`)")


def to_dataset(benchmark: Any, family: str | None = None, **options: Any) -> Dataset:
    """The ``datasets.Dataset`` of a benchmark (an id such as ``"ac/quick"``, or a Benchmark).

    ``options`` go to the family's ``benchmark_rows`` (e.g. ``template`` for reasoning);
    ``family`` (a key of :data:`ADAPTERS`) refuses a benchmark of another family.
    """
    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    if family is not None and not bench.id.startswith(family):
        raise ValueError(f"{bench.id} is not a {family}* benchmark; export it with "
                         "mathgym.harness.export.to_dataset (or `mathgym export`)")
    module = adapter(bench.id)
    return rows_dataset(module.benchmark_rows(bench, **options), module.features())


def rows_dataset(rows: Sequence[Mapping[str, Any]], features: Mapping[str, Any]) -> Dataset:
    """A ``datasets.Dataset`` of ``rows`` with the common columns plus ``features``, columns in
    that order (a row with a missing or an extra column is a bug: ``ValueError``)."""
    from datasets import Dataset, Features

    types = Features({**common_features(), **features})
    ordered = []
    for row in rows:
        if set(row) != set(types):
            raise ValueError(f"export row {row.get('instance_id')!r}: columns differ from the "
                             f"schema: missing {sorted(set(types) - set(row))}, "
                             f"extra {sorted(set(row) - set(types))}")
        ordered.append({name: row[name] for name in types})
    return Dataset.from_list(ordered, features=types)


def save(dataset: Any, out: str | os.PathLike[str], parquet: bool = False) -> Path:
    """Write ``dataset`` to the folder ``out`` (``save_to_disk``, or ``out/data.parquet``).

    Atomic: written into a temporary folder beside ``out`` and renamed, so ``out`` either does
    not exist or holds the whole dataset. ``out`` must not exist yet, or be an empty folder
    (``FileExistsError`` naming it otherwise: an export never mixes with other files).
    Deterministic: the same rows give the same bytes (AC and Metamath known answers come from
    the committed boards, so their rows change when a board gains a new solution).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--out {out} already exists and is not an empty folder; pass a "
                              "new folder (an export never overwrites or mixes with files)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        if parquet:
            dataset.to_parquet(str(tmp / PARQUET_NAME))
        else:
            dataset.save_to_disk(str(tmp / "dataset"))
            for child in (tmp / "dataset").iterdir():
                child.rename(tmp / child.name)
            (tmp / "dataset").rmdir()
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load(path: str | os.PathLike[str]) -> Dataset:
    """Read back what :func:`save` wrote (either format) as a ``datasets.Dataset``."""
    import datasets

    path = Path(path)
    if (path / PARQUET_NAME).is_file():
        import pyarrow.parquet as pq
        from datasets.table import InMemoryTable

        # the features travel in the file's schema metadata; no Hugging Face cache is written
        return datasets.Dataset(InMemoryTable(pq.read_table(path / PARQUET_NAME)))
    return datasets.load_from_disk(str(path))
