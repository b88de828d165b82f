"""The one-hot AC features (``PPOConfig(features="one-hot")``): exact encoding, a bad space is
refused, and an SB3 model trained with them saves and loads with the extractor inside
``model.zip`` (so the ``sb3`` eval agent needs nothing else)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from mathgym.agents.rl import SB3VecEnv
from mathgym.agents.rl.common.networks import OneHotACFeatures, one_hot_ac
from mathgym.agents.rl.ppo.ppo import PPOConfig, build_maskable_ppo
from sb3_contrib import MaskablePPO

import mathgym  # noqa: F401


def test_one_hot_encoding_per_position():
    obs = torch.tensor([[-2.0, -1.0, 0.0, 1.0, 2.0, 0.0]])
    out = one_hot_ac(obs, 2)
    assert out.shape == (1, 30)
    blocks = out.reshape(6, 5)
    assert blocks.argmax(1).tolist() == [0, 1, 2, 3, 4, 2]  # value v -> column v + 2
    assert blocks.sum(1).tolist() == [1.0] * 6
    extractor = OneHotACFeatures(spaces.Box(-2, 2, (72,), np.int8))
    assert extractor.features_dim == 360
    with pytest.raises(ValueError, match=r"bounds \[-k, k\]"):
        OneHotACFeatures(spaces.Box(0, 4, (72,), np.int8))
    with pytest.raises(ValueError, match="features must be one of"):
        build_maskable_ppo(PPOConfig(features="embedded", n_steps=8), _venv(), 0, "cpu")


def _venv() -> SB3VecEnv:
    return SB3VecEnv("mathgym/AC-MillerSchupp-v0", n_envs=4, seed=0)


def test_one_hot_model_saves_and_loads_with_its_extractor(tmp_path):
    torch.set_num_threads(1)
    venv = _venv()
    model = build_maskable_ppo(PPOConfig(features="one-hot", n_steps=8, net_arch=[32, 32]),
                               venv, 0, "cpu")
    model.learn(64)
    assert isinstance(model.policy.features_extractor, OneHotACFeatures)
    model.save(tmp_path / "model.zip")
    loaded = MaskablePPO.load(tmp_path / "model.zip", device="cpu")
    assert isinstance(loaded.policy.features_extractor, OneHotACFeatures)
    obs = venv.reset()
    with torch.no_grad():
        a = model.policy.get_distribution(torch.as_tensor(obs, dtype=torch.float32))
        b = loaded.policy.get_distribution(torch.as_tensor(obs, dtype=torch.float32))
    assert torch.allclose(a.distribution.probs, b.distribution.probs)


def test_mathgym_train_records_the_option_and_the_sb3_agent_evaluates_the_model(tmp_path):
    import json

    from ac_easy_plugin import EASY_ID, FAST_PPO, register
    from mathgym.agents.rl.common.train import TrainArgs, train

    from mathgym.harness.runner import EvalConfig, evaluate

    register()
    out = tmp_path / "run"
    train(TrainArgs(benchmark=EASY_ID, learner="sb3-maskable-ppo", budget=4096, out=str(out),
                    seed=0, config={**FAST_PPO, "features": "one-hot"}, device="cpu",
                    progress=False))
    training = json.loads((out / "training.json").read_text())
    assert training["config"]["features"] == "one-hot"  # what the eval agent reads
    doc = evaluate(EvalConfig(benchmark=EASY_ID, agent="sb3", out=tmp_path / "eval",
                              agent_config={"checkpoint": str(out / "model.zip"), "horizon": 16},
                              budget=32, backend="inline", progress=False))
    assert doc["agent"]["config"]["learner"] == "sb3-maskable-ppo"
    assert all(r["error"] is None for r in doc["results"])
