"""Helpers shared by the generators: number/polynomial text, JSON facts, composition.

Question text uses the same notation the verifier reads in answers (``*``, ``**``, ``/``,
``sqrt``). Reference answers of expression type are ``str()`` of a sympy object; numbers are
rendered exactly as sympy prints them (``-3/4``), without building sympy objects on the hot path.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

#: Variable names a generator may draw (single lowercase letters that read unambiguously).
VARIABLE_NAMES: tuple[str, ...] = tuple("abcdfghjklmnpqrstuvwxyz")

Number = int | Fraction


def num_text(value: Number) -> str:
    """A rational as sympy's ``str`` prints it: ``5``, ``-3/4``."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def num_json(value: Number) -> int | list[int]:
    """A rational as JSON: an int, or ``[numerator, denominator]``."""
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else [value.numerator, value.denominator]


def num_from_json(value: int | list[int]) -> Fraction:
    """Inverse of :func:`num_json`."""
    if isinstance(value, list):
        return Fraction(value[0], value[1])
    return Fraction(value)


def paren(value: Number) -> str:
    """A number as an operand: negative numbers and fractions get parentheses."""
    text = num_text(value)
    return f"({text})" if (value < 0 or "/" in text) else text


def monomial_text(coef: Number, powers: dict[str, int] | list[tuple[str, int]]) -> str:
    """``coef*x**2*y`` with unit coefficients dropped; the sign stays in front."""
    items = powers.items() if isinstance(powers, dict) else powers
    factors = [v if p == 1 else f"{v}**{p}" for v, p in items if p]
    if not factors:
        return num_text(coef)
    body = "*".join(factors)
    if coef == 1:
        return body
    if coef == -1:
        return "-" + body
    c = num_text(coef)
    return f"{c}*{body}" if "/" not in c else f"({c})*{body}"


def join_terms(terms: list[str]) -> str:
    """Join signed term texts as ``a + b - c``."""
    if not terms:
        return "0"
    out = terms[0]
    for t in terms[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return out


def linear_text(coeffs: list[tuple[Number, str]], const: Number = 0) -> str:
    """``3*x - 2*y + 5`` from ``[(3, 'x'), (-2, 'y')]`` and 5; zero terms are skipped."""
    terms = [monomial_text(c, [(v, 1)]) for c, v in coeffs if c]
    if const or not terms:
        terms.append(num_text(const))
    return join_terms(terms)


def poly_text(var: str, coeffs: list[int]) -> str:
    """A univariate polynomial from coefficients, highest degree first."""
    n = len(coeffs) - 1
    terms = [monomial_text(c, [(var, n - i)]) for i, c in enumerate(coeffs) if c]
    return join_terms(terms)


def poly_json(variables: list[str], terms: list[tuple[Number, list[int]]]) -> dict[str, Any]:
    """A polynomial as JSON: variables and monomials ``[coefficient, [powers...]]``."""
    return {
        "vars": list(variables),
        "terms": [[num_json(c), list(p)] for c, p in terms if c],
    }


def upoly_json(var: str, coeffs: list[int]) -> dict[str, Any]:
    """A univariate polynomial (coefficients highest first) as :func:`poly_json`."""
    n = len(coeffs) - 1
    return poly_json([var], [(c, [n - i]) for i, c in enumerate(coeffs)])


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform nonzero integer in ``[lo, hi]``."""
    while True:
        v = rng.randint(lo, hi)
        if v:
            return v


def pick_names(rng: random.Random, k: int, avoid: tuple[str, ...] = ()) -> list[str]:
    """``k`` distinct variable names, none in ``avoid``."""
    pool = [v for v in VARIABLE_NAMES if v not in avoid]
    return rng.sample(pool, k)


def ordinal(k: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def element(kind: str, **fields: Any) -> dict[str, Any]:
    """A formal element of the question (number, variable, expression, equation) as JSON."""
    return {"type": kind, **fields}


# --------------------------------------------------------------------------- composition
def bind_integer(
    rng: random.Random, value: int, depth: int, avoid: tuple[str, ...] = ()
) -> tuple[list[str], str, list[dict[str, Any]]]:
    """Define a fresh variable equal to ``value`` through ``depth`` chained sub-problems.

    Returns ``(sentences, name, steps)``. Each step is JSON ``{"name", "op", "args"}`` with
    ``op`` in ``add``/``sub``/``mul`` (args are ints or earlier names) or ``solve`` (``args =
    [p, other, rhs]`` meaning ``p*name - other = rhs``), enough for an oracle to recompute the
    value. Depth 1 is an arithmetic definition; every further level wraps the previous value in
    a linear equation, so one answer feeds the next question.
    """
    names = pick_names(rng, depth, avoid)
    sentences: list[str] = []
    steps: list[dict[str, Any]] = []
    # Build from the innermost value outwards: level i defines names[i].
    values = [0] * depth
    values[-1] = value
    for i in range(depth - 2, -1, -1):
        values[i] = rng.randint(-12, 12)
    for i, name in enumerate(names):
        target = values[i]
        if i == 0:
            op = rng.choice(("add", "sub", "mul"))
            if op == "mul":
                divisors = [d for d in range(2, 10) if target % d == 0 and target]
                if not divisors:
                    op = "add"
                else:
                    a = rng.choice(divisors)
                    sentences.append(f"Let {name} = {a}*{paren(target // a)}.")
                    steps.append({"name": name, "op": "mul", "args": [a, target // a]})
                    continue
            a = rng.randint(-20, 20)
            if op == "add":
                b = target - a
                sentences.append(f"Let {name} = {a} + {paren(b)}.")
                steps.append({"name": name, "op": "add", "args": [a, b]})
            else:
                b = a - target
                sentences.append(f"Let {name} = {a} - {paren(b)}.")
                steps.append({"name": name, "op": "sub", "args": [a, b]})
        else:
            p = nonzero(rng, -6, 6)
            prev = names[i - 1]
            rhs = p * target - values[i - 1]
            lhs = monomial_text(p, [(name, 1)])
            sentences.append(f"Suppose {lhs} - {prev} = {rhs}.")
            steps.append({"name": name, "op": "solve", "args": [p, prev, rhs]})
    return sentences, names[-1], steps


def run_steps(steps: list[dict[str, Any]]) -> dict[str, Fraction]:
    """Recompute the values a :func:`bind_integer` chain defines (a plain reference)."""
    env: dict[str, Fraction] = {}

    def val(a: Any) -> Fraction:
        return env[a] if isinstance(a, str) else Fraction(a)

    for step in steps:
        a = step["args"]
        if step["op"] == "add":
            env[step["name"]] = val(a[0]) + val(a[1])
        elif step["op"] == "sub":
            env[step["name"]] = val(a[0]) - val(a[1])
        elif step["op"] == "mul":
            env[step["name"]] = val(a[0]) * val(a[1])
        elif step["op"] == "solve":
            env[step["name"]] = (val(a[2]) + val(a[1])) / val(a[0])
        else:
            raise ValueError(f"unknown composition op {step['op']!r}")
    return env
