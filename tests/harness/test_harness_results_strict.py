"""Strict results files and checked costs (mathgym issue 10, class 3).

Reported: NaN and Infinity costs and budgets were accepted (the stored JSON then held ``NaN``),
``seeds: [0, 0]`` counted as two seeds, a 400 MB file was read as it was, non-numeric costs.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys

import harness_snoop_plugin
import pytest

from mathgym.harness import results as results_mod
from mathgym.harness.registry import check_agent_name, register_agent
from mathgym.harness.results import (
    AGENT_NAME_RULE,
    MAX_RESULTS_BYTES,
    ResultsError,
    dumps,
    read_results,
    validate_results,
    write_results,
)
from mathgym.harness.runner import EvalConfig, evaluate


@pytest.fixture(autouse=True)
def _plugins(monkeypatch):
    harness_snoop_plugin.activate(monkeypatch)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A valid results document (toy/count, 12 instances, seeds 0 1)."""
    out = tmp_path_factory.mktemp("good")
    mp = pytest.MonkeyPatch()
    harness_snoop_plugin.activate(mp)
    try:
        return evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=out / "r",
                                   budget=8, seeds=[0, 1], backend="inline", progress=False))
    finally:
        mp.undo()


def _text_with(doc, old: str, new: str) -> str:
    text = dumps(doc)
    assert old in text
    return text.replace(old, new, 1)


def test_regression_nan_and_infinity_in_the_file_are_refused_with_a_clear_message(good, tmp_path):
    for token in ("NaN", "Infinity", "-Infinity"):
        path = tmp_path / f"{token}.json"
        first_cost = f'"cost": {good["results"][0]["cost"]}'
        path.write_text(_text_with(good, first_cost, f'"cost": {token}'))
        with pytest.raises(ResultsError, match=rf"not valid JSON \(strict.*{token} is not"):
            read_results(path)


def test_regression_duplicate_seeds_are_refused(good):
    doc = copy.deepcopy(good)
    doc["seeds"] = [0, 0]
    with pytest.raises(ResultsError, match=r"at \$\.seeds: .*non-unique"):
        validate_results(doc)


def test_regression_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:  # sparse: 65 MiB on paper, no disk used
        fh.truncate(MAX_RESULTS_BYTES + 1)
    with pytest.raises(ResultsError, match=r"more than a results file may hold .*MAX_RESULTS"):
        read_results(path)
    assert MAX_RESULTS_BYTES == 64 * 2**20


def test_the_size_cap_is_the_documented_constant(good, tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    write_results(path, good)
    monkeypatch.setattr(results_mod, "MAX_RESULTS_BYTES", path.stat().st_size - 1)
    with pytest.raises(ResultsError, match="bytes is more than"):
        read_results(path)
    monkeypatch.setattr(results_mod, "MAX_RESULTS_BYTES", path.stat().st_size)
    assert read_results(path) == good


@pytest.mark.parametrize("where, value, message", [
    (("results", 0, "cost"), float("nan"), r"at \$\.results\[0\]\.cost: nan"),
    (("results", 0, "cost"), float("inf"), r"at \$\.results\[0\]\.cost: inf"),
    (("budget", "amount"), float("inf"), r"at \$\.budget\.amount: inf"),
    (("results", 1, "wall_time"), float("-inf"), r"at \$\.results\[1\]\.wall_time: -inf"),
    (("results", 0, "info"), {"x": float("nan")}, r"at \$\.results\[0\]\.info\.x: nan"),
])
def test_non_finite_numbers_anywhere_are_refused(good, where, value, message):
    doc = copy.deepcopy(good)
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(ResultsError, match=message):
        validate_results(doc)
    with pytest.raises(ResultsError, match="not finite"):
        write_results("/nonexistent/never-written.json", doc)


@pytest.mark.parametrize("value", ["3", True, None, [1], -1, -0.5])
def test_costs_must_be_non_negative_numbers(good, value):
    doc = copy.deepcopy(good)
    doc["results"][0]["cost"] = value
    with pytest.raises(ResultsError, match=r"at \$\.results\[0\]\.cost"):
        validate_results(doc)


@pytest.mark.parametrize("value", ["8", False, 0, -3])
def test_budgets_must_be_positive_numbers(good, value):
    doc = copy.deepcopy(good)
    doc["budget"]["amount"] = value
    with pytest.raises(ResultsError, match=r"at \$\.budget\.amount"):
        validate_results(doc)


@pytest.mark.parametrize("name", ["Toy", "toy walker", "-toy", "", "a" * 65, "toy/walker",
                                  "tøy"])
def test_agent_names_follow_the_rule_in_results_and_in_the_registry(good, name):
    doc = copy.deepcopy(good)
    doc["agent"]["name"] = name
    with pytest.raises(ResultsError, match=r"at \$\.agent\.name: .*lower-case letters"):
        validate_results(doc)
    with pytest.raises(ValueError, match="lower-case letters, digits"):
        check_agent_name(name)
    with pytest.raises(ValueError, match="is not allowed"):
        register_agent(name, type("X", (), {"name": name}))
    assert "1-64 characters" in AGENT_NAME_RULE


def test_good_names_and_the_good_document_pass(good, tmp_path):
    for name in ("a", "ac-greedy", "oracle-sympy", "x.y_z-1", "a" * 64):
        assert check_agent_name(name) == name
    path = tmp_path / "ok.json"
    write_results(path, good)
    assert read_results(path) == good
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()


def test_the_oracle_mark_and_sealed_commitment_are_part_of_the_schema(good):
    doc = copy.deepcopy(good)
    doc["agent"]["oracle"] = "yes"
    with pytest.raises(ResultsError, match=r"at \$\.agent\.oracle"):
        validate_results(doc)
    doc = copy.deepcopy(good)
    doc["benchmark"]["sealed"] = {"secret_sha256": "abc"}
    with pytest.raises(ResultsError, match=r"at \$\.benchmark\.sealed\.secret_sha256"):
        validate_results(doc)
    doc["benchmark"]["sealed"] = {"secret_sha256": "0" * 64}
    validate_results(doc)


@pytest.mark.parametrize("cost, why", [
    ("nan", "cost nan"), ("inf", "cost inf"), ("-inf", "cost -inf"), (-2, "cost -2.0"),
    ("12", "cost '12' (str)"), (True, "cost True (bool)"), (None, "cost None (NoneType)"),
])
def test_the_harness_refuses_bad_agent_costs_per_attempt(tmp_path, cost, why):
    doc = evaluate(EvalConfig(benchmark="toy/count", agent="toy-cost", agent_config={"cost": cost},
                              out=tmp_path / "r", budget=20, limit=2, backend="inline",
                              progress=False))
    for rec in doc["results"]:
        assert not rec["solved"] and rec["cost"] == 0 and why in rec["error"], rec
        assert "finite number >= 0" in rec["error"]
    assert read_results(tmp_path / "r")["metrics"]["solved"] == 0


def test_the_harness_rejects_costs_below_min_cost(tmp_path):
    honest = evaluate(EvalConfig(benchmark="toy/floor", agent="toy-cost", out=tmp_path / "a",
                                 budget=20, backend="inline", progress=False))
    assert honest["metrics"]["solved"] == 12
    cheat = evaluate(EvalConfig(benchmark="toy/floor", agent="toy-cost",
                                agent_config={"cost": 0.5}, out=tmp_path / "b", budget=20,
                                backend="inline", progress=False))
    assert cheat["metrics"]["solved"] == 0
    rec = cheat["results"][4]  # t05: [1, 1, 0], 3 actions
    assert rec["verdict"] == ("cost 0.5 is below 3 env_steps, the least any agent could have "
                              "spent to find this certificate (min_cost)")


def test_reasoning_min_costs_hold_for_the_shipped_agents():
    from mathgym.harness.registry import get_agent, get_benchmark
    from mathgym.harness.runner import run_attempt

    mathqa = get_benchmark("reasoning/mathqa-quick")
    assert mathqa.cost_floor(mathqa.instances[0], "1") == 1.0
    rec = run_attempt(mathqa, get_agent("oracle-sympy"), mathqa.instances[0], 1, 0)
    assert rec["solved"] and rec["cost"] == 1
    prog = get_benchmark("reasoning/progsynth-quick")
    inst = prog.instance("numbers__is_prime/000")
    assert prog.cost_floor(inst, [1, 2, 3]) == 3.0
    for agent in (get_agent("progsynth-random"), get_agent("progsynth-search")):
        rec = run_attempt(prog, agent, inst, 400, 3)
        assert rec["solved"] and rec["cost"] >= len(rec["certificate"]), rec


def test_end_to_end_a_nan_cost_run_still_writes_strict_json(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mathgym.cli", "eval", "--benchmark", "toy/count", "--agent",
         "toy-cost", "--config", "cost=nan", "--limit", "2", "--no-progress", "--out",
         str(tmp_path / "r")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "r" / "results.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in results.json"))
    log = (tmp_path / "r" / "attempts.jsonl").read_text()
    assert "NaN" not in log and "Infinity" not in log
    assert math.isclose(read_results(tmp_path / "r")["metrics"]["solve_rate"], 0.0)
