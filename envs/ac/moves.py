"""The Andrews–Curtis move table: ids, meaning and names, for any number of relators ``k >= 2``.

For ``k = 2`` the ids are exactly AC-Solver's (``ac_solver.envs.ac_moves.ACMove``):

====  ==================  ====  ==================  ====  ==================
 id   move                 id   move                 id   move
====  ==================  ====  ==================  ====  ==================
 0    r1 <- r1 r0          4    r1 <- x^-1 r1 x      8    r1 <- x r1 x^-1
 1    r0 <- r0 r1^-1       5    r0 <- y^-1 r0 y      9    r0 <- y r0 y^-1
 2    r1 <- r1 r0^-1       6    r1 <- y^-1 r1 y      10   r1 <- y r1 y^-1
 3    r0 <- r0 r1          7    r0 <- x r0 x^-1      11   r0 <- x^-1 r0 x
====  ==================  ====  ==================  ====  ==================

General ``k`` (the same rule gives the table above at ``k = 2``):

* ids ``0 .. C-1`` with ``C = 2k(k-1)`` are concatenations ``r_i <- r_i r_j^s``. Let
  ``t = (id + 1) mod C``; then ``i = t mod k``, ``d = (t // k) mod (k-1)``,
  ``j = (i + 1 + d) mod k`` and ``s = +1`` if ``t // (k(k-1)) == 0`` else ``-1``.
* ids ``C .. C+G-1`` with ``G = 2k^2`` are conjugations ``r_i <- g r_i g^-1``. Let
  ``t = (id + 1) mod G``; then ``i = t mod k``, generator ``|g| = (t // k) mod k + 1`` and
  ``g > 0`` if ``t // k^2 == 0`` else ``g < 0``.
* with ``inversions=True``, ids ``C+G .. C+G+k-1`` are ``r_i <- r_i^-1`` for ``i = 0..k-1``.

So there are ``4k^2 - 2k`` AC' moves (12 for ``k = 2``, 30 for ``k = 3``), plus ``k`` inversions.
Each AC' move has an inverse move (:func:`inverse_move`); for ``k = 2`` the pairs are
0<->2, 1<->3, 4<->8, 5<->9, 6<->10, 7<->11. Plain Python, no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

from mathgym.envs.ac.words import format_letter

#: Kinds of move, in the order of their id blocks.
CONCAT, CONJ, INVERT = "concat", "conj", "invert"

#: For k = 2: move id -> its inverse move id.
INVERSE_PAIRS_K2 = ((0, 2), (1, 3), (4, 8), (5, 9), (6, 10), (7, 11))


@dataclass(frozen=True)
class Move:
    """One decoded move.

    ``kind`` is ``"concat"`` (``r_i <- r_i r_j^sign``; ``other`` = j), ``"conj"``
    (``r_i <- g r_i g^-1``; ``other`` = signed generator g, ``sign`` = 0) or ``"invert"``
    (``r_i <- r_i^-1``; ``other`` = ``sign`` = 0).
    """

    kind: str
    i: int
    other: int
    sign: int


def num_concat_moves(num_generators: int) -> int:
    """``2k(k-1)`` concatenation moves."""
    return 2 * num_generators * (num_generators - 1)


def num_conj_moves(num_generators: int) -> int:
    """``2k^2`` conjugation moves."""
    return 2 * num_generators * num_generators


def num_moves(num_generators: int, inversions: bool = False) -> int:
    """Number of move ids: ``4k^2 - 2k`` AC' moves, plus ``k`` inversion moves if enabled."""
    _check_k(num_generators)
    k = num_generators
    return 4 * k * k - 2 * k + (k if inversions else 0)


def _check_k(num_generators: int) -> None:
    if isinstance(num_generators, bool) or not isinstance(num_generators, int):
        raise ValueError(f"num_generators must be an int >= 2, got {num_generators!r}")
    if num_generators < 2:
        raise ValueError(f"num_generators must be >= 2, got {num_generators}")


def decode_move(move: int, num_generators: int) -> tuple[str, int, int, int]:
    """Decode a move id into ``(kind, i, other, sign)`` (see :class:`Move` and the module doc).

    Ids of inversion moves decode too; whether they are allowed is the caller's choice.
    """
    _check_k(num_generators)
    k = num_generators
    n_concat = num_concat_moves(k)
    n_conj = num_conj_moves(k)
    if isinstance(move, bool) or not 0 <= move < n_concat + n_conj + k:
        raise ValueError(
            f"move id {move!r} is out of range for {k} generators: use 0..{n_concat + n_conj - 1}"
            f" (or up to {n_concat + n_conj + k - 1} with inversion moves)"
        )
    move = int(move)
    if move < n_concat:
        t = (move + 1) % n_concat
        i = t % k
        t //= k
        j = (i + 1 + t % (k - 1)) % k
        return (CONCAT, i, j, -1 if t // (k - 1) else 1)
    if move < n_concat + n_conj:
        t = (move + 1) % n_conj
        i = t % k
        t //= k
        gen = t % k + 1
        return (CONJ, i, -gen if t // k else gen, 0)
    return (INVERT, move - n_concat - n_conj, 0, 0)


def move(move_id: int, num_generators: int = 2) -> Move:
    """The :class:`Move` with id ``move_id``."""
    return Move(*decode_move(move_id, num_generators))


def encode_move(
    kind: str, i: int, other: int = 0, sign: int = 0, *, num_generators: int = 2
) -> int:
    """Inverse of :func:`decode_move`: the id of a move given by its parts."""
    _check_k(num_generators)
    k = num_generators
    if not 0 <= i < k:
        raise ValueError(f"relator index {i} out of range 0..{k - 1}")
    n_concat, n_conj = num_concat_moves(k), num_conj_moves(k)
    if kind == CONCAT:
        if not 0 <= other < k or other == i or sign not in (1, -1):
            raise ValueError(f"concatenation r{i} <- r{i} r{other}^{sign} is not an AC move")
        t = i + k * ((other - i - 1) % k) + k * (k - 1) * (0 if sign == 1 else 1)
        return (t - 1) % n_concat
    if kind == CONJ:
        if other == 0 or abs(other) > k:
            raise ValueError(f"generator {other} out of range for {k} generators")
        t = i + k * (abs(other) - 1) + k * k * (0 if other > 0 else 1)
        return n_concat + (t - 1 - n_concat) % n_conj
    if kind == INVERT:
        return n_concat + n_conj + i
    raise ValueError(f"unknown move kind {kind!r}; use 'concat', 'conj' or 'invert'")


def move_table(num_generators: int = 2, inversions: bool = False) -> tuple[Move, ...]:
    """Every move, indexed by id."""
    return tuple(move(m, num_generators) for m in range(num_moves(num_generators, inversions)))


def move_name(move_id: int, num_generators: int = 2) -> str:
    """Written form, e.g. ``r1 <- r1 r0^-1``, ``r1 <- x^-1 r1 x``, ``r0 <- r0^-1``."""
    kind, i, other, sign = decode_move(move_id, num_generators)
    if kind == CONCAT:
        return f"r{i} <- r{i} r{other}" + ("" if sign == 1 else "^-1")
    if kind == CONJ:
        g = format_letter(other, num_generators)
        g_inv = format_letter(-other, num_generators)
        return f"r{i} <- {g} r{i} {g_inv}"
    return f"r{i} <- r{i}^-1"


def inverse_move(move_id: int, num_generators: int = 2) -> int:
    """The move that undoes ``move_id`` whenever neither hits the cap (inversions: itself)."""
    kind, i, other, sign = decode_move(move_id, num_generators)
    if kind == CONCAT:
        return encode_move(CONCAT, i, other, -sign, num_generators=num_generators)
    if kind == CONJ:
        return encode_move(CONJ, i, -other, num_generators=num_generators)
    return move_id
