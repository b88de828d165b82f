"""Adversarial answers: every one scores 0, none reaches the timeout, none has a side effect.

Side effects are observed two ways: a sentinel file that any executed payload would create,
and a CPython audit hook (PEP 578) installed in a fresh interpreter that records every
sensitive event (exec, compile, imports, open, os.system, subprocess, sockets, attribute
access on dunders reported as ``object.__getattr__``) while the answers are checked.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
from mathgym.verifiers.math import check_many

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import math_verifier_corpus as corpus  # noqa: E402


def _inputs(sentinel: str) -> list[str]:
    return [corpus.with_sentinel(text, sentinel) for text in corpus.ALL]


def test_corpus_is_large_and_distinct():
    assert len(corpus.ALL) >= 200
    assert len(set(corpus.ALL)) == len(corpus.ALL)
    for category in (corpus.CODE_INJECTION, corpus.DUNDER, corpus.HUGE, corpus.DEEP,
                     corpus.UNICODE, corpus.LATEX):
        assert len(category) >= 25


def test_every_adversarial_answer_scores_zero_within_the_timeout(tmp_path):
    sentinel = str(tmp_path / "sentinel")
    texts = _inputs(sentinel)
    items = [(t, ref, typ, spec) for ref, typ, spec in corpus.REFERENCES for t in texts]
    verdicts = check_many(items)  # the default 3 s hard timeout
    failures = [(item[0][:60], item[1], v) for item, v in zip(items, verdicts, strict=True)
                if v.score != 0.0 or v.code in ("timeout", "crash", "error")]
    assert failures == []
    assert not pathlib.Path(sentinel).exists()
    codes = {v.code for v in verdicts}
    assert {"parse_error", "limit", "incorrect", "wrong_type", "empty"} <= codes


@pytest.mark.parametrize("text", ["10^10^10", "9^9^9^9", "10**10**10", "2^2^2^2^2^2",
                                  "exp(exp(exp(exp(100))))", "(10^5)!", "1e1000000"])
def test_towers_are_refused_before_computing(text):
    from mathgym.verifiers.math.compare import check_local

    verdict = check_local(text, "3", "integer")
    assert verdict.code == "limit", verdict


_AUDIT_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import math_verifier_corpus as corpus
from mathgym.verifiers.math.compare import check_local

# Warm every lazy import and cache before watching.
for a, r, t, s in [("x^2+1", "x**2 + 1", "expression", {}), ("sin(x)", "cos(x)", "expression", {}),
                   ("1/2", "2/4", "rational", {}), ("sqrt(2)", "1.41", "decimal",
                   {"tolerance": "1/100"}), ("x = 1", "x**2 = 1", "equation", {}),
                   ("(3, 1)", "x = 3, y = 1", "solution", {"variables": ["x", "y"]}),
                   ("{1, 2}", "{2, 1}", "set", {}), ("ff", "ff", "base_n", {"base": 16}),
                   ("exp(x)", "exp(x)", "expression", {}), ("log(x)", "x", "expression", {}),
                   ("\uff13", "3", "integer", {}), ("True", "no", "boolean", {})]:
    check_local(a, r, t, s)

FORBIDDEN_PREFIXES = ("exec", "compile", "import", "open", "os.", "subprocess", "socket",
                      "shutil", "ctypes", "object.__getattr__", "object.__setattr__",
                      "object.__delattr__", "builtins.input", "code.__new__",
                      "function.__new__", "marshal", "pickle", "sys._getframe", "urllib",
                      "webbrowser", "pty", "signal", "glob", "sqlite3")
seen = []
def hook(event, args):
    if event.startswith(FORBIDDEN_PREFIXES):
        seen.append(event)
sys.addaudithook(hook)
results = []
for ref, typ, spec in corpus.REFERENCES:
    for text in corpus.ALL:
        v = check_local(corpus.with_sentinel(text, sys.argv[2]), ref, typ, spec)
        results.append(v.score)
events = sorted(set(seen))
compile("1", "<control>", "eval")  # positive control: the hook does see sensitive events
print(json.dumps({"events": events, "control": "compile" in seen,
                  "scores": sorted(set(results)), "n": len(results)}))
"""


def test_checking_adversarial_answers_triggers_no_sensitive_event(tmp_path):
    sentinel = tmp_path / "sentinel"
    out = subprocess.run(
        [sys.executable, "-c", _AUDIT_SCRIPT, str(HERE), str(sentinel)],
        capture_output=True, text=True, timeout=240, check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["events"] == []
    assert report["control"] is True
    assert report["scores"] == [0.0]
    assert report["n"] == len(corpus.ALL) * len(corpus.REFERENCES)
    assert not sentinel.exists()


def test_parsed_answers_contain_only_whitelisted_sympy_types():
    from mathgym.verifiers.math.grammar import Infinity, Interval, Items, Relation, Truth, parse
    from mathgym.verifiers.math.tokens import LimitError, ParseError
    from sympy import (
        Abs,
        Add,
        Integer,
        Mul,
        Pow,
        Rational,
        Symbol,
        cos,
        exp,
        log,
        preorder_traversal,
        sin,
        tan,
    )
    from sympy.core.numbers import Exp1, ImaginaryUnit, Pi

    allowed = (Add, Mul, Pow, Symbol, Rational, Integer, Abs, exp, log, sin, cos, tan, Exp1,
               Pi, ImaginaryUnit)

    def walk(value):
        if isinstance(value, Items):
            for item in value.items:
                walk(item)
        elif isinstance(value, Relation):
            walk(value.lhs)
            walk(value.rhs)
        elif isinstance(value, Interval):
            walk(value.lo)
            walk(value.hi)
        elif not isinstance(value, (Truth, Infinity)):  # our own plain markers
            for node in preorder_traversal(value):
                assert isinstance(node, allowed), (type(node), node)

    parsed = 0
    for text in corpus.ALL + ["sqrt(-1)*x + pi - E", "\\frac{\\sin x}{\\cos x}", "|x|"]:
        try:
            walk(parse(text, ["x"]))
            parsed += 1
        except (ParseError, LimitError):
            pass
    assert parsed >= 20  # the walk saw real parses, not only refusals


def _random_answer(rng, depth: int) -> str:
    """A random well-formed answer over numbers, symbols, functions and powers."""
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "2", "10", "0", "1", "9", "e", "pi", "0.5", "1e3", "1/3"])
    a, b = _random_answer(rng, depth - 1), _random_answer(rng, depth - 1)
    return rng.choice([f"({a})+({b})", f"({a})-({b})", f"({a})*({b})", f"({a})/({b})",
                       f"({a})^({b})", f"sqrt({a})", f"exp({a})", f"log({a})", f"sin({a})",
                       f"cos({a})", f"tan({a})", f"Abs({a})", f"\\frac{{{a}}}{{{b}}}",
                       f"({a})^{rng.randint(-5, 60)}", f"-({a})"])


def test_grammar_fuzz_never_times_out_or_errors():
    """Seeded random well-formed answers (the fuzzer that found sympy's evaluation loops)."""
    import random

    rng = random.Random(5)
    refs = [("x + 1", "expression", {"variables": ["x"]}), ("3", "integer", {}),
            ("7/2", "rational", {}), ("x = 1", "equation", {"variables": ["x"]}),
            ("0.5", "decimal", {"tolerance": "1/100"}), ("sin(x)**2", "expression", {})]
    items = [(_random_answer(rng, rng.randint(1, 6)), *rng.choice(refs)) for _ in range(600)]
    verdicts = check_many(items)  # the default 3 s hard timeout
    assert [v.code for v in verdicts if v.code in ("timeout", "crash", "error")] == []
    assert {v.code for v in verdicts} >= {"incorrect", "wrong_type"}
