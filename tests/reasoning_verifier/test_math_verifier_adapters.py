"""TRL and verl reward adapters, called the way the trainers call them."""

from __future__ import annotations

import json

import pytest
from mathgym.verifiers.math import compute_score, trl_reward
from mathgym.verifiers.math.adapters import completion_text


def test_trl_reward_with_plain_string_completions():
    rewards = trl_reward(
        ["I think \\boxed{54a - 30}", "\\boxed{54a - 31}", "<answer>{2, 1}</answer>", "nope"],
        prompts=["p1", "p2", "p3", "p4"],
        answer=["-30 + 54*a", "-30 + 54*a", "{1, 2}", "3"],
        answer_type=["expression", "expression", "set", "integer"],
        spec=[{"variables": ["a"]}, {"variables": ["a"]}, {"element_type": "integer"}, None],
        completion_ids=[[1], [2], [3], [4]],
        trainer_state=object(),
    )
    assert rewards == [1.0, 0.0, 1.0, 0.0]


def test_trl_reward_with_conversational_completions_and_json_specs():
    completions = [
        [{"role": "assistant", "content": "so x = \\boxed{3}"}],
        [{"role": "assistant", "content": [{"type": "text", "text": "<answer>0.34</answer>"}]}],
        [{"role": "assistant", "content": "\\boxed{ff}"}],
    ]
    rewards = trl_reward(
        completions,
        answer=["3", "1/3", "ff"],
        answer_type=["integer", "decimal", "base_n"],
        spec=["{}", json.dumps({"tolerance": "1/100"}), json.dumps({"base": 16})],
    )
    assert rewards == [1.0, 1.0, 1.0]


def test_trl_reward_defaults_to_expression_and_checks_columns():
    assert trl_reward(["x(x+1)"], answer=["x**2 + x"]) == [1.0]
    with pytest.raises(ValueError, match="'answer' column"):
        trl_reward(["1"], solution=["1"])
    with pytest.raises(ValueError, match="2 values for 1"):
        trl_reward(["1"], answer=["1", "2"])


def test_completion_text_shapes():
    assert completion_text("abc") == "abc"
    assert completion_text([{"role": "assistant", "content": "z"}]) == "z"
    assert completion_text({"content": "m"}) == "m"
    assert completion_text([]) == ""
    with pytest.raises(ValueError, match="completion must be"):
        completion_text(42)


def test_verl_compute_score():
    assert compute_score("mathgym/reasoning", "so \\boxed{1/2}", "2/4",
                         {"answer_type": "rational"}) == 1.0
    assert compute_score("mathgym/reasoning", "\\boxed{101}", "100",
                         {"answer_type": "integer"}) == 0.0
    assert compute_score("any", "<answer>x = 3, y = -1</answer>",
                         {"answer": "y = -1, x = 3", "answer_type": "solution",
                          "spec": {"variables": ["x", "y"]}}) == 1.0
    assert compute_score("any", "\\boxed{x^2+2x}", "x*(x + 2)", None) == 1.0
    with pytest.raises(ValueError, match="ground_truth"):
        compute_score("any", "1", None, {})
