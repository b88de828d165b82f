"""AC benchmarks as Hugging Face ``datasets`` rows: presentations and their known paths.

One row per instance of ``ac/ms1190``, ``ac/ak`` or ``ac/quick`` (the columns of
:mod:`mathgym.harness.export` plus :func:`features`): the presentation as text and as relators
(signed generator ids), its relator-length cap, the Miller-Schupp parameters, and
``known_paths``: every distinct solving path found on the committed leaderboards (any AC
board: ``ac/quick`` shares its instances with ``ac/ms1190``), re-verified here under the row's
own presentation and cap and sorted shortest first. ``answer`` is the shortest as JSON text
(``"[11, 4, 2, ...]"``), or None when no board has solved the instance (AK(3) and up).

The verifier hook is :func:`mathgym.verifiers.ac.verify_ac_path` (plain Python, never the
numba kernels) with ``presentation`` and ``max_relator_length`` from the row; the candidate is
the list of AC-Solver move ids (``moves``), exactly the certificate the leaderboard checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasets import Dataset

VERIFIER = "mathgym.verifiers.ac:verify_ac_path"
ANSWER_TYPE = "ac_path"
PROMPT = (
    "Find a sequence of Andrews-Curtis moves that turns the balanced presentation "
    "<x, y | {presentation}> into the trivial presentation <x, y | x, y>, never letting a "
    "relator grow longer than {cap} letters (a move that would is a no-op). Moves are "
    "AC-Solver's ids 0-11. Answer with the list of move ids, e.g. [11, 4, 2]."
)


def features() -> dict[str, Any]:
    """``datasets`` feature types of the AC columns beyond the common ones."""
    from datasets import List, Value

    return {
        "presentation": Value("string"),
        "relators": List(List(Value("int64"))),
        "max_relator_length": Value("int64"),
        "n": Value("int64"),
        "w": List(Value("int64")),
        "known_paths": List(List(Value("int64"))),
    }


def board_paths(root: str | Path | None = None) -> dict[str, set[tuple[int, ...]]]:
    """Instance id -> the distinct certificates of solved records on every AC board.

    Read as data from the submission files (each was verified at submission; the caller
    re-verifies each path against its own instance anyway, so nothing here is trusted).
    """
    from mathgym.leaderboards.board import DEFAULT_ROOT

    base = Path(root) if root is not None else DEFAULT_ROOT
    found: dict[str, set[tuple[int, ...]]] = {}
    for path in sorted((base / "ac").glob("*/*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"cannot read leaderboard file {path}: {err}") from None
        for rec in doc.get("results", []) if isinstance(doc, dict) else []:
            cert = rec.get("certificate")
            if (rec.get("solved") and isinstance(cert, list)
                    and all(isinstance(m, int) and not isinstance(m, bool) for m in cert)):
                found.setdefault(str(rec.get("instance")), set()).add(tuple(cert))
    return found


def verified_paths(instance: Any, candidates: Iterable[tuple[int, ...]]) -> list[list[int]]:
    """The candidates that solve ``instance`` under its cap, shortest first (then by moves)."""
    from mathgym.verifiers.ac import verify_ac_path

    cap = int(instance.data["max_relator_length"])
    start = instance.data["presentation"]
    good = [list(p) for p in candidates if verify_ac_path(start, list(p), cap).ok]
    return sorted(good, key=lambda p: (len(p), p))


def benchmark_rows(benchmark: Any, board_root: str | Path | None = None) -> list[dict[str, Any]]:
    """One export row per instance of an AC benchmark, in the benchmark's order."""
    from mathgym.harness.export import hook_columns, instance_columns, json_text

    paths = board_paths(board_root)
    rows = []
    for inst in benchmark.instances:
        d = inst.data
        cap = int(d["max_relator_length"])
        known = verified_paths(inst, paths.get(inst.id, ()))
        spec = {"max_relator_length": cap, "num_generators": len(d["relators"]),
                "moves": "AC-Solver move ids 0..11, no cyclic reduction"}
        rows.append({
            **instance_columns(benchmark, inst),
            "prompt": PROMPT.format(presentation=d["presentation"], cap=cap),
            "answer": json.dumps(known[0]) if known else None,
            "answer_type": ANSWER_TYPE,
            "spec": json_text(spec),
            **hook_columns(VERIFIER, {"presentation": d["presentation"],
                                      "max_relator_length": cap}, "moves"),
            "presentation": d["presentation"],
            "relators": [list(r) for r in d["relators"]],
            "max_relator_length": cap,
            "n": int(d["n"]),
            "w": [int(x) for x in d.get("w", [])],
            "known_paths": known,
        })
    return rows


def to_dataset(benchmark: Any = "ac/quick", board_root: str | Path | None = None) -> Dataset:
    """The ``datasets.Dataset`` of an AC benchmark (id or Benchmark), known paths included."""
    from mathgym.harness import export

    return export.to_dataset(benchmark, "ac/", board_root=board_root)
