"""The random agent takes part only where dice make sense: Discrete actions counted in steps."""

from __future__ import annotations

from mathgym.harness.registry import get_agent, get_benchmark


def test_random_agent_supports_discrete_action_benchmarks_only():
    agent = get_agent("random")
    assert agent.supports(get_benchmark("ac/quick"))
    assert agent.supports(get_benchmark("reasoning/progsynth-quick"))
    # MathQA's action is answer text: a random agent cannot act there.
    assert not agent.supports(get_benchmark("reasoning/mathqa-quick"))
