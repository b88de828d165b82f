"""The llm agent's guided-sampling option (product of two contexts of one model, or of two
models): at λ = 1 it answers exactly as the plain agent, at λ = 1/2 it is deterministic and its
records verify, bad options are clear errors, and no rendered eval prompt (either context)
holds the answer."""

from __future__ import annotations

import pytest
import torch
from mathgym.agents.llm.agent import LLMAgent
from mathgym.envs.reasoning import generate

from mathgym.harness.registry import get_benchmark
from mathgym.harness.runner import run_attempt

tiny_lm = pytest.importorskip("tiny_lm")
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    model, tokenizer = tiny_lm.build(seed=0)
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    other, _ = tiny_lm.build(seed=1)
    other_path = tmp_path_factory.mktemp("tiny-llama-guide")
    other.save_pretrained(str(other_path))
    tokenizer.save_pretrained(str(other_path))
    bench = get_benchmark("reasoning/mathqa-quick")
    return str(path), str(other_path), bench, list(bench.instances)[:2]


def _agent(path, **kw):
    return LLMAgent(model=path, device="cpu", temperature=0.8, samples=2, max_new_tokens=6,
                    **kw)


def test_lambda_one_answers_like_the_plain_agent_and_records_verify(setup):
    path, other, bench, instances = setup
    plain = _agent(path)
    at_one = _agent(path, guide_system_prompt="Think step by step.", guide_lambda=1.0)
    half = _agent(path, guide_system_prompt="Think step by step.", guide_lambda=0.5)
    two_models = _agent(path, guide_model=other, guide_lambda=0.5)
    assert "guide_lambda" not in plain.config and at_one.config["guide_lambda"] == 1.0
    for inst in instances:
        messages = plain.mathqa_messages(dict(inst.data))
        want = plain._complete(messages, 2, (0, inst.id))
        assert at_one._complete(messages, 2, (0, inst.id)) == want
        assert half._complete(messages, 2, (0, inst.id)) == \
            half._complete(messages, 2, (0, inst.id))
        assert two_models._complete(messages, 2, (0, inst.id)) == \
            two_models._complete(messages, 2, (0, inst.id))
    for agent in (half, two_models):
        rec = run_attempt(bench, agent, instances[0], 2, seed=0)
        assert rec["error"] is None, rec


def test_no_eval_prompt_of_a_guided_run_holds_the_answer(setup):
    path, _, bench, instances = setup
    agent = _agent(path, guide_system_prompt="Check your work.", guide_lambda=0.5)
    rendered: list[str] = []
    model, tok = agent.policy()
    original = agent._prompt_ids

    def spy(messages):
        ids = original(messages)
        rendered.append(tok.decode(ids))
        return ids

    agent._prompt_ids = spy
    texts = []
    for inst in instances:
        data = dict(inst.data)
        answer = generate(data["module"], data["difficulty"], data["seed"], data["index"]).answer
        texts.append((answer, data["question"]))
        run_attempt(bench, agent, inst, 2, seed=0)
    assert len(rendered) == 2 * len(instances)  # both contexts of every attempt
    for (answer, question), text in zip([t for t in texts for _ in (0, 1)], rendered,
                                        strict=True):
        assert "Hint" not in text
        if answer not in question:
            assert answer not in text


def test_bad_guide_options_are_clear_errors(setup):
    path = setup[0]
    with pytest.raises(ValueError, match="needs a guide"):
        LLMAgent(model=path, guide_lambda=0.5)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        LLMAgent(model=path, guide_system_prompt="x", guide_lambda=1.5)
    with pytest.raises(ValueError, match="not beam search"):
        LLMAgent(model=path, guide_system_prompt="x", guide_lambda=0.5, beams=2, samples=2)
