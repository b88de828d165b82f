"""Probability: sequences drawn without replacement."""

from __future__ import annotations

import random
from fractions import Fraction

from mathgym.envs.reasoning.generators.common import num_text
from mathgym.envs.reasoning.registry import Draft, register

_WORDS = {2: "Two", 3: "Three", 4: "Four"}


@register(
    "swr_p_sequence",
    knobs="2/2/3/3/4 letter kinds, 4-6/5-10/6-12/8-15/10-20 letters in the bag, "
    "sequence length 2/2/2/3/4",
)
def swr_p_sequence(rng: random.Random, difficulty: int) -> Draft:
    """Probability of drawing a given letter sequence without replacement."""
    kinds = (2, 2, 3, 3, 4)[difficulty - 1]
    lo, hi = ((4, 6), (5, 10), (6, 12), (8, 15), (10, 20))[difficulty - 1]
    length = (2, 2, 2, 3, 4)[difficulty - 1]
    letters = sorted(rng.sample("abcdefghijklmnopqrstuvwxyz", kinds))
    total = rng.randint(max(lo, kinds), hi)
    counts = {letter: 1 for letter in letters}
    for _ in range(total - kinds):
        counts[rng.choice(letters)] += 1
    seq = [rng.choice(letters) for _ in range(length)]
    left = dict(counts)
    p = Fraction(1)
    remaining = total
    for letter in seq:
        p *= Fraction(left[letter], remaining)
        left[letter] = max(left[letter] - 1, 0)
        remaining -= 1
    bag = ", ".join(f"{k}: {counts[k]}" for k in letters)
    return Draft(
        question=f"{_WORDS[length]} letters picked without replacement from {{{bag}}}. "
        f"What is prob of sequence {''.join(seq)}?",
        answer=num_text(p),
        answer_type="rational",
        data={"counts": [[k, counts[k]] for k in letters], "sequence": seq},
    )
