"""The Improver interface (agents/llm/improve/base.py): the toy improver of its docstring
written here and run on a batch, the merge into the batch's rows, and the importance weights
computed by hand for 2 tokens."""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.improve import (
    ImproveContext,
    ImprovedSample,
    Improver,
    Task,
    apply_improvements,
    improvement_weights,
    row_seed,
)
from test_improve_helpers import char_tokenizer


class ReferenceImprover(Improver):
    """The module docstring's toy improver: a failed group's response 0 becomes the answer."""

    name = "reference"

    def improve(self, prompts, responses, rewards, context):
        out = []
        for g, task in enumerate(context.tasks):
            if max(rewards[g * context.group_size:(g + 1) * context.group_size]) >= 1:
                continue
            ids = context.encode(f"\\boxed{{{task.answer}}}") + [context.eos_token_id]
            out.append(ImprovedSample(
                group=g, replaces=0, prompt_ids=tuple(prompts[g]),
                completion_ids=tuple(ids), reward=context.reward(g, ids),
                sampler_logp=(0.0,) * len(ids), loss="shaped", source=self.name))
        return out


def _context(tok, answers, G=2):
    tasks = [Task(messages=({"role": "user", "content": f"q{i}"},), answer=a)
             for i, a in enumerate(answers)]

    def reward(group, ids):  # the verifier of this toy task: the boxed answer, exactly
        return float(tok.decode(ids, skip_special_tokens=True) == f"\\boxed{{{answers[group]}}}")

    return ImproveContext(tasks=tasks, group_size=G, reward_fn=reward, tokenizer=tok)


def test_toy_improver_replaces_response_zero_of_failed_groups_only():
    tok = char_tokenizer()
    ctx = _context(tok, ["42", "7"])
    prompts = [ctx.render(t.messages) for t in ctx.tasks]
    responses = [ctx.encode("no"), ctx.encode("\\boxed{41}"),  # group 0: both wrong
                 ctx.encode("\\boxed{7}"), ctx.encode("x")]  # group 1: solved
    rewards = [ctx.reward(b // 2, r) for b, r in enumerate(responses)]
    assert rewards == [0.0, 0.0, 1.0, 0.0]
    improved = ReferenceImprover().improve(prompts, responses, rewards, ctx)
    assert [(s.group, s.replaces, s.reward) for s in improved] == [(0, 0, 1.0)]
    assert tok.decode(improved[0].completion_ids, skip_special_tokens=True) == "\\boxed{42}"
    row_prompts = [prompts[b // 2] for b in range(4)]
    merged = apply_improvements(row_prompts, responses, rewards, [[-1.0] * len(r) for r in
                                                                  responses], improved, 2)
    assert len(merged.completion_ids) == 4  # the group size is kept
    assert merged.rewards == [1.0, 0.0, 1.0, 0.0]
    assert merged.completion_ids[1:] == [list(r) for r in responses[1:]]
    # never sampled from the policy: NaN for the trainer to fill with its own logprobs
    assert all(math.isnan(v) for v in merged.sampler_logp[0])
    assert merged.sampler_logp[1:] == [[-1.0] * len(r) for r in responses[1:]]
    assert merged.shaped_rows().tolist() == [True, False, False, False]
    assert merged.num_improved() == 1


def test_merge_rejects_a_hinted_prompt_and_double_replacement():
    s = ImprovedSample(group=0, replaces=1, prompt_ids=(5, 6), completion_ids=(7,), reward=1.0,
                       sampler_logp=(0.0,))
    rows = dict(completion_ids=[[1], [2]], rewards=[0.0, 0.0], sampler_logp=[[0.0], [0.0]])
    with pytest.raises(ValueError, match="plain prompt"):
        apply_improvements([[5], [5]], improved=[s], group_size=2, **rows)
    with pytest.raises(ValueError, match="two improved samples"):
        apply_improvements([[5, 6], [5, 6]], improved=[s, s], group_size=2, **rows)
    with pytest.raises(ValueError, match="replaces response 1 of group 3"):
        bad = ImprovedSample(group=3, replaces=1, prompt_ids=(5, 6), completion_ids=(7,),
                             reward=1.0, sampler_logp=(0.0,))
        apply_improvements([[5, 6], [5, 6]], improved=[bad], group_size=2, **rows)
    with pytest.raises(ValueError, match="one per token"):
        ImprovedSample(group=0, replaces=0, prompt_ids=(1,), completion_ids=(7, 8), reward=0.0,
                       sampler_logp=(0.0,))
    with pytest.raises(ValueError, match="correction must be one of"):
        ImprovedSample(group=0, replaces=0, prompt_ids=(1,), completion_ids=(7,), reward=0.0,
                       sampler_logp=(0.0,), correction="tokens")


def _sample(correction, clip, q):
    return ImprovedSample(group=0, replaces=0, prompt_ids=(1,), completion_ids=(7, 8), reward=1.0,
                          sampler_logp=tuple(math.log(p) for p in q), correction=correction,
                          clip=clip)


def test_importance_weights_by_hand_for_two_tokens():
    # pi_old(o_1) = 0.5, pi_old(o_2) = 0.2 under the plain prompt; q = 0.25, 0.4 (guided).
    # token ratios pi/q = 2.0 and 0.5; their product (sequence ratio) = 1.0.
    old = torch.log(torch.tensor([[0.5, 0.2], [0.5, 0.2], [0.5, 0.2], [0.5, 0.2], [0.5, 0.2]]))
    mask = torch.ones(5, 2)
    q = (0.25, 0.4)
    rows = [_sample("token", 1.5, q),      # min(2, 1.5) = 1.5, min(0.5, 1.5) = 0.5
            _sample("token", 3.0, q),      # 2.0, 0.5
            _sample("sequence", 3.0, q),   # min(1.0, 3) = 1.0 on both tokens
            _sample("sequence", 0.8, q),   # min(1.0, 0.8) = 0.8
            _sample("none", 1.5, q)]       # treated as on-policy: 1
    w = improvement_weights(old, mask, rows)
    expected = torch.tensor([[1.5, 0.5], [2.0, 0.5], [1.0, 1.0], [0.8, 0.8], [1.0, 1.0]])
    assert torch.allclose(w, expected, atol=1e-6)
    # plain rows (None) and shaped rows weigh 1
    shaped = ImprovedSample(group=0, replaces=0, prompt_ids=(1,), completion_ids=(7, 8),
                            reward=1.0, sampler_logp=(0.0, 0.0), loss="shaped",
                            correction="token")
    assert torch.equal(improvement_weights(old[:2], mask[:2], [None, shaped]), torch.ones(2, 2))


def test_masked_tokens_do_not_enter_the_sequence_weight():
    old = torch.log(torch.tensor([[0.5, 0.9]]))
    w = improvement_weights(old, torch.tensor([[1.0, 0.0]]), [_sample("sequence", 5.0,
                                                                      (0.25, 0.1))])
    assert torch.allclose(w, torch.tensor([[2.0, 2.0]]))  # only token 1: 0.5 / 0.25


def test_row_seed_is_a_pure_function_of_its_parts():
    assert row_seed(0, "guided", 3, 1, 2) == row_seed(0, "guided", 3, 1, 2)
    assert row_seed(0, "guided", 3, 1, 2) != row_seed(0, "guided", 3, 2, 1)
    # fixed value: sha256 does not depend on PYTHONHASHSEED or the process
    assert row_seed("a") == int.from_bytes(__import__("hashlib").sha256(b"a").digest()[:8],
                                           "big") >> 1


def test_draw_seeds_follow_the_group_key_not_the_batch_layout():
    ctx = ImproveContext(tasks=[], group_size=2, reward_fn=lambda g, ids: 0.0, seed=5, step=3,
                         group_keys=[10, 20])
    assert ctx.draw_seed("guided", 1, 0) == row_seed(5, "guided", 3, 20, 0)
    alone = ImproveContext(tasks=[], group_size=2, reward_fn=lambda g, ids: 0.0, seed=5, step=3,
                           group_keys=[20])
    assert alone.draw_seed("guided", 0, 0) == ctx.draw_seed("guided", 1, 0)
