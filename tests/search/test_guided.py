"""Guided search (agents/search/guided): features, the batched loop against greedy, the
k-fold dataset, deterministic training, checkpoints, and the ac-guided agent's verified,
reproducible solves (at least greedy's on ac/quick at the same node budget)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mathgym.agents.search.api import greedy_search
from mathgym.agents.search.guided.agent import DEFAULT_CHECKPOINTS
from mathgym.agents.search.guided.dataset import Dataset, build_dataset, path_states
from mathgym.agents.search.guided.features import FEATURES, MAX_CAP, encode_states
from mathgym.agents.search.guided.net import (
    TrainConfig,
    load_checkpoint,
    save_checkpoint,
    train,
)
from mathgym.agents.search.guided.search import guided_search
from mathgym.agents.search.supermoves.corpus import ROOT, fold_of, load_corpus
from mathgym.envs.ac.benchmarks import ms1190
from mathgym.verifiers.ac import verify_ac_path

from mathgym.harness.runner import EvalConfig, evaluate

CKPT = ROOT / DEFAULT_CHECKPOINTS


def test_one_hot_features() -> None:
    cap = 4
    state = np.array([[1, -2, 0, 0, 2, 2, -1, 0]], np.int8)  # x y^-1, y y x^-1
    x = encode_states(state, cap)
    assert x.shape == (1, FEATURES) and x.sum() == 5
    assert x[0, 0 * 4 + 0] == 1 and x[0, 1 * 4 + 3] == 1  # relator 0: x, then y^-1
    base = MAX_CAP * 4
    assert x[0, base + 2] == 1 and x[0, base + 4 + 2] == 1 and x[0, base + 8 + 1] == 1


@pytest.mark.parametrize("iid", ["ms-0000", "ms-0400", "ms-0700"])
def test_unguided_batch_one_is_greedy_exactly(iid: str) -> None:
    inst = ms1190().instance(iid)
    cap = int(inst.data["max_relator_length"])
    g = greedy_search(inst.data["relators"], 5_000, cap)
    r = guided_search(inst.data["relators"], cap, None, 5_000, batch=1, w_pi=0.0)
    assert (r.solved, r.nodes, r.path) == (g.solved, g.nodes, g.path)


def test_dataset_rows_come_from_verified_paths_outside_the_held_out_fold() -> None:
    corpus = load_corpus()
    data = build_dataset(3)
    assert {fold_of(i) for i in data.instance} == {0, 1, 2, 4}
    train = corpus.training_paths(3)
    assert len(data.move) == sum(len(p) for ps in train.values() for p in ps)
    # the first rows replay ms-0000's first path: distance-to-go counts down to 1
    first = corpus.paths["ms-0000"][0]
    assert list(data.move[:len(first)]) == list(first)
    assert list(data.togo[:len(first)]) == list(range(len(first), 0, -1))
    states = path_states(corpus.relators["ms-0000"], list(first), corpus.caps["ms-0000"])
    np.testing.assert_array_equal(encode_states(states, corpus.caps["ms-0000"]),
                                  data.x[:len(first)])


def _small(data: Dataset, n: int = 1500) -> Dataset:
    return Dataset(data.x[:n], data.move[:n], data.togo[:n], data.instance[:n])


def test_training_is_deterministic_and_checkpoints_round_trip(tmp_path: Path) -> None:
    data = _small(build_dataset(0))
    cfg = TrainConfig(hidden=16, epochs=2, seed=3)
    a, stats = train(data, cfg)
    b, _ = train(data, cfg)
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
    assert 0.0 < stats["accuracy"] <= 1.0
    save_checkpoint(tmp_path / "n.pt", a, cfg, {"held_out_fold": 0, "folds": 5})
    assert not list(tmp_path.glob("*.tmp"))
    loaded, meta = load_checkpoint(tmp_path / "n.pt")
    assert meta["held_out_fold"] == 0 and meta["config"]["hidden"] == 16
    lp1, v1 = a.evaluate(data.x[:10])
    lp2, v2 = loaded.evaluate(data.x[:10])
    np.testing.assert_array_equal(lp1, lp2)
    np.testing.assert_array_equal(v1, v2)
    with pytest.raises(FileNotFoundError, match="train one"):
        load_checkpoint(tmp_path / "missing.pt")


def test_committed_checkpoints_match_their_manifest_and_held_out_folds() -> None:
    import hashlib

    manifest = json.loads((CKPT / "manifest.json").read_text())
    assert manifest["folds"] == 5
    for fold in range(5):
        entry = manifest["nets"][str(fold)]
        blob = (CKPT / entry["file"]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
        _, meta = load_checkpoint(CKPT / entry["file"])
        assert meta["held_out_fold"] == fold
        # the policy generalises beyond chance (1/12) on paths it never saw
        assert entry["held_out"]["accuracy"] > 0.25


def test_guided_paths_verify_with_the_committed_network() -> None:
    net, _ = load_checkpoint(CKPT / "fold-0.pt")
    inst = ms1190().instance("ms-0700")  # fold 0: the network never saw its paths
    cap = int(inst.data["max_relator_length"])
    r = guided_search(inst.data["relators"], cap, net, 10_000, batch=16)
    assert r.solved and r.forwards >= 1
    assert verify_ac_path(inst.data["relators"], r.path, cap).ok


def _run(tmp_path: Path, agent: str, name: str) -> dict:
    return evaluate(EvalConfig(benchmark="ac/quick", agent=agent, agent_config={},
                               budget=10_000, out=tmp_path / name, backend="inline",
                               progress=False))


def test_guided_agent_solves_at_least_greedy_on_quick_and_is_deterministic(
        tmp_path: Path) -> None:
    greedy = _run(tmp_path, "ac-greedy", "greedy")
    first = _run(tmp_path, "ac-guided", "a")
    again = _run(tmp_path, "ac-guided", "b")
    assert first["metrics"]["solved"] >= greedy["metrics"]["solved"] == 6
    for x, y in zip(first["results"], again["results"], strict=True):
        assert (x["instance"], x["solved"], x["certificate"], x["cost"]) == (
            y["instance"], y["solved"], y["certificate"], y["cost"])
    for record in first["results"]:
        assert record["info"]["fold"] == fold_of(record["instance"])
        assert record["cost"] <= 10_000 + 11
