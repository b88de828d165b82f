"""Typed sympy-backed operators and question elements of the program-synthesis env.

Values carry one of the static types in :data:`TYPES`. An operator is a plain Python function
over sympy values with a declared signature; the env's action mask is derived from these
signatures, and evaluating a program calls the functions directly (no strings, no eval).
Every operator refuses inputs that could make it expensive (huge integers for primality and
factoring, runaway degrees) by raising :class:`OperatorError`, which the env scores as 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sympy

#: Static types: number (exact rational), variable, expression, equation, boolean, list of
#: numbers, solution (assignment to variables).
TYPES: tuple[str, ...] = ("num", "var", "expr", "eq", "bool", "list", "sol")

#: Root type of the program for each declared answer type of a problem.
ROOT_TYPE: dict[str, str] = {
    "integer": "num",
    "rational": "num",
    "decimal": "num",
    "expression": "expr",
    "boolean": "bool",
    "list": "list",
    "unordered_list": "list",
    "set": "list",
    "solution": "sol",
}

#: Largest |integer| accepted by primality and factoring operators.
MAX_FACTOR_INT = 10**12
#: Largest size (bits) of a rational any arithmetic operator may produce.
MAX_RATIONAL_BITS = 512
#: Largest polynomial degree an expression operator may produce.
MAX_DEGREE = 64


class OperatorError(ValueError):
    """An operator cannot be applied to these values (wrong kind, too large, no solution)."""


def compatible(slot: str, value_type: str) -> bool:
    """Whether a value of ``value_type`` may fill a slot expecting ``slot``.

    Numbers and variables are expressions; everything else must match exactly.
    """
    return slot == value_type or (slot == "expr" and value_type in ("num", "var"))


@dataclass(frozen=True)
class Operator:
    """A typed operator: ``name(args...) -> out`` computed by ``fn``."""

    name: str
    args: tuple[str, ...]
    out: str
    fn: Callable[..., Any]
    doc: str


# --------------------------------------------------------------------------- guards
def _rational(v: Any) -> sympy.Rational:
    if not isinstance(v, sympy.Rational):
        raise OperatorError(f"expected an exact rational number, got {v}")
    if max(abs(v.p).bit_length(), abs(v.q).bit_length()) > MAX_RATIONAL_BITS:
        raise OperatorError("number too large")
    return v


def _integer(v: Any) -> int:
    v = _rational(v)
    if v.q != 1:
        raise OperatorError(f"expected an integer, got {v}")
    return int(v.p)


def _expr(v: Any) -> sympy.Expr:
    if not isinstance(v, sympy.Expr):
        raise OperatorError(f"expected an expression, got {v}")
    return v


def _poly_guard(e: sympy.Expr) -> sympy.Expr:
    for s in e.free_symbols:
        try:
            if sympy.degree(e, s) > MAX_DEGREE:
                raise OperatorError("degree too large")
        except sympy.PolynomialError as err:
            raise OperatorError(f"not a polynomial: {err}") from err
    if isinstance(e, sympy.Rational):
        _rational(e)
    return e


def _single_symbol(e: sympy.Expr) -> sympy.Symbol | None:
    free = sorted(e.free_symbols, key=lambda s: s.name)
    if len(free) > 1:
        raise OperatorError(f"{e} has more than one variable")
    return free[0] if free else None


# --------------------------------------------------------------------------- operators
def _solve(eq: sympy.Eq, var: sympy.Symbol) -> sympy.Rational:
    poly = sympy.Poly(eq.lhs - eq.rhs, var)
    if poly.degree() != 1 or poly.free_symbols - {var}:
        raise OperatorError("solve needs an equation linear in the variable")
    a, b = poly.all_coeffs()
    return _rational(-b / a)


def _roots(eq: sympy.Eq, var: sympy.Symbol) -> tuple:
    poly = sympy.Poly(eq.lhs - eq.rhs, var)
    if poly.degree() < 1 or poly.degree() > 8 or poly.free_symbols - {var}:
        raise OperatorError("roots needs a univariate polynomial equation of degree 1..8")
    found = sympy.roots(poly, filter="Q")
    return tuple(sorted(found))


def _solve_system(e1: sympy.Eq, e2: sympy.Eq) -> tuple:
    exprs = [e1.lhs - e1.rhs, e2.lhs - e2.rhs]
    syms = sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)
    if len(syms) != 2:
        raise OperatorError("solve_system needs two equations in exactly two variables")
    for e in exprs:
        if sympy.Poly(e, *syms).total_degree() != 1:
            raise OperatorError("solve_system needs linear equations")
    sol = sympy.solve(exprs, syms, dict=True)
    if len(sol) != 1 or len(sol[0]) != 2:
        raise OperatorError("the system has no unique solution")
    return tuple((s, sol[0][s]) for s in syms)


def _differentiate(e: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    return sympy.expand(sympy.diff(_expr(e), var))


def _degree(e: sympy.Expr) -> int:
    try:
        return int(sympy.Poly(e).total_degree()) if e.free_symbols else 0
    except sympy.PolynomialError as err:
        raise OperatorError(f"not a polynomial: {err}") from err


def _substitute(e: sympy.Expr, var: sympy.Symbol, value: sympy.Expr) -> sympy.Expr:
    e, value = _expr(e), _expr(value)
    # Refuse before expanding: the result's degree is at most deg(e) * deg(value).
    if _degree(e) * max(_degree(value), 1) > MAX_DEGREE:
        raise OperatorError("degree too large")
    return _poly_guard(sympy.expand(e.subs(var, value)))


def _evaluate(e: sympy.Expr, value: sympy.Rational) -> sympy.Rational:
    e = _expr(e)
    s = _single_symbol(e)
    out = e if s is None else e.subs(s, _rational(value))
    return _rational(out)


def _div(a: Any, b: Any) -> sympy.Rational:
    if _rational(b) == 0:
        raise OperatorError("division by zero")
    return _rational(_rational(a) / b)


def _mod(a: Any, b: Any) -> sympy.Integer:
    bi = _integer(b)
    if bi == 0:
        raise OperatorError("modulo zero")
    return sympy.Integer(_integer(a) % bi)


def _factor_int(v: Any) -> int:
    n = _integer(v)
    if abs(n) > MAX_FACTOR_INT:
        raise OperatorError("integer too large to factor")
    return n


def _nearest_root(n: Any, k: Any) -> sympy.Integer:
    n, k = _integer(n), _integer(k)
    if n < 0 or not 2 <= k <= 10:
        raise OperatorError("nearest_root needs n >= 0 and 2 <= k <= 10")
    r = int(sympy.integer_nthroot(n, k)[0])
    return sympy.Integer(r + 1 if (2 * r + 1) ** k <= (2**k) * n else r)


def _digit(n: Any, place: Any) -> sympy.Integer:
    n, p = _integer(n), _integer(place)
    if p < 1:
        raise OperatorError("place must be a positive power of ten")
    return sympy.Integer(abs(n) // p % 10)


def _list(v: Any) -> tuple:
    if not isinstance(v, tuple) or not all(isinstance(x, sympy.Rational) for x in v):
        raise OperatorError("expected a list of numbers")
    return v


def _kth(values: tuple, k: Any, largest: bool) -> sympy.Rational:
    k = _integer(k)
    values = sorted(_list(values), reverse=largest)
    if not 1 <= k <= len(values):
        raise OperatorError(f"k={k} outside 1..{len(values)}")
    return values[k - 1]


def _interpolate(values: tuple, var: sympy.Symbol) -> sympy.Expr:
    values = _list(values)
    if len(values) < 2:
        raise OperatorError("need at least two terms")
    return sympy.expand(sympy.interpolate(list(values), var))


def _next_term(values: tuple) -> sympy.Rational:
    n = sympy.Symbol("n")
    return _rational(_interpolate(values, n).subs(n, len(values) + 1))


def _bool_int(f: Callable[[int], bool]) -> Callable[[Any], bool]:
    return lambda v: bool(f(_factor_int(v)))


def _binary(f: Callable[[Any, Any], Any]) -> Callable[[Any, Any], sympy.Rational]:
    return lambda a, b: _rational(f(_rational(a), _rational(b)))


OPERATORS: tuple[Operator, ...] = (
    Operator("solve", ("eq", "var"), "num", _solve, "solution of a linear equation"),
    Operator("roots", ("eq", "var"), "list", _roots, "rational roots of a polynomial equation"),
    Operator("solve_system", ("eq", "eq"), "sol", _solve_system, "solution of a 2x2 system"),
    Operator("differentiate", ("expr", "var"), "expr", _differentiate, "d/dvar"),
    Operator("expand", ("expr",), "expr", lambda e: _poly_guard(sympy.expand(_expr(e))),
             "expanded polynomial"),
    Operator("factor", ("expr",), "expr", lambda e: sympy.factor(_expr(e)), "factored form"),
    Operator("substitute", ("expr", "var", "expr"), "expr", _substitute,
             "replace the variable by an expression"),
    Operator("evaluate", ("expr", "num"), "num", _evaluate,
             "value of a one-variable expression at a number"),
    Operator("add", ("num", "num"), "num", _binary(lambda a, b: a + b), "a + b"),
    Operator("sub", ("num", "num"), "num", _binary(lambda a, b: a - b), "a - b"),
    Operator("mul", ("num", "num"), "num", _binary(lambda a, b: a * b), "a * b"),
    Operator("div", ("num", "num"), "num", _div, "a / b"),
    Operator("gcd", ("num", "num"), "num",
             lambda a, b: sympy.Integer(sympy.igcd(_integer(a), _integer(b))), "gcd(a, b)"),
    Operator("lcm", ("num", "num"), "num",
             lambda a, b: sympy.Integer(sympy.ilcm(_integer(a), _integer(b))), "lcm(a, b)"),
    Operator("mod", ("num", "num"), "num", _mod, "a mod b"),
    Operator("is_prime", ("num",), "bool", _bool_int(sympy.isprime), "primality"),
    Operator("divides", ("num", "num"), "bool",
             lambda d, n: _integer(d) != 0 and _integer(n) % _integer(d) == 0, "d divides n"),
    Operator("prime_factors", ("num",), "list",
             lambda v: tuple(sympy.Integer(p) for p in sympy.primefactors(_factor_int(v))),
             "distinct prime factors, increasing"),
    Operator("nearest_root", ("num", "num"), "num", _nearest_root,
             "integer nearest to the k-th root of n"),
    Operator("digit", ("num", "num"), "num", _digit, "digit of n at a place value"),
    Operator("next_term", ("list",), "num", _next_term, "next term of a polynomial sequence"),
    Operator("nth_term", ("list", "var"), "expr", _interpolate,
             "polynomial formula of a sequence"),
    Operator("sort_ascending", ("list",), "list", lambda v: tuple(sorted(_list(v))),
             "increasing order"),
    Operator("sort_descending", ("list",), "list",
             lambda v: tuple(sorted(_list(v), reverse=True)), "decreasing order"),
    Operator("kth_largest", ("list", "num"), "num", lambda v, k: _kth(v, k, True),
             "k-th largest value"),
    Operator("kth_smallest", ("list", "num"), "num", lambda v, k: _kth(v, k, False),
             "k-th smallest value"),
)

OPERATOR_INDEX: dict[str, int] = {op.name: i for i, op in enumerate(OPERATORS)}


# --------------------------------------------------------------------------- elements
@dataclass(frozen=True)
class Element:
    """A formal element extracted from a question: its type, sympy value and text."""

    type: str
    value: Any
    text: str


def _num(value: Any) -> sympy.Rational:
    if isinstance(value, list):
        return sympy.Rational(int(value[0]), int(value[1]))
    return sympy.Integer(int(value))


def _poly(spec: Mapping[str, Any]) -> sympy.Expr:
    syms = [sympy.Symbol(v) for v in spec["vars"]]
    return sympy.Add(*[
        _num(c) * sympy.Mul(*[s**p for s, p in zip(syms, powers, strict=True)])
        for c, powers in spec["terms"]
    ])


def element_from_json(spec: Mapping[str, Any]) -> Element:
    """Build an :class:`Element` from a problem's ``data["elements"]`` entry."""
    kind = spec["type"]
    if kind == "number":
        v = _num(spec["value"])
        return Element("num", v, str(v))
    if kind == "variable":
        return Element("var", sympy.Symbol(spec["name"]), spec["name"])
    if kind == "expression":
        if "factors" in spec:
            factors = [_poly(f) for f in spec["factors"]]
            value = sympy.Mul(*factors)
            return Element("expr", value, "*".join(f"({f})" for f in factors))
        value = _poly(spec["poly"])
        return Element("expr", value, str(value))
    if kind == "equation":
        lhs, rhs = _poly(spec["lhs"]), _poly(spec["rhs"])
        return Element("eq", sympy.Eq(lhs, rhs, evaluate=False), f"{lhs} = {rhs}")
    if kind == "list":
        values = tuple(_num(v) for v in spec["values"])
        return Element("list", values, "[" + ", ".join(map(str, values)) + "]")
    raise ValueError(f"unknown element type {kind!r}")


# --------------------------------------------------------------------------- answer text
def _decimal_text(v: sympy.Rational) -> str:
    q = int(v.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q != 1:
        return str(v)
    text = format((Decimal(int(v.p)) / Decimal(int(v.q))).normalize(), "f")
    return "0" if text == "-0" else text


def answer_text(value: Any, out_type: str, answer_type: str) -> str:
    """The text of a program's value in the verifier's grammar for ``answer_type``."""
    if out_type == "bool":
        return "True" if value else "False"
    if out_type == "list":
        if answer_type == "set":
            return str(sympy.FiniteSet(*value))
        return "[" + ", ".join(str(v) for v in value) + "]"
    if out_type == "sol":
        return ", ".join(f"{s} = {v}" for s, v in value)
    if answer_type == "decimal" and isinstance(value, sympy.Rational):
        return _decimal_text(value)
    return str(value)
