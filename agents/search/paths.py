"""Turn a path found with cyclic reduction into a plain AC path (no cyclic reduction).

With ``cyclic_reduction=True`` (AC-Solver's ``cyclical=True``) every relator is cyclically
reduced after each move. Cyclically reducing ``a w a^-1`` to ``w`` is itself the AC move
``r_i <- a^-1 r_i a`` (a conjugation by one generator, which shortens the relator, so it is
always within the cap). Replaying a cyclic path without cyclic reduction and inserting those
conjugations after every move therefore visits exactly the cyclic path's states (the starts the
benchmarks use are cyclically reduced) and ends at the same trivial presentation. The result is
a certificate the benchmarks' verifier (which replays without cyclic reduction) accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathgym.envs.ac.moves import CONJ, encode_move
from mathgym.envs.ac.presentation import as_presentation
from mathgym.envs.ac.reference import apply_move
from mathgym.envs.ac.words import cyclic_reduce


def to_acyclic_path(presentation: Any, path: Sequence[int], max_relator_length: int) -> list[int]:
    """Plain-AC path (move ids) equivalent to ``path`` found with cyclic reduction.

    Raises ``ValueError`` if the start is not cyclically reduced (then the two semantics start
    from different states) or if the replay diverges from the cyclic replay (a bug).
    """
    start = as_presentation(presentation).relators
    if tuple(cyclic_reduce(r) for r in start) != start:
        raise ValueError(
            "to_acyclic_path needs a cyclically reduced start presentation; cyclically reduce "
            "it first (that is a sequence of conjugation moves too)"
        )
    plain = start
    cyclic = start
    out: list[int] = []
    for move in path:
        cyclic = apply_move(cyclic, int(move), max_relator_length, cyclic_reduction=True)
        plain = apply_move(plain, int(move), max_relator_length)
        out.append(int(move))
        for i in range(len(plain)):
            while len(plain[i]) >= 2 and plain[i][0] == -plain[i][-1]:
                conj = encode_move(CONJ, i, -plain[i][0], num_generators=len(plain))
                plain = apply_move(plain, conj, max_relator_length)
                out.append(conj)
        if plain != cyclic:
            raise ValueError(f"cyclic and plain replays diverged after move {move}: "
                             f"{plain} != {cyclic}")
    return out
