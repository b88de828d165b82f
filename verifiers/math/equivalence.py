"""Mathematical equality of parsed answers: exact for numbers, proof-first for expressions.

Expressions ``a`` and ``b`` are equal when ``d = a - b`` is zero:

1. ``d`` is structurally 0 after sympy's automatic canonicalisation (``-30 + 54*a`` vs
   ``54*a - 30``): equal.
2. ``d`` is a rational function with rational coefficients (the common case: polynomials):
   evaluate ``d`` *exactly* at seeded random rational points -- any nonzero value proves
   inequality at once; otherwise ``cancel(d) == 0`` decides exactly.
3. Anything else (radicals, pi, exp, log, trig): evaluate ``a`` and ``b`` at seeded random
   points with ``numeric.evaluate`` (~120 digits, magnitude-guarded) -- a relative
   difference above 1e-40 proves inequality, and an answer that cannot be evaluated at any
   point is refused; otherwise ``simplify(d) == 0`` proves equality; if simplify cannot
   decide, agreement at all (at least 3) evaluable points is the fallback.

There is no tolerance on answer values anywhere: 101 is not 100. The points are a pure
function of the symbol names (``random.Random`` with a fixed integer seed), hence identical
in every process and under every ``PYTHONHASHSEED``.
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


def _fallback_agree(a: Expr, b: Expr, symbols: list[Symbol]) -> bool:
    """The fallback when simplify cannot decide: agreement at seeded points at a precision
    that resolves any perturbation made of the expressions' own numbers; refused when that
    precision would exceed FALLBACK_MAX_BITS."""
    points = _wide_points(symbols, 3 if symbols else 1)
    need = _resolution_bits(a, points) + _resolution_bits(b, points) + 256
    if need > FALLBACK_MAX_BITS:
        return False
    agree, valid = _numeric_agree(a, b, points, bits=need + 256, rel_bits=need)
    return agree and valid == len(points)


def expressions_equal(a: Expr, b: Expr) -> bool:
    """Mathematical equality of two expressions (see the module docstring)."""
    if a == b:
        return True
    d = a - b
    if d == 0:
        return True
    symbols = _sorted_symbols(a, b)
    if is_rational_function(d):
        if not symbols:
            return False  # an exact rational that is not 0
        for point in _points(symbols, N_POINTS):
            v = d.xreplace(point)
            if v.is_Rational and v != 0:
                return False
        return cancel(together(d)) == 0
    agree, valid = _numeric_agree(a, b, _wide_points(symbols, N_POINTS if symbols else 1))
    if not agree or valid == 0:
        return False  # a difference was seen, or the answer cannot be evaluated anywhere
    try:
        if simplify(d) == 0:
            return True
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        pass
    return _fallback_agree(a, b, symbols)


def _numerator(f: Expr) -> Expr:
    return fraction(together(f))[0]


def _exact_ratio(fa: Expr, fb: Expr, symbols: list[Symbol]) -> Expr | None:
    """fa/fb at the first seeded rational point where both are finite and fb != 0."""
    for point in _points(symbols, N_POINTS):
        va, vb = fa.xreplace(point), fb.xreplace(point)
        if va.is_Rational and vb.is_Rational and vb != 0:
            return va / vb
    return None


def _numeric_ratios_constant(fa: Expr, fb: Expr, symbols: list[Symbol]) -> tuple[bool, int]:
    """(fa/fb agrees at every seeded generic point, number of points where it was defined)."""
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
        return False, len(ratios)
    return bool(ratios) and ratios[0] != 0, len(ratios)


def _fallback_ratio_constant(fa: Expr, fb: Expr, symbols: list[Symbol]) -> bool:
    """fa/fb constant at seeded points at the fallback's resolving precision."""
    if not symbols:
        return False
    points = _wide_points(symbols, 3)
    need = _resolution_bits(fa, points) + _resolution_bits(fb, points) + 256
    if need > FALLBACK_MAX_BITS:
        return False
    ratios = []
    for point in points:
        try:
            va, vb = evaluate(fa, point, need + 256), evaluate(fb, point, need + 256)
        except Unevaluable:
            return False
        if vb == 0:
            return False
        ratios.append(va / vb)
    return ratios[0] != 0 and all(is_close(r, ratios[0], need) for r in ratios[1:])


def equations_equal(lhs_a: Expr, rhs_a: Expr, lhs_b: Expr, rhs_b: Expr) -> bool:
    """Same solution set: ``fa = la - ra`` and ``fb = lb - rb`` are proportional, or (for
    polynomials) their square-free parts are proportional (same zero set over C)."""
    fa = lhs_a - rhs_a
    fb = lhs_b - rhs_b
    if fa == 0 or fb == 0:
        return fa == fb
    symbols = _sorted_symbols(fa, fb)
    if not (is_rational_function(fa) and is_rational_function(fb)):
        # Proportional by a constant: numerically first (cheap), then proved or sampled.
        constant, valid = _numeric_ratios_constant(fa, fb, symbols)
        if not constant:
            return False
        try:
            ratio = simplify(fa / fb)
            if ratio.is_number and ratio != 0:
                return True
        except (ValueError, TypeError, ArithmeticError, RecursionError):
            pass
        return _fallback_ratio_constant(fa, fb, symbols)
    if not symbols:
        return True  # two nonzero constants: neither equation has a solution
    c = _exact_ratio(fa, fb, symbols)
    if c is not None and c != 0 and expressions_equal(fa, c * fb):
        return True
    try:
        pa = Poly(_numerator(fa), *symbols).sqf_part()
        pb = Poly(_numerator(fb), *symbols).sqf_part()
    except PolynomialError:
        return False
    if pa.is_zero or pb.is_zero:
        return False
    c = _exact_ratio(pa.as_expr(), pb.as_expr(), symbols)
    return c is not None and c != 0 and expressions_equal(pa.as_expr(), c * pb.as_expr())
