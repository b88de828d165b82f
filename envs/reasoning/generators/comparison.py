"""Comparison: the closest value, the k-th biggest value, sorting."""

from __future__ import annotations

import random
from fractions import Fraction

from mathgym.envs.reasoning.generators.common import element, num_json, num_text, ordinal
from mathgym.envs.reasoning.registry import Draft, register


def _values(rng: random.Random, difficulty: int, count: int) -> list[Fraction]:
    """``count`` distinct rationals: integers (levels 1-2), then with denominators <= 2..5."""
    m = (10, 50, 20, 50, 100)[difficulty - 1]
    max_den = (1, 1, 2, 4, 5)[difficulty - 1]
    seen: set[Fraction] = set()
    out: list[Fraction] = []
    while len(out) < count:
        v = Fraction(rng.randint(-m, m), rng.randint(1, max_den))
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _elements(values: list[Fraction]) -> list[dict]:
    return [element("list", values=[num_json(v) for v in values])]


_COUNT = (3, 4, 5, 6, 7)
_KNOBS = "3/4/5/6/7 values; integers up to 10/50 (levels 1-2), then rationals with " \
    "denominators up to 2/4/5"


@register("closest", knobs=_KNOBS)
def closest(rng: random.Random, difficulty: int) -> Draft:
    """Which of the values is closest to a target (a unique closest one)?"""
    while True:
        vals = _values(rng, difficulty, _COUNT[difficulty - 1] + 1)
        target, options = vals[0], vals[1:]
        dists = sorted(abs(v - target) for v in options)
        if dists[0] != dists[1]:
            break
    best = min(options, key=lambda v: abs(v - target))
    return Draft(
        question=f"Which is the closest to {num_text(target)} in "
        f"{', '.join(num_text(v) for v in options)}?",
        answer=num_text(best),
        answer_type="rational",
        data={"target": num_json(target), "values": [num_json(v) for v in options]},
    )


@register("kth_biggest", knobs=_KNOBS + "; k is 1 or 2 below level 3, any position above")
def kth_biggest(rng: random.Random, difficulty: int) -> Draft:
    """The k-th biggest (or smallest) of distinct values."""
    vals = _values(rng, difficulty, _COUNT[difficulty - 1])
    k = rng.randint(1, 2 if difficulty < 3 else len(vals))
    biggest = rng.random() < 0.5
    ordered = sorted(vals, reverse=biggest)
    word = "biggest" if biggest else "smallest"
    kth = "" if k == 1 else ordinal(k) + " "
    return Draft(
        question=f"What is the {kth}{word} value in {', '.join(num_text(v) for v in vals)}?",
        answer=num_text(ordered[k - 1]),
        answer_type="rational",
        data={"values": [num_json(v) for v in vals], "k": k, "biggest": biggest,
              "elements": _elements(vals) + [element("number", value=k)]},
    )


@register("sort", knobs=_KNOBS + "; increasing or decreasing order")
def sort(rng: random.Random, difficulty: int) -> Draft:
    """Sort distinct values in increasing or decreasing order."""
    vals = _values(rng, difficulty, _COUNT[difficulty - 1])
    decreasing = rng.random() < 0.5
    ordered = sorted(vals, reverse=decreasing)
    return Draft(
        question=f"Sort {', '.join(num_text(v) for v in vals)} in "
        f"{'decreasing' if decreasing else 'increasing'} order.",
        answer="[" + ", ".join(num_text(v) for v in ordered) + "]",
        answer_type="list",
        spec={"element_type": "rational"},
        data={"values": [num_json(v) for v in vals], "decreasing": decreasing,
              "elements": _elements(vals)},
    )
