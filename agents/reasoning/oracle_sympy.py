"""``oracle-sympy``: solves MathQA problems from their structured facts with sympy.

It never reads the reference answer, but it regenerates the problem from the instance's
``(module, difficulty, seed, index)``, which agents are not shown, so it is ``privileged``
(results mark it ``agent.oracle``; boards list it unranked). It takes ``Problem.data``
(coefficients, operands, chains of composed sub-problems) and computes the answer with sympy,
printed in the verifier's grammar. A solve rate below 100% therefore means a bug somewhere in
generator, oracle, verifier or harness: it is the end-to-end check of the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from mathgym.harness.agent import Agent, Attempt


def _q(v: Any) -> sympy.Rational:
    """JSON number (int, ``[p, q]`` or decimal text) -> sympy Rational."""
    if isinstance(v, list):
        return sympy.Rational(v[0], v[1])
    f = Fraction(v)  # exact for ints and decimal strings
    return sympy.Rational(f.numerator, f.denominator)


def _bindings(data: Mapping[str, Any]) -> dict[str, sympy.Rational]:
    env: dict[str, sympy.Rational] = {}

    def val(a: Any) -> sympy.Rational:
        return env[a] if isinstance(a, str) else sympy.Integer(a)

    for step in data.get("bindings", []):
        a = step["args"]
        if step["op"] == "solve":
            s = sympy.Symbol(step["name"])
            (env[step["name"]],) = sympy.solve(val(a[0]) * s - val(a[1]) - val(a[2]), s)
        else:
            fn = {"add": sympy.Add, "sub": lambda x, y: x - y, "mul": sympy.Mul}[step["op"]]
            env[step["name"]] = fn(val(a[0]), val(a[1]))
    return env


def _resolve(data: Mapping[str, Any], v: Any) -> sympy.Rational:
    return _bindings(data)[v] if isinstance(v, str) else _q(v)


def _dec(v: sympy.Rational) -> str:
    text = format((Decimal(int(v.p)) / Decimal(int(v.q))).normalize(), "f")
    return "0" if text == "-0" else text


def _num(v: Any, answer_type: str) -> str:
    return _dec(v) if answer_type == "decimal" else str(v)


def _upoly(var: str, coeffs: list[int]) -> sympy.Expr:
    x = sympy.Symbol(var)
    return sympy.Poly(coeffs, x).as_expr()


def _linear_1d(d, t):
    x = sympy.Symbol(d["variable"])
    (a, b), (c, e) = d["lhs"], d["rhs"]
    (sol,) = sympy.solve(_resolve(d, a) * x + _q(b) - _resolve(d, c) * x - _q(e), x)
    return str(sol)


def _linear_2d(d, t):
    syms = [sympy.Symbol(v) for v in d["variables"]]
    eqs = [a * syms[0] + b * syms[1] - c for a, b, c in d["equations"]]
    sol = sympy.solve(eqs, syms, dict=True)[0]
    return ", ".join(f"{s} = {sol[s]}" for s in syms)


def _roots(d, t):
    x = sympy.Symbol(d["variable"])
    return str(sympy.FiniteSet(*sympy.solve(sympy.Poly(d["coeffs"], x).as_expr(), x)))


def _sequence_poly(d, var: str) -> sympy.Expr:
    return sympy.expand(sympy.interpolate(d["terms"], sympy.Symbol(var)))


def _next_term(d, t):
    n = sympy.Symbol("n")
    return str(_sequence_poly(d, "n").subs(n, len(d["terms"]) + 1))


def _arith(d, t):
    a, b = (_q(v) for v in d["operands"])
    value = {"add": a + b, "sub": a - b, "mul": a * b,
             "div": a / b if b else sympy.nan}[d["op"]]
    return _num(value, t)


def _mixed(d, t):
    def ev(node):
        if isinstance(node, int):
            return sympy.Integer(node)
        op, left, right = node
        x, y = ev(left), ev(right)
        return {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]

    return str(ev(d["tree"]))


def _nearest_root(d, t):
    n, k = d["n"], d["k"]
    root = sympy.root(sympy.Integer(n), k)
    return str(int(sympy.floor(root + sympy.Rational(1, 2))))


def _surd(d, t):
    if d["form"] == "quotient":
        (c, num), (_, den) = d["parts"]
        return str(c * sympy.sqrt(num) / sympy.sqrt(den))
    return str(sympy.Add(*[c * sympy.sqrt(n) for c, n in d["parts"]]))


def _poly_terms(names: list[str], terms) -> sympy.Expr:
    syms = [sympy.Symbol(n) for n in names]
    return sympy.Add(*[c * sympy.Mul(*[s**p for s, p in zip(syms, pw, strict=True)])
                       for c, pw in terms])


def _differentiate(d, t):
    expr = _poly_terms(d["variables"], d["terms"])
    return str(sympy.diff(expr, sympy.Symbol(d["variable"]), d["order"]))


def _differentiate_composed(d, t):
    x = sympy.Symbol(d["variable"])
    g = sympy.diff(_poly_terms([d["variable"]], d["terms"]), x)
    return str(g.subs(x, _resolve(d, d["point"])))


def _closest(d, t):
    target = _q(d["target"])
    return str(min((_q(v) for v in d["values"]), key=lambda v: abs(v - target)))


def _kth(d, t):
    values = sorted((_q(v) for v in d["values"]), reverse=d["biggest"])
    return str(values[d["k"] - 1])


def _sort(d, t):
    values = sorted((_q(v) for v in d["values"]), reverse=d["decreasing"])
    return "[" + ", ".join(map(str, values)) + "]"


def _base(d, t):
    n = int(d["digits"], d["from_base"])
    return np.base_repr(n, d["to_base"]).lower()


def _round(d, t):
    value, places = Decimal(d["value"]), d["places"]
    r = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _dec(sympy.Rational(str(int(r))) if places <= 0 else _q(format(r, "f")))


def _evaluate(d, t):
    x = sympy.Symbol(d["variable"])
    return str(_upoly(d["variable"], d["coeffs"]).subs(x, _resolve(d, d["point"])))


def _expand(d, t):
    return str(sympy.expand(sympy.Mul(*[_upoly(d["variable"], f) for f in d["factors"]])))


def _collect(d, t):
    x = sympy.Symbol(d["variable"])
    return str(sympy.Add(*[c * x**p for c, p in d["terms"]]))


def _compose(d, t):
    x = sympy.Symbol(d["variable"])
    expr = x
    for name in reversed(d["order"]):
        expr = _upoly(d["variable"], d["functions"][name]).subs(x, expr)
    return str(sympy.expand(expr))


def _swr(d, t):
    left = {k: c for k, c in d["counts"]}
    total = sum(left.values())
    p = sympy.Integer(1)
    for letter in d["sequence"]:
        p *= sympy.Rational(left[letter], total)
        left[letter] -= 1
        total -= 1
    return str(p)


#: module name -> solver ``(data, answer_type) -> answer text``.
SOLVERS: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "algebra__linear_1d": _linear_1d,
    "algebra__linear_1d_composed": _linear_1d,
    "algebra__linear_2d": _linear_2d,
    "algebra__polynomial_roots": _roots,
    "algebra__sequence_next_term": _next_term,
    "algebra__sequence_nth_term": lambda d, t: str(_sequence_poly(d, d["variable"])),
    "arithmetic__add_or_sub": _arith,
    "arithmetic__mul": _arith,
    "arithmetic__div": _arith,
    "arithmetic__mixed": _mixed,
    "arithmetic__nearest_integer_root": _nearest_root,
    "arithmetic__simplify_surd": _surd,
    "calculus__differentiate": _differentiate,
    "calculus__differentiate_composed": _differentiate_composed,
    "comparison__closest": _closest,
    "comparison__kth_biggest": _kth,
    "comparison__sort": _sort,
    "numbers__gcd": lambda d, t: str(sympy.gcd(_resolve(d, d["a"]), d["b"])),
    "numbers__gcd_composed": lambda d, t: str(sympy.gcd(_resolve(d, d["a"]), d["b"])),
    "numbers__lcm": lambda d, t: str(sympy.lcm(d["a"], d["b"])),
    "numbers__is_prime": lambda d, t: str(bool(sympy.isprime(d["n"]))),
    "numbers__is_factor": lambda d, t: str(d["n"] % d["d"] == 0),
    "numbers__list_prime_factors": lambda d, t: str(sorted(sympy.primefactors(d["n"]))),
    "numbers__div_remainder": lambda d, t: str(sympy.Mod(_resolve(d, d["n"]), d["d"])),
    "numbers__div_remainder_composed":
        lambda d, t: str(sympy.Mod(_resolve(d, d["n"]), d["d"])),
    "numbers__base_conversion": _base,
    "numbers__round_number": _round,
    "numbers__place_value": lambda d, t: str(d["n"] // 10 ** d["position"] % 10),
    "polynomials__evaluate": _evaluate,
    "polynomials__evaluate_composed": _evaluate,
    "polynomials__expand": _expand,
    "polynomials__collect": _collect,
    "polynomials__compose": _compose,
    "probability__swr_p_sequence": _swr,
}


def solve(problem) -> str:
    """The oracle's answer text for a :class:`mathgym.types.Problem` (from ``data`` only)."""
    solver = SOLVERS.get(problem.module)
    if solver is None:
        raise ValueError(f"oracle-sympy has no solver for module {problem.module!r}")
    return solver(problem.data, problem.answer_type)


class OracleSympyAgent(Agent):
    """Answers every MathQA instance by solving its structured facts with sympy (1 sample)."""

    name = "oracle-sympy"
    version = "1"
    #: Reads the generator coordinates of the full instance: results are marked oracle.
    privileged = True

    def __init__(self) -> None:
        super().__init__()

    def supports(self, benchmark) -> bool:
        return benchmark.id.startswith("reasoning/mathqa")

    def attempt(self, benchmark, instance, budget: float, seed: int) -> Attempt:
        from mathgym.envs.reasoning.benchmarks import instance_problem

        if budget < 1:
            return Attempt(False, None, 0.0, {"reason": "budget below one sample"})
        problem = instance_problem(instance)
        try:
            answer = solve(problem)
        except Exception as err:  # report, do not crash the run
            return Attempt(False, None, 1.0, {"error": f"{type(err).__name__}: {err}"})
        return Attempt(True, answer, 1.0, {})


AGENTS: dict[str, type] = {OracleSympyAgent.name: OracleSympyAgent}
