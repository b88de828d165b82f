"""Calculus: derivatives of polynomials (and a composed variant evaluating one)."""

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
    poly_json,
)
from mathgym.envs.reasoning.registry import Draft, register


def _random_poly(rng: random.Random, names: list[str], terms: int, degree: int, mag: int):
    """Distinct monomials ``(coef, powers)`` over ``names``; the first variable always occurs."""
    seen: set[tuple[int, ...]] = set()
    out = []
    first = tuple([rng.randint(1, degree)] + [rng.randint(0, 2) for _ in names[1:]])
    seen.add(first)
    out.append((nonzero(rng, -mag, mag), first))
    while len(out) < terms:
        powers = tuple(rng.randint(0, degree if i == 0 else 2) for i in range(len(names)))
        if powers in seen:
            continue
        seen.add(powers)
        out.append((nonzero(rng, -mag, mag), powers))
    out.sort(key=lambda t: (-sum(t[1]), [-p for p in t[1]]))
    return out


def _poly_text(names: list[str], terms) -> str:
    return join_terms([monomial_text(c, list(zip(names, p, strict=True))) for c, p in terms])


def _to_sympy(names: list[str], terms):
    syms = [sympy.Symbol(n) for n in names]
    return sympy.Add(*[c * sympy.Mul(*[s**p for s, p in zip(syms, pw, strict=True)])
                       for c, pw in terms])


_ORDER_WORD = {1: "first", 2: "second", 3: "third"}


@register(
    "differentiate",
    knobs="terms 2/3/3/4/4, degree 3/4/5/6/6, |coefficients| <= 5/10/20/50/50; order 1 (1-2), "
    "up to 2 (3), up to 3 (4); level 5 differentiates a polynomial in two variables",
)
def differentiate(rng: random.Random, difficulty: int) -> Draft:
    """The (higher-order, possibly partial) derivative of a polynomial."""
    n_vars = 2 if difficulty == 5 else 1
    names = sorted(pick_names(rng, n_vars))
    terms = _random_poly(
        rng, names, (2, 3, 3, 4, 4)[difficulty - 1], (3, 4, 5, 6, 6)[difficulty - 1],
        (5, 10, 20, 50, 50)[difficulty - 1],
    )
    order = rng.randint(1, (1, 1, 2, 3, 2)[difficulty - 1])
    var = names[0]
    expr = _to_sympy(names, terms)
    result = sympy.expand(sympy.diff(expr, sympy.Symbol(var), order))
    word = _ORDER_WORD[order] + " derivative"
    return Draft(
        question=f"Find the {word} of {_poly_text(names, terms)} with respect to {var}.",
        answer=str(result),
        answer_type="expression",
        spec={"variables": names},
        data={
            "variables": names,
            "terms": [[c, list(p)] for c, p in terms],
            "variable": var,
            "order": order,
            "elements": [
                element("expression", poly=poly_json(names, terms)),
                element("variable", name=var),
                element("number", value=order),
            ],
        },
    )


@register(
    "differentiate_composed",
    knobs="as differentiate (one variable, first derivative) with the evaluation point "
    "defined by a chain of 1/1/2/2/3 sub-problems",
    composed=True,
)
def differentiate_composed(rng: random.Random, difficulty: int) -> Draft:
    """Let f be a polynomial, g its derivative; evaluate g at a composed point."""
    (var,) = pick_names(rng, 1, avoid=("f", "g"))
    terms = _random_poly(rng, [var], (2, 3, 3, 4, 4)[difficulty - 1], 4, 6)
    point = rng.randint(-4, 4)
    depth = (1, 1, 2, 2, 3)[difficulty - 1]
    sentences, name, steps = bind_integer(rng, point, depth, avoid=(var, "f", "g"))
    s = sympy.Symbol(var)
    value = sympy.diff(_to_sympy([var], terms), s).subs(s, point)
    return Draft(
        question=" ".join(sentences)
        + f" Let f({var}) = {_poly_text([var], terms)}. Let g be the first derivative of f."
        f" What is g({name})?",
        answer=str(value),
        answer_type="integer",
        data={"variable": var, "terms": [[c, list(p)] for c, p in terms], "point": name,
              "bindings": steps},
    )
