"""Safe numerical evaluation of parsed expressions with mpmath, refusing huge magnitudes.

sympy's ``evalf`` will happily try ``exp(exp(exp(exp(100))))`` for ever. This evaluator walks
the (whitelisted) expression tree itself at a fixed precision and raises ``Unevaluable`` as
soon as an exponential's argument exceeds ``MAX_EXP_ARG`` or a trigonometric argument exceeds
``MAX_TRIG_ARG``, so every evaluation costs a bounded amount of work.

The grammar uses it to refuse constant answers such as ``exp(exp(100))`` while parsing; the
equivalence test uses it to compare expressions at random points.
"""

from __future__ import annotations

import mpmath
from sympy import (
    Abs,
    Add,
    Expr,
    Mul,
    Pow,
    Symbol,
    cos,
    exp,
    log,
    sin,
    tan,
)
from sympy.core.numbers import Exp1, ImaginaryUnit, Pi

#: Largest real part of the argument of exp (also of ``e * log(b)`` in ``b^e``): e^10000 has
#: 4,343 digits, still cheap at fixed precision.
MAX_EXP_ARG = 10_000
#: Largest |argument| of sin/cos/tan (argument reduction costs grow with the magnitude).
MAX_TRIG_ARG = 10**30
#: Magnitudes below 2^-TINY_BITS convert to exactly 0 (keeps denominators bounded).
TINY_BITS = 4_000
#: Working precision in bits (~120 significant digits).
PRECISION_BITS = 400

_CTX = mpmath.MPContext()
_CTX.prec = PRECISION_BITS


class Unevaluable(ValueError):
    """The value is undefined (pole, log 0) or too large to evaluate cheaply."""


class TooLarge(Unevaluable):
    """A magnitude limit (``MAX_EXP_ARG``, ``MAX_TRIG_ARG``) was hit."""


def _exp(a):
    if _CTX.re(a) > MAX_EXP_ARG:
        raise TooLarge("exponential argument too large")
    return _CTX.exp(a)


def _trig(fn, a):
    if abs(a) > MAX_TRIG_ARG:
        raise TooLarge("trigonometric argument too large")
    return fn(a)


def _pow(b, e, integer_exponent: int | None):
    if integer_exponent is not None:
        if b == 0:
            if integer_exponent < 0:
                raise Unevaluable("division by zero")
            return _CTX.mpf(0) if integer_exponent else _CTX.mpf(1)
        if abs(integer_exponent) * abs(_CTX.log(abs(b))) > MAX_EXP_ARG:
            raise TooLarge("power too large")
        return b**integer_exponent
    if b == 0:
        if _CTX.re(e) > 0:
            return _CTX.mpf(0)
        raise Unevaluable("0 to a non-positive power")
    return _exp(e * _CTX.log(b))


def _eval(e: Expr, point: dict):
    if e.is_Rational:
        return _CTX.mpf(e.p) / e.q if e.q != 1 else _CTX.mpf(e.p)
    if isinstance(e, Symbol):
        try:
            v = point[e]
        except KeyError:
            raise Unevaluable(f"no value for {e.name}") from None
        return _CTX.mpf(v.p) / v.q  # a sympy Rational, converted at the current precision
    if isinstance(e, Add):
        total = _CTX.mpf(0)
        for arg in e.args:
            total += _eval(arg, point)
        return total
    if isinstance(e, Mul):
        product = _CTX.mpf(1)
        for arg in e.args:
            product *= _eval(arg, point)
        return product
    if isinstance(e, Pow):
        b = _eval(e.base, point)
        if e.exp.is_Integer:
            return _pow(b, None, int(e.exp))
        return _pow(b, _eval(e.exp, point), None)
    if isinstance(e, Pi):
        return +_CTX.pi
    if isinstance(e, Exp1):
        return +_CTX.e
    if isinstance(e, ImaginaryUnit):
        return _CTX.mpc(0, 1)
    if isinstance(e, exp):
        return _exp(_eval(e.args[0], point))
    if isinstance(e, log):
        a = _eval(e.args[0], point)
        if a == 0:
            raise Unevaluable("log(0)")
        return _CTX.log(a)
    if isinstance(e, sin):
        return _trig(_CTX.sin, _eval(e.args[0], point))
    if isinstance(e, cos):
        return _trig(_CTX.cos, _eval(e.args[0], point))
    if isinstance(e, tan):
        a = _eval(e.args[0], point)
        if abs(a) > MAX_TRIG_ARG:
            raise TooLarge("trigonometric argument too large")
        c = _CTX.cos(a)
        if c == 0:
            raise Unevaluable("tan at a pole")
        return _CTX.sin(a) / c
    if isinstance(e, Abs):
        return abs(_eval(e.args[0], point))
    raise Unevaluable(f"cannot evaluate {type(e).__name__}")


def evaluate(e: Expr, point: dict | None = None, bits: int = PRECISION_BITS):
    """mpmath value (mpf or mpc) of ``e`` at ``bits`` of precision, with symbols replaced by
    ``point`` values (sympy Rationals). Raises Unevaluable."""
    try:
        with _CTX.workprec(bits):
            value = _eval(e, point or {})
    except (ZeroDivisionError, OverflowError, ValueError) as err:
        if isinstance(err, Unevaluable):
            raise
        raise Unevaluable(str(err)) from None
    if not _CTX.isfinite(value):
        raise Unevaluable("not finite")
    return value


def exponent_bits(node: Expr, point: dict) -> int:
    """Bits of e^|Re(w)| for an exp(w) or b^w node (w log b) at ``point``; huge if unknown."""
    try:
        with _CTX.workprec(64):
            if isinstance(node, exp):
                w = _eval(node.args[0], point)
            else:
                w = _eval(node.exp, point) * _CTX.log(_eval(node.base, point))
            return int(abs(_CTX.re(w)) * 1.4427) + 1
    except (ValueError, ZeroDivisionError, OverflowError):
        return 10**9


def to_fraction(value) -> tuple[int, int]:
    """Exact (numerator, denominator) of a real mpmath number (its binary value)."""
    if isinstance(value, _CTX.mpc):
        if value.imag != 0:
            raise Unevaluable("complex value")
        value = value.real
    man, e = _CTX.mpf(value).man_exp
    if man == 0 or e + int(man).bit_length() < -TINY_BITS:
        return 0, 1  # below 2^-TINY_BITS: zero for every comparison we make
    if e >= 0:
        return int(man) << e, 1
    return int(man), 1 << (-e)


def is_close(a, b, rel_bits: int) -> bool:
    """|a - b| <= 2^-rel_bits * max(|a|, |b|): purely relative, so two tiny but different
    values are *not* close (an absolute floor would accept sin(x)/10^50 for 0)."""
    with _CTX.workprec(rel_bits + 64):
        return abs(a - b) <= _CTX.ldexp(max(abs(a), abs(b)), -rel_bits)


# -- rigorous enclosures (decimal answers) ---------------------------------------------------

_IV = mpmath.iv


def _iv_eval(e: Expr):
    """Interval (mpmath ``iv``, outward rounding) containing the real constant ``e``."""
    if e.is_Rational:
        return _IV.mpf(e.p) / e.q
    if isinstance(e, Pi):
        return _IV.pi
    if isinstance(e, Exp1):
        return _IV.e
    if isinstance(e, Add):
        total = _IV.mpf(0)
        for arg in e.args:
            total += _iv_eval(arg)
        return total
    if isinstance(e, Mul):
        product = _IV.mpf(1)
        for arg in e.args:
            product *= _iv_eval(arg)
        return product
    if isinstance(e, Pow):
        b = _iv_eval(e.base)
        if e.exp.is_Integer:
            n = int(e.exp)
            if n < 0 and b.a <= 0 <= b.b:
                raise Unevaluable("division by an interval containing 0")
            return b**n
        if not b.a > 0:
            raise Unevaluable("non-integer power of a base not known to be positive")
        w = _iv_eval(e.exp) * _IV.log(b)
        if w.b > MAX_EXP_ARG:
            raise TooLarge("power too large")
        return _IV.exp(w)
    if isinstance(e, exp):
        w = _iv_eval(e.args[0])
        if w.b > MAX_EXP_ARG:
            raise TooLarge("exponential argument too large")
        return _IV.exp(w)
    if isinstance(e, log):
        a = _iv_eval(e.args[0])
        if not a.a > 0:
            raise Unevaluable("log of an argument not known to be positive")
        return _IV.log(a)
    if isinstance(e, (sin, cos, tan)):
        a = _iv_eval(e.args[0])
        if max(abs(a.a), abs(a.b)) > MAX_TRIG_ARG:
            raise TooLarge("trigonometric argument too large")
        fn = {sin: _IV.sin, cos: _IV.cos, tan: _IV.tan}[type(e)]
        return fn(a)
    if isinstance(e, Abs):
        return abs(_iv_eval(e.args[0]))
    raise Unevaluable(f"cannot enclose {type(e).__name__}")


def enclose(e: Expr, bits: int = PRECISION_BITS) -> tuple:
    """Exact rational bounds ``(lo, hi)`` (``fractions.Fraction``) with lo <= e <= hi, from
    interval arithmetic with outward rounding: a *proof* of where the real constant ``e``
    lies, not an estimate. Raises Unevaluable for complex values, symbols, poles, or an
    unbounded enclosure."""
    from fractions import Fraction

    from mpmath import libmp

    saved = _IV.prec
    try:
        _IV.prec = bits  # the worker is single-threaded; restored below
        value = _iv_eval(e)
        lo, hi = value._mpi_
    except (ZeroDivisionError, OverflowError, ValueError, ArithmeticError) as err:
        if isinstance(err, Unevaluable):
            raise
        raise Unevaluable(str(err)) from None
    finally:
        _IV.prec = saved
    if lo in (libmp.finf, libmp.fninf, libmp.fnan) or hi in (libmp.finf, libmp.fninf,
                                                             libmp.fnan):
        raise Unevaluable("unbounded enclosure")
    return Fraction(*libmp.to_rational(lo)), Fraction(*libmp.to_rational(hi))
