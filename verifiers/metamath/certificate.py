"""Re-check a proof certificate for one theorem of a database, from scratch.

Used by the harness on submit: the certificate is a normal or compressed Metamath proof
(space-separated tokens) for theorem ``label``; it is checked by our kernel against the
statement and frame in the database (``$d`` included), never by the prover that found it.
The parsed database is cached once per process and path.
"""

from __future__ import annotations

import os

from mathgym.verifiers.metamath.database import DEFAULT_DATABASE, Database, MetamathError, parse
from mathgym.verifiers.metamath.kernel import IncompleteProof, check_proof

_DATABASES: dict = {}


def load_database(path: str = DEFAULT_DATABASE) -> Database:
    """The parsed database at ``path`` (parsed once per process)."""
    real = os.path.realpath(path)
    db = _DATABASES.get(real)
    if db is None:
        db = _DATABASES[real] = parse(path)
    return db


def verify_theorem_proof(
    label: str, proof: str, database: str = DEFAULT_DATABASE, statement: str | None = None
) -> tuple[bool, str]:
    """``(True, "")`` iff ``proof`` proves ``label`` (whose text must equal ``statement``)."""
    if not isinstance(proof, str) or not proof.strip():
        return False, "the proof must be a non-empty string of Metamath proof tokens"
    try:
        db = load_database(database)
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
        check_proof(db, thm, tuple(proof.split()))
    except IncompleteProof as err:
        return False, str(err)
    except MetamathError as err:
        return False, str(err)
    return True, ""
