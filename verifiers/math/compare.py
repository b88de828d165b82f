"""Comparison by declared answer type. :func:`check_local` is one check, in *this* process.

``check_local`` has no timeout of its own: the public API (``mathgym.verifiers.math.check``)
runs it inside a worker process with a hard timeout. Call it directly only inside such a
sandbox, or to measure warm-worker speed.

Rules per answer type (``mathgym.types.ANSWER_TYPES``); "number" means an exact value, and
"equal" means *proved* equal (``equivalence.py``: numerics may refute, never accept; what is
neither proved nor refuted is ``undecided``, score 0):

=================  ===========================================================================
integer            the answer is a number equal to the reference (``6/2`` and ``3.0`` are 3);
                   a non-integer is ``wrong_type`` ("expected an integer")
rational           exact Rational equality (``2/6`` == ``1/3``, ``0.5`` == ``1/2``)
decimal            ``|answer - reference| <= spec["tolerance"]`` (a rational string such as
                   ``"1/100"`` or ``"0.005"``), exactly (interval arithmetic for constants)
expression         ``equivalence.expressions_equal``
equation           same solution set (``equivalence.equations_equal``); ``expr`` alone means
                   ``expr = 0``
solution           the same value for every variable of the reference (``x = 3, y = -1`` in any
                   order, or joined by ``and``; never ``or``), or bare values ``(3, -1)`` in
                   ``spec["variables"]`` order
list               ``[..]``, ``(..)`` or bare; same length, element-wise equal
unordered_list     ``[..]``, ``{..}`` (no repeats) or bare; equal as multisets
set                ``{..}``, ``\\{..\\}``, ``\\emptyset`` or bare (``x = 1 or x = 2`` with the
                   declared variable); equal as sets (duplicates ignored); never a list,
                   tuple, interval or nested set
tuple              ``(..)`` or bare; same length, element-wise equal
interval           ``(a, b)``, ``[a, b]``, ``(a, b]``, ``[a, b)``; ends ``-oo``/``oo``/``\\infty``
                   (always open); same brackets and equal ends
boolean            True/False, yes/no (any case)
base_n             same integer value in base ``spec["base"]`` (2..36): digits any case,
                   optional sign, ``0x``/``0o``/``0b`` prefix or ``_{base}`` subscript that
                   matches the base; leading zeros allowed
=================  ===========================================================================

For integer, rational and decimal answers (and container elements of those types) the
assignment form ``x = 3`` is read as ``3`` (``x`` must be a declared variable when the spec
declares any); for expressions ``y = 2x + 1`` is read as ``2x + 1`` when ``y`` does not occur
on the right. ``element_type`` defaults to ``expression`` (which compares numbers exactly too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache
from typing import Any

from mathgym.verifiers.math.extract import ExtractionError, extract_answer
from mathgym.verifiers.math.limits import MAX_BASE_N_DIGITS, MAX_ITEMS
from mathgym.verifiers.math.verdict import CORRECT, INCORRECT, Verdict, fail

from mathgym.types import ANSWER_TYPES

#: Element types a list/unordered_list/set may declare.
ELEMENT_TYPES: tuple[str, ...] = ("integer", "rational", "decimal", "expression", "boolean",
                                  "base_n")
CONTAINER_TYPES: tuple[str, ...] = ("list", "unordered_list", "set", "tuple", "interval")
_NAME = re.compile(r"[A-Za-z]+")
_LITERAL = re.compile(r"[+-]?[0-9]{1,50}(?:/[1-9][0-9]{0,49})?")


class WrongType(ValueError):
    """The answer is well-formed but not of the declared type (e.g. a list for an integer)."""


class Incorrect(ValueError):
    """The answer has the right type and a different value; the message is the critique."""


def validate_problem(reference: str, answer_type: str, spec: Mapping | str | None) -> dict:
    """Check the caller's (reference, answer_type, spec) and return spec as a plain dict.

    Raises ValueError naming what is wrong and how to fix it. Light: no sympy import.
    """
    if not isinstance(reference, str):
        raise ValueError(f"reference answer must be a str, got {type(reference).__name__}")
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"unknown answer_type {answer_type!r}; expected one of {ANSWER_TYPES}")
    if spec is None:
        spec = {}
    elif isinstance(spec, str):
        try:
            spec = json.loads(spec) if spec.strip() else {}
        except json.JSONDecodeError as e:
            raise ValueError(f"spec is a str but not JSON ({e}); pass a dict") from e
    if not isinstance(spec, Mapping):
        raise ValueError(f"spec must be a mapping, got {type(spec).__name__}")
    out = dict(spec)
    variables = out.get("variables", ())
    if isinstance(variables, str) or not all(
        isinstance(v, str) and _NAME.fullmatch(v) for v in variables
    ):
        raise ValueError(
            f"spec['variables'] must be a list of ASCII letter names, got {variables!r}"
        )
    out["variables"] = list(variables)
    kind = answer_type
    if answer_type in CONTAINER_TYPES:
        kind = out.setdefault("element_type", "expression")
        if kind not in ELEMENT_TYPES:
            raise ValueError(
                f"spec['element_type'] {kind!r} is not one of {ELEMENT_TYPES}"
            )
    if kind == "decimal":
        tol = out.get("tolerance")
        if isinstance(tol, bool) or not isinstance(tol, (str, int)):
            raise ValueError(
                "decimal answers need spec['tolerance'] as a rational string such as '1/100' "
                f"(floats are inexact), got {tol!r}"
            )
        out["tolerance"] = str(tol)
    if kind == "base_n":
        base = out.get("base")
        if isinstance(base, bool) or not isinstance(base, int) or not 2 <= base <= 36:
            raise ValueError(f"base_n answers need spec['base'] an int in 2..36, got {base!r}")
    try:
        json.dumps(out)
    except (TypeError, ValueError) as e:
        raise ValueError(f"spec must be JSON-ready (str, int, list, dict): {e}") from e
    return out


# -- parsing by type ------------------------------------------------------------------------

def _parse(text: str, spec: dict) -> Any:
    from mathgym.verifiers.math.grammar import parse

    return parse(text, spec["variables"])


def _unwrap(value: Any, spec: dict | None = None) -> Any:
    """``(v)``/``{v}`` -> v; ``x = v`` -> v (assignment form of a single value). When the
    spec declares variables, the left-hand side must be one of them (``y = 3`` does not
    answer "solve for x")."""
    from mathgym.verifiers.math.grammar import Items, Relation

    while True:
        if isinstance(value, Items) and value.bracket in "({" and len(value.items) == 1:
            value = value.items[0]
        elif isinstance(value, Relation) and value.lhs.is_Symbol:
            _check_variable(value.lhs, spec)
            value = value.rhs
        else:
            return value


def _check_variable(symbol: Any, spec: dict | None) -> None:
    names = (spec or {}).get("variables") or []
    if names and symbol.name not in names:
        raise WrongType(
            f"{symbol.name} is not a variable of this problem; expected {', '.join(names)}"
        )


def _describe(value: Any) -> str:
    from mathgym.verifiers.math.grammar import Infinity, Interval, Items, Relation, Truth

    if isinstance(value, Interval):
        return "an interval"
    if isinstance(value, Infinity):
        return "infinity"
    if isinstance(value, Items):
        return _WRITTEN[value.bracket]
    if isinstance(value, Relation):
        return "an equation"
    if isinstance(value, Truth):
        return "a boolean"
    if getattr(value, "free_symbols", None):
        names = ", ".join(sorted(s.name for s in value.free_symbols))
        return f"an expression in {names}"
    return "a number"


def _number(value: Any, kind: str, spec: dict | None = None) -> Any:
    """A Rational, or a real constant sympy did not reduce (``sqrt(8)/sqrt(2) + sqrt(3)``).

    Constants are kept symbolic and decided exactly in ``_numbers_equal``; for integers a
    constant that is numerically far from every integer is ``wrong_type`` at once (numerics
    may refute; a constant *near* an integer is never accepted on that ground).
    """
    from sympy import Expr

    v = _unwrap(value, spec)
    expected = {"integer": "an integer", "rational": "a rational number",
                "decimal": "a number"}[kind]
    if not isinstance(v, Expr) or v.free_symbols:
        raise WrongType(f"expected {expected}, got {_describe(v)}")
    if v.is_Rational:
        if kind == "integer" and not v.is_Integer:
            raise WrongType("expected an integer")
        return v
    approx = _real_value(v)
    if kind == "integer" and abs(approx - round(approx)) > _CLOSE * max(1, abs(approx)):
        raise WrongType("expected an integer")
    return v


#: Relative distance above which a constant is numerically *refuted* as equal to a rational
#: (below it, equality is decided exactly or the answer is undecided).
_CLOSE = 2**-200


def _real_value(v: Any) -> Any:
    """A Rational within 2^-390 (relative) of the real constant ``v`` (e.g. ``sqrt(2)``)."""
    from mathgym.verifiers.math.numeric import TooLarge, Unevaluable, evaluate, to_fraction
    from mathgym.verifiers.math.tokens import LimitError
    from sympy import Rational

    try:
        p, q = to_fraction(evaluate(v))
    except TooLarge as e:
        raise LimitError(str(e)) from None
    except Unevaluable:
        raise WrongType("expected a real number") from None
    return Rational(p, q)


def _expression(value: Any) -> Any:
    from mathgym.verifiers.math.grammar import Items, Relation
    from sympy import Expr

    v = value
    while True:
        if isinstance(v, Items) and v.bracket in "({" and len(v.items) == 1:
            v = v.items[0]
        elif isinstance(v, Relation) and v.lhs.is_Symbol and v.lhs not in v.rhs.free_symbols:
            v = v.rhs
        else:
            break
    if not isinstance(v, Expr):
        raise WrongType(f"expected an expression, got {_describe(v)}")
    return v


def _boolean(value: Any) -> bool:
    from mathgym.verifiers.math.grammar import Truth

    v = _unwrap(value, None)
    if not isinstance(v, Truth):
        raise WrongType("expected True or False")
    return v.value


_SUBSCRIPT = re.compile(r"^\(?(?P<body>[^()_]*)\)?_\{?(?P<base>[0-9]{1,2})\}?$")
_TEXT_WRAP = re.compile(r"^\\(?:text|mathrm|texttt|mathtt)\{(?P<body>[^{}]*)\}$")
_PREFIX = {"0x": 16, "0o": 8, "0b": 2}


def base_n_value(text: str, base: int) -> int:
    """Integer value of a base-``base`` numeral such as ``ff``, ``-1011``, ``0x1F``, ``101_2``."""
    s = text.strip()
    m = _TEXT_WRAP.match(s)
    if m:
        s = m.group("body").strip()
    m = _SUBSCRIPT.match(s)
    if m:
        if int(m.group("base")) != base:
            raise WrongType(f"expected a base-{base} numeral, got base {m.group('base')}")
        s = m.group("body").strip()
    sign = 1
    if s[:1] in ("-", "\u2212", "+"):
        sign = -1 if s[0] != "+" else 1
        s = s[1:].strip()
    prefix = s[:2].lower()
    if prefix in _PREFIX and len(s) > 2:
        if _PREFIX[prefix] != base:
            raise WrongType(f"expected a base-{base} numeral, got prefix {s[:2]!r}")
        s = s[2:]
    if not s:
        from mathgym.verifiers.math.tokens import ParseError

        raise ParseError("empty numeral")
    if len(s) > MAX_BASE_N_DIGITS:
        from mathgym.verifiers.math.tokens import LimitError

        raise LimitError(f"numeral has more than {MAX_BASE_N_DIGITS} digits")
    for i, ch in enumerate(s):
        if not (ch.isascii() and ch.isalnum()) or int(ch, 36) >= base:
            raise WrongType(f"{ch!r} at position {i} is not a base-{base} digit")
    return sign * int(s, base)


def _split_items(text: str) -> tuple[str, list[str]]:
    """(bracket, items) of a bracketed or bare comma list, for element types outside the
    grammar; ``bracket`` is ``"["``, ``"("``, ``"{"``, ``"\\{"`` or ``""``."""
    s = text.strip()
    pairs = {"[": "]", "(": ")", "{": "}"}
    bracket = ""
    if s.startswith("\\{") and s.endswith("\\}"):
        s, bracket = s[2:-2], "\\{"
    elif s[:1] in pairs and s.endswith(pairs[s[0]]):
        s, bracket = s[1:-1], s[0]
    s = s.strip()
    if not s:
        return bracket, []
    parts = [p.strip() for p in s.split(",")]
    if len(parts) > MAX_ITEMS:
        from mathgym.verifiers.math.tokens import LimitError

        raise LimitError(f"more than {MAX_ITEMS} items")
    return bracket, parts


def _scalar(text_or_value: Any, kind: str, spec: dict, parsed: bool) -> Any:
    """Canonical value of one scalar of type ``kind`` from text (or an already parsed value)."""
    if kind == "base_n":
        return base_n_value(text_or_value, spec["base"])
    value = text_or_value if parsed else _parse(text_or_value, spec)
    if kind in ("integer", "rational", "decimal"):
        return _number(value, kind, spec)
    if kind == "expression":
        return _expression(value)
    if kind == "boolean":
        return _boolean(value)
    raise AssertionError(kind)


#: Brackets an answer of each container type may use (``""``: a bare comma list). A set is
#: never a list or a tuple/interval, an ordered list never a set.
CONTAINER_BRACKETS: dict[str, tuple[str, ...]] = {
    "list": ("[", "(", ""),
    "unordered_list": ("[", "{", "\\{", ""),
    "set": ("{", "\\{", ""),
    "tuple": ("(", ""),
}
_WRITTEN = {"[": "a list [...]", "(": "a tuple (...)", "{": "a set {...}", "\\{": "a set {...}",
            "": "a bare list"}
_EXPECTED = {"list": "an ordered list like [1, 2]", "unordered_list": "a list like [1, 2]",
             "set": "a set like {1, 2}", "tuple": "a tuple like (1, 2)"}


def _check_bracket(bracket: str, answer_type: str) -> None:
    if bracket not in CONTAINER_BRACKETS[answer_type]:
        raise WrongType(f"expected {_EXPECTED[answer_type]}, got {_WRITTEN[bracket]}")


def _check_joined_items(items: list, joiners: frozenset, answer_type: str, spec: dict) -> None:
    """Items joined by words, and items written as ``x = v``, where the type allows them:
    ``or`` only between alternatives (a set), never ``x = 1 and x = 2``; every assignment to
    one declared variable."""
    from mathgym.verifiers.math.grammar import Relation

    if "or" in joiners and answer_type != "set":
        raise WrongType("items of a list are joined by commas or 'and', not 'or'")
    relations = [item for item in items if isinstance(item, Relation)]
    if not relations:
        return
    if answer_type == "set" and "and" in joiners:
        raise WrongType("alternative values are joined by 'or' or commas, not 'and'")
    if len(relations) != len(items):
        raise WrongType("write every item as a value, or every item as var = value")
    names = {rel.lhs for rel in relations}
    if len(names) != 1 or not relations[0].lhs.is_Symbol:
        raise WrongType("every item must assign the same variable, like x = 1 or x = 2")
    _check_variable(relations[0].lhs, spec)


def _container(text: str, spec: dict, answer_type: str) -> list:
    from mathgym.verifiers.math.grammar import Interval, Items

    kind = spec["element_type"]
    if kind == "base_n":
        bracket, parts = _split_items(text)
        _check_bracket(bracket, answer_type)
        return [base_n_value(p, spec["base"]) for p in parts]
    value = _parse(text, spec)
    if isinstance(value, Items):
        _check_bracket(value.bracket, answer_type)
        items, joiners = list(value.items), value.joiners
    elif isinstance(value, Interval):
        raise WrongType(f"expected {_EXPECTED[answer_type]}, got an interval")
    else:
        items, joiners = [value], frozenset()
    _check_joined_items(items, joiners, answer_type, spec)
    out = []
    for k, item in enumerate(items):
        if isinstance(item, (Items, Interval)):
            raise WrongType(f"item {k + 1}: expected a value, got {_describe(item)} "
                            "(nested lists, sets and intervals are not elements)")
        try:
            out.append(_scalar(item, kind, spec, parsed=True))
        except WrongType as e:
            raise WrongType(f"item {k + 1}: {e}") from None
    if answer_type == "unordered_list" and isinstance(value, Items) and \
            value.bracket in ("{", "\\{") and len(_dedupe(out, kind, spec)) != len(out):
        raise WrongType("a set {...} has no repeated elements; write the list as [...]")
    return out


def _interval(value: Any, spec: dict) -> tuple:
    """``(left_open, lo, hi, right_open)`` of ``(a, b)``, ``[a, b]``, ``(a, b]``, ``[a, b)``;
    an infinite end is an :class:`~mathgym.verifiers.math.grammar.Infinity` and must be
    open. Tuples, lists and sets with other shapes are ``wrong_type``."""
    from mathgym.verifiers.math.grammar import Infinity, Interval, Items

    if isinstance(value, Interval):
        left_open, lo, hi, right_open = value.left_open, value.lo, value.hi, value.right_open
    elif isinstance(value, Items) and value.bracket in "([" and value.bracket and \
            len(value.items) == 2 and not value.joiners:
        lo, hi = value.items
        left_open = right_open = value.bracket == "("
    else:
        raise WrongType(f"expected an interval like (1, 2] or [0, oo), got {_describe(value)}")
    ends = []
    for end, side, bad_sign in ((lo, "lower", 1), (hi, "upper", -1)):
        if isinstance(end, Infinity):
            if end.sign == bad_sign:
                raise WrongType(f"the {side} end cannot be {'-' if bad_sign < 0 else '+'}oo")
            ends.append(end)
        else:
            ends.append(_scalar(end, spec["element_type"], spec, parsed=True))
    if (isinstance(lo, Infinity) and not left_open) or (isinstance(hi, Infinity) and
                                                         not right_open):
        raise WrongType("an infinite end is never included: write (-oo, ...) or (..., oo)")
    return left_open, ends[0], ends[1], right_open


def _assignments(value: Any, order: list) -> dict:
    """``{symbol: value}`` from ``x = 3, y = -1`` (also ``x = 3 and y = -1``) or bare values
    ``(3, -1)`` in ``order``. A solution is one conjunction: ``x = 3 or y = -1`` is refused,
    and so are sets ``{3, -1}`` and lists ``[3, -1]`` of values (they are other types)."""
    from mathgym.verifiers.math.grammar import Items, Relation
    from sympy import Expr

    if isinstance(value, Items):
        if value.bracket not in ("", "("):
            raise WrongType(f"expected a solution like x = 3, y = -1, got "
                            f"{_WRITTEN[value.bracket]}")
        if "or" in value.joiners:
            raise WrongType("a solution gives every variable a value: join the assignments "
                            "with commas or 'and', not 'or'")
        items = list(value.items)
    else:
        items = [value]
    if all(isinstance(i, Relation) for i in items):
        out: dict = {}
        for rel in items:
            if not rel.lhs.is_Symbol:
                raise WrongType("expected assignments like x = 3")
            if rel.lhs in out:
                raise Incorrect(f"{rel.lhs.name} is assigned twice")
            out[rel.lhs] = rel.rhs
        return out
    if all(isinstance(i, Expr) for i in items):
        if len(items) != len(order):
            raise Incorrect("wrong number of values")
        return dict(zip(order, items, strict=True))
    raise WrongType("expected assignments like x = 3, y = -1")


def _equation(value: Any) -> tuple:
    from mathgym.verifiers.math.grammar import Items, Relation
    from sympy import Expr, S

    if isinstance(value, Items) and value.bracket in "({" and len(value.items) == 1:
        value = value.items[0]
    if isinstance(value, Relation):
        return value.lhs, value.rhs
    if isinstance(value, Expr):
        return value, S.Zero
    raise WrongType(f"expected one equation, got {_describe(value)}")


def _value(text: str, answer_type: str, spec: dict, reference: Any = None) -> Any:
    """Canonical value of ``text`` for ``answer_type`` (``reference`` given for answers)."""
    if answer_type == "interval":
        return _interval(_parse(text, spec), spec)
    if answer_type in CONTAINER_TYPES:
        return _container(text, spec, answer_type)
    if answer_type == "equation":
        return _equation(_parse(text, spec))
    if answer_type == "solution":
        from sympy import Symbol

        value = _parse(text, spec)
        if reference is None:  # the reference itself: its assignments, in its order
            ref = _assignments(value, [])
            if not ref:
                raise WrongType("empty solution")
            return ref
        names = spec["variables"] or [s.name for s in reference]
        return _assignments(value, [Symbol(n) for n in names])
    return _scalar(text, answer_type, spec, parsed=False)


@lru_cache(maxsize=4096)
def _reference(reference: str, answer_type: str, spec_key: str) -> Any:
    """Parsed reference (cached: GRPO groups share one); also validates the tolerance."""
    spec = json.loads(spec_key)
    if "tolerance" in spec:
        _tolerance(spec["tolerance"])
    value = _value(reference, answer_type, spec)
    if answer_type == "interval" and all(getattr(e, "is_Rational", False) for e in value[1:3]):
        left_open, lo, hi, right_open = value
        if lo > hi or (lo == hi and (left_open or right_open)):
            raise ValueError(f"interval {reference!r} is empty; its lower end must be below "
                             "the upper")
    return value


# -- comparison -----------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _tolerance(text: str) -> Any:
    """spec["tolerance"] as an exact non-negative Rational (ValueError otherwise)."""
    from mathgym.verifiers.math.grammar import parse

    tol = parse(text)
    if not (getattr(tol, "is_Rational", False) and tol >= 0):
        raise ValueError(f"spec['tolerance'] {text!r} is not a non-negative rational")
    return tol


def _numbers_equal(a: Any, b: Any) -> bool:
    """Exact equality of two numbers, at least one a constant like ``sqrt(8)/sqrt(2)``:
    refuted numerically when far apart, else decided exactly (or Undecided)."""
    from mathgym.verifiers.math.equivalence import expressions_equal

    if abs(_real_value(a) - _real_value(b)) > _CLOSE * max(1, abs(_real_value(b))):
        return False
    return expressions_equal(a, b)


def _within_tolerance(a: Any, b: Any, tol: Any) -> bool:
    """``|a - b| <= tol`` decided exactly: rationals directly; a constant by a rigorous
    interval enclosure of ``a - b`` (outward rounding), or exact equality at the boundary;
    raises Undecided when the enclosure straddles the boundary and equality is not proved."""
    from fractions import Fraction

    from mathgym.verifiers.math.equivalence import Undecided, expressions_equal
    from mathgym.verifiers.math.numeric import Unevaluable, enclose

    if a.is_Rational and b.is_Rational:
        return abs(a - b) <= tol
    if tol == 0:
        return _numbers_equal(a, b)
    t = Fraction(int(tol.p), int(tol.q))
    try:
        lo, hi = enclose(a - b, 800)
    except Unevaluable:
        raise Undecided("the answer could not be bounded exactly") from None
    if -t <= lo and hi <= t:
        return True
    if hi < -t or lo > t:
        return False
    for edge in (b + tol, b - tol):
        try:
            if expressions_equal(a, edge):
                return True
        except Undecided:
            pass
    raise Undecided("the answer is too close to the tolerance boundary to decide")


def _scalars_equal(a: Any, b: Any, kind: str, spec: dict) -> bool:
    """Element equality by type: True proved, False refuted; raises Undecided."""
    if kind in ("boolean", "base_n"):
        return a == b
    if kind in ("integer", "rational"):
        return a == b if (a.is_Rational and b.is_Rational) else _numbers_equal(a, b)
    if kind == "decimal":
        return _within_tolerance(a, b, _tolerance(spec["tolerance"]))
    from mathgym.verifiers.math.equivalence import expressions_equal

    return expressions_equal(a, b)


def _all_equal(pairs: list, kind: str, spec: dict) -> bool:
    """Every pair equal: False as soon as one is refuted; Undecided if none is refuted but
    one is undecided."""
    from mathgym.verifiers.math.equivalence import Undecided

    undecided: Undecided | None = None
    for a, b in pairs:
        try:
            if not _scalars_equal(a, b, kind, spec):
                return False
        except Undecided as e:
            undecided = e
    if undecided is not None:
        raise undecided
    return True


def _match_all(answer: list, reference: list, kind: str, spec: dict) -> bool:
    """A perfect matching answer<->reference under proved element equality (Kuhn's
    algorithm). When none exists but some pair was undecided, raises Undecided."""
    from mathgym.verifiers.math.equivalence import Undecided

    if len(answer) != len(reference):
        return False
    if kind in ("boolean", "base_n") or (
        kind in ("integer", "rational") and all(v.is_Rational for v in answer + reference)
    ):
        return sorted(answer, key=_sort_key) == sorted(reference, key=_sort_key)
    owner: list[int | None] = [None] * len(reference)
    cache: dict = {}
    undecided: list[Undecided] = []

    def eq(i: int, j: int) -> bool:
        if (i, j) not in cache:
            try:
                cache[i, j] = _scalars_equal(answer[i], reference[j], kind, spec)
            except Undecided as e:
                undecided.append(e)
                cache[i, j] = False
        return cache[i, j]

    def augment(i: int, seen: set) -> bool:
        for j in range(len(reference)):
            if j not in seen and eq(i, j):
                seen.add(j)
                if owner[j] is None or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    if all(augment(i, set()) for i in range(len(answer))):
        return True
    if undecided:
        raise undecided[0]
    return False


def _sort_key(v: Any) -> Any:
    if isinstance(v, (bool, int)):
        return Fraction(int(v))
    return Fraction(int(v.p), int(v.q))


def _dedupe(values: list, kind: str, spec: dict) -> list:
    """Distinct values; an undecided equality between two of them propagates Undecided."""
    if kind in ("boolean", "base_n") or (
        kind in ("integer", "rational") and all(v.is_Rational for v in values)
    ):
        return list(dict.fromkeys(values))  # exact values: hashing is equality
    out: list = []
    for v in values:
        if not any(_scalars_equal(v, w, kind, spec) for w in out):
            out.append(v)
    return out


def _compare(answer: Any, reference: Any, answer_type: str, spec: dict) -> bool:
    if answer_type in ("integer", "rational", "decimal", "expression", "boolean", "base_n"):
        return _scalars_equal(answer, reference, answer_type, spec)
    if answer_type == "interval":
        from mathgym.verifiers.math.grammar import Infinity

        if (answer[0], answer[3]) != (reference[0], reference[3]):
            return False  # open/closed ends differ
        pairs = []
        for a, b in ((answer[1], reference[1]), (answer[2], reference[2])):
            if isinstance(a, Infinity) or isinstance(b, Infinity):
                if a != b:
                    return False
            else:
                pairs.append((a, b))
        return _all_equal(pairs, spec["element_type"], spec)
    if answer_type in ("list", "tuple"):
        if len(answer) != len(reference):
            raise Incorrect("wrong number of items")
        return _all_equal(list(zip(answer, reference, strict=True)), spec["element_type"],
                          spec)
    if answer_type == "unordered_list":
        if len(answer) != len(reference):
            raise Incorrect("wrong number of items")
        return _match_all(answer, reference, spec["element_type"], spec)
    if answer_type == "set":
        kind = spec["element_type"]
        a = _dedupe(answer, kind, spec)
        b = _dedupe(reference, kind, spec)
        if len(a) != len(b):
            raise Incorrect("wrong number of elements")
        return _match_all(a, b, kind, spec)
    if answer_type == "equation":
        from mathgym.verifiers.math.equivalence import equations_equal

        return equations_equal(*answer, *reference)
    if answer_type == "solution":
        for sym in reference:
            if sym not in answer:
                raise Incorrect(f"missing a value for {sym.name}")
        for sym in answer:
            if sym not in reference:
                raise Incorrect(f"unexpected variable {sym.name}")
        return _all_equal([(answer[s], reference[s]) for s in reference], "expression", spec)
    raise AssertionError(answer_type)


def _fast_path(text: str, reference: str, answer_type: str) -> Verdict | None:
    """Plain integer/fraction literals on both sides: compare with Fraction, no parser."""
    if answer_type not in ("integer", "rational"):
        return None
    if not (_LITERAL.fullmatch(text) and _LITERAL.fullmatch(reference)):
        return None
    a, b = Fraction(text), Fraction(reference)
    if answer_type == "integer" and a.denominator != 1:
        return fail("wrong_type", "expected an integer")
    return CORRECT if a == b else INCORRECT


def check_local(answer_text: str, reference: str, answer_type: str,
                spec: Mapping | str | None = None) -> Verdict:
    """Check one answer in this process (no timeout; see the module docstring).

    Raises ValueError only for a malformed *problem* (unknown type, bad spec); every problem
    with the *answer* becomes a zero-score Verdict with a short critique.
    """
    from mathgym.verifiers.math.equivalence import Undecided
    from mathgym.verifiers.math.tokens import LimitError, ParseError

    spec = validate_problem(reference, answer_type, spec)
    if not isinstance(answer_text, str):
        return fail("parse_error", f"answer must be text, got {type(answer_text).__name__}")
    try:
        text = extract_answer(answer_text)
    except ExtractionError as e:
        return fail("limit" if "limit" in str(e) else "parse_error", f"could not parse: {e}")
    if not text:
        return fail("empty", "no answer found")
    fast = _fast_path(text, reference.strip(), answer_type)
    if fast is not None:
        return fast
    spec_key = json.dumps(spec, sort_keys=True)
    try:
        ref = _reference(reference, answer_type, spec_key)
    except Exception as e:  # noqa: BLE001 - any failure here is the problem's, not the answer's
        return fail("bad_reference",
                    f"reference answer {reference!r} is not a valid {answer_type}: {e}")
    try:
        answer = _value(text, answer_type, spec, reference=ref)
        return CORRECT if _compare(answer, ref, answer_type, spec) else INCORRECT
    except ParseError as e:
        return fail("parse_error", f"could not parse: {e}")
    except LimitError as e:
        return fail("limit", f"answer too large: {e}")
    except WrongType as e:
        return fail("wrong_type", str(e))
    except Incorrect as e:
        return fail("incorrect", str(e))
    except Undecided as e:
        return fail("undecided", f"undecided: {e}; give the answer in exact simplified form")
    except (MemoryError, RecursionError):
        return fail("limit", "answer too large: needs too much memory or recursion")
    except Exception as e:  # noqa: BLE001 - a sympy corner case must not kill the worker
        return fail("error", f"could not evaluate the answer ({type(e).__name__})")
