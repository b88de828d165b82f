"""Nothing false is accepted (mathgym issue 10, class 5): regressions for each reported
example with variants, an end-to-end check through ``reasoning/mathqa-*``, the false-reject
check over generated problems, and a hypothesis fuzz that looks for false accepts."""

from __future__ import annotations

import pathlib
import random
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.verifiers.math import check, check_many, extract_answer
from mathgym.verifiers.math.compare import check_local

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import math_verifier_rewrites as rewrites  # noqa: E402

reasoning = pytest.importorskip("mathgym.envs.reasoning")

INT = {"element_type": "integer"}


def _score(answer: str, reference: str, answer_type: str, spec: dict | None = None) -> float:
    return check_local(answer, reference, answer_type, spec).score


# -- 1. tiny irrational (and tiny exact) terms are never equal -------------------------------

TINY_NUMBERS = [
    ("7 + 10^-40*sqrt(2)", "7", "integer"),  # reported
    ("1/3 + pi/10^50", "1/3", "rational"),  # reported
    ("7 + 10^-100*sqrt(2)", "7", "integer"),
    ("7 + 10^-400*sqrt(3)", "7", "rational"),
    ("-12 + E/10^61", "-12", "integer"),
    ("1/3 + log(2)/10^300", "1/3", "rational"),
    ("5/7 + sin(1)/10^1000", "5/7", "rational"),
    ("2 + (sqrt(2) - 1)^150", "2", "integer"),
    ("3 + exp(-9000)", "3", "integer"),
    ("1/3 + 1/(3*10^2000)", "1/3", "rational"),
    ("7 + 10^-40*sqrt(2)", "7", "decimal"),
    ("400.545 + 10^-130*sqrt(2)", "400.545", "decimal"),
    ("8.607 + exp(-9000)", "8.607", "decimal"),
    ("-3619.676 + pi/10^3000", "-3619.676", "decimal"),
]


@pytest.mark.parametrize("answer,reference,answer_type", TINY_NUMBERS)
def test_tiny_term_is_not_the_number(answer, reference, answer_type):
    spec = {"tolerance": "0"} if answer_type == "decimal" else {}
    verdict = check_local(answer, reference, answer_type, spec)
    assert verdict.score == 0.0, verdict
    assert verdict.code in ("incorrect", "wrong_type", "undecided", "limit"), verdict


TINY_EXPRESSIONS = [
    ("x + 1 + 10^-40*sqrt(2)", "x + 1"),
    ("x + 1 + pi/10^50", "x + 1"),
    ("x**2 + 10^-80*sqrt(2)*x", "x**2"),
    ("3*x + sin(x)/10^50", "3*x"),
    ("x + exp(-9000)*exp(-9000)*sin(x)", "x"),
    ("2*sqrt(3) + 10^-100*sqrt(5)", "2*sqrt(3)"),
    ("x + 10^-2000", "x"),
]


@pytest.mark.parametrize("answer,reference", TINY_EXPRESSIONS)
def test_tiny_term_is_not_the_expression(answer, reference):
    assert _score(answer, reference, "expression", {"variables": ["x"]}) == 0.0


def test_undecided_is_a_code_and_scores_zero():
    verdict = check_local("x + exp(-9000)^8*sin(x)", "x", "expression")
    assert (verdict.score, verdict.code) == (0.0, "undecided")
    assert "undecided" in verdict.reason and "x" not in verdict.reason.split(":")[0]
    verdict = check_local("x^2 + exp(-9000)^8*cos(x)", "x^2", "expression")
    assert (verdict.score, verdict.code) == (0.0, "undecided")
    assert check_local("1/3 + exp(-9000)^8", "1/3", "rational").score == 0.0


EXACT_IDENTITIES = [
    ("sqrt(2) + sqrt(3) - sqrt(5 + 2*sqrt(6)) + 7", "7", "integer"),
    ("(1 + sqrt(2))^2 - 2*sqrt(2)", "3", "integer"),
    ("sqrt(8)/sqrt(2)", "2", "integer"),
    ("(sqrt(3) - 1)*(sqrt(3) + 1)/4", "1/2", "rational"),
    ("sin(x)^2 + cos(x)^2", "1", "expression"),
    ("(x^2 - 1)/(x - 1)", "x + 1", "expression"),
    ("sqrt(2)", "1.41", "decimal"),  # |sqrt(2) - 1.41| <= 1/100, proved by interval arithmetic
]


@pytest.mark.parametrize("answer,reference,answer_type", EXACT_IDENTITIES)
def test_exact_identities_are_accepted(answer, reference, answer_type):
    spec = {"tolerance": "1/100"} if answer_type == "decimal" else {}
    assert _score(answer, reference, answer_type, spec) == 1.0


def test_decimal_tolerance_is_decided_exactly():
    tol = {"tolerance": "1/100"}
    assert _score("sqrt(2)", "1.40", "decimal", tol) == 0.0  # 0.0142 > 0.01
    assert _score("sqrt(2)", "1.42", "decimal", tol) == 1.0  # 0.0058 <= 0.01
    assert _score("1.41 + 1/100", "1.41", "decimal", tol) == 1.0  # on the boundary, exact
    assert _score("1.41 + 1/100 + 10^-90*sqrt(2)", "1.41", "decimal", tol) == 0.0
    assert _score("pi", "3.14", "decimal", tol) == 1.0
    assert _score("pi", "3.13", "decimal", tol) == 0.0


def test_tiny_terms_on_every_generated_numeric_problem():
    """The reported attack, on one problem of every integer/rational/decimal/expression
    module at every level: no tiny term is accepted."""
    problems = [p for p in rewrites.generated_problems(1, seed=11)
                if p.answer_type in ("integer", "rational", "decimal", "expression")]
    assert len(problems) >= 50
    items = []
    for n, p in enumerate(problems):
        for j in (0, 5):
            term = rewrites.tiny_term(n + j, (40, 50)[j % 2])
            if p.answer_type == "decimal":
                term = f"{p.spec['tolerance']} + {term}"
            items.append((f"({p.answer}) + {term}", p.answer, p.answer_type, p.spec))
    verdicts = check_many(items)
    accepted = [item[0] for item, v in zip(items, verdicts, strict=True) if v.score != 0.0]
    assert accepted == []


# -- 2. end to end: a forged tiny-irrational certificate through the benchmark ---------------

def test_forged_tiny_irrational_certificate_is_refused_by_mathqa_benchmark():
    from mathgym.envs.reasoning.benchmarks import instance_problem

    from mathgym.harness.registry import get_benchmark

    bench = get_benchmark("reasoning/mathqa-l1")
    checked = 0
    for instance in bench.instances[::40]:
        p = instance_problem(instance)
        if p.answer_type not in ("integer", "rational", "expression", "decimal"):
            continue
        assert bench.check(instance, p.answer).ok
        for forged in (f"({p.answer}) + 10^-40*sqrt(2)", f"\\boxed{{{p.answer} + pi/10^50}}",
                       f"({p.answer}) + exp(-9000)"):
            if p.answer_type == "decimal":
                forged = f"({p.answer}) + {p.spec['tolerance']} + 10^-40*sqrt(2)"
            assert not bench.check(instance, forged).ok, forged
        checked += 1
    assert checked >= 20


# -- 3. sets, lists, tuples, intervals, solutions are distinct types -------------------------

NOT_A_SET = [
    "(1, 2)",  # reported: an ordered pair
    "[1, 2]",  # reported: a list (or a closed interval)
    "(1, 2]",  # an interval
    "[1, 2)",
    "{{1, 2}}",  # reported: a nested set
    "\\{\\{1, 2\\}\\}",
    "{1, 2, \\emptyset}",
    "{{1}, 2}",
    "[[1, 2]]",
]


@pytest.mark.parametrize("answer", NOT_A_SET)
def test_tuples_intervals_lists_and_nested_sets_are_not_sets(answer):
    assert _score(answer, "{1, 2}", "set", INT) == 0.0


@pytest.mark.parametrize("answer", ["{\\emptyset}", "\\{\\emptyset\\}", "{{}}", "[]", "()",
                                    "{0}", "\\{\\varnothing\\}"])
def test_set_of_the_empty_set_is_not_the_empty_set(answer):
    assert _score(answer, "EmptySet", "set", INT) == 0.0


@pytest.mark.parametrize("answer", ["{}", "\\emptyset", "\\varnothing", "\\{\\}", "∅"])
def test_the_empty_set_is_the_empty_set(answer):
    assert _score(answer, "EmptySet", "set", INT) == 1.0


@pytest.mark.parametrize("answer", ["{2, 1}", "\\{2, 1\\}", "2, 1", "x = 2 or x = 1",
                                    "x = 1, x = 2", "1 and 2", "\\left\\{1, 2\\right\\}"])
def test_sets_written_as_sets_are_accepted(answer):
    assert _score(answer, "{1, 2}", "set", {**INT, "variables": ["x"]}) == 1.0


@pytest.mark.parametrize("answer", ["{1, 2}", "\\{1, 2\\}", "[[1, 2]]", "{[1, 2]}",
                                    "1 or 2"])
def test_sets_are_not_lists(answer):
    assert _score(answer, "[1, 2]", "list", INT) == 0.0


@pytest.mark.parametrize("answer,reference,answer_type", [
    ("\\{5\\}", "5", "integer"),
    ("[5]", "5", "integer"),
    ("(5, 5)", "5", "integer"),
    ("\\{x + 1\\}", "x + 1", "expression"),
    ("[x + 1]", "x + 1", "expression"),
    ("(1/2, 1/2)", "1/2", "rational"),
])
def test_wrapped_scalars_are_not_scalars(answer, reference, answer_type):
    assert _score(answer, reference, answer_type) == 0.0


# -- 4. "x = a or y = b", and variable names ---------------------------------------------------

SOL = {"variables": ["x", "y"]}


@pytest.mark.parametrize("answer", [
    "x = 3 or y = -1",  # reported
    "y = -1 or x = 3",
    "x = 3, y = -1 or x = 0",
    "{x = 3, y = -1}",
    "[x = 3, y = -1]",
    "{3, -1}",
    "[3, -1]",
    "a = 3, b = -1",  # wrong names
    "x = 3, z = -1",
    "(-1, 3)",  # bare values in the wrong order
])
def test_solutions_are_conjunctions_of_the_declared_variables(answer):
    assert _score(answer, "x = 3, y = -1", "solution", SOL) == 0.0


@pytest.mark.parametrize("answer", ["x = 3, y = -1", "y = -1, x = 3", "x = 3 and y = -1",
                                    "(3, -1)", "x = 3; y = -1", "\\boxed{x=3,\\ y=-1}"])
def test_solutions_written_as_solutions_are_accepted(answer):
    assert _score(answer, "x = 3, y = -1", "solution", SOL) == 1.0


ROOTS = {"element_type": "integer", "variables": ["x"]}


@pytest.mark.parametrize("answer", [
    "x = 1 or y = 2",  # reported: wrong variable name
    "y = 1 or y = 2",
    "y = 1, y = 2",
    "x = 1 and x = 2",  # a conjunction of roots is no root set
    "x = 1 or 2",
    "x = 1 or x = 2 or x = 3",
])
def test_roots_need_the_declared_variable_and_or(answer):
    assert _score(answer, "{1, 2}", "set", ROOTS) == 0.0


@pytest.mark.parametrize("answer", ["y = 3", "z = 3", "a = 3", "(y = 3)", "y = 3.0"])
def test_solve_for_x_is_not_answered_by_another_variable(answer):
    assert _score(answer, "3", "integer", {"variables": ["x"]}) == 0.0
    assert _score(answer.replace("y", "x").replace("z", "x").replace("a", "x"), "3",
                  "integer", {"variables": ["x"]}) == 1.0


# -- 5. unordered questions get unordered types ------------------------------------------------

def test_prime_factors_any_order_scores_one():
    spec = {"element_type": "integer"}
    for answer in ("[19, 5, 3]", "[3, 5, 19]", "[5, 19, 3]", "{19, 3, 5}", "19, 5, 3",
                   "3, 5 and 19"):
        assert _score(answer, "[3, 5, 19]", "unordered_list", spec) == 1.0, answer
    for answer in ("[3, 5]", "[3, 3, 5, 19]", "[3, 5, 19, 2]", "(19, 5, 3)", "3 or 5 or 19"):
        assert _score(answer, "[3, 5, 19]", "unordered_list", spec) == 0.0, answer
    # braces mean a set, which has no repeated elements: {3, 3, 5} is {3, 5}
    assert _score("{5, 3, 3}", "[3, 3, 5]", "unordered_list", spec) == 0.0
    assert _score("[5, 3, 3]", "[3, 3, 5]", "unordered_list", spec) == 1.0


def test_prime_factor_problems_are_unordered_and_accept_any_order():
    problems = [reasoning.generate("numbers__list_prime_factors", level, 0, i)
                for level in (1, 2, 3, 4, 5) for i in range(10)]
    assert {p.answer_type for p in problems} == {"unordered_list"}
    items = []
    for p in problems:
        factors = p.answer.strip("[]").split(", ")
        items.append(("[" + ", ".join(reversed(factors)) + "]", p.answer, p.answer_type,
                      p.spec))
        random.Random(p.index).shuffle(factors)
        items.append(("\\{" + ", ".join(factors) + "\\}", p.answer, p.answer_type, p.spec))
    assert all(v.score == 1.0 for v in check_many(items))


def test_no_generator_declares_an_order_its_question_does_not_ask_for():
    for p in rewrites.generated_problems(2, seed=3):
        if p.answer_type == "list":
            assert "order" in p.question, (p.module, p.question)


# -- 6. extraction is linear ---------------------------------------------------------------

@pytest.mark.parametrize("unit", ["$", "$$", "\\boxed{", "{", "}", "\\(", "\\[", ". ", "$.",
                                  "\\boxed", "<answer>", "\\{", "\\boxedx"])
def test_extraction_of_a_megabyte_is_fast(unit):
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    start = time.perf_counter()
    try:
        extract_answer(text)
    except ValueError:
        pass
    assert time.perf_counter() - start < 0.5  # the quadratic version took 2.4-3 s for "$"


def test_megabyte_of_dollars_is_refused_quickly_through_the_pool():
    start = time.perf_counter()
    verdict = check("$" * 1_000_000, "5", "integer")
    assert verdict.score == 0.0 and verdict.code in ("limit", "parse_error", "empty")
    assert time.perf_counter() - start < 2.0


def test_wrapper_stripping_still_peels_real_wrappers():
    assert extract_answer("$$ \\( 5 \\) $$.") == "5"
    assert extract_answer("\\[ \\boxed{x + 1} \\]") == "x + 1"
    assert extract_answer(" $\\frac12$. ") == "\\frac12"


# -- 7. false rejects: the references and simple correct rewrites of generated problems --------

def test_correct_rewrites_of_generated_problems_score_one():
    problems = rewrites.generated_problems(1, seed=5)
    items = [(a, p.answer, p.answer_type, p.spec) for p in problems
             for a in rewrites.correct_rewrites(p)]
    assert len(items) > 1000
    verdicts = check_many(items)
    rejected = [(item[0], item[1], v.code) for item, v in zip(items, verdicts, strict=True)
                if v.score != 1.0]
    assert rejected == []


# -- 8. grammar fuzz: wrong answers built from generated references are never accepted -------

_FUZZ_PROBLEMS = rewrites.generated_problems(1, seed=9)


def test_fuzz_variants_are_wrong_on_a_fixed_sweep():
    rng = random.Random(20251201)
    items = []
    for p in _FUZZ_PROBLEMS:
        for _ in range(3):
            w = rewrites.wrong_variant(p, rng)
            if w is not None:
                items.append((w, p.answer, p.answer_type, p.spec))
    assert len(items) > 250
    accepted = [item for item, v in zip(items, check_many(items), strict=True) if v.score]
    assert accepted == []


@settings(max_examples=150, deadline=None)
@given(index=st.integers(0, len(_FUZZ_PROBLEMS) - 1), seed=st.integers(0, 2**32 - 1))
def test_grammar_fuzz_finds_no_false_accept(index, seed):
    p = _FUZZ_PROBLEMS[index]
    wrong = rewrites.wrong_variant(p, random.Random(seed))
    if wrong is None:
        return
    verdict = check(wrong, p.answer, p.answer_type, p.spec)
    assert verdict.score == 0.0, (p.module, p.answer, wrong, verdict)


def test_polynomial_vanishing_at_the_published_points_is_refused():
    """The seeded points are public: ref + prod(x - p_i) over them agrees with the reference
    at every point, so only the exact canonical form can (and does) refuse it."""
    from mathgym.verifiers.math.equivalence import N_POINTS, _points
    from sympy import Symbol

    x = Symbol("x")
    points = [pt[x] for pt in _points([x], N_POINTS)]
    vanishing = "*".join(f"(x - ({p}))" for p in points)
    for reference in ("x + 1", "x**2 - 3*x", "(x + 1)/(x - 1)"):
        for scale in ("1", "10^-40", "-7/3"):
            answer = f"{reference} + {scale}*{vanishing}"
            verdict = check_local(answer, reference, "expression", {"variables": ["x"]})
            assert (verdict.score, verdict.code) == (0.0, "incorrect"), (answer, verdict)


# -- 9. tuple and interval types -----------------------------------------------------------------

RAT = {"element_type": "rational"}


def _interval_text(lo, hi, left_open: bool, right_open: bool) -> str:
    return ("(" if left_open else "[") + f"{lo}, {hi}" + (")" if right_open else "]")


@st.composite
def _intervals(draw):
    lo = draw(st.one_of(st.just("-oo"), st.fractions(-50, 50, max_denominator=9).map(str)))
    hi = draw(st.one_of(st.just("oo"), st.fractions(51, 100, max_denominator=9).map(str)))
    left_open = lo == "-oo" or draw(st.booleans())
    right_open = hi == "oo" or draw(st.booleans())
    return lo, hi, left_open, right_open


@settings(max_examples=60, deadline=None)
@given(interval=_intervals(), kind=st.integers(0, 5), k=st.sampled_from([40, 61, 200]))
def test_interval_fuzz_wrong_variants_are_refused(interval, kind, k):
    lo, hi, left_open, right_open = interval
    reference = _interval_text(lo, hi, left_open, right_open)
    assert _score(reference.replace("oo", "\\infty"), reference, "interval", RAT) == 1.0
    if kind == 0 and lo != "-oo":  # a tiny irrational on an end
        wrong = _interval_text(f"{lo} + 10^-{k}*sqrt(2)", hi, left_open, right_open)
    elif kind == 1 and lo != "-oo":  # the other bracket on a finite end
        wrong = _interval_text(lo, hi, not left_open, right_open)
    elif kind == 2:
        wrong = "{" + f"{lo}, {hi}" + "}"  # a set
    elif kind == 3:
        wrong = _interval_text(hi, lo, left_open, right_open)  # ends swapped
    elif kind == 4 and hi != "oo":
        wrong = _interval_text(lo, f"{hi} - pi/10^{k}", left_open, right_open)
    else:
        wrong = f"{lo}, {hi}"  # a bare pair
    assert _score(wrong, reference, "interval", {"element_type": "expression"}) == 0.0, wrong


@pytest.mark.parametrize("answer", ["(3, -1)", "3, -1", "(6/2, -2/2)", "\\left(3, -1\\right)",
                                    "(3, -1 + (sqrt(2) + sqrt(3) - sqrt(5 + 2*sqrt(6))))"])
def test_tuples_written_as_tuples_are_accepted(answer):
    assert _score(answer, "(3, -1)", "tuple", {"element_type": "expression"}) == 1.0


@pytest.mark.parametrize("answer", ["(-1, 3)", "[3, -1]", "{3, -1}", "(3, -1]", "[(3, -1)]",
                                    "(3, -1 + 10^-40*sqrt(2))", "3 or -1", "(3, -1, 0)"])
def test_non_tuples_and_perturbed_tuples_are_refused(answer):
    assert _score(answer, "(3, -1)", "tuple", {"element_type": "expression"}) == 0.0


def test_infinity_is_only_an_interval_endpoint():
    for answer in ("oo", "-\\infty", "∞", "x + oo", "2*\\infty", "oo - oo", "1/oo"):
        assert _score(answer, "3", "integer") == 0.0
        assert _score(answer, "x", "expression") == 0.0
    with pytest.raises(ValueError, match="empty"):
        check("(1, 2)", "(3, 1)", "interval", RAT)
