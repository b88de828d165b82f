"""Text view of the AC environment, for language-model policies.

:func:`render_state` writes a state as ``r0 = x^3 y^-4; r1 = x y x y^-1 x^-1 y^-1`` (which
:meth:`Presentation.parse` reads back), and :func:`parse_move` reads a move written as its id
(``"2"``) or its written form (``"r1 <- r1 r0^-1"``; also ``←``, ``·``, ``⁻¹``, ``^(-1)``,
``=``). Plain Python; never evaluates its input.
"""

from __future__ import annotations

import re
from typing import Any

from mathgym.envs.ac.moves import move_name, num_moves
from mathgym.envs.ac.presentation import Presentation, as_presentation
from mathgym.envs.ac.words import format_word


def render_state(state: Any, num_relators: int = 2) -> str:
    """``r0 = ...; r1 = ...`` for a Presentation, relator lists, text or an AC-Solver array."""
    p = state if isinstance(state, Presentation) else as_presentation(state, num_relators)
    return "; ".join(
        f"r{i} = {format_word(r, p.num_generators)}" for i, r in enumerate(p.relators)
    )


def _normalise(text: str) -> str:
    t = text.strip().replace("←", "<-").replace(":=", "<-").replace("⁻¹", "^-1")
    t = re.sub(r"\^\s*[{(]\s*([+-]?\d+)\s*[)}]", r"^\1", t)
    t = re.sub(r"(?<![<])=", "<-", t)
    t = re.sub(r"[·*]", " ", t)
    t = re.sub(r"\s*<-\s*", " <- ", t)
    t = re.sub(r"\^1\b", "", t)
    return re.sub(r"\s+", " ", t).strip()


def move_names(num_generators: int = 2, inversions: bool = False) -> list[str]:
    """Written form of every move id, indexed by id."""
    return [move_name(m, num_generators) for m in range(num_moves(num_generators, inversions))]


def parse_move(text: str | int, num_generators: int = 2, inversions: bool = False) -> int:
    """Move id from its id or its written form; ``ValueError`` naming the valid forms."""
    n = num_moves(num_generators, inversions)
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise ValueError(f"expected a move as text or int, got {type(text).__name__}")
    stripped = text.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        move = int(stripped)
        if not 0 <= move < n:
            raise ValueError(f"move id {move} is out of range: use 0..{n - 1}")
        return move
    names = move_names(num_generators, inversions)
    wanted = _normalise(stripped)
    for move, name in enumerate(names):
        if _normalise(name) == wanted:
            return move
    examples = "; ".join(f"{m}: {names[m]}" for m in range(min(n, 4)))
    raise ValueError(
        f"cannot read move {text!r}: give an id 0..{n - 1} or a written form such as "
        f"{examples} (all forms: mathgym.envs.ac.text.move_names({num_generators}))"
    )
