"""Pretty-printed Lean goals split into hypotheses and a conclusion (LeanDojo's ``Goal``).

LeanDojo's ``TacticState.goals`` is a list of ``Goal(assumptions, conclusion)``, each
assumption a ``Declaration(ident, lean_type)``. The Lean REPL hands out the same pretty-printed
text, so :mod:`mathgym.envs.lean.dojo` offers the same view. A goal as Lean prints it::

    case left            <- optional case tag
    p q r : Prop         <- one line per group of hypotheses (``a b : T`` is two declarations)
    h1 : p ∧ q
      ∧ r                <- an indented line continues the one above
    ⊢ p                  <- the conclusion (may also run over several lines)

This parser is written for that layout from scratch (not taken from LeanDojo); where
lean-dojo is installed, ``tests/lean/test_dojo.py`` compares the two on recorded goals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The turnstile Lean prints before a goal's conclusion.
TURNSTILE = "⊢"
#: ``names : type``: the names end at the first colon set off by whitespace on both sides.
_HYPOTHESIS_RE = re.compile(r"(\S[^\n]*?)\s+:(?=\s|$)(.*)", re.S)


@dataclass(frozen=True)
class Declaration:
    """One hypothesis of a goal's local context: its name and its type (as printed)."""

    ident: str
    lean_type: str


@dataclass(frozen=True)
class Goal:
    """One goal: its hypotheses in order and the conclusion after ``⊢``."""

    assumptions: list[Declaration]
    conclusion: str

    @classmethod
    def from_pp(cls, pp: str) -> Goal:
        """Parse one pretty-printed goal; ``ValueError`` unless it has exactly one ``⊢``."""
        if pp.count(TURNSTILE) != 1:
            raise ValueError(
                f"a pretty-printed goal has exactly one {TURNSTILE!r}; got "
                f"{pp.count(TURNSTILE)} in {pp[:200]!r}"
            )
        context, conclusion = pp.split(TURNSTILE)
        return cls(_declarations(context), conclusion.strip())


def _declarations(context: str) -> list[Declaration]:
    lines = context.split("\n")
    if lines and lines[0].startswith("case "):
        lines = lines[1:]
    groups: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        if line[:1].isspace() and groups:
            groups[-1] += "\n" + line  # a continuation keeps its line break, as Lean printed it
        else:
            groups.append(line)
    decls = []
    for group in groups:
        # names, then " :" and a space or a line break (a long type starts on the next line)
        match = _HYPOTHESIS_RE.match(group)
        names, lean_type = (match.group(1), match.group(2)) if match else ("", group)
        lean_type = lean_type.strip().removesuffix(",").strip()
        for ident in names.split() or [""]:
            decls.append(Declaration(ident, lean_type))
    return decls


def parse_goals(pp: str) -> list[Goal]:
    """The goals of a pretty-printed tactic state (goals are separated by blank lines)."""
    return [Goal.from_pp(block) for block in pp.split("\n\n") if TURNSTILE in block]
