"""Reasoning benchmarks and baseline agents through the harness registry; JSONL interop."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mathgym.envs.reasoning import MODULES, generate, to_rows, write_jsonl
from mathgym.envs.reasoning.benchmarks import BENCHMARKS, MATHQA_PER_MODULE
from mathgym.verifiers.math import score

from mathgym.harness.registry import get_agent, get_benchmark, list_agents, list_benchmarks
from mathgym.harness.views import benchmark_view


def test_benchmarks_are_registered_with_the_harness():
    ids = set(list_benchmarks())
    assert {f"reasoning/mathqa-l{d}" for d in range(1, 6)} | {"reasoning/progsynth-l1"} <= ids
    assert set(BENCHMARKS) <= ids
    assert {"oracle-sympy", "progsynth-random", "progsynth-search"} <= set(list_agents())


def test_mathqa_levels_are_fixed_and_distinct():
    b3 = get_benchmark("reasoning/mathqa-l3")
    assert len(b3) == len(MODULES) * MATHQA_PER_MODULE
    assert b3.content_hash == BENCHMARKS["reasoning/mathqa-l3"]().content_hash
    assert b3.content_hash != get_benchmark("reasoning/mathqa-l2").content_hash
    assert b3.instances[0].data["difficulty"] == 3


def test_mathqa_improve_is_the_experiments_subset_of_mathqa_l1():
    """reasoning/mathqa-improve-l1 holds exactly the first 16 mathqa-l1 instances of each of
    the 4 experiment modules (same ids, same data), so the experiment's held-out evaluation on
    mathqa-l1 --instances and a run of this benchmark see the same problems."""
    from mathgym.envs.reasoning.benchmarks import IMPROVE_MODULES

    improve, l1 = get_benchmark("reasoning/mathqa-improve-l1"), get_benchmark("reasoning/mathqa-l1")
    assert len(improve) == 64 and len(IMPROVE_MODULES) == 4
    for inst in improve.instances:
        assert inst.data == l1.instance(inst.id).data
    for module in IMPROVE_MODULES:
        ids = [i.id for i in l1.instances if i.data["module"] == module][:16]
        assert [i.id for i in improve.instances if i.data["module"] == module] == ids
    assert improve.content_hash != l1.content_hash


def test_mathqa_verify_accepts_the_reference_and_rejects_others():
    bench = get_benchmark("reasoning/mathqa-quick")
    inst = bench.instance("numbers__gcd/001")
    d = inst.data
    p = generate(d["module"], d["difficulty"], d["seed"], d["index"])
    assert bench.check(inst, p.answer).ok
    assert bench.check(inst, f"\\boxed{{{p.answer}}}").ok
    assert not bench.check(inst, str(int(p.answer) + 1)).ok
    assert not bench.check(inst, None).ok
    assert not bench.check(inst, 12).ok
    forged = type(inst)(inst.id, {**inst.data, "question": "What is 1 + 1?"}, inst.strata)
    assert not bench.check(forged, "2").ok


def test_oracle_sympy_solves_every_quick_instance_and_each_level_sample():
    oracle = get_agent("oracle-sympy")
    bench = get_benchmark("reasoning/mathqa-quick")
    assert oracle.supports(bench)
    for inst in bench.instances:
        attempt = oracle.attempt(bench, inst, budget=1, seed=0)
        assert attempt.solved and attempt.cost == 1.0
        assert bench.check(inst, attempt.certificate).ok, (inst.id, attempt.certificate)
    for level in (2, 5):
        bench = get_benchmark(f"reasoning/mathqa-l{level}")
        for inst in bench.instances[::25]:
            attempt = oracle.attempt(bench, inst, budget=1, seed=0)
            assert bench.check(inst, attempt.certificate).ok, (inst.id, attempt.certificate)


def test_progsynth_search_finds_verified_programs():
    bench = get_benchmark("reasoning/progsynth-quick")
    view = benchmark_view(bench)
    agent = get_agent("progsynth-search", max_depth=4)
    assert agent.supports(view) and not agent.supports(get_benchmark("reasoning/mathqa-quick"))
    solved = 0
    for inst in bench.instances:
        attempt = agent.attempt(view, view.instance(inst.id), budget=3000, seed=0)
        assert attempt.cost <= 3000
        if attempt.solved:
            solved += 1
            assert bench.check(inst, attempt.certificate).ok
            assert not bench.check(inst, attempt.certificate[:-1]).ok
    assert solved >= len(bench) * 0.8


def test_progsynth_verify_rejects_masked_and_malformed_programs():
    bench = get_benchmark("reasoning/progsynth-quick")
    inst = bench.instance("numbers__is_prime/000")
    assert not bench.check(inst, [10**6]).ok
    assert not bench.check(inst, ["is_prime"]).ok
    assert not bench.check(inst, [True]).ok
    assert not bench.check(inst, []).ok


def test_masked_random_agent_is_deterministic_and_verified():
    bench = get_benchmark("reasoning/progsynth-quick")
    view = benchmark_view(bench)
    agent = get_agent("progsynth-random")
    inst = bench.instance("numbers__is_prime/000")
    a1 = agent.attempt(view, view.instance(inst.id), budget=200, seed=3)
    a2 = agent.attempt(view, view.instance(inst.id), budget=200, seed=3)
    assert a1 == a2 and a1.cost <= 200
    assert a1.solved and bench.check(inst, a1.certificate).ok  # a 2-node program, likely found


def test_to_rows_round_trip_as_jsonl_with_consistent_columns(tmp_path):
    rows = to_rows(difficulties=(1, 4), per_module=2, seed=9)
    assert len(rows) == len(MODULES) * 2 * 2
    path = write_jsonl(rows, tmp_path / "data" / "mathqa.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == rows
    assert len({tuple(r) for r in lines}) == 1  # same columns, same order, in every row
    for r in lines[::7]:
        p = generate(r["module"], r["difficulty"], r["seed"], r["index"])
        assert r["prompt"].startswith(p.question) and "\\boxed{}" in r["prompt"]
        assert json.loads(r["spec"]) == dict(p.spec)


def test_rows_feed_the_verifier_reward_adapters():
    from mathgym.verifiers.math import compute_score, trl_reward

    rows = to_rows(modules=["algebra__sequence_nth_term", "comparison__sort"], per_module=2)
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    completions = [f"so \\boxed{{{r['answer']}}}" for r in rows]
    assert trl_reward(completions, **columns) == [1.0] * len(rows)
    chat = [[{"role": "assistant", "content": "\\boxed{0}"}] for _ in rows]
    assert trl_reward(chat, **columns) == [0.0] * len(rows)
    r = rows[0]
    extra = {"answer_type": r["answer_type"], "spec": r["spec"]}
    assert compute_score("mathgym", f"<answer>{r['answer']}</answer>", r["answer"], extra) == 1.0


@pytest.mark.parametrize("module", MODULES)
def test_every_generated_answer_scores_one(module):
    # 5 levels x 24 problems x 34 modules = 4,080 problems, through the real worker pool.
    for d in range(1, 6):
        for i in range(24):
            p = generate(module, d, 424242, i)
            assert score(p.answer, p) == 1.0, (module, d, i, p.answer)


def test_oracle_never_reads_the_reference_answer():
    import dataclasses

    from mathgym.agents.reasoning.oracle_sympy import solve

    for module in MODULES:
        p = generate(module, 4, 77, 3)
        blinded = dataclasses.replace(p, answer="0")
        assert score(solve(blinded), p) == 1.0, module


def test_search_respects_a_tiny_budget():
    view = benchmark_view(get_benchmark("reasoning/progsynth-quick"))
    inst = view.instance("algebra__linear_1d/000")
    attempt = get_agent("progsynth-search").attempt(view, inst, budget=2, seed=0)
    assert not attempt.solved and attempt.cost <= 2  # the shortest program has 3 nodes
    attempt = get_agent("progsynth-search").attempt(view, inst, budget=3, seed=0)
    assert attempt.solved and attempt.cost == 3 and len(attempt.certificate) == 3


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(MODULES), st.integers(1, 5), st.integers(-(2**62), 2**62),
       st.integers(0, 2**62))
def test_any_seed_and_index_yields_an_answer_scoring_one(module, difficulty, seed, index):
    p = generate(module, difficulty, seed, index)
    assert score(p.answer, p) == 1.0, (p.question, p.answer)
