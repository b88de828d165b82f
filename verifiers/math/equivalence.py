"""Mathematical equality of parsed answers, decided exactly: numerics may refute, never accept.

Every function here returns True only with a proof (exact arithmetic or an exact symbolic
rewrite), False when the values are shown to differ, and raises :class:`Undecided` when
neither is established within the limits (the answer then scores 0 with code
``undecided``). For ``d = a - b``:

1. ``d`` is structurally 0 after sympy's automatic canonicalisation (``-30 + 54*a`` vs
   ``54*a - 30``): equal.
2. ``d`` is a rational function with rational coefficients (polynomials, fractions): its
   value at 6 seeded rational points is computed *exactly*; a nonzero value proves
   inequality; otherwise ``cancel(together(d)) == 0`` decides exactly (the canonical form of
   a rational function). The points only ever refute, so no probabilistic bound is involved
   in accepting: the failure probability of acceptance is 0, whatever the degree.
3. Anything else (radicals, pi, exp, log, trig, Abs): ``a`` and ``b`` are evaluated at seeded
   points (400 bits); a relative difference above 2^-133 refutes. Then, for an algebraic
   constant ``d`` (rationals, radicals, i), a minimal polynomial other than ``X`` refutes;
   ``expand(d)``, ``sqrtdenest(d)`` or ``simplify(d)`` giving 0 (exact rewrites) proves
   equality. Otherwise a high-precision
   evaluation (precision sized by the expressions' own numbers, at most 100,000 bits) may
   still refute; if it does not, the comparison is :class:`Undecided` -- agreement at points,
   however precise, is never accepted (``7 + 10^-40*sqrt(2)`` is not 7, ``1/3 + pi/10^50`` is
   not 1/3).

The points are a pure function of the symbol names (``random.Random`` with a fixed integer
seed), hence identical in every process and under every ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import random

from mathgym.verifiers.math.numeric import PRECISION_BITS, Unevaluable, evaluate, is_close
from sympy import (
    Add,
    Expr,
    Mul,
    Pow,
    Rational,
    S,
    Symbol,
    cancel,
    exp,
    fraction,
    nan,
    oo,
    preorder_traversal,
    simplify,
    together,
    zoo,
)
from sympy.polys.polyerrors import PolynomialError
from sympy.polys.polytools import Poly

#: Seed of the evaluation points (any fixed int; documented so results are reproducible).
POINT_SEED = 20_251_122
#: Points tried in each numeric test.
N_POINTS = 6
#: A relative difference above 2^-NUMERIC_REL_BITS (~1e-40) at 400-bit evaluation is a
#: difference (the quick test that runs before any symbolic work).
NUMERIC_REL_BITS = 133
#: Largest precision the fallback may need (bits); beyond it an unproven answer is refused.
FALLBACK_MAX_BITS = 100_000


def _sorted_symbols(*exprs: Expr) -> list[Symbol]:
    names: set[Symbol] = set()
    for e in exprs:
        names |= e.free_symbols
    return sorted(names, key=lambda s: s.name)


def _points(symbols: list[Symbol], count: int) -> list[dict]:
    """Seeded rational points p/q, |p| < 1000, 0 < q < 97: cheap exact evaluation."""
    rng = random.Random(POINT_SEED)
    return [{s: Rational(rng.randint(-999, 999) or 1, rng.randint(1, 96)) for s in symbols}
            for _ in range(count)]


def _wide_points(symbols: list[Symbol], count: int) -> list[dict]:
    """Seeded points p/q with ~30-bit p and q (values mostly within +-10): generic points for
    transcendental expressions, so no ``sin(pi*N*x)`` vanishes at all of them."""
    rng = random.Random(POINT_SEED + 1)
    return [{s: Rational(rng.randint(-10**9, 10**9), rng.randint(10**8, 10**9 + 7))
             for s in symbols} for _ in range(count)]


def is_rational_function(e: Expr) -> bool:
    """True when ``e`` is built from symbols and rationals by +, *, and integer powers."""
    for node in preorder_traversal(e):
        if node.is_Symbol or node.is_Rational or isinstance(node, (Add, Mul)):
            continue
        if isinstance(node, Pow) and node.exp.is_Integer:
            continue
        return False
    return True


def _finite(v: Expr) -> bool:
    return v.is_number and not v.has(zoo, nan, oo, -oo)


def _numeric_agree(a: Expr, b: Expr, points: list[dict], bits: int = PRECISION_BITS,
                   rel_bits: int = NUMERIC_REL_BITS) -> tuple[bool, int]:
    """(no point shows a difference, number of points where both sides evaluated)."""
    valid = 0
    for point in points:
        try:
            va = evaluate(a, point, bits)
            vb = evaluate(b, point, bits)
        except Unevaluable:
            continue
        valid += 1
        if not is_close(va, vb, rel_bits):
            return False, valid
    return True, valid


def _resolution_bits(e: Expr, points: list[dict]) -> int:
    """A precision (bits) at which a perturbation built from ``e``'s own parts shows: the sizes
    of all its rationals plus, per exponential or non-rational power, the bits of its largest
    magnitude e^|Re(arg)| over ``points``."""
    from mathgym.verifiers.math.numeric import exponent_bits

    bits = 0
    for node in preorder_traversal(e):
        if node.is_Rational:
            bits += max(abs(node.p).bit_length(), node.q.bit_length())
        elif isinstance(node, exp) or (isinstance(node, Pow) and not node.exp.is_Rational):
            bits += max(exponent_bits(node, point) for point in points) + 64
    return bits


class Undecided(ValueError):
    """Equality could not be decided exactly within the limits; the message says why."""


def _refuted_precisely(a: Expr, b: Expr, symbols: list[Symbol]) -> bool:
    """A refutation at a precision that resolves any perturbation made of the expressions'
    own numbers: True when ``a`` and ``b`` differ at a seeded point. Never a proof of
    equality (the caller raises Undecided when this is False)."""
    points = _wide_points(symbols, 3 if symbols else 1)
    need = _resolution_bits(a, points) + _resolution_bits(b, points) + 256
    if need > FALLBACK_MAX_BITS:
        return False
    agree, _ = _numeric_agree(a, b, points, bits=need + 256, rel_bits=need)
    return not agree


#: Largest degree bound (product of the root indices) for which a minimal polynomial is
#: computed to refute an algebraic difference.
MAX_MINPOLY_DEGREE = 64


def is_algebraic_constant(e: Expr) -> bool:
    """True for a constant built from rationals and i by +, * and rational powers."""
    from sympy.core.numbers import ImaginaryUnit

    for node in preorder_traversal(e):
        if node.is_Rational or isinstance(node, (Add, Mul, ImaginaryUnit)):
            continue
        if isinstance(node, Pow) and node.exp.is_Rational:
            continue
        return False
    return True


def _degree_bound(e: Expr) -> int:
    bound = 1
    for node in set(preorder_traversal(e)):
        if isinstance(node, Pow) and node.exp.is_Rational and node.exp.q > 1:
            bound *= int(node.exp.q)
        elif node is S.ImaginaryUnit:
            bound *= 2
    return bound


def _algebraic_nonzero(d: Expr) -> bool:
    """True when the minimal polynomial of the algebraic constant ``d`` is not ``X`` (so
    ``d != 0``). sympy picks the factor numerically, so this is used only to refute: a wrong
    pick could only turn a true equality into a rejection, never accept."""
    from sympy import Dummy, minimal_polynomial

    if _degree_bound(d) > MAX_MINPOLY_DEGREE:
        return False
    x = Dummy("x")
    try:
        return minimal_polynomial(d, x) != x
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError):
        return False


def _proved_zero_cheaply(d: Expr) -> bool:
    """``d == 0`` by a cheap exact rewrite: expansion, or denesting square roots."""
    from sympy import expand, sqrtdenest

    try:
        return expand(d) == 0 or (d.has(Pow) and sqrtdenest(d) == 0)
    except (ValueError, TypeError, ArithmeticError, RecursionError, NotImplementedError):
        return False


def _proved_zero(d: Expr) -> bool:
    """``d == 0`` by sympy's simplify (a sequence of exact rewrites)."""
    try:
        return simplify(d) == 0
    except (ValueError, TypeError, ArithmeticError, RecursionError, NotImplementedError):
        return False


def expressions_equal(a: Expr, b: Expr) -> bool:
    """Mathematical equality of two expressions, exactly (see the module docstring);
    raises :class:`Undecided`."""
    if a == b:
        return True
    d = a - b
    if d == 0:
        return True
    symbols = _sorted_symbols(a, b)
    if is_rational_function(d) and (symbols or d.is_Rational):
        if not symbols:
            return False  # an exact rational that is not 0
        for point in _points(symbols, N_POINTS):
            v = d.xreplace(point)
            if v.is_Rational and v != 0:
                return False
        return cancel(together(d)) == 0
    agree, valid = _numeric_agree(a, b, _wide_points(symbols, N_POINTS if symbols else 1))
    if not agree:
        return False
    if valid == 0:
        raise Undecided("the answer cannot be evaluated at any test point")
    if _proved_zero_cheaply(d):
        return True
    if not symbols and is_algebraic_constant(d) and _algebraic_nonzero(d):
        return False
    if _proved_zero(d):
        return True
    if _refuted_precisely(a, b, symbols):
        return False
    raise Undecided("equality with the reference could not be decided exactly")


def _numerator(f: Expr) -> Expr:
    return fraction(together(f))[0]


def _exact_ratio(fa: Expr, fb: Expr, symbols: list[Symbol]) -> Expr | None:
    """fa/fb at the first seeded rational point where both are finite and fb != 0."""
    for point in _points(symbols, N_POINTS):
        va, vb = fa.xreplace(point), fb.xreplace(point)
        if va.is_Rational and vb.is_Rational and vb != 0:
            return va / vb
    return None


def _numeric_ratios_constant(fa: Expr, fb: Expr, symbols: list[Symbol]) -> bool:
    """False when fa/fb is seen to vary (or to vanish) at seeded generic points: a
    refutation; True proves nothing."""
    ratios = []
    for point in _wide_points(symbols, N_POINTS):
        try:
            va, vb = evaluate(fa, point), evaluate(fb, point)
        except Unevaluable:
            continue
        if vb == 0:
            continue
        ratios.append(va / vb)
    if any(not is_close(r, ratios[0], NUMERIC_REL_BITS) for r in ratios[1:]):
        return False
    return not ratios or ratios[0] != 0


def _has_denominator(f: Expr) -> bool:
    return not fraction(together(f))[1].is_number


def equations_equal(lhs_a: Expr, rhs_a: Expr, lhs_b: Expr, rhs_b: Expr) -> bool:
    """Same solution set: ``fa = la - ra`` and ``fb = lb - rb`` are proportional by a nonzero
    constant (proved exactly), or (for polynomials) their square-free parts are proportional
    (same zero set over C). Raises :class:`Undecided`."""
    fa = lhs_a - rhs_a
    fb = lhs_b - rhs_b
    if fa == 0 or fb == 0:
        return fa == fb
    symbols = _sorted_symbols(fa, fb)
    if not (is_rational_function(fa) and is_rational_function(fb)):
        if not _numeric_ratios_constant(fa, fb, symbols):
            return False
        try:
            ratio = simplify(fa / fb)
            if ratio.is_number and ratio != 0 and not ratio.has(zoo, nan, oo, -oo):
                return True
        except (ValueError, TypeError, ArithmeticError, RecursionError):
            pass
        raise Undecided("equivalence of the equations could not be decided exactly")
    if not symbols:
        return True  # two nonzero constants: neither equation has a solution
    c = _exact_ratio(fa, fb, symbols)
    if c is not None and c != 0 and expressions_equal(fa, c * fb):
        return True
    if _has_denominator(fa) or _has_denominator(fb):
        return False  # poles exclude solutions: only proportional equations are the same
    try:
        pa = Poly(_numerator(fa), *symbols).sqf_part()
        pb = Poly(_numerator(fb), *symbols).sqf_part()
    except PolynomialError:
        return False
    if pa.is_zero or pb.is_zero:
        return False
    c = _exact_ratio(pa.as_expr(), pb.as_expr(), symbols)
    return c is not None and c != 0 and expressions_equal(pa.as_expr(), c * pb.as_expr())
