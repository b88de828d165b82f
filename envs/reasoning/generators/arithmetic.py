"""Arithmetic: sums, products, quotients, mixed expressions, integer roots, surds."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import sympy
from mathgym.envs.reasoning.generators.common import (
    element,
    join_terms,
    monomial_text,
    nonzero,
    num_json,
    num_text,
    paren,
)
from mathgym.envs.reasoning.registry import Draft, register

_INT_MAG = (10, 100, 1000, 10**5, 10**8)


def _decimal(rng: random.Random, digits: int, places: int) -> Decimal:
    """A signed decimal with ``places`` fractional digits and at most ``digits`` in total."""
    n = rng.randint(-(10**digits) + 1, 10**digits - 1)
    return Decimal(n).scaleb(-places)


def _dec_text(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros (``-0.95``, ``3``)."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _num_element(value) -> dict:
    return element("number", value=num_json(Fraction(value)))


@register(
    "add_or_sub",
    knobs="integers up to 10/100/1000 (levels 1-3); decimals with 1-2 places (4) and "
    "2-3 places (5)",
)
def add_or_sub(rng: random.Random, difficulty: int) -> Draft:
    """``a + b`` or ``a - b`` of signed integers or decimals."""
    if difficulty <= 3:
        m = _INT_MAG[difficulty - 1]
        a, b = rng.randint(-m, m), rng.randint(-m, m)
        sa, sb = str(a), str(b)
        answer_type, spec = "integer", {}
    else:
        places = rng.randint(1, 2) if difficulty == 4 else rng.randint(2, 3)
        a, b = _decimal(rng, 4 + places, places), _decimal(rng, 4 + places, places)
        sa, sb = _dec_text(a), _dec_text(b)
        answer_type, spec = "decimal", {"tolerance": "0"}
    op = rng.choice("+-")
    value = a + b if op == "+" else a - b
    template = rng.choice(("What is {a} {op} {b}?", "Calculate {a} {op} {b}.",
                           "Evaluate {a} {op} {b}."))
    b_text = f"({sb})" if sb.startswith("-") else sb
    answer = str(value) if answer_type == "integer" else _dec_text(value)
    return Draft(
        question=template.format(a=sa, op=op, b=b_text),
        answer=answer,
        answer_type=answer_type,
        spec=spec,
        data={"op": "add" if op == "+" else "sub", "operands": [sa, sb],
              "elements": [_num_element(a), _num_element(b)]},
    )


@register(
    "mul",
    knobs="factors up to 10/30/100/1000 (levels 1-4); level 5 multiplies two decimals",
)
def mul(rng: random.Random, difficulty: int) -> Draft:
    """A product of two signed integers (or decimals at level 5)."""
    if difficulty <= 4:
        m = (10, 30, 100, 1000)[difficulty - 1]
        a, b = rng.randint(-m, m), rng.randint(-m, m)
        sa, sb, value = str(a), str(b), a * b
        answer, answer_type, spec = str(value), "integer", {}
    else:
        a, b = _decimal(rng, 3, 1), _decimal(rng, 3, 2)
        sa, sb, value = _dec_text(a), _dec_text(b), a * b
        answer, answer_type, spec = _dec_text(value), "decimal", {"tolerance": "0"}
    template = rng.choice(("What is {a} times {b}?", "Multiply {a} and {b}.",
                           "Calculate {a}*{b}."))
    b_text = f"({sb})" if sb.startswith("-") and "*" in template else sb
    return Draft(
        question=template.format(a=sa, b=b_text),
        answer=answer,
        answer_type=answer_type,
        spec=spec,
        data={"op": "mul", "operands": [sa, sb],
              "elements": [_num_element(a), _num_element(b)]},
    )


@register(
    "div",
    knobs="exact integer quotients up to 10/100/1000 (levels 1-3); rational quotients with "
    "operands up to 100 (4) and 1000 (5)",
)
def div(rng: random.Random, difficulty: int) -> Draft:
    """A quotient ``a / b``: an integer at levels 1-3, a reduced fraction at 4-5."""
    if difficulty <= 3:
        m = _INT_MAG[difficulty - 1]
        b = nonzero(rng, -min(m, 50), min(m, 50))
        q = rng.randint(-m, m)
        a = q * b
    else:
        m = (100, 1000)[difficulty - 4]
        a, b = rng.randint(-m, m), nonzero(rng, -m, m)
    value = Fraction(a, b)
    template = rng.choice(("Divide {a} by {b}.", "What is {a} divided by {b}?",
                           "Calculate {a}/{pb}."))
    return Draft(
        question=template.format(a=a, b=b, pb=paren(b)),
        answer=num_text(value),
        answer_type="integer" if difficulty <= 3 else "rational",
        data={"op": "div", "operands": [a, b],
              "elements": [_num_element(a), _num_element(b)]},
    )


def _mixed_tree(rng: random.Random, ops: int, mag: int):
    """A random expression tree with ``ops`` operators over small integers."""
    if ops == 0:
        v = rng.randint(-mag, mag)
        return v, Fraction(v)
    left_ops = rng.randint(0, ops - 1)
    lt, lv = _mixed_tree(rng, left_ops, mag)
    rt, rv = _mixed_tree(rng, ops - 1 - left_ops, mag)
    op = rng.choice("+-*/") if rv != 0 else rng.choice("+-*")
    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else None}[op]
    return [op, lt, rt], value


def _mixed_text(tree, top: bool = True) -> str:
    if isinstance(tree, int):
        return f"({tree})" if tree < 0 else str(tree)
    op, left, right = tree
    text = f"{_mixed_text(left, False)} {op} {_mixed_text(right, False)}"
    return text if top else f"({text})"


@register(
    "mixed",
    knobs="2/3/4/5/6 operations (+, -, *, /) over integers up to 10/10/12/15/20; exact "
    "rational answer",
)
def mixed(rng: random.Random, difficulty: int) -> Draft:
    """A parenthesised expression mixing the four operations; the answer is exact."""
    ops = difficulty + 1
    mag = (10, 10, 12, 15, 20)[difficulty - 1]
    tree, value = _mixed_tree(rng, ops, mag)
    return Draft(
        question=f"Evaluate {_mixed_text(tree)}.",
        answer=num_text(value),
        answer_type="rational",
        data={"tree": tree},
    )


def _nearest_root(n: int, k: int) -> int:
    """The integer closest to ``n**(1/k)`` for ``n >= 0`` (exact integer arithmetic)."""
    r = int(round(n ** (1.0 / k)))
    while r**k > n:
        r -= 1
    while (r + 1) ** k <= n:
        r += 1
    # r <= root < r+1; compare with r + 1/2: (2r+1)^k vs 2^k n.
    return r + 1 if (2 * r + 1) ** k <= (2**k) * n else r


@register(
    "nearest_integer_root",
    knobs="square roots of numbers up to 100/1000/10^4 (levels 1-3), cube roots up to 10^5 "
    "(4), k-th roots (k <= 5) up to 10^7 (5)",
)
def nearest_integer_root(rng: random.Random, difficulty: int) -> Draft:
    """The integer nearest to a square, cube or higher root."""
    k = (2, 2, 2, 3, rng.randint(2, 5))[difficulty - 1]
    m = (100, 1000, 10**4, 10**5, 10**7)[difficulty - 1]
    while True:
        n = rng.randint(2, m)
        r = _nearest_root(n, k)
        if (2 * r - 1) ** k != (2**k) * n and (2 * r + 1) ** k != (2**k) * n:
            break
    name = {2: "square root", 3: "cube root"}.get(k, f"{k}th root")
    return Draft(
        question=f"What is the {name} of {n} to the nearest integer?",
        answer=str(r),
        answer_type="integer",
        data={"n": n, "k": k, "elements": [_num_element(n), _num_element(k)]},
    )


@register(
    "simplify_surd",
    knobs="sqrt(n) with n up to 100 (1) and 1000 (2); sums of 2 (3) or 3 (4) multiples of "
    "surds with a common radical; a quotient of surds (5)",
)
def simplify_surd(rng: random.Random, difficulty: int) -> Draft:
    """Simplify an expression in square roots to ``c*sqrt(r)`` form."""
    base = rng.choice((2, 3, 5, 6, 7, 10, 11))
    if difficulty <= 2:
        while True:
            f = rng.randint(2, 10 if difficulty == 1 else 30)
            n = f * f * base
            if n <= (100 if difficulty == 1 else 1000):
                break
        text, parts = f"sqrt({n})", [[1, n]]
        value = sympy.sqrt(n)
    elif difficulty <= 4:
        count = difficulty - 1
        parts = []
        for _ in range(count):
            parts.append([nonzero(rng, -9, 9), rng.randint(1, 6) ** 2 * base])
        text = join_terms([monomial_text(c, [(f"sqrt({n})", 1)]) for c, n in parts])
        value = sum(c * sympy.sqrt(n) for c, n in parts)
    else:
        a, b = rng.randint(1, 6), rng.randint(1, 6)
        c = nonzero(rng, -9, 9)
        num, den = a * a * base * rng.choice((1, base)), b * b * base
        text = f"{monomial_text(c, [(f'sqrt({num})', 1)])}/sqrt({den})"
        parts = [[c, num], [1, den]]
        value = c * sympy.sqrt(num) / sympy.sqrt(den)
    return Draft(
        question=f"Simplify {text}.",
        answer=str(value),
        answer_type="expression",
        spec={"variables": []},
        data={"parts": parts, "form": "quotient" if difficulty == 5 else "sum"},
    )
