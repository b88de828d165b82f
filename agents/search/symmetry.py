"""Symmetry reduction for AC search: search on orbits of presentations, not presentations.

Why
    AC-Solver's 12 moves commute with 16 relabelings of a two-generator, two-relator state:
    the 8 signed permutations of the generators (``x <-> y``, ``x -> x^-1``, ``y -> y^-1`` and
    their products) times the swap of the two relators. Each maps a move to another move
    (conjugation by ``x`` to conjugation by the relabeled letter, ``r1 <- r1 r0`` to
    ``r0 <- r0 r1`` under the swap, ...) and preserves relator lengths, the cap and triviality.
    So a search may store one representative per orbit, the *canonical form* (the smallest of
    the 16 images as AC-Solver's state tuple), and every statement about reachability, path
    lengths and triviality carries over. A search that meets two images of one presentation
    expands it once. ``tests/search/test_search_symmetry.py`` checks the commutation on random
    states and that lifted paths replay under the plain verifier.

What it costs
    Canonicalizing a child compares images letter by letter and stops at the first difference
    (images of a presentation differ almost at once), then rewrites the state only if another
    image wins.

Paths
    The search's parent links are moves between canonical forms. :func:`lift_path` turns them
    into moves on the actual presentation: from the actual state ``s`` (an image of the canonical
    parent ``c``), some move ``m'`` gives a child whose canonical form is the canonical child
    (the image of move ``m`` under the relabeling), found by trying the 12 moves.
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit


def symmetry_tables(enabled: bool) -> tuple[np.ndarray, np.ndarray]:
    """(letter maps ``int8[S, 5]`` indexed by ``letter + 2``, relator swap flags ``int8[S]``).

    Row 0 is the identity. ``enabled=False`` gives empty tables: no reduction.
    """
    if not enabled:
        return np.zeros((0, 5), dtype=np.int8), np.zeros(0, dtype=np.int8)
    maps, swaps = [], []
    for swap in (0, 1):
        for images in itertools.permutations((1, 2)):
            for sx, sy in itertools.product((1, -1), repeat=2):
                x_to, y_to = sx * images[0], sy * images[1]
                row = [0] * 5
                row[1 + 2] = x_to
                row[-1 + 2] = -x_to
                row[2 + 2] = y_to
                row[-2 + 2] = -y_to
                maps.append(row)
                swaps.append(swap)
    table = np.array(maps, dtype=np.int8)
    assert (table[0] == [-2, -1, 0, 1, 2]).all() and swaps[0] == 0  # identity first
    return table, np.array(swaps, dtype=np.int8)


@njit(cache=True)
def _image_letter(state, cap, sym_map, sym_swap, s, j):
    block = j // cap
    pos = j - block * cap
    return sym_map[s, state[(block ^ sym_swap[s]) * cap + pos] + 2]


@njit(cache=True)
def canonicalize(state, cap, sym_map, sym_swap, tmp):
    """Replace ``state`` (flat, two blocks of ``cap``) by its smallest image; no-op if no maps."""
    count = sym_map.shape[0]
    if count == 0:
        return
    size = state.shape[0]
    best = 0
    for s in range(1, count):
        for j in range(size):
            a = _image_letter(state, cap, sym_map, sym_swap, s, j)
            b = _image_letter(state, cap, sym_map, sym_swap, best, j)
            if a != b:
                if a < b:
                    best = s
                break
    if best != 0:
        for j in range(size):
            tmp[j] = _image_letter(state, cap, sym_map, sym_swap, best, j)
        state[:] = tmp


def canonical(state: np.ndarray, cap: int) -> np.ndarray:
    """Canonical form of a flat int8 state (a copy)."""
    sym_map, sym_swap = symmetry_tables(True)
    out = np.array(state, dtype=np.int8, copy=True)
    canonicalize(out, cap, sym_map, sym_swap, np.empty_like(out))
    return out


def lift_path(flat: np.ndarray, canonical_path: list[int], cap: int, cyclic: bool) -> list[int]:
    """Turn moves between canonical forms into moves on the actual start ``flat``.

    ``canonical_path[i]`` was applied to the canonical form of the state after step ``i``.
    Raises ``RuntimeError`` if some step has no matching move (the symmetry assumption broke).
    """
    from mathgym.agents.search.moves_bridge import child_into, relator_lengths

    sym_map, sym_swap = symmetry_tables(True)
    tmp = np.empty_like(flat)
    lengths = np.empty(2, dtype=np.int32)
    child_lengths = np.empty(2, dtype=np.int32)

    def child(state: np.ndarray, m: int) -> np.ndarray:
        out = np.empty_like(state)
        relator_lengths(state, cap, lengths)
        child_into(state, lengths, m, cap, cyclic, out, child_lengths)
        return out

    def canon(state: np.ndarray) -> np.ndarray:
        out = state.copy()
        canonicalize(out, cap, sym_map, sym_swap, tmp)
        return out

    actual = np.ascontiguousarray(flat, dtype=np.int8).copy()
    current = canon(actual)
    lifted: list[int] = []
    for step, m in enumerate(canonical_path):
        target = canon(child(current, int(m)))
        for candidate in range(12):
            nxt = child(actual, candidate)
            if np.array_equal(canon(nxt), target):
                lifted.append(candidate)
                actual = nxt
                current = target
                break
        else:
            raise RuntimeError(
                f"symmetry lift failed at step {step} (move {m}): no move of the actual state "
                f"reaches an image of the canonical child"
            )
    return lifted
