"""``mathgym demo`` times each agent in two columns: the warm-up (compile) and the run."""

from __future__ import annotations

import argparse
import json
import re

from mathgym import demo


def test_warm_up_is_one_attempt_at_a_small_budget(tmp_path):
    seconds = demo.warm_up("ac/quick", "ac-greedy", tmp_path / "w")
    assert seconds > 0
    doc = json.loads((tmp_path / "w" / "results.json").read_text())
    assert doc["budget"]["amount"] == demo.WARMUP_BUDGET  # ac/quick's default is 10000
    assert [r["instance"] for r in doc["results"]] == ["ms-0000"]
    assert doc["run"]["backend"] == "inline"


def test_warm_up_keeps_a_smaller_default_budget(tmp_path):
    demo.warm_up("reasoning/mathqa-quick", "oracle-sympy", tmp_path / "w")
    doc = json.loads((tmp_path / "w" / "results.json").read_text())
    assert doc["budget"]["amount"] == 1  # the default, 1 sample, is below WARMUP_BUDGET
    assert doc["metrics"]["solved"] == 1


def test_demo_prints_warm_up_and_run_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "plan", lambda: [("reasoning/mathqa-quick", "oracle-sympy")])
    out = tmp_path / "demo"
    args = argparse.Namespace(out=str(out), workers=1, no_progress=True)
    assert demo.run(args) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.strip().startswith("agent"))
    assert header.split()[-2:] == ["warm-up", "run"]
    row = next(line for line in lines if line.strip().startswith("oracle-sympy on"))
    assert re.search(r"solved +\d+/\d+ .* (\d+\.\d)s +(\d+\.\d)s$", row), row
    # the warm-up run is kept apart and never submitted
    assert (out / "warm-up" / "oracle-sympy-reasoning-mathqa-quick" / "results.json").is_file()
    board = out / "leaderboards" / "reasoning" / "mathqa-quick"
    assert len(list(board.glob("*.json"))) == 1
