"""Harness benchmarks of the reasoning family (``mathgym.envs.reasoning.benchmarks``).

- ``reasoning/mathqa-l1`` ... ``-l5``: every module, 50 problems each (fixed seed), at one
  difficulty level. Certificate = the answer text; verified by regenerating the problem from
  ``(module, difficulty, seed, index)`` and requiring ``score(answer, problem) == 1``.
- ``reasoning/progsynth-l1`` (also ``-l3``, ``-l5``): every program-synthesis module, 20
  problems each, at that level (level 5 needs graphs of up to 7 nodes).
  Certificate = the action sequence; verified by rebuilding the graph from scratch (every
  action must be allowed by the type mask), evaluating it and scoring its value.
- ``reasoning/mathqa-quick`` and ``reasoning/progsynth-quick`` (tag ``quick``): small subsets
  the demo runs.
- ``reasoning/mathqa-improve-l1``: the held-out set of the learning-from-improved-outputs
  experiment (docs/improve.md): the first 16 problems of the 4 modules it trains on
  (:data:`IMPROVE_MODULES`), the very instances of ``mathqa-l1`` (same ids, same data), as a
  benchmark of its own so the experiment's adapters can be ranked on a board without
  evaluating all 1,700 problems of ``mathqa-l1``.
- Sealed splits (``SEALED_BENCHMARKS``): ``reasoning/mathqa-l1-sealed`` ... ``-l5-sealed`` and
  ``reasoning/progsynth-l1-sealed`` (``-l3``, ``-l5``): the same modules, counts and
  difficulties drawn from a secret seed (:mod:`mathgym.harness.sealed`), so nobody can
  regenerate them from public code; ``mathgym eval --sealed-secret FILE`` runs them.

Instance data holds the question text and a SHA-256 of the reference answer, so the content
hash changes whenever a generator's output does. Agents see only :data:`MATHQA_PUBLIC_KEYS`
(:data:`PROGSYNTH_PUBLIC_KEYS`): the task, never the answer hash or the generator coordinates
``(seed, index)`` that determine the answer. ``min_cost``: a claimed MathQA answer costs at
least 1 sample; a program of k actions at least k env steps (it took k steps to build).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from mathgym.harness.benchmark import Benchmark, Instance, Verdict

#: Problem stream of every benchmark (the ``seed`` of ``generate``).
BENCHMARK_SEED = 20250
#: Problems per module in ``mathqa-l*`` and ``progsynth-l1``.
MATHQA_PER_MODULE = 50
PROGSYNTH_PER_MODULE = 20
#: Versions of the benchmarks (bump on any change of instances, caps or verifier). v2 of both:
#: the generator fixes of 579cd7a (list_prime_factors answers an unordered list, linear_1d and
#: its composed variant name their variable) changed the content of every level; ProgSynth has
#: linear_1d and list_prime_factors too.
MATHQA_VERSION = 2
PROGSYNTH_VERSION = 2

#: Instance data keys agents see: the task (question, answer type and its spec, module and
#: difficulty), not ``answer_sha256`` nor the generator's ``seed`` and ``index``.
MATHQA_PUBLIC_KEYS: tuple[str, ...] = ("module", "difficulty", "question", "answer_type", "spec")
#: ProgSynth adds the node cap; its views also get the question's formal ``elements``
#: (:func:`program_elements`), the typed pieces a program is built from.
PROGSYNTH_PUBLIC_KEYS: tuple[str, ...] = (*MATHQA_PUBLIC_KEYS, "max_nodes")


def _instances(modules: Sequence[str], difficulty: int, per_module: int,
               seed: int = BENCHMARK_SEED) -> list[Instance]:
    from mathgym.envs.reasoning import generate

    out = []
    for module in modules:
        for index in range(per_module):
            p = generate(module, difficulty, seed, index)
            out.append(
                Instance(
                    id=f"{module}/{index:03d}",
                    data={
                        "module": module,
                        "difficulty": difficulty,
                        "seed": seed,
                        "index": index,
                        "question": p.question,
                        "answer_type": p.answer_type,
                        "spec": dict(p.spec),
                        "answer_sha256": hashlib.sha256(p.answer.encode()).hexdigest(),
                    },
                    strata={"category": module.split("__")[0], "module": module},
                )
            )
    return out


def instance_problem(instance: Instance):
    """Regenerate the problem of an instance and check it still matches the benchmark."""
    from mathgym.envs.reasoning import generate

    d = instance.data
    p = generate(d["module"], d["difficulty"], d["seed"], d["index"])
    if p.question != d["question"]:
        raise ValueError(f"{instance.id}: the generator no longer produces this question")
    return p


def _env_kwargs(instance: Instance) -> dict[str, Any]:
    d = instance.data
    return {
        "modules": [d["module"]],
        "difficulty": d["difficulty"],
        "problem_seed": d["seed"],
        "problem_index": d["index"],
    }


def verify_answer(instance: Instance, certificate: Any) -> Verdict:
    """MathQA certificate: the answer text must score exactly 1."""
    from mathgym.verifiers.math import score

    if not isinstance(certificate, str):
        return Verdict(False, f"certificate must be the answer text, got {type(certificate)}")
    s = score(certificate, instance_problem(instance))
    return Verdict(True) if s >= 1.0 else Verdict(False, f"score {s} for {certificate[:80]!r}")


def verify_program(instance: Instance, certificate: Any) -> Verdict:
    """ProgSynth certificate: action ids; rebuilt, type-checked, evaluated and scored."""
    from mathgym.envs.reasoning.progsynth_graph import GraphBuilder
    from mathgym.verifiers.math import score

    if not isinstance(certificate, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in certificate
    ):
        return Verdict(False, "certificate must be a list of action ids (ints)")
    problem = instance_problem(instance)
    builder = GraphBuilder(problem, max_nodes=instance.data["max_nodes"])
    for k, a in enumerate(certificate):
        if builder.complete:
            return Verdict(False, f"actions after the graph was complete (position {k})")
        try:
            builder.apply(a)
        except ValueError as err:
            return Verdict(False, f"action {k}: {err}")
    if not builder.complete:
        return Verdict(False, "the graph is incomplete")
    text = builder.answer()
    if text is None:
        return Verdict(False, "the graph does not evaluate")
    s = score(text, problem)
    return Verdict(True) if s >= 1.0 else Verdict(False, f"graph value {text!r} scores {s}")


def answer_min_cost(instance: Instance, certificate: Any) -> float:
    """MathQA: any claimed answer was submitted at least once (1 sample)."""
    return 1.0


def program_elements(instance: Instance) -> dict[str, Any]:
    """The formal question elements of a ProgSynth instance (public: they are the question)."""
    return {"elements": instance_problem(instance).data["elements"]}


def program_min_cost(instance: Instance, certificate: Any) -> float:
    """ProgSynth: a program of k actions took at least k env steps to build."""
    return float(len(certificate)) if isinstance(certificate, list) else 0.0


#: Modules of the improvement experiment's held-out benchmark (short integer answers the
#: untrained SmolLM2 sometimes gets right with two solved examples: a signal to learn from).
IMPROVE_MODULES: tuple[str, ...] = ("arithmetic__add_or_sub", "numbers__gcd",
                                    "numbers__round_number", "comparison__kth_biggest")
IMPROVE_PER_MODULE = 16


def _mathqa(bid: str, description: str, instances: list[Instance],
            tags: tuple[str, ...] = ()) -> Benchmark:
    """A MathQA benchmark: answer-text certificates scored by mathgym.verifiers.math, budget
    in samples (the settings every MathQA benchmark shares)."""
    return Benchmark(
        id=bid,
        version=MATHQA_VERSION,
        description=description + (" Certificate: the answer text, which must score 1 with "
                                   "mathgym.verifiers.math. Budget: samples (answers "
                                   "submitted)."),
        instances=instances,
        budget_unit="samples",
        default_budget=1,
        env_id="mathgym/MathQA-v0",
        env_kwargs=_env_kwargs,
        verify=verify_answer,
        strata=("category", "module"),
        tags=tags,
        public_keys=MATHQA_PUBLIC_KEYS,
        min_cost=answer_min_cost,
    )


def mathqa_improve_benchmark() -> Benchmark:
    """``reasoning/mathqa-improve-l1``: the first 16 ``mathqa-l1`` problems of each of
    :data:`IMPROVE_MODULES` (identical instances), the improvement experiment's held-out set."""
    return _mathqa(
        "reasoning/mathqa-improve-l1",
        f"The improvement experiment's held-out set: the first {IMPROVE_PER_MODULE} "
        f"reasoning/mathqa-l1 problems of {', '.join(IMPROVE_MODULES)} (the same instances).",
        _instances(IMPROVE_MODULES, 1, IMPROVE_PER_MODULE))


def mathqa_benchmark(difficulty: int, *, quick: bool = False,
                     sealed_seed: int | None = None) -> Benchmark:
    """MathQA at ``difficulty``; ``sealed_seed`` draws the sealed split from that seed."""
    from mathgym.envs.reasoning import MODULES

    per_module = 2 if quick else MATHQA_PER_MODULE
    name = "mathqa-quick" if quick else f"mathqa-l{difficulty}"
    if sealed_seed is not None:
        name += "-sealed"
    seed = BENCHMARK_SEED if sealed_seed is None else sealed_seed
    where = "a secret seed" if sealed_seed is not None else f"seed {BENCHMARK_SEED}"
    return _mathqa(
        f"reasoning/{name}",
        f"All {len(MODULES)} reasoning modules, {per_module} problems each at difficulty "
        f"{difficulty} ({where}).",
        _instances(MODULES, difficulty, per_module, seed),
        tags=("quick",) if quick else ())


def progsynth_benchmark(difficulty: int = 1, *, quick: bool = False,
                        max_nodes: int = 10, sealed_seed: int | None = None) -> Benchmark:
    """ProgSynth at ``difficulty``; ``sealed_seed`` draws the sealed split from that seed."""
    from mathgym.envs.reasoning.progsynth_env import PROGSYNTH_MODULES

    per_module = 1 if quick else PROGSYNTH_PER_MODULE
    name = "progsynth-quick" if quick else f"progsynth-l{difficulty}"
    if sealed_seed is not None:
        name += "-sealed"
    seed = BENCHMARK_SEED if sealed_seed is None else sealed_seed
    instances = [
        Instance(i.id, {**i.data, "max_nodes": max_nodes}, i.strata)
        for i in _instances(PROGSYNTH_MODULES, difficulty, per_module, seed)
    ]
    return Benchmark(
        id=f"reasoning/{name}",
        version=PROGSYNTH_VERSION,
        description=(
            f"{len(PROGSYNTH_MODULES)} program-synthesis modules, {per_module} problems each at "
            f"difficulty {difficulty}, graphs of at most {max_nodes} nodes. Certificate: the "
            "action sequence, rebuilt under the type mask and scored. Budget: env steps "
            "(one per node added, over all episodes)."
        ),
        instances=instances,
        budget_unit="env_steps",
        default_budget=2000,
        env_id="mathgym/MathProgSynth-v0",
        env_kwargs=lambda inst: {**_env_kwargs(inst), "max_nodes": inst.data["max_nodes"]},
        verify=verify_program,
        strata=("category", "module"),
        tags=("quick",) if quick else (),
        public_keys=PROGSYNTH_PUBLIC_KEYS,
        public_data=program_elements,
        min_cost=program_min_cost,
    )


def _level(d: int) -> Callable[[], Benchmark]:
    return lambda: mathqa_benchmark(d)


def _sealed_mathqa(d: int) -> Callable[[int], Benchmark]:
    return lambda seed: mathqa_benchmark(d, sealed_seed=seed)


def _sealed_progsynth(d: int) -> Callable[[int], Benchmark]:
    return lambda seed: progsynth_benchmark(d, sealed_seed=seed)


BENCHMARKS: dict[str, Callable[[], Benchmark]] = {
    **{f"reasoning/mathqa-l{d}": _level(d) for d in range(1, 6)},
    "reasoning/mathqa-quick": lambda: mathqa_benchmark(1, quick=True),
    "reasoning/mathqa-improve-l1": mathqa_improve_benchmark,
    "reasoning/progsynth-l1": lambda: progsynth_benchmark(1),
    "reasoning/progsynth-l3": lambda: progsynth_benchmark(3),
    "reasoning/progsynth-l5": lambda: progsynth_benchmark(5),
    "reasoning/progsynth-quick": lambda: progsynth_benchmark(1, quick=True),
}

#: Sealed splits: id -> factory of the secret-derived seed (see mathgym.harness.sealed).
SEALED_BENCHMARKS: dict[str, Callable[[int], Benchmark]] = {
    **{f"reasoning/mathqa-l{d}-sealed": _sealed_mathqa(d) for d in range(1, 6)},
    **{f"reasoning/progsynth-l{d}-sealed": _sealed_progsynth(d) for d in (1, 3, 5)},
}
