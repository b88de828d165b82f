"""SB3VecEnv over the numba vector envs == SB3's DummyVecEnv over single envs, step for step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from mathgym.agents.rl import SB3VecEnv
from mathgym.envs.ac.datasets import miller_schupp
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

import mathgym  # noqa: F401  (registers the envs)

# The info keys SB3VecEnv reports; DummyVecEnv over single envs has them too (and more).
KEYS = ("is_success", "TimeLimit.truncated", "total_length")


def _pair(env_id: str, n: int, seed: int, **kw):
    fast = SB3VecEnv(env_id, n_envs=n, seed=seed, **kw)
    ref = DummyVecEnv([lambda: gym.make(env_id, **kw) for _ in range(n)])
    ref.seed(seed)
    return fast, ref


def _compare(fast, ref, steps: int, rng: np.random.Generator) -> tuple[int, int, int]:
    """Step both with the same random actions; returns (episodes, solved, truncated)."""
    assert np.array_equal(fast.reset(), ref.reset())
    assert [info["total_length"] for info in fast.reset_infos] == [
        info["total_length"] for info in ref.reset_infos
    ]
    n_moves = fast.action_space.n
    episodes = solved = truncated = 0
    for _ in range(steps):
        actions = rng.integers(0, n_moves, fast.num_envs)
        masks = fast.env_method("action_masks")
        assert np.array_equal(np.stack(masks),
                              np.stack(ref.env_method("action_masks")))
        fast.step_async(actions)
        ref.step_async(actions)
        obs, rew, done, infos = fast.step_wait()
        obs_r, rew_r, done_r, infos_r = ref.step_wait()
        assert obs.dtype == obs_r.dtype and np.array_equal(obs, obs_r)
        assert rew.dtype == rew_r.dtype == np.float32 and np.array_equal(rew, rew_r)
        assert np.array_equal(done, done_r)
        for info, info_r in zip(infos, infos_r, strict=True):
            assert {k: info[k] for k in KEYS} == {k: info_r[k] for k in KEYS}
            assert ("terminal_observation" in info) == ("terminal_observation" in info_r)
            if "terminal_observation" in info:
                assert np.array_equal(info["terminal_observation"],
                                      info_r["terminal_observation"])
                episodes += 1
                solved += info["is_success"]
                truncated += info["TimeLimit.truncated"]
    return episodes, solved, truncated


@pytest.mark.parametrize("reward", ["sparse", "length"])
def test_miller_schupp_matches_dummy_vec_env(reward):
    # horizon 8: many truncations, each autoreset drawing the next presentation from env i's RNG
    kw = dict(n_max=2, max_w_len=3, horizon=8, reward=reward)
    fast, ref = _pair("mathgym/AC-MillerSchupp-v0", 6, 123, **kw)
    episodes, solved, truncated = _compare(fast, ref, 60, np.random.default_rng(0))
    assert truncated >= 36 and episodes == solved + truncated


def test_fixed_presentation_matches_dummy_vec_env():
    kw = dict(presentation="x y, y", max_relator_length=8, horizon=5)
    fast, ref = _pair("mathgym/AC-v0", 4, 7, **kw)
    episodes, solved, truncated = _compare(fast, ref, 40, np.random.default_rng(1))
    assert solved >= 4 and truncated >= 4


def test_reseeding_and_options_replay():
    kw = dict(n_max=2, horizon=4)
    fast, ref = _pair("mathgym/AC-MillerSchupp-v0", 3, 5, **kw)
    _compare(fast, ref, 10, np.random.default_rng(2))
    for env in (fast, ref):
        env.seed(99)
        env.set_options([{"index": 3}, {"index": 0}, {"index": 7}])
    _compare(fast, ref, 10, np.random.default_rng(3))
    ms = miller_schupp(2)
    fast.set_options({"index": 4})
    assert np.array_equal(fast.reset()[2], ms[4].presentation.to_array(36))


def test_attributes_methods_and_masks():
    venv = SB3VecEnv("mathgym/AC-v0", n_envs=3, max_relator_length=10)
    assert venv.get_attr("cap") == [10, 10, 10] and venv.get_attr("k", indices=1) == [2]
    assert venv.has_attr("action_masks") and not venv.has_attr("no_such_attribute")
    venv.set_attr("horizon", 3)
    assert venv.venv.unwrapped.horizon == 3
    with pytest.raises(ValueError, match="pass indices=None"):
        venv.set_attr("horizon", 4, indices=[0])
    venv.reset()
    masks = venv.env_method("action_masks", indices=[0, 2])
    assert masks.shape == (2, 12) and masks.dtype == bool
    assert np.array_equal(masks, venv.action_masks()[[0, 2]])
    assert [steps.tolist() for steps in venv.get_attr("steps")] == [[0, 0, 0]] * 3
    assert venv.env_is_wrapped(gym.Wrapper) == [False] * 3
    assert venv.seed(10) == [10, 11, 12]
    for _ in range(3):
        obs, rew, done, infos = venv.step(np.zeros(3, dtype=np.int64))
    assert done.all() and all(info["TimeLimit.truncated"] for info in infos)


def test_vec_monitor_and_success_rate():
    venv = VecMonitor(SB3VecEnv("mathgym/AC-v0", n_envs=2, presentation="x y, y",
                                max_relator_length=8, horizon=3))
    venv.reset()
    # r0 <- r0 r1^-1 turns "x y" into "x": solved in one move
    from mathgym.envs.ac.moves import move_name

    solving = [m for m in range(12) if move_name(m, 2).startswith("r0 <- r0 r1^-1")]
    obs, rew, done, infos = venv.step(np.array(solving * 2))
    assert done.all() and all(i["is_success"] and "episode" in i for i in infos)
    assert rew.tolist() == [1.0, 1.0]


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="needs n_envs"):
        SB3VecEnv("mathgym/AC-v0")
    with pytest.raises(TypeError, match="make_vec_env"):
        SB3VecEnv(gym.make("mathgym/AC-v0"))
    sync = gym.make_vec("mathgym/AC-v0", num_envs=2, vectorization_mode="sync")
    with pytest.raises(ValueError, match="same-step autoreset"):
        SB3VecEnv(sync)
    venv = SB3VecEnv("mathgym/AC-v0", n_envs=2)
    venv.reset()
    with pytest.raises(ValueError, match="expected 2 actions"):
        venv.step(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="render_mode must be None or 'rgb_array'"):
        SB3VecEnv("mathgym/AC-v0", n_envs=2, render_mode="human")


def test_a_vector_env_without_copies_still_gives_sb3_fresh_arrays():
    venv = SB3VecEnv("mathgym/AC-v0", n_envs=2, copy=False)
    first = venv.reset()
    kept = first.copy()
    second, *_ = venv.step(np.array([0, 1]))
    assert second is not first and np.array_equal(first, kept)
