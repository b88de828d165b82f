"""Correct rewrites and wrong variants of generated problems' reference answers.

Shared by the false-reject measurement, the false-accept grammar fuzz and the regression
tests of the math verifier. Run it to measure the false-reject rate over every module at
levels 1-5 (the number docs/verifier.md reports)::

    .venv/bin/python tests/reasoning_verifier/math_verifier_rewrites.py [per_level]

* :func:`correct_rewrites` -- other ways of writing the *same* answer (boxed, LaTeX, another
  order where the type is unordered, ``x = v`` forms, exact identities such as
  ``+ (sqrt(2) + sqrt(3) - sqrt(5 + 2*sqrt(6)))`` which is 0): each must score 1.
* :func:`wrong_variant` -- a *different* answer built from the reference: a tiny exact or
  irrational term (``+ 10^-40*sqrt(2)``, ``+ pi/10^50``), reordering an ordered list, wrapping
  in set/tuple/interval/list brackets, renaming a variable, ``or`` where the type means
  "and". Each must score 0.
"""

from __future__ import annotations

import random
import sys

from mathgym.verifiers.math.grammar import Items, parse

#: Tiny irrational (or tiny exact) terms; ``{k}`` is a power of ten. None of them is 0.
TINY_TERMS: tuple[str, ...] = (
    "10^-{k}*sqrt(2)",
    "pi/10^{k}",
    "E/10^{k}",
    "log(2)/10^{k}",
    "sin(1)/10^{k}",
    "exp(-{k})",
    "sqrt(3)/10^{k} - sqrt(2)/10^{k}",
    "(sqrt(2) - 1)^{k2}",
    "10^-{k}",
    "1/(3*10^{k})",
    "2^(1/3)/10^{k}",
    "cos(1/7)/10^{k} - 1/10^{k}",
)
#: An exact 0 that sympy does not reduce on construction (a denesting identity).
EXACT_ZERO = "(sqrt(2) + sqrt(3) - sqrt(5 + 2*sqrt(6)))"
_SPARE_NAMES = "wzuvt"


def tiny_term(index: int, k: int) -> str:
    """The ``index``-th tiny term at scale about 10^-k."""
    return TINY_TERMS[index % len(TINY_TERMS)].format(k=k, k2=max(2, k // 2))


def _items(problem) -> list:
    value = parse(problem.answer, problem.spec.get("variables", ()))
    if isinstance(value, Items):
        return list(value.items)
    return [value]


def _fresh_name(problem, used: set[str]) -> str:
    for ch in _SPARE_NAMES:
        if ch not in used:
            return ch
    raise AssertionError("no spare variable name")


def correct_rewrites(problem) -> list[str]:
    """Answers that state the reference answer differently; each must score 1."""
    t, spec, ref = problem.answer_type, dict(problem.spec), problem.answer
    out = [ref, f"The answer is $\\boxed{{{ref}}}$.", f"<answer>{ref}</answer>", f"${ref}$"]
    variables = spec.get("variables") or []
    if t in ("integer", "rational", "decimal"):
        out += [f"({ref})", f"{ref} + {EXACT_ZERO}", f"2*({ref})/2"]
        if variables:
            out.append(f"{variables[0]} = {ref}")
        if "/" in ref:
            p, q = ref.split("/")
            sign = "-" if p.startswith("-") else ""
            out.append(f"{sign}\\frac{{{p.lstrip('-')}}}{{{q}}}")
        elif t == "integer":
            out.append(f"{ref}.0")
    elif t == "expression":
        import sympy

        value = _items(problem)[0]
        out += [str(sympy.expand(value)), str(sympy.factor(value)), f"({ref}) + {EXACT_ZERO}",
                f"{ref} + 0*{_fresh_name(problem, set(variables))}"]
        terms = sympy.Add.make_args(value)
        if len(terms) > 1:
            out.append(" + ".join(f"({term})" for term in reversed(terms)))
    elif t in ("list", "unordered_list", "set"):
        items = [str(i) for i in _items(problem)]
        if t == "list":
            out += ["(" + ", ".join(items) + ")" if len(items) > 1 else f"[{items[0]}]",
                    ", ".join(items), "\\left[" + ", ".join(items) + "\\right]"]
        else:
            rev = list(reversed(items))
            out += ["[" + ", ".join(rev) + "]" if t == "unordered_list" else
                    "{" + ", ".join(rev) + "}", ", ".join(rev),
                    "\\{" + ", ".join(rev) + "\\}"]
            if t == "set" and variables and items:
                out.append(" or ".join(f"{variables[0]} = {i}" for i in rev))
            if t == "set" and not items:
                out += ["\\emptyset", "{}"]
    elif t == "solution":
        rels = _items(problem)
        out += [", ".join(f"{r.lhs} = {r.rhs}" for r in reversed(rels)),
                " and ".join(f"{r.lhs} = {r.rhs}" for r in rels)]
        by_name = {str(r.lhs): str(r.rhs) for r in rels}
        if variables:
            out.append("(" + ", ".join(by_name[v] for v in variables) + ")")
    elif t == "boolean":
        out += ["yes" if ref == "True" else "no", f"\\text{{{ref.lower()}}}"]
    elif t == "base_n":
        out += [ref.upper(), f"{ref}_{{{spec['base']}}}"]
    return out


def wrong_variant(problem, rng: random.Random) -> str | None:
    """A wrong answer built from the reference by one random transformation (see the
    module docstring), or None when the drawn transformation does not apply."""
    t, spec, ref = problem.answer_type, dict(problem.spec), problem.answer
    variables = list(spec.get("variables") or [])
    k = rng.choice((20, 40, 50, 61, 80, 100, 150, 300, 600, 1200))
    term = tiny_term(rng.randrange(len(TINY_TERMS)), k)
    kind = rng.choice(("tiny", "tiny", "tiny", "wrap", "rename", "reorder"))
    if t in ("boolean", "base_n"):
        return None if kind != "wrap" else f"[{ref}]"
    if t == "decimal":
        term = f"{spec['tolerance']} + {term}"  # beyond the tolerance
    if t in ("integer", "rational", "decimal", "expression"):
        if kind == "tiny":
            return f"({ref}) + {term}" if t == "expression" else f"{ref} + {term}"
        if kind == "wrap":
            return rng.choice((f"[{ref}]", f"\\{{{ref}\\}}", f"({ref}, {ref})",
                               f"\\{{{ref}, {ref} + 1\\}}", f"[{ref}, {ref}]"))
        if kind == "rename":
            if t == "expression":
                value = _items(problem)[0]
                names = sorted(s.name for s in value.free_symbols)
                if not names:
                    return None
                fresh = _fresh_name(problem, set(names) | set(variables))
                import sympy

                return str(value.xreplace({sympy.Symbol(names[0]): sympy.Symbol(fresh)}))
            if variables:
                return f"{_fresh_name(problem, set(variables))} = {ref}"
        return None
    items = _items(problem)
    texts = [str(i) for i in items]
    if t == "solution":
        rels = items
        if kind == "tiny":
            first = rels[0]
            return ", ".join([f"{first.lhs} = ({first.rhs}) + {term}",
                              *(f"{r.lhs} = {r.rhs}" for r in rels[1:])])
        if kind == "wrap":
            body = ", ".join(f"{r.lhs} = {r.rhs}" for r in rels)
            return rng.choice(("{" + body + "}", "[" + body + "]", "\\{" + body + "\\}",
                               " or ".join(f"{r.lhs} = {r.rhs}" for r in rels),
                               "{" + ", ".join(str(r.rhs) for r in rels) + "}",
                               "[" + ", ".join(str(r.rhs) for r in rels) + "]"))
        if kind == "rename":
            fresh = _fresh_name(problem, set(variables))
            return ", ".join([f"{fresh} = {rels[0].rhs}",
                              *(f"{r.lhs} = {r.rhs}" for r in rels[1:])])
        if kind == "reorder" and len(rels) > 1 and rels[0].rhs != rels[1].rhs:
            values = [str(r.rhs) for r in rels]
            values[0], values[1] = values[1], values[0]
            return "(" + ", ".join(values) + ")"
        return None
    # list, unordered_list, set
    if not texts:
        return rng.choice(("{\\emptyset}", "[]", "{0}", "()")) if t == "set" else "[0]"
    if kind == "tiny":
        j = rng.randrange(len(texts))
        texts = texts[:j] + [f"{texts[j]} + {term}"] + texts[j + 1:]
        return ("{" if t == "set" else "[") + ", ".join(texts) + ("}" if t == "set" else "]")
    if kind == "wrap":
        body = ", ".join(texts)
        if t == "set":
            return rng.choice(("[" + body + "]", "(" + body + ")", "{{" + body + "}}",
                               "\\{\\{" + body + "\\}\\}", "{" + body + ", \\emptyset}",
                               "[" + texts[0] + ", " + texts[-1] + ")" if len(texts) > 1
                               else "[" + body + "]"))
        if t == "list":
            if len(set(texts)) < 2:
                return "[[" + body + "]]"
            return rng.choice(("{" + body + "}", "\\{" + body + "\\}", "[[" + body + "]]"))
        return rng.choice(("(" + body + ")" if len(texts) > 1 else "[[" + body + "]]",
                           "[[" + body + "]]", "[" + body + ", " + texts[0] + "]"))
    if kind == "rename":
        if t == "set" and variables:
            fresh = _fresh_name(problem, set(variables))
            first = [f"{fresh} = {texts[0]}"]
            return " or ".join(first + [f"{variables[0]} = {x}" for x in texts[1:]])
        return None
    if kind == "reorder" and t == "list" and len(set(texts)) > 1:
        j = next(i for i in range(1, len(texts)) if texts[i] != texts[0])
        texts[0], texts[j] = texts[j], texts[0]
        return "[" + ", ".join(texts) + "]"
    if kind == "reorder" and t == "set" and variables:
        return " and ".join(f"{variables[0]} = {x}" for x in texts) if len(texts) > 1 else None
    return None


def generated_problems(per_level: int, seed: int = 7) -> list:
    """``per_level`` problems of every module at every level."""
    from mathgym.envs import reasoning

    return [reasoning.generate(module, level, seed, index) for module in reasoning.MODULES
            for level in (1, 2, 3, 4, 5) for index in range(per_level)]


def measure_false_rejects(per_level: int = 20) -> dict:
    """Every correct rewrite of every generated problem, checked in-process: counts."""
    from mathgym.verifiers.math.compare import check_local

    problems = generated_problems(per_level)
    total, rejected = 0, []
    for p in problems:
        for answer in correct_rewrites(p):
            total += 1
            verdict = check_local(answer, p.answer, p.answer_type, p.spec)
            if verdict.score != 1.0:
                rejected.append((p.module, p.difficulty, answer, verdict.code))
    return {"problems": len(problems), "answers": total, "rejected": rejected}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    result = measure_false_rejects(n)
    rate = len(result["rejected"]) / result["answers"]
    print(f"{result['problems']} problems, {result['answers']} correct answers, "
          f"{len(result['rejected'])} rejected ({rate:.4%})")
    for row in result["rejected"][:40]:
        print("  ", row)
