"""Paths our searches found for ac/ms1190 presentations AC-Solver's greedy (1M nodes) leaves
unsolved (data/new_ms1190_paths.json). Each must replay to the trivial presentation."""

from __future__ import annotations

import json
from pathlib import Path

from mathgym.envs.ac.benchmarks import ms1190
from mathgym.verifiers.ac import verify_ac_path

DATA = Path(__file__).parent / "data" / "new_ms1190_paths.json"


def test_new_paths_verify_under_the_benchmark_cap() -> None:
    doc = json.loads(DATA.read_text())
    bench = ms1190()
    assert doc["paths"], "the file lists at least one new path"
    for iid, entry in doc["paths"].items():
        inst = bench.instance(iid)
        assert entry["presentation"] == inst.data["presentation"]
        cap = int(inst.data["max_relator_length"])
        check = verify_ac_path(inst.data["relators"], entry["path"], cap)
        assert check.ok, (iid, check.reason)
