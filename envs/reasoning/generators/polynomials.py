"""Polynomials: evaluate, expand, collect like terms, compose functions."""

from __future__ import annotations

import random

import sympy
from mathgym.envs.reasoning.generators.common import (
    bind_integer,
    element,
    join_terms,
    monomial_text,
    nonzero,
    pick_names,
    poly_text,
    upoly_json,
)
from mathgym.envs.reasoning.registry import Draft, register


def _coeffs(rng: random.Random, degree: int, mag: int) -> list[int]:
    return [nonzero(rng, -mag, mag)] + [rng.randint(-mag, mag) for _ in range(degree)]


def _upoly(var: str, coeffs: list[int]):
    s = sympy.Symbol(var)
    n = len(coeffs) - 1
    return sympy.Add(*[c * s ** (n - i) for i, c in enumerate(coeffs)])


@register(
    "evaluate",
    knobs="degree 1/2/2/3/4, |coefficients| <= 5/5/10/10/20, |point| <= 3/5/5/5/10",
)
def evaluate(rng: random.Random, difficulty: int) -> Draft:
    """Evaluate ``f(x0)`` for a polynomial ``f``."""
    (var,) = pick_names(rng, 1, avoid=("f",))
    coeffs = _coeffs(rng, (1, 2, 2, 3, 4)[difficulty - 1], (5, 5, 10, 10, 20)[difficulty - 1])
    m = (3, 5, 5, 5, 10)[difficulty - 1]
    x0 = rng.randint(-m, m)
    value = sum(c * x0 ** (len(coeffs) - 1 - i) for i, c in enumerate(coeffs))
    return Draft(
        question=f"Let f({var}) = {poly_text(var, coeffs)}. What is f({x0})?",
        answer=str(value),
        answer_type="integer",
        data={"variable": var, "coeffs": coeffs, "point": x0,
              "elements": [element("expression", poly=upoly_json(var, coeffs)),
                           element("number", value=x0)]},
    )


@register(
    "evaluate_composed",
    knobs="as evaluate, with the point defined by a chain of 1/1/2/2/3 sub-problems",
    composed=True,
)
def evaluate_composed(rng: random.Random, difficulty: int) -> Draft:
    """Evaluate a polynomial at a composed point."""
    (var,) = pick_names(rng, 1, avoid=("f",))
    coeffs = _coeffs(rng, (1, 2, 2, 3, 3)[difficulty - 1], (5, 5, 10, 10, 10)[difficulty - 1])
    x0 = rng.randint(-5, 5)
    depth = (1, 1, 2, 2, 3)[difficulty - 1]
    sentences, name, steps = bind_integer(rng, x0, depth, avoid=(var, "f"))
    value = sum(c * x0 ** (len(coeffs) - 1 - i) for i, c in enumerate(coeffs))
    return Draft(
        question=" ".join(sentences)
        + f" Let f({var}) = {poly_text(var, coeffs)}. What is f({name})?",
        answer=str(value),
        answer_type="integer",
        data={"variable": var, "coeffs": coeffs, "point": name, "bindings": steps},
    )


def _factor_text(var: str, coeffs: list[int]) -> str:
    return f"({poly_text(var, coeffs)})"


@register(
    "expand",
    knobs="a product of 2/2/3/3/4 linear or quadratic factors with |coefficients| <= "
    "3/6/5/8/4; a power of a binomial from level 3",
)
def expand(rng: random.Random, difficulty: int) -> Draft:
    """Expand a product of polynomial factors."""
    (var,) = pick_names(rng, 1)
    count = (2, 2, 3, 3, 4)[difficulty - 1]
    mag = (3, 6, 5, 8, 4)[difficulty - 1]
    factors = [_coeffs(rng, rng.choice((1, 1, 2)) if difficulty >= 2 else 1, mag)
               for _ in range(count)]
    if difficulty >= 3 and rng.random() < 0.3:
        base = _coeffs(rng, 1, mag)
        factors = [base] * count
        text = f"{_factor_text(var, base)}**{count}"
    else:
        text = "*".join(_factor_text(var, f) for f in factors)
    expr = sympy.expand(sympy.Mul(*[_upoly(var, f) for f in factors]))
    return Draft(
        question=f"Expand {text}.",
        answer=str(expr),
        answer_type="expression",
        spec={"variables": [var]},
        data={"variable": var, "factors": factors,
              "elements": [element("expression", factors=[upoly_json(var, f) for f in factors])]},
    )


@register(
    "collect",
    knobs="4/5/6/7/8 monomials of degree <= 1/2/3/3/4 with |coefficients| <= 5/9/9/20/50",
)
def collect(rng: random.Random, difficulty: int) -> Draft:
    """Collect like terms of a sum of monomials."""
    (var,) = pick_names(rng, 1)
    count = difficulty + 3
    deg = (1, 2, 3, 3, 4)[difficulty - 1]
    mag = (5, 9, 9, 20, 50)[difficulty - 1]
    terms = [(nonzero(rng, -mag, mag), rng.randint(0, deg)) for _ in range(count)]
    text = join_terms([monomial_text(c, [(var, p)]) for c, p in terms])
    s = sympy.Symbol(var)
    expr = sympy.Add(*[c * s**p for c, p in terms])
    return Draft(
        question=f"Collect the terms in {text}.",
        answer=str(expr),
        answer_type="expression",
        spec={"variables": [var]},
        data={"variable": var, "terms": [[c, p] for c, p in terms]},
    )


@register(
    "compose",
    knobs="f, g of degrees (1,1)/(1,2)/(2,1)/(2,2)/(2,3) with |coefficients| <= 5; "
    "three functions at level 5",
)
def compose(rng: random.Random, difficulty: int) -> Draft:
    """Compose polynomial functions: what is ``f(g(x))``?"""
    (var,) = pick_names(rng, 1, avoid=("f", "g", "h"))
    deg_f, deg_g = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 1))[difficulty - 1]
    fc, gc = _coeffs(rng, deg_f, 5), _coeffs(rng, deg_g, 5)
    s = sympy.Symbol(var)
    sentences = [f"Let f({var}) = {poly_text(var, fc)}.", f"Let g({var}) = {poly_text(var, gc)}."]
    inner = _upoly(var, gc)
    functions = {"f": fc, "g": gc}
    if difficulty == 5:
        hc = _coeffs(rng, 2, 3)
        functions["h"] = hc
        sentences.append(f"Let h({var}) = {poly_text(var, hc)}.")
        inner = _upoly(var, gc).subs(s, _upoly(var, hc))
        ask, order = f"f(g(h({var})))", ["f", "g", "h"]
    else:
        ask, order = f"f(g({var}))", ["f", "g"]
    expr = sympy.expand(_upoly(var, fc).subs(s, inner))
    return Draft(
        question=" ".join(sentences) + f" What is {ask}?",
        answer=str(expr),
        answer_type="expression",
        spec={"variables": [var]},
        data={"variable": var, "functions": functions, "order": order,
              "elements": [element("expression", poly=upoly_json(var, functions[k]))
                           for k in order] + [element("variable", name=var)]},
    )
