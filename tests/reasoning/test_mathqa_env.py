"""MathQA-v0: spaces, check_env, rewards through the verifier, multi-turn feedback, options."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from mathgym.envs.reasoning import MODULES, generate
from mathgym.envs.reasoning.mathqa_env import MathQAEnv, expected_form

import mathgym  # noqa: F401  (registers the ids)


def test_passes_check_env():
    check_env(MathQAEnv(), skip_render_check=True)
    check_env(MathQAEnv(max_attempts=3, difficulty=4), skip_render_check=True)


def test_gym_make_and_options_select_the_problem():
    env = gym.make("mathgym/MathQA-v0")
    obs, info = env.reset(seed=0, options={"module": "numbers__gcd", "difficulty": 2,
                                           "seed": 5, "index": 17})
    p = generate("numbers__gcd", 2, 5, 17)
    assert obs == p.question
    assert (info["module"], info["difficulty"], info["seed"], info["index"]) == \
        ("numbers__gcd", 2, 5, 17)
    assert info["is_success"] is False
    obs, reward, terminated, truncated, info = env.step(p.answer)
    assert (reward, terminated, truncated, info["solved"]) == (1.0, True, False, True)
    assert info["is_success"] is True
    assert info["answer"] == p.answer


def test_seeded_resets_are_reproducible_and_cover_modules():
    env = MathQAEnv()
    seen = set()
    for s in range(60):
        obs1, info1 = env.reset(seed=s)
        obs2, info2 = env.reset(seed=s)
        assert obs1 == obs2 and info1["module"] == info2["module"]
        seen.add(info1["module"])
    assert len(seen) > len(MODULES) // 2
    for obs in [env.reset(seed=s)[0] for s in range(20)]:
        assert env.observation_space.contains(obs)


def test_equivalent_answers_score_one():
    env = MathQAEnv()
    env.reset(options={"module": "arithmetic__div", "difficulty": 4, "index": 3})
    p = env.problem
    num, _, den = p.answer.partition("/")
    if den:
        answer = f"The answer is \\boxed{{{2 * int(num)}/{2 * int(den)}}}"
    else:
        answer = f"\\boxed{{{p.answer}}}"
    assert env.step(answer)[1] == 1.0


def test_single_turn_wrong_answer_ends_with_zero():
    env = MathQAEnv()
    env.reset(options={"module": "numbers__lcm", "index": 0})
    obs, reward, terminated, truncated, info = env.step("-1")
    assert (reward, terminated, truncated) == (0.0, True, False)
    with pytest.raises(RuntimeError):
        env.step("1")


def test_multi_turn_feedback_then_success():
    env = MathQAEnv(max_attempts=3)
    question, _ = env.reset(options={"module": "algebra__linear_1d", "difficulty": 4,
                                     "index": 2})
    p = env.problem
    obs, reward, terminated, _, info = env.step("[1, 2]")  # a list where a number is expected
    assert (reward, terminated) == (0.0, False)
    assert obs.startswith(question) and "Attempt 1 of 3" in obs
    assert p.answer not in info["feedback"]
    obs, reward, terminated, _, info = env.step("hello world \u00e9\u2028")
    assert (reward, terminated) == (0.0, False) and "Attempt 2 of 3" in obs
    assert env.observation_space.contains(obs)  # feedback stays inside the charset
    obs, reward, terminated, _, info = env.step(p.answer)
    assert (reward, terminated, info["attempt"]) == (1.0, True, 3)


def test_multi_turn_runs_out_of_attempts():
    env = MathQAEnv(max_attempts=2)
    env.reset(options={"module": "numbers__is_prime", "index": 1})
    wrong = "False" if env.problem.answer == "True" else "True"
    assert env.step(wrong)[2] is False
    _, reward, terminated, _, info = env.step(wrong)
    assert (reward, terminated, info["solved"], info["is_success"]) == (0.0, True, False, False)


def test_expected_form_names_the_type():
    assert expected_form(generate("numbers__gcd", 1, 0, 0)) == "an integer"
    assert "base 16" in expected_form(
        next(p for i in range(50) if (p := generate("numbers__base_conversion", 1, 0, i))
             .spec["base"] == 16))


@pytest.mark.parametrize("kwargs", [
    {"modules": ["nope"]}, {"modules": []}, {"difficulty": 0}, {"max_attempts": 0},
    {"render_mode": "human"},
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MathQAEnv(**kwargs)


def test_bad_reset_option_and_action():
    env = MathQAEnv()
    with pytest.raises(ValueError, match="unknown options"):
        env.reset(options={"level": 3})
    env.reset(seed=1)
    with pytest.raises(ValueError, match="answer text"):
        env.step(42)


def test_expected_form_names_every_answer_type():
    """Every declared type has a phrase, literal braces included ("a set such as {1, 2}")."""
    from mathgym.envs.reasoning.mathqa_env import expected_form

    from mathgym.types import ANSWER_TYPES, Problem

    for answer_type in ANSWER_TYPES:
        spec = {"base": 7} if answer_type == "base_n" else {}
        problem = Problem("m", 1, 0, 0, "q", "1", answer_type, spec)
        assert expected_form(problem)
    assert expected_form(Problem("m", 1, 0, 0, "q", "{1}", "set")) == "a set such as {1, 2}"
    assert expected_form(Problem("m", 1, 0, 0, "q", "12", "base_n", {"base": 7})).endswith("7")
