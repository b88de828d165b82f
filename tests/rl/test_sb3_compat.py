"""Every mathgym env as a Stable-Baselines3 user would write it: check_env, PPO from the id,
make_vec_env, success-rate logging, masks; and clear errors on the Text-space envs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from mathgym.agents.rl import check_sb3_env
from mathgym.envs.wrappers import UnsupportedRenderMode
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env

import mathgym  # noqa: F401  (registers the envs)

ARRAY_ENVS = ["mathgym/AC-v0", "mathgym/AC-MillerSchupp-v0", "mathgym/MathProgSynth-v0"]
TINY = dict(n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")


@pytest.mark.parametrize("env_id", ARRAY_ENVS)
def test_check_env_passes(env_id):
    check_env(gym.make(env_id).unwrapped, warn=True)


@pytest.mark.parametrize("env_id", ARRAY_ENVS)
def test_ppo_from_the_id_and_make_vec_env(env_id):
    model = PPO("MlpPolicy", env_id, **TINY)  # SB3 asks for render_mode="rgb_array" first
    model.learn(32)
    venv = make_vec_env(env_id, n_envs=8, seed=0)
    obs = venv.reset()
    assert obs.shape == (8, *venv.observation_space.shape)
    _, _, _, infos = venv.step(np.zeros(8, dtype=np.int64))
    assert all(isinstance(info["is_success"], bool) for info in infos)


def test_ac_gets_rgb_array_and_progsynth_falls_back():
    # what SB3's maybe_make_env and make_vec_env do: rgb_array, else retry on TypeError
    assert gym.make("mathgym/AC-v0", render_mode="rgb_array").render_mode == "rgb_array"
    with pytest.raises(TypeError, match="render_mode must be None or 'ansi'"):
        gym.make("mathgym/MathProgSynth-v0", render_mode="rgb_array")
    with pytest.raises(ValueError):  # still a ValueError for callers that expect one
        gym.make("mathgym/MathQA-v0", render_mode="human")
    assert issubclass(UnsupportedRenderMode, ValueError)


def test_sb3_logs_the_success_rate_of_ac():
    # "x y, y" is solved by one move of 12, so random play solves some episodes of 3 steps
    env = gym.make("mathgym/AC-v0", presentation="x y, y", max_relator_length=8, horizon=3)
    model = PPO("MlpPolicy", env, **TINY)
    model.learn(64)
    assert len(model.ep_success_buffer) >= 10
    assert 0 < np.mean(model.ep_success_buffer) < 1


def test_maskable_ppo_on_progsynth_and_ac():
    for env_id in ("mathgym/MathProgSynth-v0", "mathgym/AC-v0"):
        model = MaskablePPO("MlpPolicy", env_id, **TINY)
        model.learn(32)
    env = gym.make("mathgym/MathProgSynth-v0")
    _, info = env.reset(seed=0)
    mask = env.unwrapped.action_masks()
    assert mask.dtype == bool and np.array_equal(mask, info["action_mask"]) and mask.any()
    assert info["is_success"] is False


@pytest.mark.parametrize("env_id", ["mathgym/MathQA-v0"])
def test_text_envs_get_an_error_that_names_the_wrapper(env_id):
    env = gym.make(env_id)
    with pytest.raises(TypeError, match="answers in text"):
        check_sb3_env(env)
    with pytest.raises(TypeError, match="answers in text"):
        check_sb3_env(env_id)
    from mathgym.envs.wrappers import HashedTextFeatures

    with pytest.raises(TypeError, match="answers in text"):  # features alone do not suffice
        check_sb3_env(HashedTextFeatures(env))


def test_text_observation_error_names_the_wrapper():
    from gymnasium import spaces
    from mathgym.agents.rl import check_sb3_spaces

    obs = spaces.Dict({"goal": spaces.Text(50), "n": spaces.Discrete(3)})
    with pytest.raises(TypeError, match=r"at \['goal'\].*mathgym.envs.wrappers.HashedTextFeatures"):
        check_sb3_spaces(obs, spaces.Discrete(4), "my env")
    check_sb3_spaces(spaces.Box(0, 1, (3,)), spaces.Discrete(4))  # arrays pass


def test_sb3_on_a_text_env_fails_with_an_error_that_names_the_wrapper():
    # SB3 sizes its buffers from observation_space.shape; a plain Text space crashes it with
    # "'NoneType' object is not iterable", mathgym's TextSpace names the way out instead
    from mathgym.envs.wrappers import TextHasNoShape

    wrapper = "wrap the env in mathgym.envs.wrappers.HashedTextFeatures"
    with pytest.raises(TextHasNoShape, match=f"(?i){wrapper}"):
        PPO("MlpPolicy", "mathgym/MathQA-v0")
    with pytest.raises(TypeError, match=f"(?i){wrapper}"):
        make_vec_env("mathgym/MathQA-v0", n_envs=8)
    space = gym.make("mathgym/MathQA-v0").observation_space
    assert not hasattr(space, "shape") and getattr(space, "shape", None) is None
    assert space == gym.spaces.Text(space.max_length, min_length=1, charset=space.character_set)
