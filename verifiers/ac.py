"""Verify an Andrews–Curtis path: replay moves on the plain-Python reference, check triviality.

Uses only :mod:`mathgym.envs.ac.presentation` and :mod:`mathgym.envs.ac.reference` (plain
Python); it never imports numba or the kernels, so a kernel bug cannot certify itself.
A certificate is untrusted input: every problem with it becomes ``ok=False`` with a reason,
never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from mathgym.envs.ac.moves import num_moves
from mathgym.envs.ac.presentation import Presentation, as_presentation
from mathgym.envs.ac.reference import apply_move


@dataclass(frozen=True)
class ACPathResult:
    """Outcome of :func:`verify_ac_path`.

    ``ok``: the path is valid and ends at a trivial presentation (every relator of length 1).
    ``final``: the presentation reached (``None`` if the start was unreadable).
    ``reason``: empty when ok, else what is wrong. ``steps``: moves replayed.
    """

    ok: bool
    final: Presentation | None
    reason: str = ""
    steps: int = 0

    def __bool__(self) -> bool:
        return self.ok


def verify_ac_path(
    presentation: Any,
    moves: Sequence[int],
    max_relator_length: int,
    cyclic_reduction: bool = False,
    inversions: bool = False,
) -> ACPathResult:
    """Replay ``moves`` from ``presentation`` under AC-Solver semantics and test for triviality.

    ``presentation`` is anything :func:`~mathgym.envs.ac.presentation.as_presentation` accepts.
    Moves that would exceed ``max_relator_length`` are no-ops, exactly as in the environment.
    """
    try:
        start = as_presentation(presentation)
        start.to_array(max_relator_length)
    except ValueError as exc:
        return ACPathResult(False, None, f"bad start presentation: {exc}")
    if isinstance(moves, str | bytes) or not isinstance(moves, Sequence):
        got = type(moves).__name__
        return ACPathResult(False, start, f"moves must be a list of ints, got {got}")
    k = start.num_generators
    limit = num_moves(k, inversions)
    state = start.relators
    for step, move in enumerate(moves):
        if isinstance(move, bool) or not isinstance(move, Integral) or not 0 <= move < limit:
            return ACPathResult(
                False,
                Presentation(state),
                f"move {step} is {move!r}, not a move id in 0..{limit - 1}",
                step,
            )
        state = apply_move(state, int(move), max_relator_length, cyclic_reduction)
    final = Presentation(state)
    if not final.is_trivial:
        return ACPathResult(
            False, final, f"does not end trivial: ends at {final} (lengths {final.lengths})",
            len(moves),
        )
    return ACPathResult(True, final, "", len(moves))
