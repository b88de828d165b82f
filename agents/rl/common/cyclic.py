"""Paths found with cyclic reduction, rewritten as plain AC paths the benchmarks accept.

AC-Solver's PPO env (``ac_solver.envs.ac_env.ACEnv``) calls ``ACMove(..., cyclical=True)``:
after every move (a no-op included) each relator is cyclically reduced, ``a w a^-1 -> w``. The
ac/* benchmarks verify paths without cyclic reduction. Cyclic reduction is itself a sequence
of AC moves: ``a w a^-1 -> w`` is the conjugation ``r <- a^-1 r a`` (the freely reduced result
is shorter, so the cap never refuses it). :func:`expand_cyclic_path` replays a path under
cyclic reduction and, after each move, appends the conjugations that reproduce each cyclic
reduction, so that the plain path passes through the same states as the cyclic one after
every original move. The cap is checked on the freely reduced result in both semantics, so
the expanded path is accepted under the same cap (the benchmark still checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

from mathgym.envs.ac.moves import CONJ, encode_move
from mathgym.envs.ac.reference import apply_move


def expand_cyclic_path(relators: Sequence[Sequence[int]], path: Sequence[int],
                       max_relator_length: int) -> list[int]:
    """``path`` (moves under cyclic reduction) as plain AC moves from ``relators``."""
    k = len(relators)
    state = tuple(tuple(r) for r in relators)
    out: list[int] = []
    for move in path:
        state = apply_move(state, int(move), max_relator_length)
        out.append(int(move))
        for i in range(k):
            while len(state[i]) > 1 and state[i][0] == -state[i][-1]:
                strip = encode_move(CONJ, i, -state[i][0], num_generators=k)
                state = apply_move(state, strip, max_relator_length)
                out.append(strip)
    return out
