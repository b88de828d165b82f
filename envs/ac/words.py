"""Words in a free group, in AC-Solver's letter encoding, and their text form.

Generator ``g`` is the int ``g`` (x = 1, y = 2, z = 3, ...), its inverse is ``-g``; 0 is only
padding in arrays. Text names are ``x``, ``y``, ``z`` for presentations with at most three
generators and ``g1``, ``g2``, ... beyond that (``g1`` = ``x``, always accepted when parsing).
Plain Python, no numpy, so the verifier can use it.
"""

from __future__ import annotations

from collections.abc import Sequence

Word = tuple[int, ...]

#: Short names of the first generators.
SHORT_NAMES = ("x", "y", "z")


def free_reduce(word: Sequence[int]) -> Word:
    """Cancel adjacent inverse letters until none are left (the free-group normal form)."""
    out: list[int] = []
    for letter in word:
        if out and out[-1] == -letter:
            out.pop()
        else:
            out.append(letter)
    return tuple(out)


def cyclic_reduce(word: Sequence[int]) -> Word:
    """Freely reduce, then strip matching inverse letters from both ends (AC-Solver's order)."""
    w = free_reduce(word)
    p = 0
    while p < len(w) // 2 and w[p] == -w[len(w) - 1 - p]:
        p += 1
    return w[p : len(w) - p]


def invert(word: Sequence[int]) -> Word:
    """The inverse word: reversed, every letter negated."""
    return tuple(-letter for letter in reversed(word))


def generator_name(generator: int, num_generators: int) -> str:
    """Name of generator ``generator`` (1-based, positive) in a ``num_generators`` presentation."""
    if num_generators <= len(SHORT_NAMES):
        return SHORT_NAMES[generator - 1]
    return f"g{generator}"


def format_letter(letter: int, num_generators: int, exponent: int | None = None) -> str:
    """``x``, ``x^-1``, or with an explicit exponent ``x^3`` / ``y^-4``."""
    e = (1 if letter > 0 else -1) if exponent is None else exponent
    name = generator_name(abs(letter), num_generators)
    return name if e == 1 else f"{name}^{e}"


def format_word(word: Sequence[int], num_generators: int) -> str:
    """Text of a word with runs written as powers, e.g. ``x^3 y^-4``; parses back exactly."""
    parts: list[str] = []
    pos = 0
    while pos < len(word):
        letter = word[pos]
        run = 1
        while pos + run < len(word) and word[pos + run] == letter:
            run += 1
        parts.append(format_letter(abs(letter), num_generators, run if letter > 0 else -run))
        pos += run
    return " ".join(parts)
