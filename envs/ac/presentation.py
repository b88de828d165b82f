"""Balanced group presentations: parsing, text form and AC-Solver's flat array layout.

A balanced presentation has ``k >= 2`` generators and ``k`` relators. Letters use AC-Solver's
encoding (x = 1, y = 2, z = 3, ..., inverses negative). AC-Solver stores a presentation as one
flat array of ``k * max_relator_length`` ints, relator ``i`` in block ``i``, zero-padded on the
right: AK(2) at cap 7 is ``[1, 1, -2, -2, -2, 0, 0, 1, 2, 1, -2, -1, -2, 0]``.

Relators are freely reduced on construction (AC-Solver's moves assume freely reduced input).
Bad input raises :class:`ValueError` naming the problem and where it is. Imports no numba.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from mathgym.envs.ac.reference import exponent_determinant, exponent_matrix
from mathgym.envs.ac.words import Word, format_word, free_reduce

_SYNTAX_HELP = (
    "write relators as words in x, y, z (or g1, g2, ...) with optional integer exponents "
    "such as x^3 or y^-1, separated by commas, e.g. 'x^3 y^-4, x y x y^-1 x^-1 y^-1'"
)
_LETTER = re.compile(r"(?:([xyz])|g(\d+))(?:\^\(?([+-]?\d+)\)?)?")
_SKIP = " \t\r\n*·."
_LABEL = re.compile(r"\s*r\d+\s*=")


def _exponent_error(text: str, piece: str, caret: int, base: int, relator: int) -> str:
    """The message for a ``^`` not followed by an integer exponent (``"x^2 y^"``)."""
    after = piece[caret + 1:].lstrip("(")
    found = "the end of the relator" if not after.strip() else f"{after.strip()[0]!r}"
    return (f"'^' at position {base + caret} (relator {relator}) in {text!r} must be followed "
            f"by an integer exponent such as ^2, ^-1 or ^(-1); found {found}")


@dataclass(frozen=True)
class Presentation:
    """A balanced presentation: ``relators`` is a tuple of ``k`` non-empty freely reduced words.

    Frozen and hashable. ``str(p)`` is its text form, which :meth:`parse` reads back to ``p``.
    """

    relators: tuple[Word, ...]

    def __post_init__(self) -> None:
        rels = self.relators
        if isinstance(rels, str | bytes) or not isinstance(rels, Sequence):
            raise ValueError(f"relators must be a sequence of words, got {type(rels).__name__}")
        k = len(rels)
        if k < 2:
            raise ValueError(
                f"a balanced presentation needs at least 2 relators (one per generator), got {k}"
            )
        reduced = []
        for i, word in enumerate(rels):
            if isinstance(word, str | bytes) or not isinstance(word, Sequence | np.ndarray):
                raise ValueError(f"relator {i} must be a sequence of ints, got {word!r}")
            letters = []
            for pos, letter in enumerate(word):
                if isinstance(letter, bool) or not isinstance(letter, int | np.integer):
                    raise ValueError(f"relator {i} position {pos}: {letter!r} is not an int letter")
                letter = int(letter)
                if letter == 0 or abs(letter) > k:
                    raise ValueError(
                        f"relator {i} position {pos}: letter {letter} is not a generator of a "
                        f"{k}-generator presentation; use ±1..±{k} (0 is only array padding)"
                    )
                letters.append(letter)
            w = free_reduce(letters)
            if not w:
                raise ValueError(
                    f"relator {i} is empty (after free reduction of {tuple(letters)}); "
                    "every relator must be a non-trivial word"
                )
            reduced.append(w)
        object.__setattr__(self, "relators", tuple(reduced))

    # -- basic properties -------------------------------------------------------------------
    @property
    def num_generators(self) -> int:
        """Number of generators (= number of relators)."""
        return len(self.relators)

    @property
    def num_relators(self) -> int:
        """Number of relators (= number of generators)."""
        return len(self.relators)

    @property
    def lengths(self) -> tuple[int, ...]:
        """Length of every relator."""
        return tuple(len(r) for r in self.relators)

    @property
    def total_length(self) -> int:
        """Sum of the relator lengths."""
        return sum(self.lengths)

    @property
    def max_length(self) -> int:
        """Length of the longest relator (the smallest cap that fits it)."""
        return max(self.lengths)

    @property
    def is_trivial(self) -> bool:
        """Every relator has length 1 (AC-Solver's solved test)."""
        return all(len(r) == 1 for r in self.relators)

    @property
    def exponent_matrix(self) -> list[list[int]]:
        """Exponent sums: row = relator, column = generator."""
        return exponent_matrix(self.relators)

    @property
    def exponent_determinant(self) -> int:
        """Determinant of :attr:`exponent_matrix` (preserved by every AC' move)."""
        return exponent_determinant(self.relators)

    def __str__(self) -> str:
        return ", ".join(format_word(r, self.num_generators) for r in self.relators)

    # -- text -------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Presentation:
        """Read ``"x^3 y^-4, x y x y^-1 x^-1 y^-1"``.

        Relators are separated by ``,`` or ``;``; the number of relators is the number of
        generators. Also accepted: ``<x, y | r0, r1>``, labels ``r0 = ...`` (the text view),
        ``*``/``·``/``.`` between letters, exponents as ``^-1`` or ``^(-1)``.
        """
        if not isinstance(text, str):
            raise ValueError(f"expected presentation text, got {type(text).__name__}")
        body, offset = text, 0
        stripped = text.strip()
        if stripped.startswith("<") and stripped.endswith(">"):
            bar = text.find("|")
            if bar < 0:
                raise ValueError(f"'<...>' presentation without '|' in {text!r}; {_SYNTAX_HELP}")
            offset = bar + 1
            body = text[offset : text.rindex(">")]
        pieces: list[tuple[str, int]] = []
        start = 0
        for pos, ch in enumerate(body + ","):
            if ch in ",;":
                pieces.append((body[start:pos], offset + start))
                start = pos + 1
        if len(pieces) > 1 and not pieces[-1][0].strip():
            pieces.pop()  # tolerate one trailing separator
        k = len(pieces)
        relators = []
        for i, (piece, base) in enumerate(pieces):
            label = _LABEL.match(piece)
            pos = label.end() if label else 0
            word: list[int] = []
            while pos < len(piece):
                if piece[pos] in _SKIP:
                    pos += 1
                    continue
                if piece[pos] == "^":
                    raise ValueError(
                        f"exponent '^' at position {base + pos} (relator {i}) in {text!r} "
                        "has no letter before it; write the letter first, e.g. y^2"
                    )
                m = _LETTER.match(piece, pos)
                if m is not None and m.group(3) is None and piece.startswith("^", m.end()):
                    raise ValueError(_exponent_error(text, piece, m.end(), base, i))
                if m is None:
                    raise ValueError(
                        f"unknown letter {piece[pos]!r} at position {base + pos} (relator {i}) "
                        f"in {text!r}; {_SYNTAX_HELP}"
                    )
                gen = "xyz".index(m.group(1)) + 1 if m.group(1) else int(m.group(2))
                exp = int(m.group(3)) if m.group(3) is not None else 1
                if gen < 1 or gen > k:
                    raise ValueError(
                        f"generator {m.group(0)!r} at position {base + pos} (relator {i}) in "
                        f"{text!r} is not one of the {k} generators of a {k}-relator "
                        "presentation (balanced: one generator per relator)"
                    )
                if exp == 0:
                    raise ValueError(
                        f"exponent 0 at position {base + pos} (relator {i}) in {text!r}; "
                        "leave the letter out instead"
                    )
                word.extend([gen if exp > 0 else -gen] * abs(exp))
                pos = m.end()
            if not word:
                raise ValueError(f"relator {i} (at position {base}) is empty in {text!r}")
            relators.append(tuple(word))
        if k < 2:
            raise ValueError(f"need at least 2 relators separated by ',' in {text!r}")
        return cls(tuple(relators))

    # -- arrays -----------------------------------------------------------------------------
    @classmethod
    def from_array(cls, array: Any, num_relators: int = 2) -> Presentation:
        """Read AC-Solver's flat zero-padded array (or a ``(num_relators, cap)`` 2-D array)."""
        try:
            a = np.asarray(array)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"ragged array: {exc}; pass a flat list or equal-length rows") from exc
        if a.dtype == object:
            raise ValueError("ragged array: rows have different lengths; pad them with zeros")
        if a.ndim == 2:
            num_relators = a.shape[0]
            a = a.reshape(-1)
        if a.ndim != 1:
            raise ValueError(f"expected a flat array (or one row per relator), got shape {a.shape}")
        if a.size and not np.issubdtype(a.dtype, np.integer):
            if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
                raise ValueError(f"array entries must be integers, got dtype {a.dtype}")
            a = a.astype(np.int64)
        if num_relators < 2:
            raise ValueError(f"num_relators must be >= 2, got {num_relators}")
        if a.size == 0 or a.size % num_relators:
            raise ValueError(
                f"array length {a.size} is not a positive multiple of num_relators={num_relators} "
                "(AC-Solver layout: one block of max_relator_length per relator)"
            )
        cap = a.size // num_relators
        relators = []
        for i in range(num_relators):
            block = [int(v) for v in a[i * cap : (i + 1) * cap]]
            n = 0
            while n < cap and block[n] != 0:
                n += 1
            for pos in range(n, cap):
                if block[pos] != 0:
                    raise ValueError(
                        f"relator {i}: non-zero entry {block[pos]} at array position "
                        f"{i * cap + pos} after zero padding at {i * cap + n}; zeros must only "
                        "pad the right end of each block"
                    )
            if n == 0:
                raise ValueError(f"relator {i} (array positions {i * cap}..) is empty")
            for pos, v in enumerate(block[:n]):
                if abs(v) > num_relators:
                    raise ValueError(
                        f"relator {i}: letter {v} at array position {i * cap + pos} is not a "
                        f"generator; use ±1..±{num_relators}"
                    )
            relators.append(tuple(block[:n]))
        return cls(tuple(relators))

    def to_array(self, max_relator_length: int) -> np.ndarray:
        """AC-Solver's flat ``int8`` array with ``max_relator_length`` entries per relator."""
        if isinstance(max_relator_length, bool) or not isinstance(
            max_relator_length, int | np.integer
        ):
            raise ValueError(f"max_relator_length must be an int, got {max_relator_length!r}")
        out = np.zeros(self.num_relators * max_relator_length, dtype=np.int8)
        for i, r in enumerate(self.relators):
            if len(r) > max_relator_length:
                raise ValueError(
                    f"relator {i} has length {len(r)} > max_relator_length={max_relator_length};"
                    f" use a cap of at least {self.max_length}"
                )
            out[i * max_relator_length : i * max_relator_length + len(r)] = r
        return out


def _is_word(obj: Any) -> bool:
    return isinstance(obj, Sequence | np.ndarray) and not isinstance(obj, str | bytes)


def as_presentation(obj: Any, num_relators: int = 2) -> Presentation:
    """Accept text, a :class:`Presentation`, relator sequences or an AC-Solver array.

    A flat sequence of ints (or a 1-D array) is read as AC-Solver's layout with
    ``num_relators`` blocks; a sequence of sequences is read as the relators themselves.
    """
    if isinstance(obj, Presentation):
        return obj
    if isinstance(obj, str):
        return Presentation.parse(obj)
    if isinstance(obj, np.ndarray):
        return Presentation.from_array(obj, num_relators)
    if _is_word(obj):
        items = list(obj)
        if items and all(_is_word(r) for r in items):
            return Presentation(tuple(tuple(r) for r in items))
        if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items):
            return Presentation.from_array(items, num_relators)
        raise ValueError(
            "mixed sequence: give either a list of relators (lists of ints) or one flat "
            "AC-Solver array of ints"
        )
    raise ValueError(
        f"cannot read a presentation from {type(obj).__name__}; give text such as "
        "'x^2 y^-3, x y x y^-1 x^-1 y^-1', a Presentation, relator lists or an AC-Solver array"
    )
