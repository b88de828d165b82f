"""Re-check a proof certificate for one theorem of a database, from scratch.

Used by the harness on submit: the certificate is a normal or compressed Metamath proof
(space-separated tokens) for theorem ``label``; it is checked by our kernel against the
statement and frame in the database (``$d`` included), never by the prover that found it, and
under the database's :class:`~mathgym.verifiers.metamath.usage.UsageRule`: it may cite only
what the theorem's own stored proof may use (its axiom closure; no statement flagged
inconsistent or discouraged; no lemma resting on other axioms).

Size limit: a proof of more than :data:`MAX_PROOF_STEPS` steps (tokens of a normal proof,
letters-groups of a compressed one) is refused before checking, with that reason, so a check
is bounded (the kernel checks about a million steps in a few seconds).
The parsed database and its rule are cached once per process and path.
"""

from __future__ import annotations

import os

from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, Database, MetamathError, parse
from mathgym.verifiers.metamath.kernel import _CHUNK, IncompleteProof, _chunk_value, check_proof
from mathgym.verifiers.metamath.usage import UsageRule

#: The most proof steps a certificate may have (normal proofs: tokens; compressed: steps).
MAX_PROOF_STEPS = 200_000

_DATABASES: dict = {}


def load_database(path: str = DEFAULT_DATABASE) -> Database:
    """The parsed database at ``path`` (parsed once per process)."""
    return load_checked_database(path)[0]


def load_checked_database(path: str = DEFAULT_DATABASE) -> tuple[Database, UsageRule]:
    """The parsed database at ``path`` and its usage rule (built once per process)."""
    real = os.path.realpath(path)
    got = _DATABASES.get(real)
    if got is None:
        db = parse(path, keep_comments=True)
        rule = UsageRule(db)
        db.comments = {}  # only the rule needed them
        got = _DATABASES[real] = (db, rule)
    return got


def proof_steps(proof: str) -> int:
    """The number of steps of a proof text (normal: tokens; compressed: letter groups)."""
    toks = proof.split()
    if toks and toks[0] == "(" and ")" in toks:
        close = toks.index(")")
        return close - 1 + len(_CHUNK.findall("".join(toks[close + 1 :])))
    return len(toks)


def provable_steps(db: Database, label: str, proof: str) -> int:
    """How many ``|-`` steps a proof of ``label`` applies (hypotheses and ``|-`` assertions;
    syntax steps and references to ``Z``-saved steps not counted); 0 for what is not a proof.

    A lower bound on the work of finding it: each such step is one move of a backward prover.
    """
    thm = db.labels.get(label)
    if not isinstance(proof, str) or getattr(thm, "kind", "") != "$p":
        return 0
    provable = db.codes.get("|-")
    labels = db.labels

    def is_provable(lab: str) -> bool:
        obj = labels.get(lab)
        expr = getattr(obj, "expr", None)
        return expr is not None and memoryview(expr).cast("H")[0] == provable

    toks = proof.split()
    if not (toks and toks[0] == "(" and ")" in toks):
        return sum(1 for lab in toks if is_provable(lab))
    close = toks.index(")")
    flags = [is_provable(lab) for lab in (*thm.hyps, *toks[1:close])]
    count = 0
    for chunk in _CHUNK.findall("".join(toks[close + 1 :])):
        if chunk in ("Z", "?"):
            continue
        v = _chunk_value(chunk)
        count += v <= len(flags) and flags[v - 1]
    return count


def verify_theorem_proof(
    label: str, proof: str, database: str = DEFAULT_DATABASE, statement: str | None = None
) -> tuple[bool, str]:
    """``(True, "")`` iff ``proof`` proves ``label`` (whose text must equal ``statement``)
    citing only what the usage rule allows for ``label``."""
    if not isinstance(proof, str) or not proof.strip():
        return False, "the proof must be a non-empty string of Metamath proof tokens"
    if len(proof) > 40 * MAX_PROOF_STEPS or proof_steps(proof) > MAX_PROOF_STEPS:
        return False, (
            f"the proof has more than {MAX_PROOF_STEPS} steps, the most a certificate may have; "
            "submit a compressed proof or a shorter one"
        )
    try:
        db, rule = load_checked_database(database)
    except MetamathError as err:
        return False, str(err)
    thm = db.labels.get(label)
    if thm is None or getattr(thm, "kind", "") != "$p":
        return False, f"{label!r} is not a $p theorem of {database}"
    if statement is not None and db.format(thm.expr) != statement:
        return False, (
            f"{label!r} in {database} states {db.format(thm.expr)!r}, not {statement!r} "
            "(a different set.mm version?)"
        )
    try:
        check_proof(db, thm, tuple(proof.split()), rule)
    except IncompleteProof as err:
        return False, str(err)
    except MetamathError as err:
        return False, str(err)
    return True, ""
