"""Plain-Python reference semantics of Andrews–Curtis moves (AC-Solver's, exactly).

This module is the ground truth that the numba kernels (:mod:`mathgym.envs.ac.kernels`) are
tested against and that the verifier (:mod:`mathgym.verifiers.ac`) replays paths with, so a
kernel bug can never certify itself. It imports neither numba nor numpy.

Words are tuples of non-zero ints: generator ``g`` is ``g`` (x = 1, y = 2, ...), its inverse is
``-g``. A state is a tuple of ``k`` freely reduced, non-empty words (the relators).

Semantics of one move (Shehper et al., arXiv 2408.15332; AC-Solver ``ACMove``):

* ``r_i <- r_i r_j^s`` and ``r_i <- g r_i g^-1`` are freely reduced.
* If the freely reduced result is longer than ``max_relator_length`` the move is a no-op.
  A result that would be the empty word is a no-op too (AC-Solver raises an assertion error
  there; it is unreachable from presentations with non-zero exponent determinant).
* With ``cyclic_reduction=True`` every relator is then cyclically reduced, as AC-Solver's
  ``simplify_presentation(cyclical=True)`` does after every move (also after a no-op). The cap
  is checked on the freely reduced length, before cyclic reduction.
* Optional inversion moves ``r_i <- r_i^-1`` (ids after the AC' moves, see
  :mod:`mathgym.envs.ac.moves`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mathgym.envs.ac.moves import decode_move, num_moves
from mathgym.envs.ac.words import Word, cyclic_reduce, free_reduce, invert

__all__ = [
    "Relators", "Word", "action_mask", "apply_move", "apply_moves", "changed_relator",
    "cyclic_reduce", "determinant", "exponent_determinant", "exponent_matrix", "free_reduce",
    "invert", "is_solved", "move_result", "num_moves",
]

Relators = tuple[Word, ...]


def move_result(relators: Relators, move: int) -> Word:
    """The freely reduced new value of the relator the move rewrites (before the cap test)."""
    kind, i, other, sign = decode_move(move, len(relators))
    r = relators[i]
    if kind == "concat":
        rj = relators[other] if sign == 1 else invert(relators[other])
        return free_reduce(r + rj)
    if kind == "conj":
        return free_reduce((other, *r, -other))
    return invert(r)


def changed_relator(move: int, num_generators: int) -> int:
    """Index of the relator a move rewrites."""
    return decode_move(move, num_generators)[1]


def apply_move(
    relators: Sequence[Sequence[int]],
    move: int,
    max_relator_length: int,
    cyclic_reduction: bool = False,
) -> Relators:
    """Apply one move to a state of freely reduced relators and return the new state.

    A move whose freely reduced result is longer than ``max_relator_length`` (or empty) leaves
    the state unchanged. With ``cyclic_reduction`` every relator is cyclically reduced after the
    move, as in AC-Solver.
    """
    state: Relators = tuple(tuple(r) for r in relators)
    i = changed_relator(move, len(state))
    new = move_result(state, move)
    if 0 < len(new) <= max_relator_length:
        state = state[:i] + (new,) + state[i + 1 :]
    if cyclic_reduction:
        state = tuple(cyclic_reduce(r) for r in state)
    return state


def apply_moves(
    relators: Sequence[Sequence[int]],
    moves: Sequence[int],
    max_relator_length: int,
    cyclic_reduction: bool = False,
) -> Relators:
    """Apply a sequence of moves one after the other."""
    state: Relators = tuple(tuple(r) for r in relators)
    for move in moves:
        state = apply_move(state, move, max_relator_length, cyclic_reduction)
    return state


def is_solved(relators: Sequence[Sequence[int]]) -> bool:
    """Solved means every relator has length 1 (AC-Solver: total length == number of relators)."""
    return all(len(r) == 1 for r in relators)


def action_mask(
    relators: Sequence[Sequence[int]],
    max_relator_length: int,
    cyclic_reduction: bool = False,
    inversions: bool = False,
) -> list[bool]:
    """For every move id: does it change the state (``False`` = the move is a no-op)?"""
    state: Relators = tuple(tuple(r) for r in relators)
    return [
        apply_move(state, m, max_relator_length, cyclic_reduction) != state
        for m in range(num_moves(len(state), inversions))
    ]


def exponent_matrix(relators: Sequence[Sequence[int]]) -> list[list[int]]:
    """Row ``i``, column ``g-1``: the exponent sum of generator ``g`` in relator ``i``."""
    k = len(relators)
    rows = []
    for r in relators:
        row = [0] * k
        for letter in r:
            row[abs(letter) - 1] += 1 if letter > 0 else -1
        rows.append(row)
    return rows


def determinant(matrix: Sequence[Sequence[int]]) -> int:
    """Exact integer determinant (fraction-free Bareiss elimination)."""
    a = [list(row) for row in matrix]
    n = len(a)
    sign, prev = 1, 1
    for c in range(n - 1):
        if a[c][c] == 0:
            swap = next((r for r in range(c + 1, n) if a[r][c] != 0), None)
            if swap is None:
                return 0
            a[c], a[swap] = a[swap], a[c]
            sign = -sign
        for r in range(c + 1, n):
            for cc in range(c + 1, n):
                a[r][cc] = (a[r][cc] * a[c][c] - a[r][c] * a[c][cc]) // prev
        prev = a[c][c]
    return sign * a[n - 1][n - 1] if n else 1


def exponent_determinant(relators: Sequence[Sequence[int]]) -> int:
    """Determinant of the exponent-sum matrix: AC' moves preserve it, inversions flip its sign."""
    return determinant(exponent_matrix(relators))
