"""The Metamath proof kernel: check normal and compressed proofs against a parsed database.

A proof is replayed on a stack of encoded expressions (see :mod:`.database`). Applying an
assertion pops its mandatory hypotheses, reads the substitution off its floating hypotheses
(typecode check), checks every essential hypothesis is the substituted template, checks the
mandatory ``$d`` pairs against the proven theorem's frame, and pushes the substituted
conclusion. Errors raise :class:`ProofError` naming the theorem, the step and the reason.

Compressed proofs (``( labels ) LETTERS``): ``A``-``T`` end a number, ``U``-``Y`` are leading
base-5 digits, ``Z`` saves the top of the stack for reuse, ``?`` is an unknown step. A proof
with ``?`` is *incomplete* (:class:`IncompleteProof`), not wrong. As strict as the C
``metamath`` program: a ``Z`` must follow a step that applies an ``$a``/``$p`` (or another
``Z``); after a hypothesis or a saved-step reference it "declares a local label" and is refused.

With a :class:`~mathgym.verifiers.metamath.usage.UsageRule`, every statement the proof cites
must also be one the rule allows for the theorem (its own proof's axiom closure, no flagged or
discouraged statements); see :mod:`.usage`.
"""

from __future__ import annotations

import re

from mathgym.verifiers.metamath.database import Assertion, Database, Hypothesis, MetamathError

_CHUNK = re.compile(r"[U-Y]*[A-T]|Z|\?")
_CHUNK_VALUE: dict[str, int] = {}


class ProofError(MetamathError):
    """A proof the kernel rejects. ``label`` is the theorem, ``step`` the 1-based step."""

    def __init__(self, label: str, step: int, reason: str) -> None:
        super().__init__(f"proof of {label!r} is wrong at step {step}: {reason}")
        self.label = label
        self.step = step
        self.reason = reason


class IncompleteProof(MetamathError):
    """A proof containing unknown ``?`` steps: not wrong, but not a proof either."""

    def __init__(self, label: str, step: int) -> None:
        super().__init__(f"proof of {label!r} is incomplete: step {step} is '?'")
        self.label = label
        self.step = step


def _chunk_value(chunk: str) -> int:
    v = _CHUNK_VALUE.get(chunk)
    if v is None:
        v = 0
        for ch in chunk[:-1]:
            v = v * 5 + (ord(ch) - 84)
        v = v * 20 + (ord(chunk[-1]) - 64)
        _CHUNK_VALUE[chunk] = v
    return v


def _vars_of(expr: bytes, variables: set) -> set:
    return {c for c in memoryview(expr).cast("H") if c in variables}


def _resolve(db: Database, thm: Assertion, label: str, step: int, rule=None, allowed: int = 0):
    """The object a proof step label refers to, if usable in ``thm``'s proof (and ``rule``)."""
    obj = db.labels.get(label)
    if obj is None:
        raise ProofError(thm.label, step, f"unknown label {label!r}")
    if isinstance(obj, Hypothesis):
        if not (obj.index < thm.index < obj.end):
            raise ProofError(thm.label, step, f"hypothesis {label!r} is not active here")
        return obj.expr
    if obj.index >= thm.index:
        raise ProofError(thm.label, step, f"{label!r} is not an earlier assertion")
    if rule is not None:
        why = rule.why_not(thm, obj, allowed)
        if why:
            raise ProofError(thm.label, step, why)
    return obj


def check_proof(
    db: Database, thm: Assertion, proof: tuple | None = None, rule=None
) -> None:
    """Verify ``proof`` (tokens; default the theorem's own) proves ``thm``.

    With ``rule`` (a :class:`~mathgym.verifiers.metamath.usage.UsageRule` of ``db``), every
    cited statement must also be allowed by it for ``thm``. Raises :class:`ProofError` if the
    proof is wrong and :class:`IncompleteProof` if it has ``?``.
    """
    if proof is None:
        proof = thm.proof
    label = thm.label
    allowed = 0
    if rule is not None:
        allowed = rule.allowed_bits(label)
        # a statement flagged inconsistent is the gravest reason: name it before any other
        for k, lab in enumerate(proof):
            if lab in rule.flagged:
                obj = db.labels[lab]
                raise ProofError(label, k + 1, rule.why_not(thm, obj, allowed) or "")
    variables = db.variables
    frame_dv = thm.frame_dv
    if proof and proof[0] == "(":
        try:
            close = proof.index(")")
        except ValueError:
            raise ProofError(label, 0, "compressed proof has no ')'") from None
        table: list = [None]
        for h in thm.hyps:
            table.append(db.labels[h].expr)
        for lab in proof[1:close]:
            if lab in thm.hyps:
                raise ProofError(label, 0, f"mandatory hypothesis {lab!r} listed in '( )'")
            table.append(_resolve(db, thm, lab, 0, rule, allowed))
        letters = "".join(proof[close + 1 :])
        chunks = _CHUNK.findall(letters)
        if sum(map(len, chunks)) != len(letters):
            raise ProofError(label, 0, "compressed proof has characters outside A-Z and '?'")
        steps: list = []
        for ch in chunks:
            if ch == "Z":
                steps.append(-1)
            elif ch == "?":
                steps.append(0)
            else:
                steps.append(_chunk_value(ch))
    else:
        table = [None]
        steps = []
        cache: dict = {}
        for k, lab in enumerate(proof):
            if lab == "?":
                steps.append(0)
                continue
            idx = cache.get(lab)
            if idx is None:
                idx = cache[lab] = len(table)
                table.append(_resolve(db, thm, lab, k + 1, rule, allowed))
            steps.append(idx)
    stack: list = []
    push = stack.append
    step = 0
    last_applied = False  # did the last non-Z step apply an $a/$p? (only those may be saved)
    for idx in steps:
        step += 1
        if idx < 0:  # Z: save the top of the stack as a new table entry
            if not stack:
                raise ProofError(label, step, "'Z' before any proof step")
            if not last_applied:
                raise ProofError(
                    label,
                    step,
                    f"the 'Z' after step {step - 1} declares a local label for a hypothesis or "
                    "saved-step reference; only $a/$p steps may be saved (as in the C "
                    "metamath program)",
                )
            table.append(stack[-1])
            continue
        if idx == 0:
            raise IncompleteProof(label, step)
        try:
            obj = table[idx]
        except IndexError:
            raise ProofError(label, step, f"step number {idx} is out of range") from None
        if obj.__class__ is bytes:
            last_applied = False
            push(obj)
            continue
        last_applied = True
        nh = obj.nhyps
        if nh:
            if len(stack) < nh:
                raise ProofError(
                    label, step, f"{obj.label!r} needs {nh} hypotheses, stack has {len(stack)}"
                )
            args = stack[-nh:]
            del stack[-nh:]
            sub = []
            for ai, tc in obj.floats:
                e = args[ai]
                if not e.startswith(tc):
                    raise ProofError(
                        label,
                        step,
                        f"{obj.label!r} hypothesis {obj.hyps[ai]!r} needs typecode "
                        f"{db.format(tc)!r}, got {db.format(e)!r}",
                    )
                sub.append(e[2:])
            for ai, tmpl in obj.essentials:
                parts = tmpl.parts.copy()
                for pos, k in tmpl.slots:
                    parts[pos] = sub[k]
                if b"".join(parts) != args[ai]:
                    raise ProofError(
                        label,
                        step,
                        f"{obj.label!r} hypothesis {obj.hyps[ai]!r} needs "
                        f"{db.format(b''.join(parts))!r}, got {db.format(args[ai])!r}",
                    )
            if obj.dv:
                for si, sj in obj.dv:
                    vi = _vars_of(sub[si], variables)
                    if not vi:
                        continue
                    vj = _vars_of(sub[sj], variables)
                    for a in vi:
                        for b in vj:
                            pair = (a, b) if a < b else (b, a)
                            if a == b or pair not in frame_dv:
                                raise ProofError(
                                    label,
                                    step,
                                    f"{obj.label!r} requires $d "
                                    f"{db.symbols[obj.float_vars[si]]} "
                                    f"{db.symbols[obj.float_vars[sj]]}, violated by "
                                    f"{db.symbols[a]} and {db.symbols[b]}"
                                    + ("" if a != b else " (the same variable)")
                                    + ("" if a == b else " (no $d in this frame)"),
                                )
            tmpl = obj.conclusion
            parts = tmpl.parts.copy()
            for pos, k in tmpl.slots:
                parts[pos] = sub[k]
            push(b"".join(parts))
        else:
            push(obj.expr)
    if len(stack) != 1:
        raise ProofError(label, step, f"proof ends with {len(stack)} expressions on the stack")
    if stack[0] != thm.expr:
        raise ProofError(
            label,
            step,
            f"proof proves {db.format(stack[0])!r}, not {db.format(thm.expr)!r}",
        )


def verify_all(db: Database, theorems: list | None = None, rule=None) -> dict:
    """Check every ``$p`` (or ``theorems``), under ``rule`` if given; returns counts plus the
    first failures."""
    verified = 0
    failed: list = []
    incomplete: list = []
    for thm in db.theorems if theorems is None else theorems:
        try:
            check_proof(db, thm, None, rule)
        except IncompleteProof:
            incomplete.append(thm.label)
        except MetamathError as err:
            failed.append((thm.label, str(err)))
        else:
            verified += 1
    return {"verified": verified, "failed": failed, "incomplete": incomplete}


def normal_proof(db: Database, thm: Assertion) -> list[str]:
    """The theorem's stored proof as a normal (uncompressed) label list, ``Z`` reuse expanded."""
    proof = thm.proof
    if not proof or proof[0] != "(":
        return list(proof)
    close = proof.index(")")
    table: list = [None, *([lab] for lab in thm.hyps)]
    arity: list = [None, *(0 for _ in thm.hyps)]
    for lab in proof[1:close]:
        table.append([lab])
        obj = db.labels[lab]
        arity.append(obj.nhyps if isinstance(obj, Assertion) else 0)
    stack: list = []
    for ch in _CHUNK.findall("".join(proof[close + 1 :])):
        if ch == "Z":
            table.append(stack[-1])
            arity.append(-1)
            continue
        if ch == "?":
            stack.append(["?"])
            continue
        v = _chunk_value(ch)
        n = arity[v]
        if n <= 0:
            stack.append(table[v])
            continue
        args = stack[-n:]
        del stack[-n:]
        stack.append([lab for sub in args for lab in sub] + table[v])
    return stack[-1] if len(stack) == 1 else [lab for sub in stack for lab in sub]
