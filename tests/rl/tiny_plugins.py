"""Test plug-in (``MATHGYM_EXTRA_MODULES=tiny_plugins``, ``tests/rl`` on ``PYTHONPATH``):
small ProgSynth and Metamath benchmarks for short training runs.

- ``test/progsynth-tiny``: 4 problems each of gcd, lcm and is_prime at difficulty 1 from the
  public benchmarks' stream (the first instances of ``reasoning/progsynth-l1`` in those
  modules), graphs of at most 10 nodes;
- ``test/metamath-tiny``: three ``formal/metamath-easy`` theorems with one- and two-step
  proofs (``wl-impchain-a1-x``, ``1t1e1``, ``nncn``).
"""

from __future__ import annotations

PROGSYNTH_ID = "test/progsynth-tiny"
METAMATH_ID = "test/metamath-tiny"
PROGSYNTH_MODULES = ("numbers__gcd", "numbers__lcm", "numbers__is_prime")
METAMATH_THEOREMS = ("wl-impchain-a1-x", "1t1e1", "nncn")


def progsynth_tiny():
    """``test/progsynth-tiny@1``."""
    from mathgym.envs.reasoning.benchmarks import (
        PROGSYNTH_PUBLIC_KEYS,
        _instances,
        program_elements,
        program_min_cost,
        verify_program,
    )

    from mathgym.harness.benchmark import Benchmark, Instance

    instances = [Instance(i.id, {**i.data, "max_nodes": 10}, i.strata)
                 for i in _instances(PROGSYNTH_MODULES, 1, 4)]
    return Benchmark(
        id=PROGSYNTH_ID, version=1, description="12 ProgSynth problems (tests)",
        instances=instances, budget_unit="env_steps", default_budget=100,
        env_id="mathgym/MathProgSynth-v0",
        env_kwargs=lambda inst: {"modules": [inst.data["module"]],
                                 "difficulty": inst.data["difficulty"],
                                 "problem_seed": inst.data["seed"],
                                 "problem_index": inst.data["index"],
                                 "max_nodes": inst.data["max_nodes"]},
        verify=verify_program, strata=("module",), public_keys=PROGSYNTH_PUBLIC_KEYS,
        public_data=program_elements, min_cost=program_min_cost)


def metamath_tiny():
    """``test/metamath-tiny@1``."""
    from mathgym.envs.metamath.benchmarks import metamath_easy

    from mathgym.harness.benchmark import Benchmark

    easy = metamath_easy()
    instances = tuple(i for i in easy.instances if i.id in METAMATH_THEOREMS)
    assert len(instances) == len(METAMATH_THEOREMS)
    return Benchmark(
        id=METAMATH_ID, version=1, description="3 easy set.mm theorems (tests)",
        instances=instances, budget_unit=easy.budget_unit, default_budget=100,
        env_id=easy.env_id, env_kwargs=easy.env_kwargs, verify=easy.verify,
        strata=easy.strata, min_cost=easy.min_cost)


BENCHMARKS = {PROGSYNTH_ID: progsynth_tiny, METAMATH_ID: metamath_tiny}


def register() -> None:
    """Register both benchmarks in this process."""
    from mathgym.harness.registry import register_benchmark

    for bid, factory in BENCHMARKS.items():
        register_benchmark(bid, factory)
