"""Metamath benchmarks as Hugging Face ``datasets`` rows: theorem, statement, hypotheses, proofs.

One row per instance of ``formal/metamath-quick``, ``-easy`` or ``-test`` (the columns of
:mod:`mathgym.harness.export` plus :func:`features`): the theorem's label, its ``|-``
statement, its essential hypotheses (``$e``, as ``label: |- ...`` text) and ``known_proofs``:
set.mm's own proof of the theorem plus every distinct proof found on the committed boards,
each re-checked here by mathgym's kernel under the usage rule and sorted shortest first
(fewest tokens). ``answer`` is the shortest.

Building the rows reads the database the benchmark verifies against (``$MATHGYM_METAMATH_DB``,
default Debian's set.mm): its hypotheses and stored proofs are not in the benchmark's instance
file. The verifier hook is
:func:`mathgym.verifiers.metamath.certificate.verify_theorem_proof` with ``label`` and
``statement`` from the row and the candidate as ``proof`` (normal or compressed tokens); it
checks against Debian's set.mm unless the caller adds ``database=...``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasets import Dataset

VERIFIER = "mathgym.verifiers.metamath.certificate:verify_theorem_proof"
ANSWER_TYPE = "metamath_proof"
PROMPT = (
    "Prove the set.mm theorem {label}: {statement}{hyps}. Answer with a Metamath proof of "
    "{label} (normal or compressed proof tokens) that uses only what set.mm's own proof of it "
    "may use."
)


def features() -> dict[str, Any]:
    """``datasets`` feature types of the Metamath columns beyond the common ones."""
    from datasets import List, Value

    return {
        "theorem": Value("string"),
        "statement": Value("string"),
        "hypotheses": List(Value("string")),
        "proof_steps": Value("int64"),
        "known_proofs": List(Value("string")),
    }


def board_proofs(instance_ids: set[str], root: str | Path | None = None) -> dict[str, set[str]]:
    """Theorem label -> the distinct ``{"proof": ...}`` certificates solved on the Metamath
    boards (read as data; the caller re-checks every proof)."""
    from mathgym.leaderboards.board import DEFAULT_ROOT

    base = Path(root) if root is not None else DEFAULT_ROOT
    found: dict[str, set[str]] = {}
    for path in sorted((base / "formal").glob("metamath-*/*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"cannot read leaderboard file {path}: {err}") from None
        for rec in doc.get("results", []) if isinstance(doc, dict) else []:
            cert = rec.get("certificate")
            label = str(rec.get("instance"))
            if (rec.get("solved") and label in instance_ids and isinstance(cert, dict)
                    and isinstance(cert.get("proof"), str)):
                found.setdefault(label, set()).add(" ".join(cert["proof"].split()))
    return found


def benchmark_rows(benchmark: Any, board_root: str | Path | None = None) -> list[dict[str, Any]]:
    """One export row per instance of a Metamath benchmark, in the benchmark's order."""
    from mathgym.envs.metamath.benchmarks import database_path
    from mathgym.verifiers.metamath.certificate import load_checked_database, verify_theorem_proof

    from mathgym.harness.export import hook_columns, instance_columns, json_text

    database = database_path()
    if not os.path.isfile(database):
        raise ValueError(f"exporting {benchmark.full_id} reads the Metamath database {database}, "
                         "which is missing: install Debian's metamath-databases (make setup) "
                         "or set MATHGYM_METAMATH_DB to set.mm")
    db, _rule = load_checked_database(database)
    proofs = board_proofs({inst.id for inst in benchmark.instances}, board_root)
    rows = []
    for inst in benchmark.instances:
        label, statement = inst.data["theorem"], inst.data["statement"]
        thm = db.labels.get(label)
        if thm is None or getattr(thm, "kind", "") != "$p" or db.format(thm.expr) != statement:
            raise ValueError(f"{benchmark.full_id} {label}: {database} does not state "
                             f"{statement!r} under that label (another set.mm version?)")
        hyps = [f"{h}: {db.format(db.labels[h].expr)}" for h in thm.hyps
                if db.labels[h].kind == "$e"]
        candidates = {" ".join(thm.proof), *proofs.get(label, ())}
        known = sorted((p for p in candidates
                        if verify_theorem_proof(label, p, database, statement=statement)[0]),
                       key=lambda p: (len(p.split()), p))
        given = f", given {'; '.join(hyps)}" if hyps else ""
        rows.append({
            **instance_columns(benchmark, inst),
            "prompt": PROMPT.format(label=label, statement=statement, hyps=given),
            "answer": known[0] if known else None,
            "answer_type": ANSWER_TYPE,
            "spec": json_text({"database": "set.mm", "usage_rule": True}),
            **hook_columns(VERIFIER, {"label": label, "statement": statement}, "proof"),
            "theorem": label,
            "statement": statement,
            "hypotheses": hyps,
            "proof_steps": int(inst.data["proof_steps"]),
            "known_proofs": known,
        })
    return rows


def to_dataset(benchmark: Any = "formal/metamath-quick",
               board_root: str | Path | None = None) -> Dataset:
    """The ``datasets.Dataset`` of a Metamath benchmark (id or Benchmark), proofs included."""
    from mathgym.harness import export

    return export.to_dataset(benchmark, "formal/metamath-", board_root=board_root)
