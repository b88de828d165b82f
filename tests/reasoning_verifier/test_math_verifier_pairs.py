"""Known equivalent (score 1) and non-equivalent (score 0) answer pairs, per answer type.

Each row is (answer, reference, answer_type, spec, expected score, expected code or None).
The table runs in-process (``check_local``, one test per row) and once more through the
worker pool, which must agree row by row.
"""

from __future__ import annotations

import pytest
from mathgym.verifiers.math import check_many
from mathgym.verifiers.math.compare import check_local

X = {"variables": ["x"]}
A = {"variables": ["a"]}
XY = {"variables": ["x", "y"]}
TOL = {"tolerance": "1/100"}
EXACT = {"tolerance": "0"}
INT_LIST = {"element_type": "integer"}
HEX = {"base": 16}
BIN = {"base": 2}

PAIRS = [
    # integer
    ("3", "3", "integer", {}, 1, None),
    ("03", "3", "integer", {}, 1, None),
    ("3.0", "3", "integer", {}, 1, None),
    ("6/2", "3", "integer", {}, 1, None),
    ("\\frac{6}{2}", "3", "integer", {}, 1, None),
    ("x = 3", "3", "integer", {}, 1, None),
    ("\\boxed{3}", "3", "integer", {}, 1, None),
    ("The answer is $\\boxed{3}$.", "3", "integer", {}, 1, None),
    ("<answer>3</answer>", "3", "integer", {}, 1, None),
    ("101", "100", "integer", {}, 0, "incorrect"),
    ("100", "101", "integer", {}, 0, "incorrect"),
    ("-3", "3", "integer", {}, 0, "incorrect"),
    ("3.5", "3", "integer", {}, 0, "wrong_type"),
    ("7/2", "3", "integer", {}, 0, "wrong_type"),
    ("1{,}000", "1000", "integer", {}, 1, None),
    ("1,000", "1000", "integer", {}, 0, "wrong_type"),
    ("1e3", "1000", "integer", {}, 1, None),
    ("10^3", "1000", "integer", {}, 1, None),
    ("2**10", "1024", "integer", {}, 1, None),
    ("5!", "120", "integer", {}, 1, None),
    ("sqrt(16)", "4", "integer", {}, 1, None),
    ("\\sqrt[3]{27}", "3", "integer", {}, 1, None),
    ("\u22127", "-7", "integer", {}, 1, None),  # U+2212 MINUS SIGN is accepted
    ("\uff13", "3", "integer", {}, 0, "parse_error"),  # fullwidth digits are refused
    ("three", "3", "integer", {}, 0, "parse_error"),
    ("3 apples", "3", "integer", {}, 0, "parse_error"),
    ("12345678901234567890", "12345678901234567890", "integer", {}, 1, None),
    ("12345678901234567891", "12345678901234567890", "integer", {}, 0, "incorrect"),
    ("3 + 10^-100", "3", "integer", {}, 0, "wrong_type"),
    ("x", "3", "integer", {}, 0, "wrong_type"),
    ("[3]", "3", "integer", {}, 0, "wrong_type"),
    ("True", "1", "integer", {}, 0, "wrong_type"),
    ("", "3", "integer", {}, 0, "empty"),
    # rational
    ("2/6", "1/3", "rational", {}, 1, None),
    ("1/3", "2/6", "rational", {}, 1, None),
    ("0.5", "1/2", "rational", {}, 1, None),
    ("1e-3", "1/1000", "rational", {}, 1, None),
    ("0.001", "1e-3", "rational", {}, 1, None),
    ("1e-3", "E - 3", "expression", {}, 0, "incorrect"),  # not Euler's number minus 3
    ("1/2004!", "1/2006!", "rational", {}, 0, "incorrect"),
    ("1/2006!", "1/2006!", "rational", {}, 1, None),
    ("2005*2006/2006!", "1/2004!", "rational", {}, 1, None),
    ("-\\frac{4}{3}", "-4/3", "rational", {}, 1, None),
    ("\\frac{-4}{3}", "-4/3", "rational", {}, 1, None),
    ("4/-3", "-4/3", "rational", {}, 1, None),
    ("-1.3333", "-4/3", "rational", {}, 0, "incorrect"),
    ("0.333333", "1/3", "rational", {}, 0, "incorrect"),
    ("3/2", "1.5", "rational", {}, 1, None),
    ("\\dfrac{3}{2}", "3/2", "rational", {}, 1, None),
    ("\\tfrac32", "3/2", "rational", {}, 1, None),
    ("1\\frac{1}{2}", "3/2", "rational", {}, 0, "parse_error"),  # mixed numbers: ambiguous
    ("sqrt(2)", "3/2", "rational", {}, 0, "incorrect"),
    ("sqrt(8)/sqrt(2)", "2", "integer", {}, 1, None),
    ("(1 + sqrt(2))^2 - 2sqrt(2)", "3", "integer", {}, 1, None),
    ("(1 + sqrt(2))^2 - 2sqrt(2)", "3", "rational", {}, 1, None),
    ("(1 + sqrt(2))^2 - 2sqrt(2)", "4", "integer", {}, 0, "incorrect"),
    ("sqrt(2)", "1", "integer", {}, 0, "wrong_type"),
    # decimal: absolute tolerance from spec, inclusive, nothing looser
    ("0.33", "1/3", "decimal", TOL, 1, None),
    ("0.34", "1/3", "decimal", TOL, 1, None),
    ("0.35", "1/3", "decimal", TOL, 0, "incorrect"),
    ("1/3", "0.333", "decimal", TOL, 1, None),
    ("sqrt(2)", "1.41", "decimal", TOL, 1, None),
    ("1.4", "1.41", "decimal", TOL, 1, None),
    ("1.3999", "1.41", "decimal", TOL, 0, "incorrect"),
    ("101", "100", "decimal", TOL, 0, "incorrect"),  # a 1% relative tolerance would pass
    ("0.1", "1/10", "decimal", EXACT, 1, None),
    ("0.1000001", "1/10", "decimal", EXACT, 0, "incorrect"),
    ("sqrt(-2)", "1.41", "decimal", TOL, 0, "wrong_type"),
    # expression
    ("54*a - 30", "-30 + 54*a", "expression", A, 1, None),
    ("54a-30", "-30 + 54*a", "expression", A, 1, None),
    ("-30 + 54*a", "54*a - 30", "expression", A, 1, None),
    ("6(9a - 5)", "-30 + 54*a", "expression", A, 1, None),
    ("54*a - 31", "-30 + 54*a", "expression", A, 0, "incorrect"),
    ("x**2 + 2*x", "x*(x + 2)", "expression", X, 1, None),
    ("x(x+2)", "x**2 + 2*x", "expression", X, 1, None),
    ("(x+1)^2", "x**2 + 2*x + 1", "expression", X, 1, None),
    ("(x+1)^2", "x**2 + 2*x", "expression", X, 0, "incorrect"),
    ("2*sqrt(3)", "sqrt(12)", "expression", {}, 1, None),
    ("2\\sqrt{3}", "2*sqrt(3)", "expression", {}, 1, None),
    ("\\sqrt{3} \\cdot 2", "2*sqrt(3)", "expression", {}, 1, None),
    ("3*sqrt(2)", "2*sqrt(3)", "expression", {}, 0, "incorrect"),
    ("\\frac{x}{2}", "x/2", "expression", X, 1, None),
    ("0.5x", "x/2", "expression", X, 1, None),
    ("sin(x)^2 + cos(x)^2", "1", "expression", X, 1, None),
    ("\\sin^2 x", "sin(x)**2", "expression", X, 0, "parse_error"),
    ("exp(2x)", "exp(x)**2", "expression", X, 1, None),
    ("e^{2x}", "exp(2*x)", "expression", X, 1, None),
    ("\\frac{\\pi}{2}", "pi/2", "expression", {}, 1, None),
    ("3.14159", "pi", "expression", {}, 0, "incorrect"),
    ("x", "y", "expression", {}, 0, "incorrect"),
    ("x^2", "x**3", "expression", X, 0, "incorrect"),
    ("(x^2-1)/(x-1)", "x + 1", "expression", X, 1, None),
    ("1/x + 1/y", "(x + y)/(x*y)", "expression", XY, 1, None),
    ("xy", "x*y", "expression", XY, 1, None),
    ("x^{200}", "x**200", "expression", X, 1, None),
    ("x^{200}", "x**200 + 1", "expression", X, 0, "incorrect"),
    ("x^2 + 1e-30", "x**2", "expression", X, 0, "incorrect"),
    ("y = 2x + 1", "2*x + 1", "expression", X, 1, None),
    ("2*x**3 - 6*x", "2*x**3 - 6*x", "expression", X, 1, None),
    ("sqrt(x)^2", "x", "expression", X, 1, None),
    ("log(x^2)", "2*log(x)", "expression", X, 0, "incorrect"),  # differ for x < 0
    ("sin(x) + 10^-50", "sin(x)", "expression", X, 0, "incorrect"),
    # tiny transcendental perturbations must not hide below the numerical resolution
    ("sin(x)/10^50", "0", "expression", X, 0, "incorrect"),
    ("sin(x)/10^50 + x", "x", "expression", X, 0, "incorrect"),
    ("exp(-9999)*sin(x) + x", "x", "expression", X, 0, "incorrect"),
    ("exp(-9000)*exp(-9000)*sin(x) + x", "x", "expression", X, 0, "incorrect"),
    ("exp(-9000*x^2)*sin(x) + x", "x", "expression", X, 0, "incorrect"),
    ("sqrt(1 + 10^-100) - 1", "0", "expression", {}, 0, "incorrect"),
    # equation: same solution set
    ("y = 2x + 1", "y = 2*x + 1", "equation", XY, 1, None),
    ("2x - y + 1 = 0", "y = 2*x + 1", "equation", XY, 1, None),
    ("2y = 4x + 2", "y = 2*x + 1", "equation", XY, 1, None),
    ("y = 2x + 2", "y = 2*x + 1", "equation", XY, 0, "incorrect"),
    ("x^2 = 1", "(x - 1)*(x + 1) = 0", "equation", X, 1, None),
    ("(x-1)^2 = 0", "x = 1", "equation", X, 1, None),
    ("x = 1", "x**2 = 1", "equation", X, 0, "incorrect"),
    ("x = -1", "x + 1", "equation", X, 1, None),
    ("x = 1, x = 2", "x = 1", "equation", X, 0, "wrong_type"),
    ("sin(x) = 1/2", "2*sin(x) - 1 = 0", "equation", X, 1, None),
    ("sin(x) = 1/3", "2*sin(x) - 1 = 0", "equation", X, 0, "incorrect"),
    ("sqrt(2)x = sqrt(2)", "x = 1", "equation", X, 1, None),
    ("exp(x) = 1", "x = 0", "equation", X, 0, "incorrect"),  # same real roots, not proportional
    # solution
    ("x = 3, y = -1", "x = 3, y = -1", "solution", XY, 1, None),
    ("y = -1, x = 3", "x = 3, y = -1", "solution", XY, 1, None),
    ("x=3; y=-1", "x = 3, y = -1", "solution", XY, 1, None),
    ("x = 3 and y = -1", "x = 3, y = -1", "solution", XY, 1, None),
    ("\\(x = 3,\\ y = -1\\)", "x = 3, y = -1", "solution", XY, 1, None),
    ("(3, -1)", "x = 3, y = -1", "solution", XY, 1, None),
    ("3, -1", "x = 3, y = -1", "solution", XY, 1, None),
    ("(-1, 3)", "x = 3, y = -1", "solution", XY, 0, "incorrect"),
    ("x = 6/2, y = -1", "x = 3, y = -1", "solution", XY, 1, None),
    ("x = 3", "x = 3, y = -1", "solution", XY, 0, "incorrect"),
    ("x = 3, y = -1, z = 0", "x = 3, y = -1", "solution", XY, 0, "incorrect"),
    ("x = 3, x = 3", "x = 3", "solution", X, 0, "incorrect"),
    ("3", "x = 3", "solution", X, 1, None),
    ("x = 4", "x = 3", "solution", X, 0, "incorrect"),
    ("\\boxed{x = \\frac{3}{2}}", "x = 3/2", "solution", X, 1, None),
    ("x + y = 2", "x = 3, y = -1", "solution", XY, 0, "wrong_type"),
    ("x = 3 or y = -1", "x = 3, y = -1", "solution", XY, 0, "wrong_type"),
    ("{3, -1}", "x = 3, y = -1", "solution", XY, 0, "wrong_type"),
    # tuple (ordered, written with parentheses)
    ("(3, -1)", "(3, -1)", "tuple", INT_LIST, 1, None),
    ("3, -1", "(3, -1)", "tuple", INT_LIST, 1, None),
    ("(6/2, -1)", "(3, -1)", "tuple", INT_LIST, 1, None),
    ("(-1, 3)", "(3, -1)", "tuple", INT_LIST, 0, "incorrect"),
    ("[3, -1]", "(3, -1)", "tuple", INT_LIST, 0, "wrong_type"),
    ("{3, -1}", "(3, -1)", "tuple", INT_LIST, 0, "wrong_type"),
    ("(3, -1]", "(3, -1)", "tuple", INT_LIST, 0, "wrong_type"),
    # interval
    ("(1, 3]", "(1, 3]", "interval", {"element_type": "rational"}, 1, None),
    ("\\left(1, 3\\right]", "(1, 3]", "interval", {"element_type": "rational"}, 1, None),
    ("(-\\infty, 2/4)", "(-oo, 1/2)", "interval", {"element_type": "rational"}, 1, None),
    ("[0, +\\infty)", "[0, oo)", "interval", {"element_type": "rational"}, 1, None),
    ("(1, 3)", "(1, 3]", "interval", {"element_type": "rational"}, 0, "incorrect"),
    ("[1, 3]", "(1, 3]", "interval", {"element_type": "rational"}, 0, "incorrect"),
    ("(1, 3 + 10^-40*sqrt(2)]", "(1, 3]", "interval", {"element_type": "expression"}, 0,
     "incorrect"),
    ("[-oo, 3)", "(-oo, 3)", "interval", {"element_type": "rational"}, 0, "wrong_type"),
    ("{1, 3}", "(1, 3)", "interval", {"element_type": "rational"}, 0, "wrong_type"),
    ("1, 3", "(1, 3)", "interval", {"element_type": "rational"}, 0, "wrong_type"),
    # list (ordered)
    ("[1, 2, 3]", "[1, 2, 3]", "list", INT_LIST, 1, None),
    ("1, 2, 3", "[1, 2, 3]", "list", INT_LIST, 1, None),
    ("(1, 2, 3)", "[1, 2, 3]", "list", INT_LIST, 1, None),
    ("\\left[1, 2, 3\\right]", "[1, 2, 3]", "list", INT_LIST, 1, None),
    ("[3, 2, 1]", "[1, 2, 3]", "list", INT_LIST, 0, "incorrect"),
    ("[1, 2]", "[1, 2, 3]", "list", INT_LIST, 0, "incorrect"),
    ("[1, 2, 3, 4]", "[1, 2, 3]", "list", INT_LIST, 0, "incorrect"),
    ("[1, 2, 3.5]", "[1, 2, 3]", "list", INT_LIST, 0, "wrong_type"),
    ("[1/2, 0.25]", "[1/2, 1/4]", "list", {"element_type": "rational"}, 1, None),
    ("[x+1, 2x]", "[1 + x, 2*x]", "list", {"element_type": "expression", **X}, 1, None),
    ("[ff, 10]", "[ff, 10]", "list", {"element_type": "base_n", "base": 16}, 1, None),
    ("[True, no]", "[True, False]", "list", {"element_type": "boolean"}, 1, None),
    ("[5]", "[5]", "list", INT_LIST, 1, None),
    ("5", "[5]", "list", INT_LIST, 1, None),
    # unordered list (multiset)
    ("[3, 1, 2]", "[1, 2, 3]", "unordered_list", INT_LIST, 1, None),
    ("[2, 1, 2]", "[1, 2, 2]", "unordered_list", INT_LIST, 1, None),
    ("[1, 1, 2]", "[1, 2, 2]", "unordered_list", INT_LIST, 0, "incorrect"),
    ("[x, 2x]", "[2*x, x]", "unordered_list", {"element_type": "expression"}, 1, None),
    # set
    ("{3, 1, 2}", "{1, 2, 3}", "set", INT_LIST, 1, None),
    ("\\{3, 1, 2\\}", "{1, 2, 3}", "set", INT_LIST, 1, None),
    ("3, 1, 2", "{1, 2, 3}", "set", INT_LIST, 1, None),
    ("{1, 1, 2, 3}", "{1, 2, 3}", "set", INT_LIST, 1, None),
    ("{1, 2}", "{1, 2, 3}", "set", INT_LIST, 0, "incorrect"),
    ("{1, 2, 4}", "{1, 2, 3}", "set", INT_LIST, 0, "incorrect"),
    ("{}", "{}", "set", INT_LIST, 1, None),
    ("\\emptyset", "{}", "set", INT_LIST, 1, None),
    ("{x, 2x}", "{2*x, x}", "set", {"element_type": "expression"}, 1, None),
    ("{-1, 1}", "{1, -1}", "set", {"element_type": "rational"}, 1, None),
    # boolean
    ("True", "True", "boolean", {}, 1, None),
    ("true", "True", "boolean", {}, 1, None),
    ("yes", "True", "boolean", {}, 1, None),
    ("Yes", "True", "boolean", {}, 1, None),
    ("\\text{True}", "True", "boolean", {}, 1, None),
    ("False", "True", "boolean", {}, 0, "incorrect"),
    ("no", "True", "boolean", {}, 0, "incorrect"),
    ("No", "False", "boolean", {}, 1, None),
    ("1", "True", "boolean", {}, 0, "wrong_type"),
    ("T", "True", "boolean", {}, 0, "wrong_type"),
    # base_n
    ("ff", "ff", "base_n", HEX, 1, None),
    ("FF", "ff", "base_n", HEX, 1, None),
    ("0xff", "ff", "base_n", HEX, 1, None),
    ("ff_{16}", "ff", "base_n", HEX, 1, None),
    ("ff_16", "ff", "base_n", HEX, 1, None),
    ("00ff", "ff", "base_n", HEX, 1, None),
    ("\\text{ff}", "ff", "base_n", HEX, 1, None),
    ("fe", "ff", "base_n", HEX, 0, "incorrect"),
    ("fg", "ff", "base_n", HEX, 0, "wrong_type"),
    ("255", "ff", "base_n", HEX, 0, "incorrect"),
    ("ff_{10}", "ff", "base_n", HEX, 0, "wrong_type"),
    ("1011", "1011", "base_n", BIN, 1, None),
    ("0b1011", "1011", "base_n", BIN, 1, None),
    ("1011_2", "1011", "base_n", BIN, 1, None),
    ("1012", "1011", "base_n", BIN, 0, "wrong_type"),
    ("-101", "-101", "base_n", BIN, 1, None),
    ("101", "-101", "base_n", BIN, 0, "incorrect"),
]


def _id(row) -> str:
    return f"{row[2]}:{row[0][:30]!r}~{row[1][:20]!r}"


@pytest.mark.parametrize("row", PAIRS, ids=[_id(r) for r in PAIRS])
def test_pair(row):
    answer, reference, answer_type, spec, expected, code = row
    verdict = check_local(answer, reference, answer_type, spec)
    assert verdict.score == expected, verdict
    if code is not None:
        assert verdict.code == code, verdict
    else:
        assert verdict.code == "correct", verdict


def test_table_covers_every_answer_type_both_ways():
    from mathgym.types import ANSWER_TYPES

    for answer_type in ANSWER_TYPES:
        scores = {row[4] for row in PAIRS if row[2] == answer_type}
        assert scores == {0, 1}, answer_type


def test_pool_agrees_with_in_process_checks():
    verdicts = check_many([(a, r, t, s) for a, r, t, s, _, _ in PAIRS])
    for row, verdict in zip(PAIRS, verdicts, strict=True):
        assert verdict.score == row[4], (row, verdict)


def test_feedback_never_reveals_the_reference():
    secret = "987654321"
    answers = ["1", "1/2", "x", "[1]", "True", "1,2", "abc", "x = 1", ""]
    for answer_type, spec in [("integer", {}), ("rational", {}), ("expression", {}),
                              ("list", INT_LIST), ("set", INT_LIST)]:
        for answer in answers:
            verdict = check_local(answer, secret, answer_type, spec)
            assert secret not in verdict.reason
