"""Metamath training splits: set.mm theorems disjoint from every Metamath benchmark.

``metamath/train-quick`` is the training split of ``mathgym train --agent llm-grpo`` for
Metamath (prompted and scored by ``agents/llm/grpo/metamath_prompts.py``). Its theorems are
the ones ``mathgym/Metamath-v0`` poses with ``split="train"`` (``Library.split("train")``: the
sha256 label split, discouraged theorems left out), on the same database as the benchmarks'
verifier (``$MATHGYM_METAMATH_DB`` or Debian's set.mm).

Design note.

- **Small.** The pool is the train-split theorems whose stored set.mm proof applies 1 to
  :data:`MAX_PROOF_STEPS` ``|-`` steps (``Library.proof_steps``, the measure of
  ``formal/metamath-easy``) and whose conclusion has at most :data:`MAX_SYMBOLS` symbols
  after ``|-``: short statements with short proofs, so the whole proof is a few lines a
  135M-parameter model can write.
- **Disjoint from every benchmark, by label and by statement.** A theorem is left out of the
  pool when its label is an instance of ``formal/metamath-quick``, ``-easy`` or ``-test``
  (``envs/metamath/benchmarks.py``, ``benchmark_instances.json``), or when its conclusion is
  a benchmark instance's statement up to renaming variables (:func:`statement_key`: each
  variable replaced by its typecode and the order of its first occurrence, so
  ``|- ( ph -> ph )`` and ``|- ( ps -> ps )`` are one key). set.mm states some theorems more
  than once (``...ALT`` proofs, duplicates kept for reference), and the key catches those.
- **A deterministic function of the position.** Theorem k is the first accepted draw of
  ``random.Random(row_seed(seed, k, j))`` for ``j = 0, 1, ...``, each a uniform choice in the
  pool (sorted by the env's sha256 order), so position k never depends on any other position
  and a resumed stream needs only k (and the same database).
- **Only theorems with a known proof the model could emit.** A draw is kept only when
  ``mm_search``'s first-goal search (``agents/llm/improve/metamath_search.py``: ``complete``
  from the theorem's conclusion, :data:`MAX_NODES` expanded states, bare-label moves, the
  env's own text actions on the first open goal) finds a proof, and that proof, rendered one
  action per line, replays to a proved state whose assembled proof our kernel accepts under
  the usage rule (``proof_reward``: the trainer's reward, so the known proof scores 1). The
  known proof is this search's, not set.mm's (the library keeps no stored proofs); it is in
  ``data["actions"]`` (the Metamath hint's steps, ``improve/hints.py``).
- Cost (CPU seconds, measured on positions 1-40; docs/metamath.md, "Training split"): the
  library load (2 s from its cache; building the cache once takes minutes) and the pool scan
  (0.4 s), then 0.4 s per position on average (1.7 draws per kept theorem; at most 2.3 s).
  The kept proofs have 1-3 actions. Instances are cached per process.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from mathgym.harness.benchmark import Instance

#: The stream seed of metamath/train-quick (no benchmark draws from a seed: they are fixed).
MM_TRAIN_SEED = 52_817
#: Most ``|-`` steps of a pool theorem's stored set.mm proof (formal/metamath-easy's bound).
MAX_PROOF_STEPS = 3
#: Most symbols of a pool theorem's conclusion after ``|-``.
MAX_SYMBOLS = 16
#: States the first-goal search may expand to find a draw's known proof.
MAX_NODES = 20
#: Draws tried for one position before giving up.
MAX_DRAWS = 1_000


def _row_seed(*parts: Any) -> int:
    from mathgym.agents.llm.improve.base import row_seed

    return row_seed(*parts)


def statement_key(lib: Any, statement: str) -> tuple[str, ...]:
    """A ``|-`` statement's symbols with each variable renamed to its typecode and the order of
    its first occurrence (``|- ( ph -> ps )`` -> ``|- ( wff0 -> wff1 )``): two statements
    with one key are one theorem up to renaming its variables."""
    g = lib.grammar
    names: dict[str, str] = {}
    out = []
    for sym in statement.split():
        flabel = lib.var_float.get(sym)
        if flabel is None:
            out.append(sym)
            continue
        if sym not in names:
            names[sym] = f"{g.float_type[flabel]}{len(names)}"
        out.append(names[sym])
    return tuple(out)


def benchmark_rows() -> list[dict[str, Any]]:
    """Every instance of every Metamath benchmark (label, statement), read from the
    benchmark registry (its instances are ``benchmark_instances.json``'s rows)."""
    from mathgym.envs.metamath.benchmarks import BENCHMARKS

    return [dict(inst.data) for build in BENCHMARKS.values() for inst in build().instances]


@functools.cache
def _excluded(database: str) -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    from mathgym.envs.metamath.library import load_library

    lib = load_library(database)
    rows = benchmark_rows()
    return (frozenset(r["theorem"] for r in rows),
            frozenset(statement_key(lib, r["statement"]) for r in rows))


def is_excluded(lib: Any, label: str, database: str) -> bool:
    """Whether ``label`` is a benchmark instance, or states one's statement up to renaming."""
    labels, keys = _excluded(database)
    return label in labels or statement_key(lib, lib.db.format(lib.db.labels[label].expr)) in keys


@dataclass(frozen=True)
class MetamathSplit:
    """One Metamath training split: a seeded stream of small set.mm theorems with a known
    first-goal proof (see the module doc)."""

    id: str
    seed: int = MM_TRAIN_SEED
    """the stream's seed (row_seed(seed, position, draw))"""
    max_proof_steps: int = MAX_PROOF_STEPS
    """most |- steps of the stored set.mm proof of a pool theorem"""
    max_symbols: int = MAX_SYMBOLS
    """most symbols of a pool theorem's conclusion after |-"""
    max_nodes: int = MAX_NODES
    """the first-goal search's budget: a draw is kept only if it finds a proof within this"""
    database: str | None = None
    """the database (None: $MATHGYM_METAMATH_DB or Debian's set.mm, the benchmarks' verifier's)"""

    def database_path(self) -> str:
        """The database this split reads (resolved now, so the environment variable counts)."""
        from mathgym.envs.metamath.benchmarks import database_path

        return self.database or database_path()

    def describe(self) -> dict[str, Any]:
        """The split's settings as JSON (a training run's identity records them)."""
        return {"id": self.id, "seed": self.seed, "max_proof_steps": self.max_proof_steps,
                "max_symbols": self.max_symbols, "max_nodes": self.max_nodes,
                "database": self.database_path(), "family": "metamath",
                "pool": "Metamath-v0 train split minus every formal/metamath-* instance "
                        "(by label and by statement up to renaming)",
                "known_proof": "mm_search first-goal search from the conclusion"}

    def pool(self) -> tuple[str, ...]:
        """The labels a draw chooses from, in the env's sha256 order."""
        return _pool(self, self.database_path())

    def instance(self, k: int) -> Instance:
        """The theorem at stream position ``k`` as a benchmark-style instance (data:
        ``theorem``, ``statement``, ``proof_steps`` = the stored proof's ``|-`` steps,
        ``actions`` = the known first-goal proof, one text action each, ``database``,
        ``draw``); id ``<split>-<k>``."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ValueError(f"stream position must be an int >= 0, got {k!r}")
        return _instance(self, self.database_path(), k)


@functools.cache
def _pool(split: MetamathSplit, database: str) -> tuple[str, ...]:
    from mathgym.envs.metamath.library import load_library

    lib = load_library(database)
    db = lib.db
    out = []
    for label in lib.split("train"):
        if not 1 <= lib.proof_steps[label] <= split.max_proof_steps:
            continue
        if len(db.decode(db.labels[label].expr)) - 1 > split.max_symbols:
            continue
        if label not in lib.concl or is_excluded(lib, label, database):
            continue
        out.append(label)
    if not out:
        raise RuntimeError(f"{split.id}: the pool is empty on {database}")
    return tuple(out)


def known_proof(lib: Any, label: str, max_nodes: int, statement: str | None = None
                ) -> list[str] | None:
    """A first-goal proof of ``label`` (text actions) that ``mm_search``'s search finds within
    ``max_nodes`` expanded states and that the trainer's reward accepts, else None."""
    from mathgym.agents.llm.improve.metamath_search import (
        MetamathSearchConfig,
        complete,
        proof_reward,
        render_actions,
    )
    from mathgym.envs.metamath.prover import Prover

    prover = Prover(lib, label)
    found, _ = complete(prover, prover.initial_state(), MetamathSearchConfig(max_nodes=max_nodes),
                        statement=statement)
    if not found or proof_reward(prover, render_actions(found), statement) != 1.0:
        return None
    return found


@functools.lru_cache(maxsize=4096)
def _instance(split: MetamathSplit, database: str, k: int) -> Instance:
    from mathgym.envs.metamath.library import load_library

    lib = load_library(database)
    pool = _pool(split, database)
    for j in range(MAX_DRAWS):
        label = pool[random.Random(_row_seed(split.seed, k, j)).randrange(len(pool))]
        statement = lib.db.format(lib.db.labels[label].expr)
        actions = known_proof(lib, label, split.max_nodes, statement)
        if actions is None:
            continue
        steps = lib.proof_steps[label]
        return Instance(f"{split.id}-{k}",
                        {"theorem": label, "statement": statement, "proof_steps": steps,
                         "actions": actions, "database": database, "draw": j},
                        {"proof_steps": steps})
    raise RuntimeError(f"{split.id}: no theorem with a proof found within {split.max_nodes} "
                       f"states in {MAX_DRAWS} draws at position {k}; raise max_nodes")


#: The Metamath training splits of ``mathgym train --agent llm-grpo``.
MM_TRAINING_SPLITS: dict[str, MetamathSplit] = {
    "metamath/train-quick": MetamathSplit("metamath/train-quick")}


def split_named(split_id: str) -> MetamathSplit:
    """The training split ``split_id``; a ValueError listing the known ones otherwise."""
    if split_id not in MM_TRAINING_SPLITS:
        raise ValueError(f"unknown Metamath training split {split_id!r}; known: "
                         f"{', '.join(MM_TRAINING_SPLITS)}")
    return MM_TRAINING_SPLITS[split_id]
