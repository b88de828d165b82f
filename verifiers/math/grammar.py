"""Recursive-descent grammar of answers, building sympy objects directly (never eval/sympify).

Grammar (lowest precedence first; ``tokens.py`` defines the tokens)::

    answer    := items EOF
    items     := relation ((',' | ';' | 'and') relation)*
    relation  := sum ('=' sum)?                      at most one '=' per item
    sum       := term (('+' | '-') term)*
    term      := unary (('*' | '/') unary | implicit)*   left-associative, one precedence
    implicit  := power starting with a name, '(', \\frac or \\sqrt -- never with a number,
                 so "2 3" and "x2" are errors, "2x", "3(x+1)", "x y", "2\\sqrt{3}" products
    unary     := ('-' | '+') unary | power           -x^2 = -(x^2)
    power     := postfix ('^' exponent)?             right-associative: 2^3^2 = 2^9
    exponent  := ('-' | '+') exponent | '{' sum '}' | power
    postfix   := primary '!'*
    primary   := NUMBER | NAME | NAME '(' items ')' | '(' items ')' | '[' items? ']'
               | '{' items? '}' | \\frac ARG ARG | \\sqrt ('[' sum ']')? ARG
    ARG       := '{' sum '}' | '(' sum ')' | one digit | one letter       (\\frac12 = 1/2)

Names: functions ``sqrt exp log ln sin cos tan abs Abs factorial`` (called with parentheses;
the LaTeX forms ``\\sin x`` may omit them), constants ``pi`` and ``E`` (``e`` is Euler's number
unless ``e`` is a declared variable), booleans ``True False yes no`` (any case), declared
variables (``spec["variables"]``, may be multi-letter), any single letter (a symbol), and a
run of declared single-letter variables (``xy`` = x*y). Any other word is an error, so prose
("the answer is 5") is refused rather than misread as a product of letters.

A mixed number ``2\\frac{1}{2}`` is refused as ambiguous. Every operation checks the limits
of ``limits.py`` *before* sympy computes it: a power whose exact result would exceed
``MAX_RATIONAL_BITS`` (``10^10^10``, ``9^9^9^9``) raises LimitError unevaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mathgym.verifiers.math.limits import (
    MAX_DEPTH,
    MAX_FACTORIAL,
    MAX_ITEMS,
    MAX_RATIONAL_BITS,
    MAX_ROOT_BASE_BITS,
    MAX_ROOT_INDEX,
    MAX_SYMBOLIC_EXPONENT,
    MAX_TRANSCENDENTAL_ARG_BITS,
)
from mathgym.verifiers.math.tokens import LimitError, ParseError, Token, tokenize
from sympy import (
    Abs,
    Add,
    E,
    Expr,
    Integer,
    Mul,
    Pow,
    Rational,
    S,
    Symbol,
    cos,
    exp,
    factorial,
    log,
    nan,
    pi,
    preorder_traversal,
    sin,
    tan,
    zoo,
)


@dataclass(frozen=True)
class Relation:
    """``lhs = rhs`` (an equation, or an assignment such as ``x = 3``)."""

    lhs: Expr
    rhs: Expr


@dataclass(frozen=True)
class Items:
    """A comma-separated sequence; ``bracket`` is ``""``, ``"("``, ``"["``, ``"{"`` or
    ``"\\{"`` (written ``\\{ \\}`` or ``\\lbrace``, or ``\\emptyset``: always a set, while a
    one-item plain ``{3}`` may be a TeX group).

    ``joiners`` holds the separator words used between the items (``"and"``, ``"or"``), so
    the comparison can tell ``x = 1 or x = 2`` (alternatives) from ``x = 1 and y = 2``.
    """

    items: tuple
    bracket: str
    joiners: frozenset = frozenset()


@dataclass(frozen=True)
class Infinity:
    """``oo``, ``\\infty``, ``∞`` with a sign: only ever an interval endpoint, never arithmetic."""

    sign: int = 1


@dataclass(frozen=True)
class Interval:
    """A half-open interval ``(lo, hi]`` or ``[lo, hi)`` (mismatched brackets). ``(lo, hi)``
    and ``[lo, hi]`` stay :class:`Items`: whether they are a tuple, a list or an interval is
    the declared answer type's to say."""

    lo: Any
    hi: Any
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class Truth:
    """A boolean answer (True/False/yes/no)."""

    value: bool


_UNARY_FUNCS = {"exp": exp, "log": log, "ln": log, "sin": sin, "cos": cos, "tan": tan}
FUNCTION_NAMES = frozenset({*_UNARY_FUNCS, "sqrt", "abs", "Abs", "factorial"})
_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False}
#: Words for infinity (sympy prints it ``oo``); ``\\infty`` and ``∞`` tokenize to ``oo``.
INFINITY_NAMES = frozenset({"oo", "inf", "infty", "infinity"})
_CLOSER = {"(": ")", "[": "]", "{": "}"}


def _bracket(open_tok: Token) -> str:
    return "\\{" if open_tok.text == "{" and open_tok.latex else open_tok.text


def _bits(n: int) -> int:
    return abs(n).bit_length()


def _rational_bits(v: Rational) -> int:
    return max(_bits(v.p), _bits(v.q))


def _max_atom_bits(v: Expr) -> int:
    """Largest numerator/denominator size (bits) of any rational inside ``v``."""
    best = 0
    for node in preorder_traversal(v):
        if node.is_Rational:
            best = max(best, _rational_bits(node))
    return best


def _coeff_bits(v: Expr) -> tuple[int, int]:
    """(numerator bits, denominator bits) of the numeric coefficient of a product/number."""
    if v.is_Rational:
        return _bits(v.p), _bits(v.q)
    if v.is_Mul and v.args and v.args[0].is_Rational:
        c = v.args[0]
        return _bits(c.p), _bits(c.q)
    return 0, 0


@lru_cache(maxsize=65536)
def tame(e: Expr) -> bool:
    """True for expressions sympy can auto-evaluate cheaply: symbols, rationals, pi, E, I,
    sums, products and rational powers of those. Anything with a function (exp, log, trig,
    Abs) or a non-rational exponent is built with ``evaluate=False``: sympy's automatic
    simplification of such constants runs assumption queries whose numerical evaluation
    can escalate precision without bound (found by fuzzing)."""
    if e.is_Atom:
        return e.is_Symbol or e.is_Rational or e in (pi, E, S.ImaginaryUnit)
    if isinstance(e, (Add, Mul)):
        return all(tame(a) for a in e.args)
    if isinstance(e, Pow):
        return e.exp.is_Rational and tame(e.base)
    return False


def _too_big(what: str) -> LimitError:
    return LimitError(f"{what} would exceed {MAX_RATIONAL_BITS} bits (~10,000 digits)")


def make_pow(base: Expr, expo: Expr) -> Expr:
    """``base ** expo`` after the size checks of the module docstring."""
    if base == 0 and expo.is_number and (expo.is_negative or expo == 0):
        raise ParseError("0 raised to a non-positive power is undefined")
    if expo.is_Integer:
        e = abs(int(expo))
        if base.is_Rational:
            if max(_rational_bits(base), 1) * e > MAX_RATIONAL_BITS:
                raise _too_big("power")
        else:
            if e > MAX_SYMBOLIC_EXPONENT:
                raise LimitError(
                    f"exponent {e} on a non-rational base exceeds {MAX_SYMBOLIC_EXPONENT}"
                )
            if max(_max_atom_bits(base), 1) * e > MAX_RATIONAL_BITS:
                raise _too_big("power")
    elif expo.is_Rational:
        p, q = abs(expo.p), expo.q
        if q > MAX_ROOT_INDEX:
            raise LimitError(f"root index {q} exceeds {MAX_ROOT_INDEX}")
        if base.is_Rational:
            bits = _rational_bits(base)
            if bits > MAX_ROOT_BASE_BITS:
                raise LimitError(f"root of a number with more than {MAX_ROOT_BASE_BITS} bits")
            if max(bits, 1) * p > MAX_RATIONAL_BITS:
                raise _too_big("power")
        elif p > MAX_SYMBOLIC_EXPONENT:
            raise LimitError(f"exponent {expo} exceeds {MAX_SYMBOLIC_EXPONENT}")
        elif max(_max_atom_bits(base), 1) * p > MAX_RATIONAL_BITS:
            raise _too_big("power")
    else:
        # Irrational or symbolic exponent: kept unevaluated; bound the numbers involved so
        # that numerical evaluation at fixed precision stays cheap.
        if max(_max_atom_bits(base), _max_atom_bits(expo)) > MAX_TRANSCENDENTAL_ARG_BITS:
            raise LimitError(
                f"numbers in a non-rational power exceed {MAX_TRANSCENDENTAL_ARG_BITS} bits"
            )
        if not (base.free_symbols or expo.free_symbols):
            _constant_value("a power", Pow(base, expo, evaluate=False))
    result = Pow(base, expo, evaluate=tame(base) and tame(expo))
    if result.has(zoo, nan):
        raise ParseError("division by zero")
    return result


def make_mul(factors: list[Expr], divisors: list[Expr]) -> Expr:
    """Product of ``factors`` divided by ``divisors``, after size and zero checks."""
    num_bits = den_bits = 0
    for f in factors:
        a, b = _coeff_bits(f)
        num_bits, den_bits = num_bits + a, den_bits + b
    for d in divisors:
        if d == 0:
            raise ParseError("division by zero")
        a, b = _coeff_bits(d)
        num_bits, den_bits = num_bits + b, den_bits + a
    if max(num_bits, den_bits) > MAX_RATIONAL_BITS:
        raise _too_big("product")
    parts = list(factors) + [make_pow(d, S.NegativeOne) for d in divisors]
    result = Mul(*parts)
    if result.has(zoo, nan):
        raise ParseError("division by zero")
    return result


def make_add(terms: list[Expr]) -> Expr:
    """Sum of ``terms`` after a size check (common denominators multiply)."""
    num_bits = den_bits = 0
    for t in terms:
        a, b = _coeff_bits(t)
        num_bits, den_bits = max(num_bits, a), den_bits + b
    if num_bits + den_bits > MAX_RATIONAL_BITS:
        raise _too_big("sum")
    return Add(*terms)


def _constant_value(what: str, unevaluated: Expr) -> None:
    """Refuse a constant whose value is undefined or too large to evaluate (exp(exp(100)))."""
    from mathgym.verifiers.math.numeric import TooLarge, Unevaluable, evaluate

    try:
        evaluate(unevaluated)
    except TooLarge as e:
        raise LimitError(f"{what} is too large to evaluate ({e})") from None
    except Unevaluable as e:
        raise ParseError(f"{what} is undefined ({e})") from None


def _check_transcendental_arg(name: str, arg: Expr) -> None:
    if _max_atom_bits(arg) > MAX_TRANSCENDENTAL_ARG_BITS:
        raise LimitError(
            f"numbers inside {name}() exceed {MAX_TRANSCENDENTAL_ARG_BITS} bits"
        )


def apply_function(name: str, args: list[Any], pos: int) -> Expr:
    """Apply a whitelisted function to already-built arguments."""
    if len(args) != 1:
        raise ParseError(f"{name}() at position {pos} takes exactly one argument")
    arg = as_expr(args[0], pos)
    if name == "sqrt":
        return make_pow(arg, Rational(1, 2))
    if name in ("abs", "Abs"):
        return Abs(arg, evaluate=tame(arg))
    if name == "factorial":
        return make_factorial(arg, pos)
    _check_transcendental_arg(name, arg)
    if not arg.free_symbols:
        _constant_value(f"{name}()", _UNARY_FUNCS[name](arg, evaluate=False))
    result = _UNARY_FUNCS[name](arg, evaluate=tame(arg))
    if result.has(zoo, nan):
        raise ParseError(f"{name}() at position {pos} is undefined at its argument")
    return result


def make_factorial(arg: Expr, pos: int) -> Expr:
    """``n!`` for an integer 0 <= n <= MAX_FACTORIAL."""
    if not arg.is_Integer or arg < 0:
        raise ParseError(f"factorial at position {pos} needs a non-negative integer")
    if arg > MAX_FACTORIAL:
        raise LimitError(f"factorial of {arg} exceeds the limit {MAX_FACTORIAL}!")
    return factorial(arg)


def as_expr(v: Any, pos: int) -> Expr:
    """``v`` as a sympy expression; lists, equations and booleans are not arithmetic."""
    if isinstance(v, Items) and v.bracket == "{" and len(v.items) == 1:
        v = v.items[0]  # {3} in arithmetic is a LaTeX group
    if isinstance(v, Expr):
        return v
    what = {Relation: "an equation", Items: "a list", Truth: "a boolean", Interval: "an interval",
            Infinity: "infinity (only an interval endpoint)"}.get(type(v), "this")
    raise ParseError(f"{what} cannot be used in arithmetic (position {pos})")


def number_literal(text: str) -> Rational:
    """Exact value of a NUM token (``12``, ``0.25``, ``1e-3``)."""
    mantissa, _, exponent = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    value = Integer(int(whole + frac)) if (whole + frac) else Integer(0)
    shift = (int(exponent) if exponent else 0) - len(frac)
    if shift >= 0:
        return value * Integer(10) ** shift
    return Rational(value, Integer(10) ** (-shift))


class Parser:
    """One parse of one token list; ``variables`` are the declared variable names."""

    def __init__(self, tokens: list[Token], variables: Iterable[str] = ()) -> None:
        self.toks = list(tokens)
        self.i = 0
        self.depth = 0
        self.variables = frozenset(variables)

    # -- token helpers -------------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def peek_op(self, chars: str) -> bool:
        t = self.peek()
        return t is not None and t.kind == "OP" and t.text in chars

    def take(self) -> Token:
        t = self.peek()
        if t is None:
            raise ParseError("the answer ends too early")
        self.i += 1
        return t

    def expect(self, char: str) -> None:
        t = self.peek()
        if t is None:
            raise ParseError(f"expected {char!r} but the answer ended")
        if t.kind != "OP" or t.text != char:
            raise ParseError(f"expected {char!r} at position {t.pos}, found {t.text!r}")
        self.i += 1

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(f"answer is nested deeper than {MAX_DEPTH} levels")

    def leave(self) -> None:
        self.depth -= 1

    def pos(self) -> int:
        t = self.peek()
        return t.pos if t is not None else (self.toks[-1].pos + 1 if self.toks else 0)

    # -- grammar -------------------------------------------------------------------------
    def parse(self) -> Any:
        if not self.toks:
            raise ParseError("empty answer")
        parts, joiners = self.items()
        t = self.peek()
        if t is not None:
            raise ParseError(f"unexpected {t.text!r} at position {t.pos}")
        return parts[0] if len(parts) == 1 else Items(tuple(parts), "", joiners)

    def items(self) -> tuple[list[Any], frozenset]:
        """The items and the separator words (``and``/``or``) used between them."""
        parts = [self.relation()]
        joiners: set[str] = set()
        while self.peek_op(",;"):
            word = self.take().word
            if word:
                joiners.add(word)
            parts.append(self.relation())
            if len(parts) > MAX_ITEMS:
                raise LimitError(f"more than {MAX_ITEMS} items")
        return parts, frozenset(joiners)

    def relation(self) -> Any:
        lhs = self.sum()
        if not self.peek_op("="):
            return lhs
        pos = self.pos()
        self.i += 1
        if self.peek_op("="):
            self.i += 1  # '==' reads as '='
        rhs = self.sum()
        if self.peek_op("="):
            raise ParseError(f"more than one '=' at position {self.pos()}; give one equation")
        return Relation(as_expr(lhs, pos), as_expr(rhs, pos))

    def sum(self) -> Any:
        first = self.term()
        if not self.peek_op("+-"):
            return first
        terms = [as_expr(first, self.pos())]
        while self.peek_op("+-"):
            op = self.take()
            t = as_expr(self.term(), op.pos)
            terms.append(t if op.text == "+" else make_mul([S.NegativeOne, t], []))
            if len(terms) > MAX_ITEMS * 2:
                raise LimitError("too many terms")
        return make_add(terms)

    def _starts_implicit(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        if t.kind == "NAME":
            return t.text.lower() not in _BOOLEANS or t.text in self.variables
        if t.kind in ("FRAC", "SQRT"):
            return True
        return t.kind == "OP" and t.text == "("

    def term(self) -> Any:
        first = self.unary()
        factors: list[Any] = [first]
        divisors: list[Expr] = []
        while True:
            t = self.peek()
            if t is None:
                break
            if t.kind == "OP" and t.text in "*/":
                self.i += 1
                operand = as_expr(self.unary(), t.pos)
                (factors if t.text == "*" else divisors).append(operand)
            elif self._starts_implicit():
                before = self.toks[self.i - 1]
                if t.kind == "FRAC" and before.kind == "NUM":
                    raise ParseError(
                        f"mixed number at position {before.pos} is ambiguous; "
                        "write 5/2 or 2 + \\frac{1}{2}"
                    )
                factors.append(as_expr(self.power(), t.pos))
            else:
                break
            if len(factors) + len(divisors) > MAX_ITEMS * 2:
                raise LimitError("too many factors")
        if len(factors) == 1 and not divisors:
            return first
        return make_mul([as_expr(f, 0) for f in factors], divisors)

    def unary(self) -> Any:
        if self.peek_op("-+"):
            op = self.take()
            self.enter()
            inner = self.unary()
            self.leave()
            if isinstance(inner, Infinity):  # -oo, +oo: interval endpoints
                return Infinity(-inner.sign) if op.text == "-" else inner
            operand = as_expr(inner, op.pos)
            return make_mul([S.NegativeOne, operand], []) if op.text == "-" else operand
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        if not self.peek_op("^"):
            return base
        pos = self.pos()
        self.i += 1
        self.enter()
        expo = self.exponent()
        self.leave()
        return make_pow(as_expr(base, pos), as_expr(expo, pos))

    def exponent(self) -> Any:
        if self.peek_op("-+"):
            op = self.take()
            self.enter()
            operand = as_expr(self.exponent(), op.pos)
            self.leave()
            return make_mul([S.NegativeOne, operand], []) if op.text == "-" else operand
        if self.peek_op("{"):
            self.i += 1
            self.enter()
            value = self.sum()
            self.expect("}")
            self.leave()
            return value
        return self.power()

    def postfix(self) -> Any:
        value = self.primary()
        while self.peek_op("!"):
            t = self.take()
            value = make_factorial(as_expr(value, t.pos), t.pos)
        return value

    def bracketed(self, open_tok: Token) -> Any:
        closer = _CLOSER[open_tok.text]
        self.enter()
        if self.peek_op(closer):
            self.i += 1
            self.leave()
            if open_tok.text == "(":
                raise ParseError(f"empty parentheses at position {open_tok.pos}")
            return Items((), _bracket(open_tok))
        parts, joiners = self.items()
        t = self.peek()
        if open_tok.text in "([" and len(parts) == 2 and not joiners and t is not None and \
                t.kind == "OP" and t.text in ")]" and t.text != closer:
            self.i += 1  # (lo, hi] or [lo, hi): a half-open interval
            self.leave()
            return Interval(parts[0], parts[1], open_tok.text == "(", t.text == ")")
        self.expect(closer)
        self.leave()
        if open_tok.text == "(" and len(parts) == 1:
            return parts[0]
        return Items(tuple(parts), _bracket(open_tok), joiners)

    def latex_arg(self, what: str, whole_number: bool = False) -> Expr:
        """One argument of \\frac or \\sqrt: a {group}, a (group), one digit or one letter."""
        t = self.peek()
        if t is None:
            raise ParseError(f"{what} needs an argument but the answer ended")
        if t.kind == "OP" and t.text in "{(":
            self.i += 1
            self.enter()
            value = self.sum()
            self.expect(_CLOSER[t.text])
            self.leave()
            return as_expr(value, t.pos)
        if t.kind in ("NUM", "NAME") and not whole_number and len(t.text) > 1 and (
            (t.kind == "NAME" and not t.latex) or t.text[0].isdigit()
        ):
            # TeX reads one character: \frac12 = 1/2, \frac ab = a/b (but \frac\pi2 = pi/2)
            self.toks[self.i] = Token(t.kind, t.text[1:], t.pos + 1)
            first = Token(t.kind, t.text[0], t.pos)
            return as_expr(self.atom(first), t.pos)
        if t.kind in ("NUM", "NAME"):
            self.i += 1
            return as_expr(self.atom(t), t.pos)
        raise ParseError(f"{what} at position {t.pos} needs a {{...}} argument")

    def atom(self, t: Token) -> Any:
        if t.kind == "NUM":
            return number_literal(t.text)
        return self.name(t)

    def name(self, t: Token) -> Any:
        word = t.text
        if t.latex and word == "oo":
            return Infinity()  # \infty or ∞
        if word in self.variables:
            return Symbol(word)
        if word in FUNCTION_NAMES:
            return self.call(t)
        if word in ("pi", "E") or (word == "e"):
            return pi if word == "pi" else E
        if word == "EmptySet":
            return Items((), "\\{")
        if word.lower() in _BOOLEANS:
            return Truth(_BOOLEANS[word.lower()])
        if len(word) == 1:
            return Symbol(word)
        if all(ch in self.variables for ch in word):
            return make_mul([Symbol(ch) for ch in word], [])
        if word in INFINITY_NAMES:
            return Infinity()
        raise ParseError(
            f"unknown name {word!r} at position {t.pos}; write only the answer, "
            "with * between variables"
        )

    def call(self, t: Token) -> Expr:
        if self.peek_op("("):
            self.i += 1
            self.enter()
            args, _ = self.items()
            self.expect(")")
            self.leave()
            return apply_function(t.text, args, t.pos)
        if t.latex:
            self.enter()
            arg = self.power()
            self.leave()
            return apply_function(t.text, [arg], t.pos)
        raise ParseError(f"{t.text} at position {t.pos} needs parentheses: {t.text}(...)")

    def primary(self) -> Any:
        t = self.take()
        if t.kind == "NUM":
            return number_literal(t.text)
        if t.kind == "NAME":
            return self.name(t)
        if t.kind == "OP" and t.text in "([{":
            return self.bracketed(t)
        if t.kind == "FRAC":
            self.enter()
            num = self.latex_arg("\\" + t.text)
            den = self.latex_arg("\\" + t.text)
            self.leave()
            return make_mul([num], [den])
        if t.kind == "SQRT":
            self.enter()
            index: Expr = Integer(2)
            if self.peek_op("["):
                self.i += 1
                index = as_expr(self.sum(), t.pos)
                self.expect("]")
                if not (index.is_Integer and 2 <= index <= MAX_ROOT_INDEX):
                    raise ParseError(
                        f"root index at position {t.pos} must be an integer 2..{MAX_ROOT_INDEX}"
                    )
            arg = self.latex_arg("\\sqrt", whole_number=t.text != "sqrt")
            self.leave()
            return make_pow(arg, Rational(1, int(index)))
        raise ParseError(f"unexpected {t.text!r} at position {t.pos}")


def _validate(value: Any) -> None:
    """Final walk: refuse huge degrees and numbers that sympy combined during construction."""
    if isinstance(value, Items):
        for item in value.items:
            _validate(item)
    elif isinstance(value, Interval):
        _validate(value.lo)
        _validate(value.hi)
    elif isinstance(value, Relation):
        _validate(value.lhs)
        _validate(value.rhs)
    elif isinstance(value, Expr):
        for node in preorder_traversal(value):
            if node.is_Rational:
                if _rational_bits(node) > MAX_RATIONAL_BITS:
                    raise _too_big("a number")
            elif node.is_Pow and node.exp.is_Rational and not node.base.is_Rational:
                if abs(node.exp.p) > MAX_SYMBOLIC_EXPONENT:
                    raise LimitError(
                        f"degree {node.exp} exceeds {MAX_SYMBOLIC_EXPONENT}"
                    )


def parse(text: str, variables: Iterable[str] = ()) -> Any:
    """Parse answer text into a sympy Expr, ``Relation``, ``Items``, ``Interval``,
    ``Infinity`` or ``Truth``.

    Raises ParseError when the text is not in the grammar and LimitError when it is too big.
    """
    value = Parser(tokenize(text), variables).parse()
    _validate(value)
    return value
