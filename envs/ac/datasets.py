"""Published AC datasets: the Miller–Schupp benchmark (1190 presentations) and Akbulut–Kirby.

``MS(n, w) = <x, y | x^-1 y^n x = y^(n+1), x = w>`` with relators ``r0 = x^-1 y^n x y^-(n+1)``
and ``r1 = x^-1 w`` freely and cyclically reduced, generated exactly as AC-Solver's
``generate_miller_schupp_presentations`` does (Shehper et al., arXiv 2408.15332):

* ``w`` runs over ``itertools.product([1, 2, -1, -2], repeat=L)`` for ``L = 1..max_w_len``,
  keeping words whose x-exponent sum is 0;
* ``r1 = x^-1 w`` freely and cyclically reduced; ``r1 = x^-1`` is dropped;
* per ``n``, one presentation per class of cyclic rotations of ``r1`` (the first met);
* order: by ``n``, then ``|w|`` (length of the reduced ``r1`` minus one), then product order.

For ``n_max = max_w_len = 7`` that is 1190 presentations, 170 per ``n``; per ``|w| = 1..7``:
2, 2, 2, 6, 18, 42, 98. Plain Python (no numba).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from mathgym.envs.ac.presentation import Presentation
from mathgym.envs.ac.words import cyclic_reduce


@dataclass(frozen=True)
class MillerSchupp:
    """One Miller–Schupp presentation ``MS(n, w)``; ``r1 = x^-1 w`` with ``w`` as enumerated."""

    n: int
    w: tuple[int, ...]
    presentation: Presentation

    @property
    def max_relator_length(self) -> int:
        """The benchmark cap for this ``n`` (see :func:`ms_max_relator_length`)."""
        return ms_max_relator_length(self.n)


def ms_max_relator_length(n: int, max_w_len: int = 7) -> int:
    """AC-Solver's cap for the MS benchmark: ``2 * max(2n + 3, max_w_len + 1) + 2``."""
    return 2 * max(2 * n + 3, max_w_len + 1) + 2


def miller_schupp_relator0(n: int) -> tuple[int, ...]:
    """``x^-1 y^n x y^-(n+1)``."""
    return (-1, *([2] * n), 1, *([-2] * (n + 1)))


@functools.cache
def _miller_schupp_for_n(n: int, max_w_len: int) -> tuple[MillerSchupp, ...]:
    r0 = miller_schupp_relator0(n)
    seen: set[tuple[int, ...]] = set()
    by_len: dict[int, list[MillerSchupp]] = {}
    for search_len in range(1, max_w_len + 1):
        for w in itertools.product((1, 2, -1, -2), repeat=search_len):
            if sum(letter for letter in w if abs(letter) == 1) != 0:
                continue
            r1 = cyclic_reduce((-1, *w))
            if r1 == (-1,):
                continue
            if r1 in seen:
                continue
            for s in range(len(r1)):
                seen.add(r1[s:] + r1[:s])
            by_len.setdefault(len(r1) - 1, []).append(
                MillerSchupp(n=n, w=w, presentation=Presentation((r0, r1)))
            )
    return tuple(ms for lw in sorted(by_len) for ms in by_len[lw])


def miller_schupp(n_max: int = 7, max_w_len: int = 7) -> list[MillerSchupp]:
    """All ``MS(n, w)`` for ``n = 1..n_max``, ``|w| <= max_w_len``, in AC-Solver's order."""
    for name, value in (("n_max", n_max), ("max_w_len", max_w_len)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return [ms for n in range(1, n_max + 1) for ms in _miller_schupp_for_n(n, max_w_len)]


def akbulut_kirby(n: int) -> Presentation:
    """``AK(n) = <x, y | x^n y^-(n+1), x y x y^-1 x^-1 y^-1>`` (n >= 1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"AK(n) needs an int n >= 1, got {n!r}")
    return Presentation(((1,) * n + (-2,) * (n + 1), (1, 2, 1, -2, -1, -2)))
