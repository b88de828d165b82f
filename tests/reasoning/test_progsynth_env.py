"""MathProgSynth-v0: check_env, type masks, graph evaluation without eval, rewards, tokens."""

from __future__ import annotations

import ast
import pathlib

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from mathgym.envs.reasoning import generate
from mathgym.envs.reasoning.progsynth_env import (
    PROGSYNTH_MODULES,
    VOCAB,
    MathProgSynthEnv,
)
from mathgym.envs.reasoning.progsynth_graph import MAX_ELEMENTS, GraphBuilder
from mathgym.envs.reasoning.progsynth_ops import OPERATOR_INDEX, OPERATORS, TYPES, compatible

import mathgym  # noqa: F401

E = len(OPERATORS)  # first element action


def test_passes_check_env():
    check_env(MathProgSynthEnv(), skip_render_check=True)


def test_spaces_and_vocabulary():
    env = MathProgSynthEnv(max_nodes=8, question_tokens=100)
    assert env.action_space.n == len(OPERATORS) + MAX_ELEMENTS
    assert env.observation_space.shape == (109,)
    assert len(VOCAB) == len(set(VOCAB))
    names = {op.name for op in OPERATORS}
    assert {"solve", "factor", "differentiate", "gcd", "lcm", "mod", "is_prime",
            "prime_factors", "evaluate", "substitute"} <= names


def test_solving_linear_1d_by_hand():
    env = gym.make("mathgym/MathProgSynth-v0")
    obs, info = env.reset(options={"module": "algebra__linear_1d", "index": 4})
    assert info["elements"][0].startswith("eq:") and info["elements"][1].startswith("var:")
    assert info["action_mask"][OPERATOR_INDEX["solve"]]
    assert not info["action_mask"][OPERATOR_INDEX["is_prime"]]  # bool does not fit num
    assert info["is_success"] is False
    obs, r, term, _, info = env.step(OPERATOR_INDEX["solve"])
    assert (r, term, info["is_success"]) == (0.0, False, False)
    assert info["graph"] == "solve(?, ?)"
    assert info["action_mask"][E + 0] and not info["action_mask"][E + 1]  # eq slot first
    env.step(E + 0)
    obs, r, term, _, info = env.step(E + 1)
    assert (r, term, info["solved"], info["is_success"]) == (1.0, True, True, True)
    p = generate("algebra__linear_1d", 1, 0, 4)
    assert info["program_answer"] == p.answer
    # observation: question characters, <sep>, then three graph tokens
    q = len(p.question)
    assert obs[q] == 0 and obs[320] == 1
    assert [VOCAB[t] for t in obs[321:324]] == ["<op:solve>", "<elem:0>", "<elem:1>"]
    assert obs[324:].sum() == 0


def test_wrong_program_gets_zero_and_invalid_action_ends_episode():
    env = MathProgSynthEnv()
    env.reset(options={"module": "numbers__gcd", "index": 0})
    env.step(OPERATOR_INDEX["lcm"])
    env.step(E + 0)
    _, r, term, _, info = env.step(E + 1)
    p = generate("numbers__gcd", 1, 0, 0)
    a, b = p.data["a"], p.data["b"]
    assert term and (r == 1.0) == (a * b // np.gcd(a, b) == int(p.answer))
    env.reset(options={"module": "numbers__gcd", "index": 0})
    _, r, term, _, info = env.step(OPERATOR_INDEX["solve"])  # no equation: masked out
    assert (r, term, info["invalid_action"], info["is_success"]) == (0.0, True, True, False)


def test_mask_always_allows_completion_within_max_nodes():
    rng = np.random.default_rng(0)
    for module in PROGSYNTH_MODULES:
        for max_nodes in (3, 6):
            try:
                env = MathProgSynthEnv(modules=[module], max_nodes=max_nodes)
                env.reset(seed=int(rng.integers(1000)))
            except ValueError:
                continue  # no program this short exists for this module
            for _ in range(max_nodes):
                mask = env.action_masks()
                assert mask.any()
                _, _, term, trunc, info = env.step(int(rng.choice(np.flatnonzero(mask))))
                assert not info.get("invalid_action")
                if term:
                    break
            assert term and info["num_nodes"] <= max_nodes


def test_mask_respects_types():
    builder = GraphBuilder(generate("polynomials__evaluate", 1, 0, 0), max_nodes=10)
    mask = builder.action_mask()
    for i, op in enumerate(OPERATORS):
        fillable = all(builder.costs[a] < float("inf") for a in op.args)
        assert mask[i] == (compatible("num", op.out) and fillable), op.name
    assert not mask[OPERATOR_INDEX["solve"]]  # no equation in the question
    assert mask[OPERATOR_INDEX["evaluate"]]
    builder.apply(OPERATOR_INDEX["evaluate"])  # slots: expr, num
    mask = builder.action_mask()
    assert mask[E + 0] and mask[E + 1]  # the expression, and the number (numbers are exprs)
    builder.apply(E + 0)
    mask = builder.action_mask()
    assert mask[E + 1] and not mask[E + 0]
    assert set(TYPES) >= {op.out for op in OPERATORS}


def test_operators_refuse_expensive_inputs():
    p = generate("numbers__is_prime", 5, 0, 0)
    builder = GraphBuilder(p, max_nodes=10)
    for a in (OPERATOR_INDEX["is_prime"], OPERATOR_INDEX["mul"], OPERATOR_INDEX["mul"], E,
              OPERATOR_INDEX["mul"], E, E, E):
        builder.apply(a)
    assert builder.complete
    assert builder.answer() is None or int(p.data["n"]) ** 4 <= 10**12


def test_graph_code_never_evaluates_strings():
    root = pathlib.Path(__file__).resolve().parents[2] / "envs" / "reasoning"
    for path in root.glob("progsynth*.py"):
        tree = ast.parse(path.read_text())
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"eval", "exec", "sympify", "parse_expr", "compile"}, path


@pytest.mark.parametrize("kwargs", [{"modules": ["numbers__round_number"]},
                                    {"max_nodes": 0}, {"difficulty": 9}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MathProgSynthEnv(**kwargs)


def test_random_masked_programs_on_every_module_and_level_end_cleanly():
    # Differential check of the reward: whenever the env pays 1, the program's answer text
    # must equal the reference under the verifier; whenever a program evaluates to exactly the
    # reference text, the env must pay 1.
    rng = np.random.default_rng(1)
    for module in PROGSYNTH_MODULES:
        for difficulty in (1, 3, 5):
            env = MathProgSynthEnv(modules=[module], difficulty=difficulty, max_nodes=6)
            for episode in range(4):
                _, info = env.reset(seed=episode)
                term = False
                while not term:
                    a = int(rng.choice(np.flatnonzero(info["action_mask"])))
                    _, r, term, _, info = env.step(a)
                assert r in (0.0, 1.0) and info["num_nodes"] <= 6
                if info["program_answer"] == env.problem.answer:
                    assert r == 1.0


def test_substitute_refuses_degree_explosions_before_expanding():
    import sympy
    from mathgym.envs.reasoning.progsynth_ops import OperatorError, _substitute

    x = sympy.Symbol("x")
    big = x**40 + 1
    with pytest.raises(OperatorError):
        _substitute(big, x, x**2 + 1)
    assert _substitute(x**2, x, x + 1) == x**2 + 2 * x + 1
