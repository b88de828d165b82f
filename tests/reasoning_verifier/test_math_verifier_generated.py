"""Every generated problem's own reference answer scores exactly 1 (thousands of problems,
all modules and levels), and a perturbed copy of it scores exactly 0."""

from __future__ import annotations

import pytest
from mathgym.verifiers.math import check_many
from mathgym.verifiers.math.grammar import Items, Relation, Truth, parse

reasoning = pytest.importorskip("mathgym.envs.reasoning")

N_PER_LEVEL = 12  # x 5 levels x every module: a few thousand problems


def _problems():
    return [reasoning.generate(module, level, 7, index)
            for module in reasoning.MODULES for level in (1, 2, 3, 4, 5)
            for index in range(N_PER_LEVEL)]


def _bump_base_n(text: str, base: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    last = text[-1].lower()
    return text[:-1] + digits[(digits.index(last) + 1) % base]


def _perturb_value(value, element_type: str, spec) -> str:
    if isinstance(value, Truth):
        return str(not value.value)
    if isinstance(value, Relation):
        return f"{value.lhs} = ({value.rhs}) + 1"
    return f"({value}) + 1"


def perturb(problem) -> str:
    """A wrong answer of the right shape for ``problem``."""
    t, spec, ref = problem.answer_type, dict(problem.spec), problem.answer
    if t == "base_n":
        return _bump_base_n(ref, spec["base"])
    if t in ("list", "unordered_list", "set"):
        kind = spec.get("element_type", "expression")
        if kind == "base_n":
            parts = ref.strip("[]{}()").split(",")
            parts[0] = _bump_base_n(parts[0].strip(), spec["base"])
            return "[" + ", ".join(p.strip() for p in parts) + "]"
        value = parse(ref, spec.get("variables", ()))
        items = list(value.items) if isinstance(value, Items) else [value]
        if not items:
            return "[0]"
        if t == "set":  # a set may already contain x + 1: add a fresh element instead
            return "{" + ", ".join([*(str(i) for i in items), "1234567"]) + "}"
        return "[" + ", ".join([_perturb_value(items[0], kind, spec),
                                *(str(i) for i in items[1:])]) + "]"
    value = parse(ref, spec.get("variables", ()))
    if t == "solution":
        rels = list(value.items) if isinstance(value, Items) else [value]
        return ", ".join([_perturb_value(rels[0], t, spec), *(f"{r.lhs} = {r.rhs}"
                                                              for r in rels[1:])])
    if t == "decimal":
        return f"({ref}) + 2*({spec['tolerance']}) + 1/1000"
    return _perturb_value(value, t, spec)


def test_generated_reference_answers_score_one_and_perturbations_zero():
    problems = _problems()
    assert len(problems) >= 1500
    types = {p.answer_type for p in problems}
    assert {"integer", "rational", "expression", "list", "set", "boolean", "base_n",
            "solution", "decimal"} <= types
    own = check_many([(p.answer, p.answer, p.answer_type, p.spec) for p in problems])
    bad = [(p.module, p.answer, v) for p, v in zip(problems, own, strict=True) if v.score != 1]
    assert bad == []
    boxed = check_many([(f"So the answer is \\boxed{{{p.answer}}}.", p.answer, p.answer_type,
                         p.spec) for p in problems[::7]])
    assert all(v.score == 1.0 for v in boxed)
    wrong = check_many([(perturb(p), p.answer, p.answer_type, p.spec) for p in problems])
    bad = [(p.module, p.answer, perturb(p), v) for p, v in zip(problems, wrong, strict=True)
           if v.score != 0 or v.code not in ("incorrect", "wrong_type")]
    assert bad == []
