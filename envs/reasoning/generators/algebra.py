"""Algebra: linear equations in one and two variables, polynomial roots, sequences.

Knobs per module are in each ``@register(knobs=...)``; ``docs/reasoning.md`` lists them.
"""

from __future__ import annotations

import random
from fractions import Fraction

import sympy
from mathgym.envs.reasoning.generators.common import (
    bind_integer,
    element,
    linear_text,
    monomial_text,
    nonzero,
    num_text,
    pick_names,
    poly_json,
    poly_text,
    upoly_json,
)
from mathgym.envs.reasoning.registry import Draft, register

_LINEAR_MAG = (5, 10, 20, 50, 100)


def _side_json(var: str, a: int, b: int) -> dict:
    return poly_json([var], [(a, [1]), (b, [0])])


def _linear_equation(rng: random.Random, difficulty: int, var: str, x0: Fraction):
    """Integers (a, b, c, d) with a*x0 + b = c*x0 + d and a != c."""
    m = _LINEAR_MAG[difficulty - 1]
    q = x0.denominator
    while True:
        k = nonzero(rng, -max(1, m // (5 * q)) - 1, max(1, m // (5 * q)) + 1)
        c = rng.randint(-m, m) if difficulty >= 3 else 0
        a = c + k * q
        if a:
            break
    b = rng.randint(-m, m)
    d = b + k * x0.numerator
    return a, b, c, d


def _linear_sides(rng: random.Random, var: str, a: int, b: int, c: int, d: int) -> tuple[str, str]:
    lhs_terms = [(a, var)]
    lhs = linear_text(lhs_terms, b)
    if rng.random() < 0.5 and b:
        lhs = f"{num_text(b)} + {monomial_text(a, [(var, 1)])}".replace("+ -", "- ")
    rhs = linear_text([(c, var)], d) if c else num_text(d)
    return lhs, rhs


@register(
    "linear_1d",
    knobs="|coefficients| <= 5/10/20/50/100; from level 3 the variable is on both sides; "
    "levels 4-5 have rational solutions (denominator <= 3, 5)",
)
def linear_1d(rng: random.Random, difficulty: int) -> Draft:
    """Solve ``a*x + b = c*x + d`` for ``x``."""
    (var,) = pick_names(rng, 1)
    m = _LINEAR_MAG[difficulty - 1]
    if difficulty >= 4:
        x0 = Fraction(rng.randint(-m // 5, m // 5), rng.randint(1, 3 if difficulty == 4 else 5))
    else:
        x0 = Fraction(rng.randint(-m, m))
    a, b, c, d = _linear_equation(rng, difficulty, var, x0)
    lhs, rhs = _linear_sides(rng, var, a, b, c, d)
    return Draft(
        question=f"Solve {lhs} = {rhs} for {var}.",
        answer=num_text(x0),
        answer_type="rational" if difficulty >= 4 else "integer",
        spec={"variables": [var]},  # "y = 3" does not answer "solve for x"
        data={
            "variable": var,
            "lhs": [a, b],
            "rhs": [c, d],
            "elements": [
                element("equation", lhs=_side_json(var, a, b), rhs=_side_json(var, c, d)),
                element("variable", name=var),
            ],
        },
    )


@register(
    "linear_1d_composed",
    knobs="as linear_1d at the same level; one coefficient is defined by a chain of "
    "1 (levels 1-2), 2 (3-4) or 3 (5) earlier sub-problems",
    composed=True,
)
def linear_1d_composed(rng: random.Random, difficulty: int) -> Draft:
    """A linear equation whose coefficient is the answer of earlier sub-problems."""
    (var,) = pick_names(rng, 1)
    x0 = Fraction(rng.randint(-_LINEAR_MAG[difficulty - 1], _LINEAR_MAG[difficulty - 1]))
    a, b, c, d = _linear_equation(rng, max(difficulty, 3), var, x0)
    if a == 0 or c == 0:
        c = c or 1
        a = a if a != c else a + 1
        d = (a - c) * int(x0) + b
    depth = (1, 1, 2, 2, 3)[difficulty - 1]
    sentences, name, steps = bind_integer(rng, a, depth, avoid=(var,))
    lhs = f"{name}*{var} + {num_text(b)}".replace("+ -", "- ")
    rhs = linear_text([(c, var)], d)
    return Draft(
        question=" ".join(sentences) + f" Solve {lhs} = {rhs} for {var}.",
        answer=num_text(x0),
        answer_type="integer",
        spec={"variables": [var]},
        data={"variable": var, "lhs": [name, b], "rhs": [c, d], "bindings": steps},
    )


@register(
    "linear_2d",
    knobs="|solution| <= 5/10/20/50/100 and |coefficients| <= 3/5/10/10/20",
)
def linear_2d(rng: random.Random, difficulty: int) -> Draft:
    """Solve a 2x2 linear system with an integer solution."""
    x, y = sorted(pick_names(rng, 2))
    m = _LINEAR_MAG[difficulty - 1]
    cm = (3, 5, 10, 10, 20)[difficulty - 1]
    sol = (rng.randint(-m, m), rng.randint(-m, m))
    while True:
        a1, b1, a2, b2 = (rng.randint(-cm, cm) for _ in range(4))
        if a1 * b2 - a2 * b1 != 0 and (a1 or b1) and (a2 or b2):
            break
    c1 = a1 * sol[0] + b1 * sol[1]
    c2 = a2 * sol[0] + b2 * sol[1]
    e1 = f"{linear_text([(a1, x), (b1, y)])} = {c1}"
    e2 = f"{linear_text([(a2, x), (b2, y)])} = {c2}"

    def eq(a: int, b: int, c: int) -> dict:
        return element(
            "equation",
            lhs=poly_json([x, y], [(a, [1, 0]), (b, [0, 1])]),
            rhs=poly_json([x, y], [(c, [0, 0])]),
        )

    return Draft(
        question=f"Solve {e1}, {e2} for {x} and {y}.",
        answer=f"{x} = {sol[0]}, {y} = {sol[1]}",
        answer_type="solution",
        spec={"variables": [x, y]},
        data={
            "variables": [x, y],
            "equations": [[a1, b1, c1], [a2, b2, c2]],
            "elements": [eq(a1, b1, c1), eq(a2, b2, c2), element("variable", name=x),
                         element("variable", name=y)],
        },
    )


@register(
    "polynomial_roots",
    knobs="degree 2/2/3/3/4 with integer roots of magnitude <= 5/10/10/12/12 and a leading "
    "factor up to 1/3/3/5/5",
)
def polynomial_roots(rng: random.Random, difficulty: int) -> Draft:
    """Find the set of roots of a polynomial with integer roots."""
    (var,) = pick_names(rng, 1)
    degree = (2, 2, 3, 3, 4)[difficulty - 1]
    m = (5, 10, 10, 12, 12)[difficulty - 1]
    lead = nonzero(rng, -(1, 3, 3, 5, 5)[difficulty - 1], (1, 3, 3, 5, 5)[difficulty - 1])
    roots = [rng.randint(-m, m) for _ in range(degree)]
    s = sympy.Symbol(var)
    poly = sympy.Poly(lead * sympy.prod([s - r for r in roots]), s)
    coeffs = [int(c) for c in poly.all_coeffs()]
    return Draft(
        question=f"Find all solutions of {poly_text(var, coeffs)} = 0 for {var}.",
        answer=str(sympy.FiniteSet(*roots)),
        answer_type="set",
        spec={"element_type": "integer", "variables": [var]},
        data={
            "variable": var,
            "coeffs": coeffs,
            "elements": [
                element("equation", lhs=upoly_json(var, coeffs), rhs=upoly_json(var, [0])),
                element("variable", name=var),
            ],
        },
    )


def _sequence(rng: random.Random, difficulty: int) -> tuple[list[int], list[int]]:
    """Coefficients (constant first) of a polynomial in n and its first terms n=1..k."""
    degree = (1, 1, 2, 2, 3)[difficulty - 1]
    m = (5, 20, 10, 30, 10)[difficulty - 1]
    coeffs = [rng.randint(-m, m) for _ in range(degree)] + [nonzero(rng, -m, m)]
    count = max(4, degree + 3)
    terms = [sum(c * n**i for i, c in enumerate(coeffs)) for n in range(1, count + 1)]
    return coeffs, terms


@register(
    "sequence_next_term",
    knobs="polynomial sequence of degree 1/1/2/2/3, coefficients <= 5/20/10/30/10",
)
def sequence_next_term(rng: random.Random, difficulty: int) -> Draft:
    """The next term of a polynomial sequence."""
    coeffs, terms = _sequence(rng, difficulty)
    nxt = sum(c * (len(terms) + 1) ** i for i, c in enumerate(coeffs))
    return Draft(
        question=f"What is the next term in {', '.join(map(str, terms))}?",
        answer=str(nxt),
        answer_type="integer",
        data={"terms": terms, "elements": [element("list", values=terms)]},
    )


@register(
    "sequence_nth_term",
    knobs="polynomial sequence of degree 1/1/2/2/3, coefficients <= 5/20/10/30/10",
)
def sequence_nth_term(rng: random.Random, difficulty: int) -> Draft:
    """A closed form for the n-th term of a polynomial sequence."""
    coeffs, terms = _sequence(rng, difficulty)
    (var,) = pick_names(rng, 1, avoid=("e",))
    s = sympy.Symbol(var)
    expr = sum(c * s**i for i, c in enumerate(coeffs))
    return Draft(
        question=f"What is the {var}'th term of {', '.join(map(str, terms))}?",
        answer=str(expr),
        answer_type="expression",
        spec={"variables": [var]},
        data={
            "terms": terms,
            "variable": var,
            "elements": [element("list", values=terms), element("variable", name=var)],
        },
    )


