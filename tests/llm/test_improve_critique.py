"""Critique-GRPO (agents/llm/improve/critique.py, shaping.py): refinement selection and mixing
keep the group size and replace the right response, k rounds, the critics' texts (rule, AC env,
Metamath kernel, model), and the f(pi) = pi / (pi + gamma) shaping gradient by hand."""

from __future__ import annotations

import math

import pytest
import torch
from mathgym.agents.llm.common.sampling import sample
from mathgym.agents.llm.grpo.loss import LossConfig, policy_loss
from mathgym.agents.llm.improve import ImproveContext, Task, apply_improvements
from mathgym.agents.llm.improve.base import row_seed
from mathgym.agents.llm.improve.critique import (
    ACFeedbackCritic,
    CritiqueConfig,
    CritiqueImprover,
    MetamathKernelCritic,
    ModelCritic,
    RuleCritic,
    refinement_messages,
    replaced_slot,
    select_refinement,
)
from mathgym.agents.llm.improve.shaping import mixed_policy_loss, shaped_per_token_loss
from test_improve_helpers import char_policy

torch.set_num_threads(1)
SYSTEM = {"role": "system", "content": "Answer in \\boxed{}."}


def test_select_refinement_first_correct_else_first_best():
    assert select_refinement([0.0, 0.5, 1.0, 1.0]) == 2
    assert select_refinement([0.2, 0.7, 0.7, 0.1]) == 1
    assert select_refinement([0.0, 0.0]) == 0
    assert replaced_slot([0.5, 0.0, 0.0, 1.0], "first") == 0
    assert replaced_slot([0.5, 0.0, 0.0, 1.0], "worst") == 1
    with pytest.raises(ValueError, match="at least one refinement"):
        select_refinement([])


class Scripted:
    """A reward function returning scripted values in call order (the improver scores its
    refinements row by row), so the test knows which refinement must win."""

    def __init__(self, values):
        self.values, self.calls = list(values), []

    def __call__(self, group, ids):
        self.calls.append((group, list(ids)))
        return self.values.pop(0)


def _setup(values, **config):
    model, tok = char_policy(0)
    tasks = [Task((SYSTEM, {"role": "user", "content": f"What is {g} + 1?"}), answer=str(g + 1))
             for g in range(2)]
    reward = Scripted(values)
    ctx = ImproveContext(tasks=tasks, group_size=4, reward_fn=reward, tokenizer=tok, model=model,
                         max_new_tokens=5, seed=7, step=2)
    prompts = [ctx.render(t.messages) for t in tasks]
    responses = [ctx.encode(t) for t in ("\\boxed{1}", "2", "x", "\\boxed{9}",
                                         "a", "b", "c", "d")]
    improver = CritiqueImprover(RuleCritic(with_reference=True), CritiqueConfig(**config))
    return ctx, prompts, responses, reward, improver


def test_mixing_keeps_the_group_size_and_replaces_the_right_response():
    # refinement scores: group 0 -> first correct is row 2; group 1 -> first best is row 1
    ctx, prompts, responses, reward, improver = _setup([0.0, 0.5, 1.0, 1.0, 0.2, 0.7, 0.7, 0.1])
    rewards = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    improved = improver.improve(prompts, responses, rewards, ctx)
    assert [(s.group, s.replaces, s.info["from_response"], s.reward) for s in improved] == \
        [(0, 0, 2, 1.0), (1, 0, 1, 0.7)]
    refinements = [ids for _, ids in reward.calls]
    assert [list(s.completion_ids) for s in improved] == [refinements[2], refinements[5]]
    for s in improved:  # trained as a response to the *original* prompt, with the shaped loss
        assert list(s.prompt_ids) == prompts[s.group] and s.loss == "shaped"
    # the sampler logprobs are those of the refinement context it was drawn from
    chat = improver.last_chats[2]
    again = sample(ctx.model, [ctx.render(chat)], max_new_tokens=5, eos_token_id=0,
                   pad_token_id=0, temperature=1.0, seeds=[row_seed(7, "critique", 2, 0, 2,
                                                                   0)])
    assert again.tokens(0) == list(improved[0].completion_ids)
    assert torch.allclose(torch.tensor(improved[0].sampler_logp),
                          again.logprobs[0, : int(again.lengths[0])], atol=1e-6)
    rows = [prompts[b // 4] for b in range(8)]
    merged = apply_improvements(rows, responses, rewards, [[0.0] * len(r) for r in responses],
                                improved, 4)
    assert len(merged.completion_ids) == 8
    assert merged.rewards == [1.0, 0.0, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0]
    assert merged.completion_ids[1:4] == [list(r) for r in responses[1:4]]
    assert merged.completion_ids[4] == refinements[5]
    assert merged.shaped_rows().tolist() == [True, False, False, False] * 2


def test_replace_worst_puts_the_refinement_in_the_lowest_reward_slot():
    ctx, prompts, responses, _, improver = _setup([0.0] * 8, replace="worst")
    improved = improver.improve(prompts, responses, [1.0, 0.5, 0.0, 0.0, 0.3, 0.2, 0.9, 0.2],
                                ctx)
    assert [(s.group, s.replaces) for s in improved] == [(0, 2), (1, 1)]


def test_k_rounds_refine_again_only_what_is_still_wrong():
    # round 0: rows 0..7 score 1,0,0,0,0,0,0,1; round 1 re-refines the six wrong rows
    values = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0] + [0.0, 0.0, 0.4, 0.0, 0.0, 0.0]
    ctx, prompts, responses, reward, improver = _setup(values, rounds=2)
    improved = improver.improve(prompts, responses, [0.0] * 8, ctx)
    assert len(reward.calls) == 14
    assert [len(c) for c in improver.last_chats] == [2, 4, 4, 4, 4, 4, 4, 2]
    assert improver.last_chats[1][2]["role"] == "assistant"
    assert improver.last_chats[1][3]["content"].startswith("Critique: The response is incorrect.")
    # group 0: row 0 solved in round 0; group 1: row 7 solved in round 0 (first correct)
    assert [(s.group, s.info["from_response"], s.reward) for s in improved] == \
        [(0, 0, 1.0), (1, 3, 1.0)]


def test_rule_critic_texts_with_and_without_reference():
    task = Task((SYSTEM, {"role": "user", "content": "What is 17 + 25?"}), answer="42",
                data={"answer_type": "integer", "module": "arithmetic__add_or_sub"})
    assert RuleCritic().critique(task, "\\boxed{42}", 1.0) == "The response is correct."
    plain = RuleCritic(with_reference=False, typed_feedback=False)
    assert plain.critique(task, "\\boxed{41}", 0.0) == "The response is incorrect."
    ref = RuleCritic(with_reference=True, typed_feedback=False)
    assert ref.critique(task, "41", 0.0) == \
        "The response is incorrect. The reference answer is 42."
    typed = RuleCritic(with_reference=False).critique(task, "\\boxed{x + 1}", 0.0)
    assert typed.startswith("The response is incorrect. Verifier: ") and "42" not in typed
    msgs = refinement_messages(task, "41", "The response is incorrect.")
    assert msgs[0] == SYSTEM and "What is 17 + 25?" in msgs[1]["content"]
    assert "Previous response: 41" in msgs[1]["content"]


def test_ac_env_feedback_critic_reports_the_state_reached():
    # <x, y | x y, y>: move ids in the agent's numbering; [] -> nothing parsed
    task = Task((SYSTEM, {"role": "user", "content": "p"}), family="ac",
                data={"relators": [[1, 2], [2]], "max_relator_length": 6})
    critic = ACFeedbackCritic()
    assert critic.critique(task, "no moves here", 0.0).startswith("No move ids")
    from mathgym.verifiers.ac import verify_ac_path

    for move in range(12):
        result = verify_ac_path(((1, 2), (2,)), [move], 6)
        text = critic.critique(task, f"[{move}]", 0.0)
        if result.ok:
            assert text == "The 1 moves reach the trivial presentation: solved."
        else:
            assert f"the presentation is {result.final}" in text


def test_metamath_kernel_critic_gives_the_kernel_error(tmp_path):
    db = tmp_path / "small.mm"
    db.write_text("$c ( ) -> wff |- $.\n$v p q $.\nwp $f wff p $.\nwq $f wff q $.\n"
                  "wi $a wff ( p -> q ) $.\nax-1 $a |- ( p -> ( q -> p ) ) $.\n"
                  "th $p |- ( p -> ( q -> p ) ) $= wp wq ax-1 $.\n")
    critic = MetamathKernelCritic(database=str(db))
    task = Task((SYSTEM, {"role": "user", "content": "prove th"}), family="metamath",
                data={"label": "th"})
    assert critic.critique(task, "wp wq ax-1", 1.0) == "The kernel accepts the proof."
    wrong = critic.critique(task, "wq wp ax-1", 0.0)
    assert wrong.startswith("The kernel rejects it: ") and "step 3" in wrong


def test_model_critic_is_deterministic_and_hides_the_reference_when_asked():
    model, tok = char_policy(0)
    task = Task((SYSTEM, {"role": "user", "content": "What is 2 + 2?"}), answer="4")
    critic = ModelCritic(model, tok, with_reference=False, max_new_tokens=4)
    assert "Reference" not in critic.messages(task, "5")[1]["content"]
    assert "Reference answer: 4" in ModelCritic(model, tok).messages(task, "5")[1]["content"]
    text = critic.critique(task, "5", 0.0)
    assert isinstance(text, str) and text == critic.critique(task, "5", 0.0)


def test_shaping_gradient_by_hand():
    # p = 0.5, A = 2, gamma = 0.1: loss = -A p / (p + gamma) = -2 * 0.5 / 0.6
    # d loss / d log p = -A * gamma * p / (p + gamma)^2 = -2 * 0.05 / 0.36
    logp = torch.tensor([[math.log(0.5)]], requires_grad=True)
    loss = shaped_per_token_loss(logp, torch.tensor([2.0]), gamma=0.1).sum()
    loss.backward()
    assert math.isclose(loss.item(), -2 * 0.5 / 0.6, rel_tol=1e-6)
    assert math.isclose(logp.grad.item(), -2 * 0.05 / 0.36, rel_tol=1e-5)
    # gamma = 0.5, p = 0.25, A = -1: -A * 0.125 / 0.5625
    logp = torch.tensor([[math.log(0.25)]], requires_grad=True)
    shaped_per_token_loss(logp, torch.tensor([-1.0]), gamma=0.5).sum().backward()
    assert math.isclose(logp.grad.item(), 0.125 / 0.5625, rel_tol=1e-5)


def test_mixed_loss_by_hand_and_identical_without_shaped_rows():
    # 2 rows x 2 tokens, dr_grpo: sum / (B * L) = sum / 4. Row 0 plain (ratio 1): -A0 per
    # token; row 1 shaped with p = 0.5, 0.2: -A1 f(p).
    cfg = LossConfig.preset("dr_grpo")
    probs = torch.tensor([[0.3, 0.6], [0.5, 0.2]])
    logp = torch.log(probs).requires_grad_(True)
    adv = torch.tensor([1.5, 2.0])
    mask = torch.ones(2, 2)
    loss, stats = mixed_policy_loss(logp, logp.detach(), adv, mask, cfg,
                                    torch.tensor([False, True]), gamma=0.1)
    f = lambda p: p / (p + 0.1)  # noqa: E731
    expected = (-1.5 * 2 - 2.0 * (f(0.5) + f(0.2))) / 4
    assert math.isclose(loss.item(), expected, rel_tol=1e-6)
    loss.backward()
    g = lambda p: -2.0 * 0.1 * p / (p + 0.1) ** 2 / 4  # noqa: E731
    assert torch.allclose(logp.grad[1], torch.tensor([g(0.5), g(0.2)]), atol=1e-6)
    assert torch.allclose(logp.grad[0], torch.tensor([-1.5 / 4, -1.5 / 4]), atol=1e-6)
    assert math.isclose(stats["shaped/prob"].item(), 0.35, rel_tol=1e-6)
    # no shaped row: exactly policy_loss
    a, _ = mixed_policy_loss(logp.detach(), logp.detach(), adv, mask, cfg,
                             torch.tensor([False, False]))
    b, _ = policy_loss(logp.detach(), logp.detach(), adv, mask, cfg)
    assert torch.equal(a, b)


# -- the Lean REPL critic, on the recorded REPL transcripts ----------------------------------
def _lean_task(name: str):
    """The Task of the first theorem ending in sorry of transcript ``name`` (lean-replay's
    instance data: transcript, header, theorem)."""
    from mathgym.envs.lean.transcripts import find_episodes, load_transcript

    episode = find_episodes(load_transcript(name))[0]
    data = {"id": episode.id, "transcript": name, "header": list(episode.header),
            "theorem": episode.theorem, "goal": episode.root_goal}
    return Task(({"role": "user", "content": episode.theorem},), family="lean", data=data)


def test_lean_repl_critic_gives_the_repls_message():

    from mathgym.envs.lean.transcripts import default_transcripts_dir

    if not default_transcripts_dir().is_dir():
        pytest.skip(f"recorded Lean REPL transcripts not found at {default_transcripts_dir()} "
                    "(../shared is absent; set MATHGYM_LEAN_TRANSCRIPTS)")
    from mathgym.envs.lean.config import lean_available

    if lean_available():
        pytest.skip("a local Lean REPL is configured: this test pins the recorded answers")
    from mathgym.agents.llm.improve.critique import LeanREPLCritic

    critic = LeanREPLCritic()
    branching = _lean_task("proof_branching")  # p ∧ q, q → r ⊢ p ∧ r
    # the recorded proof, one tactic per line (a fenced block is read the same way)
    assert critic.critique(branching, "```\napply And.intro\nexact h1.left\napply h2\n"
                           "exact h1.right\n```", 0.0) == \
        "Lean reports the proof complete after 4 tactic(s)."
    partial = critic.critique(branching, "apply And.intro\nexact h1.left", 0.0)
    assert partial.startswith("Lean accepted the tactics (Incomplete: open goals remain)")
    assert "⊢ r" in partial  # the goal left, as Lean prints it
    # Lean's own error message, recorded from the real REPL
    wrong = critic.critique(_lean_task("invalid_tactic"), "exact my_fake_premise", 0.0)
    assert wrong.startswith("Lean error at tactic 1 (exact my_fake_premise):")
    assert "my_fake_premise" in wrong.split(":", 1)[1] and "⊢ x = x" in wrong
    # a tactic the recording never saw, and one the parser refuses (never sent)
    unseen = critic.critique(branching, "constructor", 0.0)
    assert unseen.startswith("Lean error at tactic 1 (constructor): replay has no recorded")
    refused = critic.critique(branching, "apply And.intro\nsorry", 0.0)
    assert refused.startswith("Tactic 2 (sorry) is refused and was not sent")
    assert critic.critique(branching, "  \n", 0.0).startswith("No tactic could be read")
    with pytest.raises(ValueError, match="formal/lean-replay task"):
        critic.critique(Task(({"role": "user", "content": "x"},), family="lean"), "simp", 0.0)
