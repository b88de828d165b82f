"""Single envs: check_env, rewards, termination/truncation, reset options, masks, text view."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from mathgym.envs.ac import reference
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp
from mathgym.envs.ac.env import ACEnv, ACMillerSchuppEnv
from mathgym.envs.ac.presentation import Presentation
from mathgym.envs.ac.text import move_names, parse_move, render_state

import mathgym  # noqa: F401  (registers the envs)

PATH_A = [11, 4, 2, 11, 4, 9, 0, 1, 8, 6, 9, 0, 1, 6, 8, 3, 6, 2, 5, 1, 8, 2]


def test_check_env_both():
    check_env(ACEnv(max_relator_length=7), skip_render_check=False)
    check_env(ACMillerSchuppEnv())
    check_env(gym.make("mathgym/AC-v0", presentation="x y, y", max_relator_length=5).unwrapped)
    env = gym.make("mathgym/AC-MillerSchupp-v0", max_relator_length=36)
    assert isinstance(env.unwrapped, ACMillerSchuppEnv)
    assert env.observation_space.shape == (72,) and env.action_space.n == 12


def test_known_path_sparse_and_length_rewards():
    for mode in ("sparse", "length"):
        env = gym.make("mathgym/AC-v0", presentation=akbulut_kirby(2), max_relator_length=7,
                       horizon=50, reward=mode)
        obs, info = env.reset(seed=0)
        assert obs.tolist() == [1, 1, -2, -2, -2, 0, 0, 1, 2, 1, -2, -1, -2, 0]
        assert info["total_length"] == 11 and not info["solved"]
        rels = akbulut_kirby(2).relators
        for t, move in enumerate(PATH_A):
            obs, reward, terminated, truncated, info = env.step(move)
            rels = reference.apply_move(rels, move, 7)
            assert Presentation.from_array(obs) == Presentation(rels)
            assert info["total_length"] == sum(map(len, rels))
            assert info["action_mask"].tolist() == reference.action_mask(rels, 7)
            last = t == len(PATH_A) - 1
            assert terminated == last == info["solved"] and not truncated
            if mode == "sparse":
                assert reward == (1.0 if last else 0.0)
            else:
                assert reward == (50 * 7 * 2 if last else -info["total_length"])
        assert obs.tolist() == [-2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_truncation_at_horizon_and_step_counting_noops():
    env = ACEnv(akbulut_kirby(2), max_relator_length=7, horizon=3)
    obs0, _ = env.reset()
    for t in range(3):
        obs, reward, terminated, truncated, info = env.step(0)  # a no-op at cap 7
        assert np.array_equal(obs, obs0) and info["steps"] == t + 1
        assert truncated == (t == 2) and not terminated and reward == 0.0


def test_reset_presentation_option_is_per_episode():
    env = ACEnv("x^2 y^-3, x y x y^-1 x^-1 y^-1", max_relator_length=8)
    obs, info = env.reset(options={"presentation": "x y, y"})
    assert Presentation.from_array(obs) == Presentation.parse("x y, y")
    obs, reward, terminated, *_ = env.step(1)  # r0 <- r0 r1^-1 = x: solved
    assert terminated and reward == 1.0
    obs, info = env.reset()
    assert Presentation.from_array(obs) == akbulut_kirby(2)
    with pytest.raises(ValueError, match="length 9 > max_relator_length=8"):
        env.reset(options={"presentation": "x^9, y"})
    with pytest.raises(ValueError, match="has 3 relators but this env was built for 2"):
        env.reset(options={"presentation": "x, y, z"})


def test_constructor_errors():
    with pytest.raises(ValueError, match="reward must be one of"):
        ACEnv(reward="dense")
    with pytest.raises(ValueError, match="horizon must be an int >= 1"):
        ACEnv(horizon=0)
    with pytest.raises(ValueError, match="use a cap|max_relator_length >= 11"):
        ACEnv("x^11, y", max_relator_length=10)
    with pytest.raises(ValueError, match="max_relator_length >= 17"):
        ACMillerSchuppEnv(max_relator_length=16)
    env = ACEnv(max_relator_length=7)
    env.reset()
    with pytest.raises(ValueError, match="action 12 is not a move id in 0..11"):
        env.step(12)


def test_three_generators_and_inversions():
    env = ACEnv("x y, y z, z", max_relator_length=6, inversions=True)
    assert env.action_space.n == 33 and env.observation_space.shape == (18,)
    check_env(env)
    env.reset()
    obs, *_ = env.step(30)  # r0 <- r0^-1
    assert Presentation.from_array(obs, 3).relators[0] == (-2, -1)


def test_cyclic_reduction_flag():
    env = ACEnv("x y x^-1, y^2 x", max_relator_length=6, cyclic_reduction=True)
    obs, _ = env.reset()
    assert Presentation.from_array(obs).relators[0] == (1, 2, -1)  # start as given
    obs, *_ = env.step(4)  # any move cyclically reduces every relator afterwards
    assert Presentation.from_array(obs).relators[0] == (2,)


def test_miller_schupp_env_draws_and_index():
    env = ACMillerSchuppEnv()
    ms = miller_schupp()
    draws = [env.reset(seed=s)[1]["index"] for s in range(5)]
    assert draws == [ACMillerSchuppEnv().reset(seed=s)[1]["index"] for s in range(5)]
    assert len(set(draws)) > 1
    obs, info = env.reset(options={"index": 1189})
    assert info["index"] == 1189 and info["n"] == 7
    assert Presentation.from_array(obs) == ms[1189].presentation
    _, _, _, _, step_info = env.step(5)
    assert step_info["index"] == 1189
    obs, info = env.reset(options={"presentation": "x, y"})
    assert info["index"] == -1
    with pytest.raises(ValueError, match=r'options\["index"\] must be an int in 0..1189'):
        env.reset(options={"index": 1190})
    small = ACMillerSchuppEnv(n_max=2, max_w_len=3, max_relator_length=18)
    assert len(small.dataset) == 12 and small.observation_space.shape == (36,)


def test_render_and_text_view():
    env = ACEnv(akbulut_kirby(3), max_relator_length=10, render_mode="ansi")
    env.reset()
    assert env.render() == "r0 = x^3 y^-4; r1 = x y x y^-1 x^-1 y^-1"
    assert Presentation.parse(env.render()) == akbulut_kirby(3)
    assert render_state(akbulut_kirby(2).to_array(7)) == "r0 = x^2 y^-3; r1 = x y x y^-1 x^-1 y^-1"


@pytest.mark.parametrize(
    ("text", "move"),
    [("2", 2), (" 11 ", 11), ("r1 <- r1 r0^-1", 2), ("r1←r1·r0⁻¹", 2), ("r1 = r1 r0^(-1)", 2),
     ("r1 <- x^-1 r1 x", 4), ("r0<-x^{-1} r0 x", 11), ("r0 <- r0 r1", 3)],
)
def test_parse_move_forms(text, move):
    assert parse_move(text) == move


def test_parse_move_round_trip_and_errors():
    for k in (2, 3):
        for inv in (False, True):
            names = move_names(k, inv)
            assert [parse_move(n, k, inv) for n in names] == list(range(len(names)))
    with pytest.raises(ValueError, match="move id 12 is out of range: use 0..11"):
        parse_move("12")
    with pytest.raises(ValueError, match="cannot read move 'r2 <- r2 r0'"):
        parse_move("r2 <- r2 r0")
    assert parse_move("r0 <- r0^-1", inversions=True) == 12
