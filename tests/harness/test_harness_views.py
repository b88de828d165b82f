"""Agents see the task, not the answer (mathgym issue 10, class 2).

Reported: ``Instance.data`` of the reasoning benchmarks carried ``answer_sha256`` and the
generator coordinates; a plug-in agent that inverted the hash or called ``generate()`` scored
and was accepted. Now non-privileged agents get views; privileged ones (oracles) are marked.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import harness_snoop_plugin
import pytest

from mathgym.harness.benchmark import Instance
from mathgym.harness.registry import get_agent, get_benchmark
from mathgym.harness.runner import EvalConfig, evaluate, run_attempt
from mathgym.harness.views import BenchmarkView, agent_arguments, benchmark_view, is_privileged


@pytest.fixture(autouse=True)
def _plugins(monkeypatch):
    harness_snoop_plugin.activate(monkeypatch)


def test_regression_the_answer_hash_and_generator_coordinates_do_not_reach_agents():
    bench = get_benchmark("reasoning/mathqa-l1")
    inst = bench.instances[0]
    assert {"answer_sha256", "seed", "index"} <= set(inst.data)  # the full instance has them
    record = run_attempt(bench, get_agent("snoop"), inst, 1, 0)
    assert record["info"]["leaks"] == [] and record["info"]["benchmark"] == "BenchmarkView"
    assert record["info"]["keys"] == ["answer_type", "difficulty", "module", "question", "spec"]
    assert not record["claimed"] and not record["solved"]


def test_the_reported_hash_inversion_has_nothing_to_invert():
    bench = get_benchmark("reasoning/mathqa-l1")
    view = benchmark_view(bench)
    inst = bench.instances[0]
    digest = inst.data["answer_sha256"]
    text = json.dumps([i.to_json() for i in view.instances])
    assert digest not in text and '"seed"' not in text and '"index"' not in text
    assert hashlib.sha256(b"x").hexdigest() != digest  # the data really is a hash to hide


@pytest.mark.parametrize("bid", ["reasoning/mathqa-quick", "reasoning/mathqa-l5",
                                 "reasoning/progsynth-quick", "reasoning/progsynth-l3"])
def test_every_reasoning_view_holds_only_public_keys(bid):
    bench = get_benchmark(bid)
    view = benchmark_view(bench)
    allowed = set(bench.public_keys) | {"elements"}
    assert len(view) == len(bench) and [i.id for i in view.instances] == \
        [i.id for i in bench.instances]
    for inst in view.instances:
        assert set(inst.data) <= allowed and not {"answer_sha256", "seed", "index"} & set(
            inst.data)
        assert inst.data["question"] == bench.instance(inst.id).data["question"]
        assert inst.strata == bench.instance(inst.id).strata


def test_the_view_of_a_benchmark_has_no_verifier_env_kwargs_or_full_instances():
    bench = get_benchmark("reasoning/progsynth-quick")
    view = benchmark_view(bench)
    assert isinstance(view, BenchmarkView) and view is benchmark_view(bench)
    for attr in ("verify", "check", "env_kwargs", "cost_floor", "public_view"):
        assert not hasattr(view, attr), attr
    assert (view.id, view.version, view.full_id, view.budget_unit, view.env_id,
            view.content_hash) == (bench.id, bench.version, bench.full_id, bench.budget_unit,
                                   bench.env_id, bench.content_hash)
    with pytest.raises(KeyError, match="has no instance"):
        view.make_env(Instance("not-there", {}))


def test_make_env_of_a_view_builds_the_real_instance_env():
    bench = get_benchmark("reasoning/progsynth-quick")
    view = benchmark_view(bench)
    inst = view.instances[0]
    env = view.make_env(inst)
    try:
        _, info = env.reset(seed=0)
        assert info["text"] == bench.instance(inst.id).data["question"]
    finally:
        env.close()


def test_privileged_agents_get_full_instances_and_are_marked():
    bench = get_benchmark("reasoning/mathqa-quick")
    for name in ("oracle-sympy", "replay"):
        cls_agent = get_agent(name) if name != "replay" else get_agent(name, path="x.json")
        assert is_privileged(cls_agent)
        seen_b, seen_i = agent_arguments(bench, cls_agent, bench.instances[0])
        assert seen_b is bench and seen_i is bench.instances[0]
    for name in ("progsynth-search", "progsynth-random", "random", "snoop"):
        assert not is_privileged(get_agent(name)), name


def test_a_public_benchmark_without_public_keys_shows_everything():
    bench = get_benchmark("toy/count")
    assert bench.public_keys is None
    assert benchmark_view(bench).instances[0].data == bench.instances[0].data


def test_progsynth_search_solves_from_the_view_alone():
    bench = get_benchmark("reasoning/progsynth-quick")
    agent = get_agent("progsynth-search", max_depth=3)
    inst = bench.instance("algebra__linear_1d/000")
    record = run_attempt(bench, agent, inst, 50, 0)
    assert record["solved"] and record["cost"] == 3 and len(record["certificate"]) == 3


def _eval(tmp_path, name, *args):
    return subprocess.run(
        [sys.executable, "-m", "mathgym.cli", "eval", "--no-progress", "--out",
         str(tmp_path / name), *args], capture_output=True, text=True, timeout=600)


def test_end_to_end_snoop_finds_nothing_and_oracle_scores_100_percent_marked_oracle(tmp_path):
    snoop = _eval(tmp_path, "snoop", "--benchmark", "reasoning/mathqa-quick", "--agent", "snoop",
                  "--workers", "2")
    assert snoop.returncode == 0, snoop.stderr
    doc = json.loads((tmp_path / "snoop" / "results.json").read_text())
    assert doc["metrics"]["solved"] == 0 and "oracle" not in doc["agent"]
    assert all(r["info"]["leaks"] == [] for r in doc["results"]), doc["results"][0]["info"]
    oracle = _eval(tmp_path, "oracle", "--benchmark", "reasoning/mathqa-quick", "--agent",
                   "oracle-sympy")
    assert oracle.returncode == 0, oracle.stderr
    doc = json.loads((tmp_path / "oracle" / "results.json").read_text())
    assert doc["agent"]["oracle"] is True
    assert doc["metrics"]["solved"] == doc["metrics"]["num_records"] == 68


def test_a_generate_caller_cannot_regenerate_an_instance_from_its_view(tmp_path):
    doc = evaluate(EvalConfig(benchmark="reasoning/mathqa-quick", agent="snoop", limit=4,
                              out=tmp_path / "g", backend="inline", progress=False))
    assert [r["claimed"] for r in doc["results"]] == [False] * 4
    assert all("regenerated the problem" not in r["info"]["leaks"] for r in doc["results"])
