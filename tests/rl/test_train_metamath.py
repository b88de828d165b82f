"""``mathgym train`` on Metamath: MaskablePPO behind ``HashedTextFeatures`` solves theorems while
training, every proof found is kept as an action-list certificate that ``mathgym submit``
re-verifies with the kernel, and a forged certificate or a cost below the proof's length is
refused. (``check_env`` through the wrapper: tests/rl/test_hashed_text.py.)

Each Metamath step computes a candidate list (tens of ms), so the run is 192 env steps on
three theorems with one- and two-step proofs, in episodes of 2 steps.
"""

from __future__ import annotations

import json

import pytest
from mathgym.agents.rl.common.train import TrainArgs, train
from mathgym.leaderboards.submit import SubmissionError, submit
from tiny_plugins import METAMATH_ID, register

CONFIG = {"n_envs": 2, "max_steps": 2, "n_steps": 32, "net_arch": [32, 32], "n_features": 128,
          "candidate_features": 8}
BUDGET = 192


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    register()
    out = tmp_path_factory.mktemp("metamath") / "run"
    train(TrainArgs(benchmark=METAMATH_ID, learner="sb3-maskable-ppo", budget=BUDGET,
                    out=str(out), seed=0, config=dict(CONFIG), device="cpu", progress=False,
                    checkpoint_every=10**9))
    return out


def _forged(run_dir, tmp_path, change) -> str:
    doc = json.loads((run_dir / "results.json").read_text())
    change(doc)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_proofs_found_while_training_are_accepted_by_submit(run_dir, tmp_path):
    doc = json.loads((run_dir / "results.json").read_text())
    solved = {r["instance"]: r for r in doc["results"] if r["solved"]}
    # 'tru' proves wl-impchain-a1-x in one step: the 8th of 16 candidates
    assert "wl-impchain-a1-x" in solved
    rec = solved["wl-impchain-a1-x"]
    assert rec["certificate"] == [7] and 1 <= rec["cost"] <= BUDGET
    assert doc["training"]["family"] == "metamath" and doc["training"]["finished"]
    assert doc["agent"]["config"]["max_candidates"] == 16
    path = submit(run_dir / "results.json", root=tmp_path / "boards")
    assert json.loads(path.read_text())["metrics"]["solved"] == len(solved)


def test_a_forged_certificate_is_refused(run_dir, tmp_path):
    def swap(doc):  # candidate 0 is ax-mp: it opens two goals, it proves nothing
        rec = next(r for r in doc["results"] if r["solved"])
        rec["certificate"] = [0]

    with pytest.raises(SubmissionError, match="certificate rejected"):
        submit(_forged(run_dir, tmp_path, swap), root=tmp_path / "boards")


def test_an_unsolved_record_cannot_claim_a_proof_of_another_theorem(run_dir, tmp_path):
    def claim(doc):  # the one-step proof of wl-impchain-a1-x, claimed for 1t1e1
        rec = next(r for r in doc["results"] if r["instance"] == "1t1e1")
        rec.update(solved=True, claimed=True, certificate=[7], cost=BUDGET)
        doc["metrics"]["solved"] += 1

    with pytest.raises(SubmissionError):
        submit(_forged(run_dir, tmp_path, claim), root=tmp_path / "boards")
