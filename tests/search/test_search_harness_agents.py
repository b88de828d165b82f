"""The AC search agents through `mathgym eval` (inline): certificates verify, configs are
recorded, and greedy's per-instance results equal the submitted ac/ms1190 run on shared ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathgym.harness.registry import get_agent, get_benchmark
from mathgym.harness.runner import EvalConfig, evaluate

BOARD = Path(__file__).resolve().parents[2] / "leaderboards" / "ac" / "ms1190"


def _run(tmp_path: Path, agent: str, config: dict, budget: int = 10_000) -> dict:
    out = tmp_path / f"{agent}-{json.dumps(config, sort_keys=True)}"
    return evaluate(EvalConfig(benchmark="ac/quick", agent=agent, agent_config=config,
                               budget=budget, out=out, backend="inline", progress=False))


def _submitted(budget: int) -> dict:
    for path in sorted(BOARD.glob("*-ac-greedy-*.json")):
        doc = json.loads(path.read_text())
        if doc["budget"]["amount"] == budget and doc["agent"]["config"] == {
                "cyclic_reduction": False}:
            return {r["instance"]: r for r in doc["results"]}
    raise AssertionError(f"no ac-greedy run at budget {budget} on the ac/ms1190 board")


def test_greedy_on_quick_equals_the_submitted_ms1190_run(tmp_path: Path) -> None:
    doc = _run(tmp_path, "ac-greedy", {})
    board = _submitted(10_000)
    assert doc["metrics"]["solved"] == 6
    for record in doc["results"]:
        ref = board[record["instance"]]
        assert (record["solved"], record["certificate"], record["cost"]) == (
            ref["solved"], ref["certificate"], ref["cost"]), record["instance"]


@pytest.mark.parametrize("agent, config", [
    ("ac-greedy", {"symmetry": True}),
    ("ac-wastar", {"weight": 0.5, "symmetry": True}),
    ("ac-beam", {"width": 100, "symmetry": True}),
    ("ac-bfs", {"cyclic_reduction": True, "symmetry": True}),
])
def test_symmetric_agents_record_their_config_and_verify(tmp_path: Path, agent, config) -> None:
    doc = _run(tmp_path, agent, config)
    assert doc["agent"]["config"]["symmetry"] is True
    bench = get_benchmark("ac/quick")
    solved = [r for r in doc["results"] if r["solved"]]
    assert solved, f"{agent} {config} solved nothing on ac/quick at 10k nodes"
    for record in solved:
        assert bench.check(bench.instance(record["instance"]), record["certificate"]).ok


def test_symmetry_off_is_not_recorded_so_old_runs_keep_their_config() -> None:
    assert get_agent("ac-greedy").config == {"cyclic_reduction": False}
    assert get_agent("ac-greedy", symmetry=False).config == {"cyclic_reduction": False}
    assert get_agent("ac-greedy", symmetry=True).config == {
        "cyclic_reduction": False, "symmetry": True}
