"""Grammar fuzz for false accepts: wrong answers built from generated problems' references.

Each example takes a generated problem (every module, levels 1-5) and breaks its reference in
one of the ways the issue lists -- a tiny exact or irrational term, a reordering (ordered
types), a different bracket (set/tuple/interval/list), a nested container, ``or`` where the
type means "and", or a renamed variable -- and requires score 0. Every perturbation is wrong
by construction (the comments say why). Hypothesis is derandomized, so the run is seeded.
"""

from __future__ import annotations

import re

import pytest
from mathgym.verifiers.math.compare import check_local
from mathgym.verifiers.math.grammar import Items, Relation, parse

hypothesis = pytest.importorskip("hypothesis")
reasoning = pytest.importorskip("mathgym.envs.reasoning")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PROBLEMS = [reasoning.generate(m, level, 11, i) for m in reasoning.MODULES
            for level in (1, 2, 3, 4, 5) for i in range(2)]
#: The problems by answer type: the fuzz draws a type first, so rare types get examples too.
BY_TYPE = {t: [p for p in PROBLEMS if p.answer_type == t]
           for t in sorted({p.answer_type for p in PROBLEMS})}

#: Tiny irrational constants (all nonzero, all far below 400-bit relative resolution at k>=40).
IRRATIONAL = ["sqrt(2)/10^{k}", "pi/10^{k}", "E/10^{k}", "log(2)/10^{k}", "sin(1)/10^{k}",
              "sqrt(3)*sqrt(5)/10^{k}", "2^(1/3)/10^{k}", "exp(-{k})", "(sqrt(2) - 1)^{n}",
              "(sqrt(1 + 10^-{k}) - 1)"]
OTHER_NAMES = "bcdgkmqrtuvwz"


def _items(problem) -> list:
    value = parse(problem.answer, problem.spec.get("variables", ()))
    return list(value.items) if isinstance(value, Items) else [value]


def _text(v) -> str:
    return str(v)


def _tiny(draw, exact: bool) -> str:
    k = draw(st.integers(40, 400))
    if exact:
        return f"{draw(st.sampled_from(['', '-']))}1/10^{k}"
    form = draw(st.sampled_from(IRRATIONAL))
    return form.format(k=k, n=draw(st.integers(60, 200)))


@st.composite
def wrong_answers(draw):
    """(answer text, problem): the answer is wrong for the problem by construction."""
    p = draw(st.sampled_from(BY_TYPE[draw(st.sampled_from(sorted(BY_TYPE)))]))
    t, spec = p.answer_type, dict(p.spec)
    kind = draw(st.sampled_from(["exact", "irrational", "reorder", "wrap", "nest", "rename",
                                 "or"]))
    if t in ("boolean", "base_n"):
        # no tiny terms in these grammars: wrap or list them instead (never a boolean/numeral)
        return draw(st.sampled_from([f"[{p.answer}]", f"{{{p.answer}, {p.answer}}}"])), p
    if kind in ("exact", "irrational"):
        term = _tiny(draw, kind == "exact")
        if t == "decimal" and kind == "exact" and spec.get("tolerance") != "0":
            kind = "irrational"
        if t in ("list", "unordered_list", "set"):
            items = [_text(i) for i in _items(p)]
            if not items:
                return "{1/10^40}", p
            k = draw(st.integers(0, len(items) - 1))
            # integer/rational elements: the perturbed one is not a rational of small size,
            # so it equals no element (sets cannot absorb it)
            items[k] = f"{items[k]} + {term}"
            left, right = {"set": "{}", "list": "[]", "unordered_list": "[]"}[t]
            return left + ", ".join(items) + right, p
        if t == "solution":
            rels = _items(p)
            k = draw(st.integers(0, len(rels) - 1))
            parts = [f"{r.lhs} = {r.rhs}" + (f" + {term}" if j == k else "")
                     for j, r in enumerate(rels)]
            return ", ".join(parts), p
        if t == "decimal" and spec.get("tolerance") != "0":
            return f"{p.answer} + {spec['tolerance']} + {term.lstrip('-')}", p
        return f"{p.answer} + {term}", p
    if kind == "reorder" and t == "list":
        items = [_text(i) for i in _items(p)]
        if len(set(items)) >= 2:
            # adjacent distinct elements swapped: the order differs
            j = draw(st.integers(0, len(items) - 2))
            while items[j] == items[j + 1]:
                j = (j + 1) % (len(items) - 1)
            items[j], items[j + 1] = items[j + 1], items[j]
            return "[" + ", ".join(items) + "]", p
    if kind == "reorder" and t == "solution":
        rels = _items(p)
        values = [_text(r.rhs) for r in rels]
        if len(set(values)) >= 2:
            return "(" + ", ".join(reversed(values)) + ")", p  # bare values in the wrong order
    if kind in ("wrap", "reorder"):
        inner = p.answer.strip()
        if t == "set":
            body = inner[1:-1] if inner.startswith("{") else ""
            return draw(st.sampled_from([f"({body})", f"[{body}]", f"({body}]",
                                         f"[{body})"] if body else ["[]", "()", "[ ]"])), p
        if t in ("list", "unordered_list"):
            body = inner[1:-1]
            if t == "list":
                return draw(st.sampled_from([f"{{{body}}}", f"[[{body}]]", f"[({body})]"])), p
            return draw(st.sampled_from([f"[[{body}]]", f"{{[{body}]}}"])), p
        if t == "solution":
            values = ", ".join(_text(r.rhs) for r in _items(p))
            return draw(st.sampled_from([f"{{{values}}}", f"[{values}]"])), p
        # a scalar inside a list or a pair is a list or a pair, never the scalar
        return draw(st.sampled_from([f"[{inner}]", f"({inner}, {inner})"])), p
    if kind == "nest" and t in ("list", "unordered_list", "set"):
        body = p.answer.strip()[1:-1]
        return f"{{{{{body}}}}}" if t == "set" else f"[[{body}], [{body}]]", p
    if kind == "rename":
        names = list(spec.get("variables", ()))
        if t == "solution":
            rels = _items(p)
            fresh = [n for n in OTHER_NAMES if n not in names]
            k = draw(st.integers(0, len(rels) - 1))
            parts = [f"{fresh[0] if j == k else r.lhs} = {r.rhs}" for j, r in enumerate(rels)]
            return ", ".join(parts), p
        if t == "expression" and names:
            used = [n for n in names if re.search(rf"\b{n}\b", p.answer)]
            if used:
                old = draw(st.sampled_from(used))
                new = next(n for n in OTHER_NAMES if n not in names)
                # the reference depends on `old`; the renamed answer on `new` instead
                return re.sub(rf"\b{old}\b", new, p.answer), p
        if t == "set" and names:
            roots = [_text(i) for i in _items(p)]
            new = next(n for n in OTHER_NAMES if n not in names)
            if roots:
                return " or ".join(f"{new} = {r}" for r in roots), p
        if t in ("integer", "rational") and names:
            new = next(n for n in OTHER_NAMES if n not in names)
            return f"{new} = {p.answer}", p
    if kind == "or" and t == "solution":
        return " or ".join(f"{r.lhs} = {r.rhs}" for r in _items(p)), p
    if kind == "or" and t in ("list", "unordered_list"):
        items = [_text(i) for i in _items(p)]
        if len(items) >= 2:
            return " or ".join(items), p
    # fall back to a tiny irrational term, always wrong for these types
    return wrong_answers_fallback(p, draw), p


def wrong_answers_fallback(p, draw) -> str:
    term = _tiny(draw, exact=False)
    if p.answer_type in ("list", "unordered_list", "set"):
        items = [_text(i) for i in _items(p)] or ["0"]
        items[0] = f"{items[0]} + {term}"
        left, right = "{}" if p.answer_type == "set" else "[]"
        return left + ", ".join(items) + right
    if p.answer_type == "solution":
        rels = _items(p)
        return ", ".join([f"{rels[0].lhs} = {rels[0].rhs} + {term}"]
                         + [f"{r.lhs} = {r.rhs}" for r in rels[1:]])
    if p.answer_type == "decimal" and p.spec.get("tolerance") != "0":
        return f"{p.answer} + {p.spec['tolerance']} + {term}"
    return f"{p.answer} + {term}"


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(wrong_answers())
def test_no_wrong_answer_built_from_a_reference_is_accepted(case):
    answer, problem = case
    verdict = check_local(answer, problem.answer, problem.answer_type, problem.spec)
    assert verdict.score == 0.0, (problem.module, problem.answer, answer, verdict)


def test_the_fuzz_covers_every_answer_type_of_the_generators():
    types = {p.answer_type for p in PROBLEMS}
    assert {"integer", "rational", "decimal", "expression", "solution", "list",
            "unordered_list", "set", "boolean", "base_n"} <= types


def test_references_themselves_are_accepted():
    """Positive control: the fuzz's problems score 1 on their own references."""
    for p in PROBLEMS[::5]:
        verdict = check_local(p.answer, p.answer, p.answer_type, p.spec)
        assert verdict.score == 1.0, (p.module, p.answer, verdict)


def test_relation_items_are_parsed_as_expected():
    """The fuzz reads solutions as relations; guard that assumption."""
    p = next(p for p in PROBLEMS if p.answer_type == "solution")
    assert all(isinstance(r, Relation) for r in _items(p))


def test_the_tiny_terms_are_invisible_to_numerics_so_only_exact_decision_refuses_them():
    """Teeth of the fuzz: at k = 200 every tiny term is below the 400-bit numerical test's
    resolution (relative 2^-133), so a verifier that accepted numerical agreement would
    accept these answers; they must be refused by exact decision instead."""
    from mathgym.verifiers.math.equivalence import NUMERIC_REL_BITS
    from mathgym.verifiers.math.numeric import evaluate, is_close

    for form in IRRATIONAL:
        term = form.format(k=200, n=200)
        answer, reference = parse(f"7 + {term}"), parse("7")
        assert is_close(evaluate(answer), evaluate(reference), NUMERIC_REL_BITS), term
        verdict = check_local(f"7 + {term}", "7", "integer", {})
        assert verdict.score == 0.0, (term, verdict)
