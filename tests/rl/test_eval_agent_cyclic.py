"""The ``sb3`` eval agent evaluates an AC model in the env semantics it was trained in: a model
trained with cyclic reduction sees cyclically reduced relators after every move (each
reduction played as the plain AC conjugation it is, and costed), its certificates are plain AC
paths the benchmark verifies, and its config records the semantics.
"""

from __future__ import annotations

import numpy as np
import pytest
from ac_easy_plugin import CAP, EASY_ID, FAST_PPO, easy_benchmark, register
from mathgym.agents.rl.common.train import TrainArgs, _ac_starts, train
from mathgym.agents.rl.eval_agent import SB3Agent

from mathgym.harness.runner import EvalConfig, evaluate


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    register()
    out = tmp_path_factory.mktemp("cyclic") / "run"
    train(TrainArgs(benchmark=EASY_ID, learner="sb3-ppo", budget=4096, out=str(out), seed=2,
                    config={**FAST_PPO, "cyclic_reduction": True}, device="cpu",
                    progress=False))
    return out / "model.zip"


def _observed(monkeypatch) -> list[np.ndarray]:
    """Observations the policy acts on after a move (episode starts are as given, unreduced,
    in training too)."""
    starts = {row.astype(np.float32).tobytes() for row in _ac_starts(easy_benchmark(), CAP)}
    seen: list[np.ndarray] = []
    act = SB3Agent._act

    def recording(self, model, obs, mask, greedy, rng):
        if np.asarray(obs, dtype=np.float32).tobytes() not in starts:
            seen.append(np.asarray(obs).copy())
        return act(self, model, obs, mask, greedy, rng)

    monkeypatch.setattr(SB3Agent, "_act", recording)
    return seen


def _cyclically_reduced(obs: np.ndarray) -> bool:
    for row in obs.reshape(2, -1):
        word = row[row != 0]
        if len(word) > 1 and word[0] == -word[-1]:
            return False
    return True


def _eval(model, tmp_path, name, **config):
    return evaluate(EvalConfig(benchmark=EASY_ID, agent="sb3", out=tmp_path / name,
                               agent_config={"checkpoint": str(model), **config}, budget=300,
                               seeds=(0,), progress=False))


def test_a_cyclic_model_is_evaluated_under_cyclic_reduction(model, tmp_path, monkeypatch):
    seen = _observed(monkeypatch)
    doc = _eval(model, tmp_path, "cyclic")
    assert doc["agent"]["config"]["cyclic_reduction"] is True  # read from training.json
    assert seen and all(_cyclically_reduced(obs) for obs in seen)
    solved = [r for r in doc["results"] if r["solved"]]
    assert len(solved) >= 4  # verified by the benchmark as plain AC paths
    assert all(len(r["certificate"]) <= r["cost"] <= 300 for r in solved)


def test_without_cyclic_reduction_the_policy_sees_unreduced_states(model, tmp_path,
                                                                 monkeypatch):
    seen = _observed(monkeypatch)
    doc = _eval(model, tmp_path, "plain", cyclic_reduction=False)
    assert doc["agent"]["config"]["cyclic_reduction"] is False  # the override is recorded
    assert not all(_cyclically_reduced(obs) for obs in seen)  # so the test above can fail
