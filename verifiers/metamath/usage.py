"""What a proof of a theorem may use: the axiom closure of the database's own proof of it.

Why: set.mm is not one consistent theory. It holds axioms its own comments call inconsistent
(``ax-riotaBAD`` "conflicts with df-riota and makes the system in set.mm inconsistent") with
theorems built on them, and optional axioms (choice, regularity, Goldbach-type computational
results stated as axioms) that most theorems do not need. A proof of ``T`` that may use any
earlier statement can prove anything ex falso through a ``BAD`` axiom. So a proof of ``T`` may
use only what ``T``'s own proof in the database may use:

* an axiom or definition (a ``|-`` ``$a``) only if it is in the **axiom closure** of ``T``'s
  stored proof: every ``$a`` the proof reaches through the theorems it cites, transitively,
  exactly what the C program's ``show trace_back T /axioms`` lists;
* an earlier theorem ``L`` (``$p``) only if it is not marked ``(New usage is discouraged.)``
  and its own closure is a subset of ``T``'s, so no lemma smuggles in an axiom ``T`` does not
  rest on (``ax-ac``, ``ax-reg``, ``ax-riotaBAD``...);
* never a statement flagged as inconsistent, even when ``T``'s own proof uses it: a label
  ending in ``BAD`` (set.mm's convention: ``ax-riotaBAD``, ``riotaclbgBAD``, ``mreclatBAD``...)
  or a comment saying so (``INCONSISTENT`` in capitals, or "makes the system ... inconsistent").
  Theorems whose closure contains a flagged axiom are excluded by the subset rule;
* syntax axioms (``wff``/``class``/``setvar`` constructors) carry no logical strength and are
  only required to come before ``T``; the kernel checks everything else about a step.

Closures are ``int`` bit sets over the database's ``$a`` statements (one bit each), built in
file order in one pass (a proof cites only earlier statements), so the whole of set.mm takes a
few seconds and a subset test is two ``int`` operations. For compressed proofs only the labels
the letters actually use count, as in the C program.
"""

from __future__ import annotations

import re

from mathgym.verifiers.metamath.database import Assertion, Database

#: The typecode of provable statements; ``$a`` with another typecode are syntax.
PROVABLE = "|-"
#: How set.mm marks theorems that must not be cited any more.
DISCOURAGED = "New usage is discouraged"
#: How set.mm marks inconsistent statements: a label suffix and comment wording.
BAD_SUFFIX = "BAD"
_INCONSISTENT = re.compile(
    r"\bINCONSISTENT\b|(?i:makes\s+the\s+system\b[^.]{0,80}?\binconsistent)"
)
_CHUNK = re.compile(r"[U-Y]*[A-T]")


def is_flagged(label: str, comment: str) -> bool:
    """True if the database flags ``label`` as inconsistent (``...BAD`` or its comment)."""
    return label.endswith(BAD_SUFFIX) or bool(_INCONSISTENT.search(comment))


def _chunk_value(chunk: str) -> int:
    v = 0
    for ch in chunk[:-1]:
        v = v * 5 + (ord(ch) - 84)
    return v * 20 + (ord(chunk[-1]) - 64)


def cited_labels(db: Database, thm: Assertion) -> set:
    """Labels of statements ``thm``'s stored proof applies (compressed: those the letters use)."""
    proof = thm.proof
    if not proof or proof[0] != "(":
        return set(proof)
    close = proof.index(")")
    table = proof[1:close]
    nh = thm.nhyps
    used = set()
    for chunk in set(_CHUNK.findall("".join(proof[close + 1 :]))):
        v = _chunk_value(chunk) - nh - 1
        if 0 <= v < len(table):
            used.add(table[v])
    return used


class UsageRule:
    """The axiom closures of a database's theorems and the statements a proof may cite.

    Build it from a database parsed with ``keep_comments=True`` whose stored proofs are still
    present (the comments flag discouraged and inconsistent statements).
    """

    def __init__(self, db: Database) -> None:
        if not db.comments and db.assertions:
            raise ValueError(
                "UsageRule needs the database's comments: parse it with keep_comments=True"
            )
        self.path = db.path
        self.axiom_names: list[str] = []  # bit index -> $a label
        self.bit: dict[str, int] = {}  # $a label -> 1 << index
        self.closure_bits: dict[str, int] = {}  # $p label -> bit set of $a
        self.logical = 0  # bits of |- axioms and definitions
        self.flag_bits = 0  # bits of flagged $a
        self.flagged: set[str] = set()
        self.discouraged: set[str] = set()
        labels = db.labels
        provable = db.codes.get(PROVABLE)
        for a in db.assertions:
            comment = db.comments.get(a.label, "")
            if DISCOURAGED in comment:
                self.discouraged.add(a.label)
            flagged = is_flagged(a.label, comment)
            if flagged:
                self.flagged.add(a.label)
            if a.kind == "$a":
                b = 1 << len(self.axiom_names)
                self.axiom_names.append(a.label)
                self.bit[a.label] = b
                if memoryview(a.expr).cast("H")[0] == provable:
                    self.logical |= b
                if flagged:
                    self.flag_bits |= b
                continue
            bits = 0
            for lab in cited_labels(db, a):
                obj = labels.get(lab)
                if obj is None or obj.__class__ is not Assertion:
                    continue
                bits |= self.bit.get(lab) or self.closure_bits.get(lab, 0)
            self.closure_bits[a.label] = bits

    # ------------------------------------------------------------------ queries
    def closure(self, label: str) -> list[str]:
        """Every ``$a`` (syntax included) ``label``'s stored proof rests on, in database order:
        what ``show trace_back label /axioms`` lists in the C program."""
        bits = self.closure_bits[label]
        return [name for i, name in enumerate(self.axiom_names) if bits >> i & 1]

    def allowed_bits(self, target: str) -> int:
        """The ``|-`` axioms and definitions a proof of ``target`` may rest on."""
        return self.closure_bits.get(target, 0) & self.logical & ~self.flag_bits

    def allows(self, target: Assertion, obj: Assertion, allowed: int) -> bool:
        """Fast form of ``why_not(...) is None`` (``allowed`` = :meth:`allowed_bits`)."""
        label = obj.label
        if obj.index >= target.index or label in self.flagged:
            return False
        bit = self.bit.get(label)
        if bit is not None:
            return not bit & self.logical or bool(bit & allowed)
        if label in self.discouraged:
            return False
        return not self.closure_bits.get(label, 0) & self.logical & ~allowed

    def why_not(self, target: Assertion, obj: Assertion, allowed: int | None = None) -> str | None:
        """Why a proof of ``target`` may not cite ``obj`` (``None``: it may).

        ``allowed`` is :meth:`allowed_bits` of the target, passed in by callers that test many
        statements against the same target.
        """
        label = obj.label
        if obj.index >= target.index:
            return f"{label!r} is not an earlier statement than {target.label!r}"
        if label in self.flagged:
            return (
                f"{label!r} is flagged as inconsistent in the database (its label ends in "
                f"{BAD_SUFFIX!r} or its comment says it makes the system inconsistent); no proof "
                "may use it"
            )
        if allowed is None:
            allowed = self.allowed_bits(target.label)
        bit = self.bit.get(label)
        if bit is not None:
            if bit & self.logical and not bit & allowed:
                return (
                    f"axiom {label!r} is outside the axiom closure of {target.label!r}'s own "
                    f"proof in the database (`show trace_back {target.label} /axioms`); a proof "
                    "may use only the axioms and definitions that proof uses"
                )
            return None
        if label in self.discouraged:
            return f"{label!r} is marked '(New usage is discouraged.)' in the database"
        extra = self.closure_bits.get(label, 0) & self.logical & ~allowed
        if extra:
            first = self.axiom_names[(extra & -extra).bit_length() - 1]
            return (
                f"{label!r} rests on {first!r}, which is outside the axiom closure of "
                f"{target.label!r}'s own proof in the database (or flagged inconsistent); a "
                "lemma may be used only if its axioms are a subset of the target's"
            )
        return None
