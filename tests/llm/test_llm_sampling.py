"""The batched KV-cache sampler and beam search on a tiny random Llama (tests/llm/tiny_lm.py):
greedy equals `model.generate(do_sample=False)` token for token, seeded sampling reproduces,
tiny top-p is greedy, EOS stops a row with the right length when pad == EOS, beam width 1 is
greedy, and a row's sample does not depend on the rest of the batch."""

from __future__ import annotations

import pytest
import torch

tiny_lm = pytest.importorskip("tiny_lm")

from mathgym.agents.llm.common import completion_mask  # noqa: E402
from mathgym.agents.llm.common.sampling import beam_search, sample, top_p_filter  # noqa: E402

torch.set_num_threads(1)
PROMPTS = [[1, 8, 9, 10], [1, 11], [1, 12, 13, 14, 15, 16, 17]]


@pytest.fixture(scope="module")
def tiny():
    return tiny_lm.build(seed=0, layers=2)


def _generate(model, prompt: list[int], n: int) -> list[int]:
    ids = torch.tensor([prompt])
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                         do_sample=False, eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD)
    tokens = out[0, len(prompt):].tolist()
    if tiny_lm.EOS in tokens:
        tokens = tokens[: tokens.index(tiny_lm.EOS) + 1]
    return tokens


def test_greedy_equals_generate_token_for_token(tiny):
    model, _ = tiny
    got = sample(model, PROMPTS, max_new_tokens=24, eos_token_id=tiny_lm.EOS,
                 pad_token_id=tiny_lm.PAD, temperature=0.0)
    for i, prompt in enumerate(PROMPTS):
        assert got.tokens(i) == _generate(model, prompt, 24), f"row {i}"


def test_seeded_sampling_reproduces_and_is_batch_independent(tiny):
    model, _ = tiny
    kw = dict(max_new_tokens=16, eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD,
              temperature=1.0, top_p=0.9)
    a = sample(model, PROMPTS, seeds=[1, 2, 3], **kw)
    b = sample(model, PROMPTS, seeds=[1, 2, 3], **kw)
    assert torch.equal(a.completion_ids, b.completion_ids)
    assert torch.equal(a.logprobs, b.logprobs)
    alone = sample(model, PROMPTS[1:2], seeds=[2], **kw)
    assert alone.tokens(0) == a.tokens(1)
    c = sample(model, PROMPTS, seeds=[7, 8, 9], **kw)
    assert not torch.equal(a.completion_ids, c.completion_ids)


def test_tiny_top_p_is_greedy(tiny):
    model, _ = tiny
    kw = dict(max_new_tokens=16, eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD)
    greedy = sample(model, PROMPTS, temperature=0.0, **kw)
    nucleus = sample(model, PROMPTS, temperature=1.3, top_p=1e-6, seeds=[5, 6, 7], **kw)
    assert torch.equal(greedy.completion_ids, nucleus.completion_ids)
    assert torch.equal(greedy.lengths, nucleus.lengths)


def test_top_p_filter_keeps_the_nucleus():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    kept = torch.isfinite(top_p_filter(logits, 0.75))[0].tolist()
    assert kept == [True, True, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.8))[0].tolist() == [True, True, False, False]
    assert torch.isfinite(top_p_filter(logits, 0.81))[0].tolist() == [True, True, True, False]


def test_eos_stops_rows_and_lengths_are_right_with_pad_equal_eos(tiny):
    model, _ = tiny
    model = type(model)(model.config)
    model.load_state_dict(tiny[0].state_dict())
    model.lm_head.weight.data[tiny_lm.EOS] *= 4.0  # make EOS likely so rows stop at varied steps
    prompts = [PROMPTS[0]] * 12
    n = 10
    got = sample(model, prompts, max_new_tokens=n, eos_token_id=tiny_lm.EOS,
                 pad_token_id=tiny_lm.PAD, temperature=1.0, seeds=list(range(12)))
    stopped = 0
    for i in range(len(prompts)):
        tokens = got.tokens(i)
        length = int(got.lengths[i])
        assert (got.completion_ids[i, length:] == tiny_lm.PAD).all()
        assert (got.logprobs[i, length:] == 0).all() and (got.logprobs[i, :length] < 0).all()
        if got.is_truncated[i]:
            assert length == n and tiny_lm.EOS not in tokens
        else:
            stopped += 1
            assert tokens[-1] == tiny_lm.EOS and tiny_lm.EOS not in tokens[:-1]
    assert 0 < stopped < len(prompts)
    mask = completion_mask(got.completion_ids, tiny_lm.EOS, tiny_lm.PAD, lengths=got.lengths)
    assert torch.equal(mask.lengths, got.lengths)
    assert torch.equal(mask.is_truncated, got.is_truncated)


def test_greedy_logprobs_match_a_full_forward(tiny):
    model, _ = tiny
    prompt = PROMPTS[2]
    got = sample(model, [prompt], max_new_tokens=8, eos_token_id=tiny_lm.EOS,
                 pad_token_id=tiny_lm.PAD, temperature=0.0)
    tokens = got.tokens(0)
    ids = torch.tensor([prompt + tokens])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0, len(prompt) - 1: -1].float(), -1)
    ref = logp.gather(1, torch.tensor(tokens).unsqueeze(1)).squeeze(1)
    assert torch.allclose(got.logprobs[0, : len(tokens)], ref, atol=1e-5)


def test_beam_width_one_is_greedy(tiny):
    model, _ = tiny
    for prompt in PROMPTS:
        greedy = sample(model, [prompt], max_new_tokens=12, eos_token_id=tiny_lm.EOS,
                        pad_token_id=tiny_lm.PAD, temperature=0.0)
        beam = beam_search(model, prompt, beams=1, max_new_tokens=12,
                           eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD)
        assert beam.tokens(0) == greedy.tokens(0)
        assert bool(beam.is_truncated[0]) == bool(greedy.is_truncated[0])


def test_beam_search_returns_sorted_distinct_hypotheses(tiny):
    model, _ = tiny
    beam = beam_search(model, PROMPTS[0], beams=3, max_new_tokens=6,
                       eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD)
    scores = beam.scores.tolist()
    assert scores == sorted(scores, reverse=True)
    rows = [tuple(beam.tokens(i)) for i in range(len(scores))]
    assert len(set(rows)) == len(rows)
    for i, row in enumerate(rows):
        assert abs(float(beam.logprobs[i, : len(row)].sum()) / len(row) - scores[i]) < 1e-4


def test_bad_arguments_are_clear_errors(tiny):
    model, _ = tiny
    kw = dict(eos_token_id=tiny_lm.EOS, pad_token_id=tiny_lm.PAD)
    with pytest.raises(ValueError, match="seed"):
        sample(model, PROMPTS, max_new_tokens=4, temperature=1.0, **kw)
    with pytest.raises(ValueError, match="top_p"):
        sample(model, PROMPTS, max_new_tokens=4, temperature=0.0, top_p=0.0, **kw)
    with pytest.raises(ValueError, match="max_new_tokens"):
        sample(model, PROMPTS, max_new_tokens=0, temperature=0.0, **kw)
    with pytest.raises(ValueError, match="prompt"):
        sample(model, [[]], max_new_tokens=2, temperature=0.0, **kw)
