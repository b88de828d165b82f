"""Shared hypothesis strategies and helpers for the AC tests (not a test module)."""

from __future__ import annotations

import random

from hypothesis import strategies as st
from mathgym.envs.ac.words import free_reduce


def reduced_word(draw, k: int, max_len: int) -> tuple[int, ...]:
    letters = [g for g in range(1, k + 1)] + [-g for g in range(1, k + 1)]
    while True:
        w = free_reduce(draw(st.lists(st.sampled_from(letters), min_size=1, max_size=max_len)))
        if w:
            return w


@st.composite
def presentations(draw, k: int = 2, max_len: int = 10):
    """Tuples of ``k`` non-empty freely reduced words of length <= max_len."""
    return tuple(reduced_word(draw, k, max_len) for _ in range(k))


def random_reduced_word(rng: random.Random, k: int, length: int) -> tuple[int, ...]:
    """A freely reduced word of exactly ``length`` letters (no cancellation while drawing)."""
    out: list[int] = []
    while len(out) < length:
        g = rng.choice([1, -1]) * rng.randint(1, k)
        if not out or out[-1] != -g:
            out.append(g)
    return tuple(out)
