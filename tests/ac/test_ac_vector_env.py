"""Vector envs vs the single env, step by step; same-step autoreset; masks; make_vec."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.env import ACEnv, ACMillerSchuppEnv
from mathgym.envs.ac.presentation import Presentation
from mathgym.envs.ac.vector_env import ACMillerSchuppVectorEnv, ACVectorEnv

import mathgym  # noqa: F401  (registers the envs)

# easy starts (solved in a move or two) so random actions also terminate episodes
EASY = ["x y, y", "x^-1, y x", "y x y^-1, y", "x, x y^-1"]


def _compare(vec, singles, actions_rng, n_steps):
    obs_v, _ = vec.reset(seed=100)
    obs_s = []
    for i, env in enumerate(singles):
        obs_s.append(env.reset(seed=100 + i)[0])
    assert np.array_equal(obs_v, np.stack(obs_s))
    ends = 0
    for _ in range(n_steps):
        actions = actions_rng.integers(0, vec.n_moves, vec.num_envs)
        obs_v, rew_v, term_v, trunc_v, info = vec.step(actions)
        masks_v = vec.action_masks()
        for i, env in enumerate(singles):
            obs, rew, term, trunc, sinfo = env.step(int(actions[i]))
            assert rew_v[i] == rew and term_v[i] == term and trunc_v[i] == trunc
            assert info["is_success"][i] == sinfo["is_success"] == sinfo["solved"]
            if term or trunc:
                ends += 1
                assert info["_final_obs"][i] and np.array_equal(info["final_obs"][i], obs)
                assert info["final_info"]["solved"][i] == sinfo["solved"]
                assert info["final_info"]["is_success"][i] == sinfo["is_success"]
                assert info["final_info"]["total_length"][i] == sinfo["total_length"]
                obs, sinfo = env.reset()
            else:
                assert "final_obs" not in info or not info["_final_obs"][i]
            assert np.array_equal(obs_v[i], obs)
            assert info["total_length"][i] == sinfo["total_length"]
            assert np.array_equal(masks_v[i], sinfo["action_mask"])
            if "index" in sinfo:
                assert info["index"][i] == sinfo["index"]
    return ends


@pytest.mark.parametrize("reward", ["sparse", "length"])
@pytest.mark.parametrize("cyclic", [False, True])
def test_vector_matches_single_envs(reward, cyclic):
    ms = miller_schupp()
    starts = EASY + [ms[i].presentation for i in (0, 200, 700, 1189)] + [akbulut_kirby(2)]
    kw = dict(max_relator_length=36, horizon=12, cyclic_reduction=cyclic, reward=reward)
    vec = ACVectorEnv(num_envs=len(starts), presentations=starts, **kw)
    singles = [ACEnv(p, **kw) for p in starts]
    ends = _compare(vec, singles, np.random.default_rng(1), 60)
    assert ends >= len(starts) * 4  # truncations at the horizon plus solved episodes


def test_ms_vector_matches_seeded_single_envs():
    kw = dict(max_relator_length=36, horizon=7)
    vec = ACMillerSchuppVectorEnv(num_envs=5, **kw)
    singles = [ACMillerSchuppEnv(**kw) for _ in range(5)]
    assert _compare(vec, singles, np.random.default_rng(2), 30) >= 20


def test_same_step_autoreset_and_final_obs():
    vec = ACVectorEnv(num_envs=2, presentations=["x y, y", akbulut_kirby(2)],
                      max_relator_length=7, horizon=3)
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs0, _ = vec.reset()
    obs, rew, term, trunc, info = vec.step(np.array([1, 4]))  # env 0 solved by r0 <- r0 r1^-1
    assert term.tolist() == [True, False] and rew.tolist() == [1.0, 0.0]
    assert info["_final_obs"].tolist() == [True, False] and info["final_obs"][1] is None
    assert Presentation.from_array(info["final_obs"][0]) == Presentation(((1,), (2,)))
    assert np.array_equal(obs[0], obs0[0])  # already restarted in the same step
    assert vec.steps.tolist() == [0, 1]
    vec.step(np.array([0, 0]))
    obs, rew, term, trunc, info = vec.step(np.array([0, 0]))
    assert trunc.tolist() == [False, True] and info["final_info"]["solved"].tolist()[1] is False


def test_reset_options_and_errors():
    vec = ACVectorEnv(num_envs=3, max_relator_length=8)
    obs, _ = vec.reset(options={"presentation": "x y, y"})
    assert all(Presentation.from_array(o) == Presentation.parse("x y, y") for o in obs)
    obs, _ = vec.reset(options={"presentations": ["x, y", "y, x", "x y, y"]})
    assert Presentation.from_array(obs[1]) == Presentation.parse("y, x")
    obs, _ = vec.reset()
    assert all(Presentation.from_array(o) == akbulut_kirby(2) for o in obs)
    with pytest.raises(ValueError, match=r"actions\[1\] = 12 is not a move id in 0..11"):
        vec.step(np.array([0, 12, 0]))
    with pytest.raises(ValueError, match="3 integer move ids"):
        vec.step(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"presentations\[0\] has a relator of length 9"):
        ACVectorEnv(num_envs=1, presentations=["x^9, y"], max_relator_length=8)
    ms = ACMillerSchuppVectorEnv(num_envs=2)
    obs, info = ms.reset(options={"indices": [5, 1189]})
    assert info["index"].tolist() == [5, 1189]
    assert Presentation.from_array(obs[1]) == miller_schupp()[1189].presentation


def test_make_vec_uses_vector_entry_point():
    vec = gym.make_vec("mathgym/AC-v0", num_envs=4, vectorization_mode="vector_entry_point",
                       presentation="x^2 y^-3, x y x y^-1 x^-1 y^-1", max_relator_length=7)
    assert isinstance(vec, ACVectorEnv) and vec.num_envs == 4
    assert vec.observation_space.shape == (4, 14)
    obs, _ = vec.reset(seed=0)
    assert vec.action_masks()[:, :4].sum() == 0  # moves 0-3 are no-ops on AK(2) at cap 7
    ms = gym.make_vec("mathgym/AC-MillerSchupp-v0", num_envs=3,
                      vectorization_mode="vector_entry_point")
    assert isinstance(ms, ACMillerSchuppVectorEnv) and ms.single_observation_space.shape == (72,)
