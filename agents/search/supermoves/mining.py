"""Mining supermoves: frequent move n-grams of verified paths, pooled over symmetry orbits.

What
    A *supermove* is a fixed sequence of 2..``max_len`` AC-Solver moves applied as one action.
    Candidates are the contiguous n-grams of the corpus paths (:mod:`.corpus`) that the k-fold
    split allows for the fold being searched.

Symmetry-reduced counting
    The 16 relabelings of :mod:`mathgym.agents.search.symmetry` map every move to a move
    (:func:`move_permutations`: ``image(apply(m, s)) == apply(perm[m], image(s))``), so an
    n-gram and its 16 images do the same thing to symmetric presentations. Occurrences are
    counted per *orbit* (the smallest image as a tuple is its key); orbits are ranked by
    ``count * (n - 1)`` (plain moves saved per use, times uses), ties by the key; every
    distinct image of a chosen orbit becomes a supermove, until ``max_supermoves`` are chosen.

Filters
    An n-gram holding a move next to its inverse (``0 2``, ``4 8``, ...) is dropped: it undoes
    itself wherever it is within the cap.

Deterministic: sorted inputs, integer counts, tuple tie-breaks; no hashing of Python objects
feeds an order.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

#: move id -> inverse move id (AC-Solver's numbering, k = 2).
INVERSE = (2, 3, 0, 1, 8, 9, 10, 11, 4, 5, 6, 7)


@lru_cache(maxsize=1)
def move_permutations() -> tuple[tuple[int, ...], ...]:
    """For each of the 16 relabelings, the move each move becomes (row 0: the identity).

    Found, not assumed: on seeded random states, ``perm[s][m]`` is the unique move ``m'`` with
    ``image_s(apply(m, state)) == apply(m', image_s(state))`` on every state. Raises if a move
    has no such image (the symmetry assumption would be broken)."""
    from mathgym.agents.search.moves_bridge import child_into, relator_lengths
    from mathgym.agents.search.symmetry import symmetry_tables

    sym_map, sym_swap = symmetry_tables(True)
    cap = 16
    rng = np.random.default_rng(20261202)
    states = []
    for _ in range(40):
        state = np.zeros(2 * cap, np.int8)
        for r in range(2):
            n = int(rng.integers(3, 8))
            word: list[int] = []
            while len(word) < n:
                letter = int(rng.choice([-2, -1, 1, 2]))
                if word and word[-1] == -letter:
                    continue
                word.append(letter)
            state[r * cap:r * cap + n] = word
        states.append(state)

    def image(state: np.ndarray, s: int) -> np.ndarray:
        blocks = state.reshape(2, cap)
        if sym_swap[s]:
            blocks = blocks[::-1]
        return sym_map[s][blocks.reshape(-1) + 2].astype(np.int8)

    def child(state: np.ndarray, m: int) -> np.ndarray:
        lengths = np.empty(2, np.int32)
        relator_lengths(state, cap, lengths)
        out = np.empty_like(state)
        child_into(state, lengths, m, cap, False, out, np.empty(2, np.int32))
        return out

    perms = []
    for s in range(sym_map.shape[0]):
        row = []
        for m in range(12):
            fits = [m2 for m2 in range(12)
                    if all(np.array_equal(image(child(x, m), s), child(image(x, s), m2))
                           for x in states)]
            if len(fits) != 1:
                raise RuntimeError(f"relabeling {s}: move {m} has {len(fits)} images")
            row.append(fits[0])
        perms.append(tuple(row))
    return tuple(perms)


def images(gram: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The distinct images of an n-gram under the 16 relabelings, sorted."""
    return sorted({tuple(p[m] for m in gram) for p in move_permutations()})


def orbit_key(gram: tuple[int, ...]) -> tuple[int, ...]:
    """The smallest image: one key per symmetry orbit of n-grams."""
    return images(gram)[0]


def _reducible(gram: tuple[int, ...]) -> bool:
    return any(INVERSE[a] == b for a, b in zip(gram, gram[1:], strict=False))


def count_orbits(paths, max_len: int) -> Counter:
    """Occurrences of every n-gram orbit (2 <= n <= ``max_len``) over ``paths`` (an iterable
    of move sequences), inverse-pair n-grams left out."""
    raw: Counter = Counter()
    for path in paths:
        p = tuple(path)
        for n in range(2, max_len + 1):
            for i in range(len(p) - n + 1):
                gram = p[i:i + n]
                if not _reducible(gram):
                    raw[gram] += 1
    orbits: Counter = Counter()
    for gram in sorted(raw):
        orbits[orbit_key(gram)] += raw[gram]
    return orbits


def mine_supermoves(paths, max_len: int = 4, max_supermoves: int = 32) -> list[tuple[int, ...]]:
    """The supermoves for one fold: every image of the best-ranked orbits (see the module
    docstring), at most ``max_supermoves`` of them, in rank order then image order."""
    if max_len < 2:
        raise ValueError(f"max_len must be >= 2 (a supermove is 2+ moves), got {max_len}")
    if max_supermoves < 1:
        raise ValueError(f"max_supermoves must be >= 1, got {max_supermoves}")
    orbits = count_orbits(paths, max_len)
    ranked = sorted(orbits.items(), key=lambda kv: (-kv[1] * (len(kv[0]) - 1), kv[0]))
    chosen: list[tuple[int, ...]] = []
    for key, _ in ranked:
        imgs = images(key)
        if len(chosen) + len(imgs) > max_supermoves:
            continue
        chosen.extend(imgs)
        if len(chosen) == max_supermoves:
            break
    return chosen


def fold_supermoves(fold: int, folds: int = 5, max_len: int = 4,
                    max_supermoves: int = 32) -> list[tuple[int, ...]]:
    """Supermoves for presentations of ``fold``, mined from the corpus paths of the other
    folds only (k-fold hygiene; :meth:`.corpus.Corpus.training_paths`)."""
    from mathgym.agents.search.supermoves.corpus import load_corpus

    train = load_corpus().training_paths(fold, folds)
    paths = [p for iid in sorted(train) for p in train[iid]]
    return mine_supermoves(paths, max_len, max_supermoves)
