"""HashedTextFeatures: stable hashed features, masks passed through, SB3 on Metamath."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from mathgym.envs.wrappers import HashedTextFeatures, stable_bucket
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE
from stable_baselines3.common.env_checker import check_env

import mathgym  # noqa: F401  (registers the envs)

SET_MM = Path(DEFAULT_DATABASE)
needs_set_mm = pytest.mark.skipif(
    not SET_MM.exists(), reason=f"{SET_MM} is absent (install metamath-databases: make setup)"
)


class _TextEnv(gym.Env):
    """Goal text, candidates and a mask in info only (like Metamath without action_masks())."""

    observation_space = spaces.Text(200)
    action_space = spaces.Discrete(3)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return "goal |- ( ph -> ph )\nhyp h1 |- ph", self._info(2)

    def step(self, action):
        return "goal |- ph", 1.0, True, False, self._info(1)

    def _info(self, n):
        return {"candidates": ["id", "ax-mp"][:n], "action_mask": np.array([1] * n + [0] * (3 - n),
                                                                             dtype=np.int8)}


def test_features_are_the_hashed_token_counts():
    env = HashedTextFeatures(_TextEnv(), n_features=64, candidate_features=8)
    obs, _ = env.reset()
    assert obs.shape == (64 + 3 * 8,) and obs.dtype == np.float32
    expected = np.zeros(64)
    for token in "goal |- ( ph -> ph ) hyp h1 |- ph".split():
        expected[stable_bucket(token, 64, b"text")] += 1
    for token in "goal |- ( ph -> ph )".split():
        expected[stable_bucket(token, 64, b"first-line")] += 1
    np.testing.assert_allclose(obs[:64], np.log1p(expected), rtol=1e-6)
    slots = obs[64:].reshape(3, 8)
    assert slots[0, stable_bucket("id", 8, b"candidate")] == 1 and slots[0].sum() == 1
    assert slots[1, stable_bucket("ax-mp", 8, b"candidate")] == 1 and slots[1].sum() == 1
    assert slots[2].sum() == 0  # empty action slot
    assert env.observation_space.contains(obs)


def test_bucket_is_blake2b_not_python_hash():
    digest = hashlib.blake2b(b"|-", digest_size=8, person=b"text").digest()
    assert stable_bucket("|-", 1024, b"text") == int.from_bytes(digest, "little") % 1024


def test_same_features_in_every_process_and_hash_seed():
    code = (
        "from mathgym.envs.wrappers.hashed_text import stable_bucket;"
        "print([stable_bucket(t, 997, b'text') for t in 'goal |- ( ph -> ps ) wi ax-mp'.split()])"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outs.add(run.stdout.strip())
    here = str([stable_bucket(t, 997, b"text") for t in "goal |- ( ph -> ps ) wi ax-mp".split()])
    assert outs == {here}


def test_mask_from_info_when_the_env_has_no_action_masks():
    env = HashedTextFeatures(_TextEnv())
    env.reset()
    assert env.action_masks().tolist() == [True, True, False]
    env.step(0)
    assert env.action_masks().tolist() == [True, False, False]


def test_mask_passes_through_and_bad_input():
    with pytest.raises(TypeError, match="reads Text observations.*use the env as it is"):
        HashedTextFeatures(gym.make("mathgym/AC-v0"))
    with pytest.raises(ValueError, match="n_features must be an int >= 1"):
        HashedTextFeatures(_TextEnv(), n_features=0)
    env = HashedTextFeatures(gym.make("mathgym/MathQA-v0"), candidate_features=4)
    obs, info = env.reset(seed=0)
    assert obs.shape == (1024,) and obs.sum() > 0  # Text actions: no candidate slots
    with pytest.raises(AttributeError, match="no mask to pass on"):
        env.action_masks()


@needs_set_mm
def test_metamath_behind_the_wrapper_passes_check_env_and_trains():
    from sb3_contrib import MaskablePPO

    base = gym.make("mathgym/Metamath-v0", theorem="pm4.64")
    env = HashedTextFeatures(base, n_features=256, candidate_features=8)
    check_env(env)
    obs, info = env.reset(seed=0)
    assert np.array_equal(env.action_masks(), np.asarray(info["action_mask"], dtype=bool))
    model = MaskablePPO("MlpPolicy", env, n_steps=8, batch_size=8, n_epochs=1, seed=0,
                        device="cpu")
    model.learn(8)  # each Metamath step unifies against set.mm (~0.2 s): keep it short
    action, _ = model.predict(obs, action_masks=env.action_masks())
    assert env.action_masks()[int(action)]


@needs_set_mm
def test_sb3_on_bare_metamath_names_the_wrapper():
    """SB3 asks for render_mode="rgb_array" (refused as a TypeError, so SB3 retries without
    one), then meets the Text observation, whose error says what to wrap the env in."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    with pytest.raises(TypeError, match="mathgym.envs.wrappers.HashedTextFeatures"):
        PPO("MlpPolicy", "mathgym/Metamath-v0")
    with pytest.raises(TypeError, match="mathgym.envs.wrappers.HashedTextFeatures"):
        make_vec_env("mathgym/Metamath-v0", n_envs=2, env_kwargs={"theorem": "pm4.64"})
