"""The trainer hook (agents/llm/improve/trainer_hook.py): improvers by name with clear errors on
unknown options, and ``improve_part`` on a batch sampled like the trainer samples it: rows
replaced in place, tensors re-padded, rewards from the prompt source, never-sampled rows NaN."""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.common.sampling import sample
from mathgym.agents.llm.improve import Task
from mathgym.agents.llm.improve.critique import CritiqueImprover
from mathgym.agents.llm.improve.guided import GuidedImprover
from mathgym.agents.llm.improve.search import ACSearchImprover
from mathgym.agents.llm.improve.trainer_hook import TrainerHook, make_improver
from test_improve_helpers import char_policy

torch.set_num_threads(1)


def test_make_improver_by_name_and_clear_errors():
    g = make_improver("guided", {"correction": "sequence", "clip": 3.0,
                                 "schedule": {"kind": "cosine", "steps": 10}})
    assert isinstance(g, GuidedImprover) and g.config.correction == "sequence"
    assert g.config.schedule.kind == "cosine" and g.config.schedule.steps == 10
    c = make_improver("critique", {"rounds": 2, "gamma": 0.2, "critic": "rule"})
    assert isinstance(c, CritiqueImprover) and c.config.rounds == 2
    assert TrainerHook(c).gamma == 0.2 and TrainerHook(g).gamma == 0.1
    assert isinstance(make_improver("ac_search", {"max_nodes": 50}), ACSearchImprover)
    with pytest.raises(ValueError, match=r"unknown guided option\(s\) \['lam'\]"):
        make_improver("guided", {"lam": 0.5})
    with pytest.raises(ValueError, match="unknown improver 'mcts'"):
        make_improver("mcts")
    with pytest.raises(ValueError, match="unknown critic"):
        make_improver("critique", {"critic": "gpt"})


class Item:
    def __init__(self, ids, index, payload):
        self.ids, self.index, self.payload = ids, index, payload


class Source:
    """A prompt source like the trainer's: reward 1 iff the text holds the task's answer."""

    def rewards(self, items, texts, group_size):
        return [float(items[i // group_size].payload.answer in t) for i, t in enumerate(texts)]


def test_improve_part_replaces_rows_and_keeps_the_layout():
    model, tok = char_policy(0)
    tasks = [Task(({"role": "user", "content": f"Say {a}"},), answer=a) for a in ("7", "8")]
    prompts = [list(tok(tok.apply_chat_template(list(t.messages), tokenize=False,
                                                add_generation_prompt=True),
                        add_special_tokens=False)["input_ids"]) for t in tasks]
    items = [Item(p, i, t) for i, (p, t) in enumerate(zip(prompts, tasks, strict=True))]
    G = 2
    rows = [p for p in prompts for _ in range(G)]
    s = sample(model, rows, max_new_tokens=4, eos_token_id=0, pad_token_id=0, temperature=1.0,
               seeds=[1, 2, 3, 4])
    texts = [tok.decode(s.tokens(i)) for i in range(4)]
    part = {"prompts": rows, "completion_ids": s.completion_ids, "lengths": s.lengths,
            "sampler_logp": s.logprobs, "task": torch.tensor(Source().rewards(items, texts, G)),
            "texts": texts}

    class Answer(CritiqueImprover):  # a stand-in improver: the answer, longer than any sample
        def improve(self, prompts, responses, rewards, context):
            from mathgym.agents.llm.improve import ImprovedSample

            ids = context.encode(f"it is {context.tasks[1].answer}!") + [0]
            return [ImprovedSample(group=1, replaces=1, prompt_ids=tuple(prompts[1]),
                                   completion_ids=tuple(ids), reward=context.reward(1, ids),
                                   sampler_logp=(0.0,) * len(ids), loss="shaped")]

    hook = TrainerHook(Answer())
    out = hook.improve_part(part, items, model=model, tokenizer=tok, source=Source(),
                            group_size=G, step=0, max_new_tokens=4, temperature=1.0, top_p=1.0,
                            pad_id=0)
    assert out["completion_ids"].shape == (4, 9)  # re-padded: "it is 8!" + EOS is 9 tokens
    assert out["lengths"].tolist() == s.lengths.tolist()[:3] + [9]
    assert out["task"].tolist()[3] == 1.0 and out["texts"][3] == "it is 8!"
    assert torch.equal(out["completion_ids"][:3, :s.completion_ids.shape[1]],
                       s.completion_ids[:3])
    assert torch.equal(out["sampler_logp"][:3, :s.logprobs.shape[1]], s.logprobs[:3])
    assert all(math.isnan(v) for v in out["sampler_logp"][3].tolist())
    assert [x is None for x in out["improved"]] == [True, True, True, False]
    assert hook.last == {"improve/replaced": 1.0, "improve/reward": 1.0, "improve/shaped": 1.0}
    filled = TrainerHook.fill_unsampled(out["sampler_logp"], torch.full((4, 9), -2.0))
    assert filled[3].tolist() == [-2.0] * 9 and torch.equal(filled[0], out["sampler_logp"][0])


def test_task_for_a_mathqa_problem_uses_the_sources_chat():
    from mathgym.agents.llm.improve.trainer_hook import task_for
    from mathgym.envs.reasoning import generate

    p = generate("arithmetic__add_or_sub", 1, 77_003, 0)
    task = task_for(Item([1], 0, p))
    assert task.answer == p.answer and task.family == "reasoning"
    assert p.question in task.question and task.data["answer_type"] == p.answer_type

    class WithChat:
        def messages(self, problem):
            return [{"role": "user", "content": "own chat: " + problem.question}]

    assert task_for(Item([1], 0, p), WithChat()).question == "own chat: " + p.question
    with pytest.raises(ValueError, match="payload is an improve.Task"):
        task_for(Item([1], 0, None))


# -- critic=lean_repl: the Lean REPL critic built by name, on the recorded transcripts -------
def test_make_improver_lean_repl_critic_on_the_recorded_transcripts():
    from mathgym.agents.llm.improve.critique import LeanREPLCritic
    from mathgym.envs.lean.config import lean_available
    from mathgym.envs.lean.errors import LeanNotAvailableError
    from mathgym.envs.lean.transcripts import default_transcripts_dir
    from test_improve_critique import _lean_task

    folder = default_transcripts_dir()
    if not folder.is_dir():
        pytest.skip(f"recorded Lean REPL transcripts not found at {folder} "
                    "(../shared is absent; set MATHGYM_LEAN_TRANSCRIPTS)")
    if lean_available():
        pytest.skip("a local Lean REPL is configured: this test pins the recorded answers")
    imp = make_improver("critique", {"critic": "lean_repl", "rounds": 2, "max_tactics": 8})
    assert isinstance(imp, CritiqueImprover) and isinstance(imp.critic, LeanREPLCritic)
    assert imp.config.rounds == 2 and imp.critic.max_tactics == 8
    task = _lean_task("proof_branching")
    proof = "apply And.intro\nexact h1.left\napply h2\nexact h1.right"
    assert imp.critic.critique(task, proof, 0.0) == \
        "Lean reports the proof complete after 4 tactic(s)."
    # an explicit transcript folder (lean_transcripts) reads the task's bare name from it
    named = make_improver("critique", {"critic": "lean_repl", "lean_backend": "replay",
                                       "lean_transcripts": str(folder)})
    assert named.critic.critique(task, "apply And.intro\nexact h1.left", 0.0).startswith(
        "Lean accepted the tactics (Incomplete: open goals remain)")
    # no REPL: lean_backend=repl says how to install one; a missing folder says what is wrong
    with pytest.raises(LeanNotAvailableError, match="No Lean 4 REPL is configured"):
        make_improver("critique", {"critic": "lean_repl", "lean_backend": "repl"})
    with pytest.raises(LeanNotAvailableError, match="no Lean REPL transcripts at /nonexistent"):
        make_improver("critique", {"critic": "lean_repl", "lean_transcripts": "/nonexistent"})
    with pytest.raises(ValueError, match="lean_backend must be one of"):
        make_improver("critique", {"critic": "lean_repl", "lean_backend": "cloud"})
    # Lean options belong to the lean_repl critic only
    with pytest.raises(ValueError, match=r"unknown critique option\(s\) \['lean_backend'\]"):
        make_improver("critique", {"critic": "rule", "lean_backend": "repl"})
