"""One uint64 per orbit: a bijective code for a pair of freely reduced relators, and the
compiled expansion that turns a block of parent codes into canonical child codes.

Why a rank code, not the engine's 3-bit packing
    The engine packs ``2 * cap`` letters at 3 bits each (two uint64 words from cap 11 on).
    Here each relator is ranked among the freely reduced words over ``x, X, y, Y`` (there are
    ``4 * 3**(n - 1)`` of length ``n``, so ``N = 2 * (3**cap - 1)`` non-empty ones up to the
    cap) and a state is ``rank(r0) * N + rank(r1)``: one uint64 for every cap up to 19
    (``N**2 < 2**64``), half the bytes, and numpy's plain ``sort``/``unique``/``searchsorted``
    work on it directly. The order of codes is not AC-Solver's tuple order; delayed duplicate
    detection needs only *some* total order, identical in every process (pure integer
    arithmetic, no hashing, so no dependence on PYTHONHASHSEED).

Rank of a word ``w`` of length ``n``
    ``offset(n) + i(w0) * 3**(n-1) + sum_j c_j * 3**(n-1-j)`` with ``offset(n) = 2 * (3**(n-1)
    - 1)`` (words shorter than ``n``), ``i`` the letter index (x, X, y, Y = 0, 1, 2, 3) and
    ``c_j`` the index of ``w_j`` among the three letters allowed after ``w_{j-1}`` (all but its
    inverse). :func:`decode_state` inverts it; ``tests/search/test_external_bfs.py`` checks the
    round trip.
"""

from __future__ import annotations

import numpy as np
from mathgym.agents.search.symmetry import canonicalize
from mathgym.envs.ac.kernels import apply_move
from numba import njit

#: Largest cap whose state code fits one uint64 (``(2 * (3**cap - 1))**2 < 2**64``).
MAX_CAP = 19

_LETTER_INDEX = np.array([3, 1, 0, 0, 2], dtype=np.int64)  # letter + 2 -> x,X,y,Y = 0,1,2,3
_INDEX_LETTER = np.array([1, -1, 2, -2], dtype=np.int8)


def words_up_to(cap: int) -> int:
    """``N``: the number of non-empty freely reduced words of length <= ``cap`` on 2 letters."""
    return 2 * (3**cap - 1)


def check_cap(cap: int) -> int:
    """``cap`` as an int, or ValueError saying which caps the one-word code supports."""
    if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)):
        raise ValueError(f"cap must be an int, got {cap!r}")
    if not 1 <= int(cap) <= MAX_CAP:
        raise ValueError(
            f"cap {cap} is out of range: the external BFS codes a state in one uint64, which "
            f"holds caps 1..{MAX_CAP}; pass --cap between 1 and {MAX_CAP}"
        )
    return int(cap)


@njit(cache=True)
def _rank_word(state, base, n):
    inv_prev = -1
    rank = 0
    for j in range(n):
        idx = _LETTER_INDEX[state[base + j] + 2]
        if j == 0:
            rank = idx
        else:
            c = idx if idx < inv_prev else idx - 1
            rank = rank * 3 + c
        inv_prev = idx ^ 1
    return 2 * (3 ** (n - 1) - 1) + rank


@njit(cache=True)
def _unrank_word(rank, state, base, cap):
    n = 1
    while 2 * (3**n - 1) <= rank:
        n += 1
    r = rank - 2 * (3 ** (n - 1) - 1)
    digits = np.empty(n, np.int64)
    for j in range(n - 1, 0, -1):
        digits[j] = r % 3
        r //= 3
    digits[0] = r
    inv_prev = -1
    for j in range(n):
        if j == 0:
            idx = digits[0]
        else:
            c = digits[j]
            idx = c if c < inv_prev else c + 1
        state[base + j] = _INDEX_LETTER[idx]
        inv_prev = idx ^ 1
    for j in range(n, cap):
        state[base + j] = 0
    return n


@njit(cache=True)
def _length(state, base, cap):
    n = 0
    while n < cap and state[base + n] != 0:
        n += 1
    return n


@njit(cache=True)
def encode(state, cap, n_words):
    """Code of the flat int8 state (relators freely reduced and non-empty). Lengths are read
    from the zero padding, so a relabeling that swapped the relators cannot mislead it."""
    a = _rank_word(state, 0, _length(state, 0, cap))
    b = _rank_word(state, cap, _length(state, cap, cap))
    return np.uint64(a) * np.uint64(n_words) + np.uint64(b)


@njit(cache=True)
def decode(code, cap, n_words, state, lengths):
    """Inverse of :func:`encode`: write the state into ``state`` / ``lengths``."""
    a = np.int64(code // np.uint64(n_words))
    b = np.int64(code - np.uint64(a) * np.uint64(n_words))
    lengths[0] = _unrank_word(a, state, 0, cap)
    lengths[1] = _unrank_word(b, state, cap, cap)


@njit(cache=True)
def expand_block(parents, cap, n_words, sym_map, sym_swap, out, stats):
    """Children of every parent code, canonicalized, as codes in ``out`` (int count returned).

    Moves that are no-ops (beyond the cap) are skipped. ``stats`` (int64[4]) receives: the
    minimal total length among the parents, the minimal total length among the children, and
    for the first trivial child found (total length 2) its parent's index and move, else -1.
    """
    size = 2 * cap
    state = np.empty(size, np.int8)
    child = np.empty(size, np.int8)
    tmp = np.empty(size, np.int8)
    plen = np.empty(2, np.int32)
    clen = np.empty(2, np.int32)
    count = 0
    stats[0] = 1 << 30
    stats[1] = 1 << 30
    stats[2] = -1
    stats[3] = -1
    for p in range(parents.shape[0]):
        decode(parents[p], cap, n_words, state, plen)
        if plen[0] + plen[1] < stats[0]:
            stats[0] = plen[0] + plen[1]
        for m in range(12):
            child[:] = state
            clen[0] = plen[0]
            clen[1] = plen[1]
            if not apply_move(child, clen, m, 2, cap, False):
                continue
            total = clen[0] + clen[1]
            if total < stats[1]:
                stats[1] = total
            if total == 2 and stats[2] < 0:
                stats[2] = p
                stats[3] = m
            canonicalize(child, cap, sym_map, sym_swap, tmp)
            out[count] = encode(child, cap, n_words)
            count += 1
    return count


def encode_state(flat: np.ndarray, cap: int) -> int:
    """Code of a flat int8 state (Python convenience; tests and path reconstruction)."""
    state = np.ascontiguousarray(flat, dtype=np.int8)
    return int(encode(state, cap, np.uint64(words_up_to(cap))))


def decode_state(code: int, cap: int) -> np.ndarray:
    """The flat int8 state of a code."""
    state = np.empty(2 * cap, np.int8)
    lengths = np.empty(2, np.int32)
    decode(np.uint64(code), cap, np.uint64(words_up_to(cap)), state, lengths)
    return state


@njit(cache=True)
def undirected_violations(codes, cap, n_words):
    """How many (state, move) pairs of ``codes`` break the inverse property the delayed
    duplicate detection relies on: the move is applied but its inverse move
    (0<->2, 1<->3, 4<->8, 5<->9, 6<->10, 7<->11) does not bring the child back (plain states,
    no relabeling). 0 means every edge from these states is undirected."""
    inverse = np.array([2, 3, 0, 1, 8, 9, 10, 11, 4, 5, 6, 7], dtype=np.int64)
    size = 2 * cap
    state = np.empty(size, np.int8)
    child = np.empty(size, np.int8)
    lengths = np.empty(2, np.int32)
    clen = np.empty(2, np.int32)
    bad = 0
    for p in range(codes.shape[0]):
        decode(codes[p], cap, n_words, state, lengths)
        for m in range(12):
            child[:] = state
            clen[0] = lengths[0]
            clen[1] = lengths[1]
            if not apply_move(child, clen, m, 2, cap, False):
                continue
            if not apply_move(child, clen, inverse[m], 2, cap, False):
                bad += 1
                continue
            for j in range(size):
                if child[j] != state[j]:
                    bad += 1
                    break
    return bad
