"""Answer-guided product sampling (agents/llm/improve/guided.py) on tiny random Llamas:
λ = 1 is plain sampling token for token; λ = 1/2 is the normalised geometric mean of the two
softmaxes, by hand, at the first step and through the KV cache; the λ schedules by hand; the
hint templates; and no answer or hint in any prompt the trainer scores or the agent evaluates.
"""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.common.sampling import sample
from mathgym.agents.llm.improve import ImproveContext, Task
from mathgym.agents.llm.improve.guided import (
    GuidedConfig,
    GuidedImprover,
    guided_sample,
    product_logits,
)
from mathgym.agents.llm.improve.hints import hint_text, hinted_messages
from mathgym.agents.llm.improve.schedules import LambdaSchedule
from test_improve_helpers import char_policy

tiny_lm = pytest.importorskip("tiny_lm")
torch.set_num_threads(1)

PROMPTS = [[1, 4, 3, 8, 9, 0, 1, 6, 3], [1, 4, 3, 10, 0, 1, 6, 3]]
HINTED = [[1, 4, 3, 8, 9, 20, 21, 22, 23, 0, 1, 6, 3], [1, 4, 3, 10, 30, 31, 0, 1, 6, 3]]


@pytest.fixture(scope="module")
def tiny():
    return tiny_lm.build(0)


@pytest.mark.parametrize("temperature,top_p", [(1.0, 1.0), (0.7, 0.9), (0.0, 1.0)])
def test_lambda_one_is_plain_sampling_token_for_token(tiny, temperature, top_p):
    model, _ = tiny
    seeds = [5, 6] if temperature > 0 else None
    kw = dict(max_new_tokens=20, eos_token_id=0, pad_token_id=0, temperature=temperature,
              top_p=top_p, seeds=seeds)
    plain = sample(model, PROMPTS, **kw)
    guided = guided_sample(model, PROMPTS, HINTED, lam=1.0, **kw)
    assert torch.equal(guided.completion_ids, plain.completion_ids)
    assert torch.equal(guided.lengths, plain.lengths)
    # the same numbers up to float32 rounding (the guided batch is wider: 2B rows, more pad)
    assert torch.allclose(guided.logprobs, plain.logprobs, atol=1e-5)
    assert torch.allclose(guided.plain_logprobs, plain.logprobs, atol=1e-5)


def _next_probs(model, ids):
    with torch.no_grad():
        return torch.softmax(model(input_ids=torch.tensor([ids])).logits[0, -1].float(), -1)


def test_lambda_half_is_the_normalised_geometric_mean_by_hand(tiny):
    model, _ = tiny
    out = guided_sample(model, PROMPTS, HINTED, lam=0.5, max_new_tokens=2, eos_token_id=0,
                        pad_token_id=0, temperature=1.0, seeds=[11, 12])
    for i in range(2):
        for t in range(2):  # step 0 from the prompts; step 1 through the KV cache
            prefix = out.completion_ids[i, :t].tolist()
            pa = _next_probs(model, PROMPTS[i] + prefix)
            pb = _next_probs(model, HINTED[i] + prefix)
            geo = torch.sqrt(pa * pb)
            geo = geo / geo.sum()
            tok = int(out.completion_ids[i, t])
            assert math.isclose(math.exp(out.logprobs[i, t]), float(geo[tok]), rel_tol=1e-4)
            assert math.isclose(math.exp(out.plain_logprobs[i, t]), float(pa[tok]), rel_tol=1e-4)
            assert math.isclose(math.exp(out.hint_logprobs[i, t]), float(pb[tok]), rel_tol=1e-4)
    # the whole distribution, from the logits: softmax(a/2 + b/2) == sqrt(pa pb) / Z
    a, b = torch.tensor([2.0, 0.0, -1.0]), torch.tensor([0.0, 1.0, 1.0])
    pa, pb = torch.softmax(a, 0), torch.softmax(b, 0)
    geo = torch.sqrt(pa * pb) / torch.sqrt(pa * pb).sum()
    assert torch.allclose(torch.softmax(product_logits(a, b, 0.5), 0), geo, atol=1e-6)
    # by hand: sqrt(e^2 * e^0), sqrt(e^0 e^1), sqrt(e^-1 e^1) -> e^1, e^0.5, e^0 over their sum
    z = math.e + math.exp(0.5) + 1.0
    assert torch.allclose(geo, torch.tensor([math.e / z, math.exp(0.5) / z, 1.0 / z]), atol=1e-6)


def test_a_second_model_as_the_guide(tiny):
    model, _ = tiny
    other, _ = tiny_lm.build(1)
    out = guided_sample(model, PROMPTS[:1], HINTED[:1], lam=0.5, max_new_tokens=1,
                        eos_token_id=0, pad_token_id=0, temperature=1.0, seeds=[3],
                        guide_model=other)
    pa, pb = _next_probs(model, PROMPTS[0]), _next_probs(other, HINTED[0])
    geo = torch.sqrt(pa * pb) / torch.sqrt(pa * pb).sum()
    assert math.isclose(math.exp(out.logprobs[0, 0]), float(geo[int(out.completion_ids[0, 0])]),
                        rel_tol=1e-4)


def test_lambda_schedules_by_hand():
    assert LambdaSchedule("constant", start=0.3).value(77) == 0.3
    lin = LambdaSchedule("linear", start=0.5, end=1.0, steps=100)
    assert [lin.value(s) for s in (0, 50, 100, 500)] == [0.5, 0.75, 1.0, 1.0]
    cos = LambdaSchedule("cosine", start=0.5, end=1.0, steps=100)
    assert math.isclose(cos.value(50), 0.75)
    assert math.isclose(cos.value(25), 1 - 0.25 * (1 + math.cos(math.pi / 4)))
    assert cos.value(0) == 0.5 and cos.value(100) == 1.0
    ada = LambdaSchedule("adaptive", start=0.5, end=1.0, target=0.5, gain=0.1, window=16)
    assert ada.value(0) == 0.5
    ada.observe([1, 1, 1, 1])  # rate 1: 0.5 + 0.1 * (1 - 0.5)
    assert math.isclose(ada.value(0), 0.55)
    ada.observe([0, 0, 0, 0])  # rate 4/8 = 0.5 = target: unchanged
    assert math.isclose(ada.value(0), 0.55)
    ada.observe([0] * 8)  # window 16: rate 4/16 = 0.25 -> 0.55 - 0.025
    assert math.isclose(ada.value(0), 0.525)
    ada.observe([0] * 16)  # rate 0: 0.525 - 0.05 = 0.475, clipped at start 0.5
    assert ada.value(0) == 0.5
    copy = LambdaSchedule("adaptive", start=0.5, end=1.0, target=0.5, gain=0.1, window=16)
    copy.load_state_dict(ada.state_dict())
    assert copy.value(0) == ada.value(0) and copy.state_dict() == ada.state_dict()
    with pytest.raises(ValueError, match="kind must be one of"):
        LambdaSchedule("exponential")
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        LambdaSchedule("linear", start=1.5)


def test_hint_templates_per_family():
    msgs = ({"role": "system", "content": "S"}, {"role": "user", "content": "Q?"})
    assert hint_text(Task(msgs, answer="42")) == "Hint: the final answer is 42."
    ac = Task(msgs, family="ac", path=(3, 0, 11))
    assert hint_text(ac) == "Hint: the path [3, 0, 11] solves it."
    assert hint_text(ac, first_k=2) == "Hint: a solving path begins with [3, 0]."
    mm = Task(msgs, family="metamath", proof_steps=("wph", "wps", "ax-1"))
    assert hint_text(mm, first_k=2) == "Hint: a proof begins with the steps wph wps."
    assert hinted_messages(msgs, "H")[1]["content"] == "Q?\nH"
    assert msgs[1]["content"] == "Q?"  # the plain chat is not modified
    with pytest.raises(ValueError, match="set Task.answer"):
        hint_text(Task(msgs))
    with pytest.raises(ValueError, match="set Task.path"):
        hint_text(Task(msgs, family="ac"))


def _mathqa_run(lam=0.5, when="always"):
    """A guided step on 6 MathQA problems, prompts rendered by the llm agent's own eval code."""
    from mathgym.agents.llm.agent import LLMAgent
    from mathgym.envs.reasoning import generate
    from mathgym.verifiers import math as verifier

    model, tok = char_policy(0)
    agent = LLMAgent(model="unused-by-these-tests")  # renders prompts; never loads a model
    problems = [generate(m, 1, 20250, i) for m in ("arithmetic__add_or_sub", "arithmetic__mul")
                for i in range(3)]
    datas = [{"question": p.question, "module": p.module, "difficulty": p.difficulty,
              "answer_type": p.answer_type, "spec": dict(p.spec)} for p in problems]
    tasks = [Task(tuple(agent.mathqa_messages(d)), answer=p.answer)
             for d, p in zip(datas, problems, strict=True)]
    ctx = ImproveContext(tasks=tasks, group_size=2, tokenizer=tok, model=model,
                         max_new_tokens=6, seed=1, step=3,
                         reward_fn=lambda g, ids: verifier.score(tok.decode(ids), problems[g]))
    prompts = [ctx.render(t.messages) for t in tasks]
    responses = [ctx.encode("no") for _ in range(12)]
    improver = GuidedImprover(GuidedConfig(schedule=LambdaSchedule("constant", start=lam),
                                           when=when))
    improved = improver.improve(prompts, responses, [0.0] * 12, ctx)
    return tok, problems, prompts, improver, improved


def test_the_answer_never_appears_in_eval_or_training_prompts():
    tok, problems, prompts, improver, improved = _mathqa_run()
    assert len(improved) == 12 and {s.replaces for s in improved} == {0, 1}
    checked = 0
    for s in improved:
        p = problems[s.group]
        text = tok.decode(s.prompt_ids)
        assert list(s.prompt_ids) == prompts[s.group]  # the agent's eval prompt, exactly
        assert "Hint" not in text and "final answer is" not in text
        if p.answer not in p.question:
            assert p.answer not in text
            checked += 1
    assert checked >= 6  # every sample of at least 3 problems is scanned for the answer itself
    for g, p in enumerate(problems):  # every rendered eval prompt, with no improver involved
        assert f"the final answer is {p.answer}" not in tok.decode(prompts[g])
    # the scan can see a leak: the guide's own context does hold the answer
    hinted = {tuple(h) for h in improver.last_hinted}
    assert all(any(f"final answer is {p.answer}." in tok.decode(list(h)) for h in hinted)
               for p in problems)


def test_guided_improver_fields_and_determinism():
    tok, problems, prompts, _, first = _mathqa_run(lam=0.5)
    _, _, _, _, again = _mathqa_run(lam=0.5)
    assert [s.completion_ids for s in first] == [s.completion_ids for s in again]
    for s in first:
        assert s.loss == "policy" and s.correction == "token" and s.clip == 2.0
        assert len(s.sampler_logp) == len(s.policy_logp) == len(s.completion_ids)
        assert s.info["lambda"] == 0.5
        assert s.sampler_logp != s.policy_logp  # q differs from pi(. | prompt) at λ = 1/2
    _, _, _, _, at_one = _mathqa_run(lam=1.0)
    for s in at_one:  # λ = 1: q is pi(. | prompt)
        assert torch.allclose(torch.tensor(s.sampler_logp), torch.tensor(s.policy_logp),
                              atol=1e-5)


def test_all_failed_mode_leaves_groups_with_a_solved_response():
    model, tok = char_policy(0)
    tasks = [Task(({"role": "user", "content": f"q{g}"},), answer=str(g)) for g in range(2)]
    ctx = ImproveContext(tasks=tasks, group_size=2, tokenizer=tok, model=model,
                         max_new_tokens=3, reward_fn=lambda g, ids: 0.0)
    prompts = [ctx.render(t.messages) for t in tasks]
    improver = GuidedImprover(GuidedConfig(when="all_failed", per_group=1))
    out = improver.improve(prompts, [[5], [6], [7], [8]], [0.0, 1.0, 0.0, 0.0], ctx)
    assert [(s.group, s.replaces) for s in out] == [(1, 0)]


@pytest.mark.parametrize("temperature", [1.0, 0.0])
def test_repeats_share_the_prefill_and_equal_repeated_prompts(tiny, temperature):
    """``repeats=k`` prefills each context once and copies its cache: the same tokens as
    passing each prompt k times (the improver's group layout), numbers up to float rounding."""
    model, _ = tiny
    k = 3
    seeds = [21, 22, 23, 24, 25, 26] if temperature > 0 else None
    kw = dict(lam=0.5, max_new_tokens=12, eos_token_id=0, pad_token_id=0,
              temperature=temperature, seeds=seeds)
    shared = guided_sample(model, PROMPTS, HINTED, repeats=k, **kw)
    repeated = guided_sample(model, [p for p in PROMPTS for _ in range(k)],
                             [h for h in HINTED for _ in range(k)], **kw)
    assert torch.equal(shared.completion_ids, repeated.completion_ids)
    assert torch.equal(shared.lengths, repeated.lengths)
    for a, b in ((shared.logprobs, repeated.logprobs),
                 (shared.plain_logprobs, repeated.plain_logprobs),
                 (shared.hint_logprobs, repeated.hint_logprobs)):
        assert torch.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="one seed per row"):
        guided_sample(model, PROMPTS, HINTED, repeats=k, lam=0.5, max_new_tokens=2,
                      eos_token_id=0, pad_token_id=0, temperature=1.0, seeds=[1, 2])
