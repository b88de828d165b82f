"""Property tests: sympy's own printing of a random object scores 1 against itself and
against other printings of the same value; any perturbation scores 0."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.verifiers.math.compare import check_local
from mathgym.verifiers.math.grammar import parse
from sympy import Add, Integer, Mul, Rational, Symbol, expand, factor, latex

SETTINGS = settings(max_examples=80, deadline=None)
X, Y, Z = Symbol("x"), Symbol("y"), Symbol("z")
VARS = {"variables": ["x", "y", "z"]}

rationals = st.fractions(max_denominator=10**12).filter(lambda f: abs(f.numerator) < 10**30)
nonzero = st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**6).filter(
    lambda f: f != 0
)


def _rat(f) -> Rational:
    return Rational(f.numerator, f.denominator)


@SETTINGS
@given(rationals)
def test_printed_rational_scores_itself(f):
    r = _rat(f)
    assert check_local(str(r), str(r), "rational").score == 1.0
    assert check_local(latex(r), str(r), "rational").score == 1.0
    assert parse(str(r)) == r


@SETTINGS
@given(rationals, nonzero)
def test_perturbed_rational_scores_zero(f, delta):
    r = _rat(f)
    assert check_local(str(r + _rat(delta)), str(r), "rational").score == 0.0


@SETTINGS
@given(st.integers(-(10**40), 10**40), st.integers(1, 10**6))
def test_integers_exact_and_perturbed(n, delta):
    assert check_local(str(n), str(n), "integer").score == 1.0
    assert check_local(str(n + delta), str(n), "integer").score == 0.0
    assert check_local(f"{n}/1", str(n), "integer").score == 1.0


def _polynomial(seed: int, terms: int):
    rng = random.Random(seed)
    out = []
    for _ in range(terms):
        c = Rational(rng.randint(-50, 50), rng.choice([1, 1, 1, 2, 3, 7]))
        out.append(Mul(c, X ** rng.randint(0, 4), Y ** rng.randint(0, 3), Z ** rng.randint(0, 2)))
    return Add(*out)


@SETTINGS
@given(st.integers(0, 10**9), st.integers(1, 8))
def test_printed_polynomial_scores_itself_in_every_form(seed, terms):
    p = _polynomial(seed, terms)
    ref = str(p)
    assert check_local(ref, ref, "expression", VARS).score == 1.0
    assert check_local(str(factor(p)), ref, "expression", VARS).score == 1.0
    assert check_local(str(expand(p * (X + 1))) + " - (" + str(expand(p * X)) + ")", ref,
                       "expression", VARS).score == 1.0
    assert check_local(latex(p), ref, "expression", VARS).score == 1.0


@SETTINGS
@given(st.integers(0, 10**9), st.integers(1, 8), nonzero,
       st.integers(0, 3), st.integers(0, 3))
def test_perturbed_polynomial_scores_zero(seed, terms, c, i, j):
    p = _polynomial(seed, terms)
    perturbed = p + _rat(c) * X**i * Y**j
    assert check_local(str(perturbed), str(p), "expression", VARS).score == 0.0


@SETTINGS
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=12, unique=True),
       st.randoms(use_true_random=False))
def test_sets_in_any_order(values, rnd):
    ref = "{" + ", ".join(str(v) for v in sorted(values)) + "}"
    shuffled = list(values)
    rnd.shuffle(shuffled)
    answer = "{" + ", ".join(str(v) for v in shuffled) + "}"
    spec = {"element_type": "integer"}
    assert check_local(answer, ref, "set", spec).score == 1.0
    assert check_local(f"[{answer[1:-1]}]", f"[{ref[1:-1]}]", "unordered_list", spec).score == 1.0
    missing = "{" + ", ".join(str(v) for v in shuffled[1:]) + "}"
    assert check_local(missing if len(values) > 1 else "{1001}", ref, "set", spec).score == 0.0


@SETTINGS
@given(st.integers(0, 2**64), st.integers(2, 36))
def test_base_n_round_trip(n, base):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text, m = "", n
    while True:
        text = digits[m % base] + text
        m //= base
        if m == 0:
            break
    spec = {"base": base}
    assert check_local(text.upper(), text, "base_n", spec).score == 1.0
    other = digits[(int(text[-1], 36) + 1) % base]
    assert check_local(text[:-1] + other, text, "base_n", spec).score == 0.0


def test_grammar_builds_exact_sympy_objects():
    assert parse("2/6") == Rational(1, 3)
    assert parse("0.125") == Rational(1, 8)
    assert parse("1e-3") == Rational(1, 1000)
    assert parse("-x^2", ["x"]) == -(X**2)
    assert parse("2^3^2") == Integer(512)
    assert parse("3(x+1)", ["x"]) == 3 * X + 3
    assert parse("\\frac{1}{2}x", ["x"]) == X / 2
    assert parse("1/2x", ["x"]) == X / 2  # one precedence level, left to right
    assert parse("xyz", ["x", "y", "z"]) == X * Y * Z
