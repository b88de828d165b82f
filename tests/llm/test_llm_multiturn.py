"""Multi-turn episodes of the ``llm`` agent on Metamath and Lean (``agents/llm/multiturn.py``).

Real parts throughout: the real Metamath-v0 env and kernel on set.mm; Lean-v0 on the recorded
sessions of the real Lean 4 REPL (leanprover-community/repl test suite; no Lean toolchain can
be installed here, so Lean runs through the recordings, and these tests skip when
``../shared/lean-repl-transcripts`` is absent); and a real, randomly initialised tiny Llama
whose completions drive every turn. Its word-level vocabulary is the action language (labels,
candidate numbers, tactic words), and ``max_new_tokens`` is 1 or 2, so each completion is a
short draw of that random model: some parse and reach the env, some are refused, and on the
recorded ``trace_simp.4`` theorem (proved by the single tactic ``simp``) a draw may prove it.
Nothing replaces the model's output; the tests check what the loop did with it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

tiny_lm = pytest.importorskip("tiny_lm")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lean"))
from lean_testing import needs_transcripts  # noqa: E402
from mathgym.agents.llm.agent import LLMAgent  # noqa: E402
from mathgym.agents.llm.multiturn import (  # noqa: E402
    SHOW_CANDIDATES,
    ActionParseError,
    parse_lean_tactic,
    parse_metamath_action,
    run_episodes,
)

from mathgym.harness.registry import get_benchmark  # noqa: E402
from mathgym.harness.runner import run_attempt  # noqa: E402

torch.set_num_threads(1)
WORDS = ("0", "1", "2", "ax-mp", "syl", "a1i", "simp", "rfl", "trace", "decide", "omega",
         "sorry", "exact", "h", ";", ":=", "ph")


def action_lm(seed: int = 0):
    """A 1-layer random Llama over the action words (plus the tiny_lm specials and roles)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<eos>": 0, "<bos>": 1, "<unk>": 2, "system": 3, "user": 4, "assistant": 5}
    vocab.update({w: i for i, w in enumerate(WORDS, start=6)})
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<eos>", eos_token="<eos>",
                                  bos_token="<bos>", unk_token="<unk>")
    tok.chat_template = tiny_lm.CHAT_TEMPLATE.replace(" : ", " ")
    tok.padding_side = "left"
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=4096, pad_token_id=0, eos_token_id=0,
                         bos_token_id=1)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.eval()
    return model, tok


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    model, tok = action_lm(0)
    path = tmp_path_factory.mktemp("action-llama")
    model.save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return str(path)


# ----------------------------------------------------------------------------- parsers
def test_metamath_parser_accepts_one_action_and_normalises_it():
    assert parse_metamath_action("0", 12) == 0
    assert parse_metamath_action("  `11`\n", 12) == 11
    assert parse_metamath_action("ax-mp", 12) == "ax-mp"
    assert parse_metamath_action("```\nax-mp ;  ph :=  ( ps -> ch )\n```", 12) == \
        "ax-mp ; ph := ( ps -> ch )"
    assert parse_metamath_action("3mix1d.1", 0) == "3mix1d.1"


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("The answer is 0.", "not an action"),
    ("0\n1", "several lines"),
    ("12", "does not exist"),
    ("__import__('os').system('rm -rf /')", "not an action"),
    ("ax-mp ; ph := $( x $)", "substitution"),
    ("ax-mp ; ph :=", "substitution"),
    ("ax-mp ; ph := ps ; ph := ch", "twice"),
    ("syl\x00", "control character"),
    ("ax-mp ; ph := ( ψ )", "ASCII"),
    ("x" * 5000, "characters"),
])
def test_metamath_parser_refuses_hostile_or_chatty_completions(text, why):
    with pytest.raises(ActionParseError, match=why):
        parse_metamath_action(text, 12)


def test_lean_parser_accepts_one_tactic_line():
    assert parse_lean_tactic("exact h1.left") == "exact h1.left"
    assert parse_lean_tactic("```lean\nsimp\n```") == "simp"
    assert parse_lean_tactic("`intro h`") == "intro h"
    assert parse_lean_tactic("backtrack 0") == "backtrack 0"
    assert parse_lean_tactic("exact ⟨h.2, h.1⟩") == "exact ⟨h.2, h.1⟩"


@pytest.mark.parametrize("text, why", [
    ("sorry", "refused"),
    ("exact sorry", "refused"),
    ("run_tac do IO.Process.run {cmd := \"sh\"}", "refused"),
    ("#eval IO.FS.removeFile \"x\"", "refused"),
    ("native_decide", "refused"),
    ("intro h\nexact h", "several lines"),
    ("exact h 😀", "outside"),
    ("simp\u202e", "control character"),
    ("   ", "empty"),
])
def test_lean_parser_refuses_hostile_or_chatty_completions(text, why):
    with pytest.raises(ActionParseError, match=why):
        parse_lean_tactic(text)


def test_lean_parser_keeps_names_that_merely_contain_a_refused_word():
    assert parse_lean_tactic("exact Nat.IOfoo") == "exact Nat.IOfoo"
    assert parse_lean_tactic("apply sorry_lemma") == "apply sorry_lemma"


# ----------------------------------------------------------------------------- the loop
def _turn_pairs(chats):
    """(completion, the user message after it) for every turn, from the last chat seen."""
    last = chats[-1]
    return [(last[i]["content"], last[i + 1]["content"])
            for i in range(2, len(last) - 1, 2)]


def test_metamath_turns_carry_the_kernel_feedback_back_into_the_chat(lm_dir):
    bench = get_benchmark("formal/metamath-quick")
    inst = bench.instances[0]  # 3mix1d
    agent = LLMAgent(model=lm_dir, device="cpu", temperature=1.0, max_new_tokens=1)
    chats: list = []
    solved, cert, cost, info = run_episodes(
        agent.multiturn_policy(), bench, inst, 6, seed=0,
        system_prompt=agent._system(bench.env_id), episodes=1, turns=None,
        on_message=chats.append)
    assert cost == 6.0 == info["turns"] and len(chats) == 6 and not solved and cert is None
    first_user = chats[0][1]["content"]
    assert first_user.startswith("Prove 3mix1d: |- ( ph -> ( ps \\/ ch \\/ th ) )")
    assert "goal |- ( ph -> ( ps \\/ ch \\/ th ) )" in first_user
    assert "hyp 3mixd.1 |- ( ph -> ps )" in first_user and "0: syl" in first_user
    # replay the model's own completions in a fresh env: each feedback is what the env said
    env = bench.make_env(inst)
    env.reset(seed=0)
    pairs = _turn_pairs(chats)
    assert len(pairs) == 5
    reached_env = 0
    _, einfo = env.reset(seed=0)
    for (completion, feedback), action in zip(pairs, info["actions"], strict=False):
        try:
            parsed = parse_metamath_action(completion, min(len(einfo["candidates"]),
                                                           SHOW_CANDIDATES))
        except ActionParseError as err:
            assert action is None and feedback.startswith(f"Refused: {err}")
            continue
        assert parsed == action
        obs, _, _, _, einfo = env.step(parsed)
        reached_env += 1
        if "error" in einfo:
            assert feedback.startswith(f"Error: {einfo['error'][:200]}")
        else:
            assert feedback.startswith(f"Applied {einfo['applied']}.")
        assert obs in feedback and "Candidates for the first goal:" in feedback
    env.close()
    assert reached_env >= 1 and info["refused"] == info["actions"].count(None)
    # the rendered prompt of the last turn is the chat template over all of it
    _, tok = agent.policy()
    rendered = tok.apply_chat_template(chats[-1], tokenize=False, add_generation_prompt=True)
    assert rendered.count("<bos> user") == 6 and rendered.endswith("<bos> assistant ")


def test_metamath_attempt_is_deterministic_and_charges_one_unit_per_turn(lm_dir):
    bench = get_benchmark("formal/metamath-quick")
    inst = bench.instances[0]
    agent = LLMAgent(model=lm_dir, device="cpu", temperature=1.0, samples=2, max_new_tokens=2,
                     turns=3)
    rec = run_attempt(bench, agent, inst, 5, seed=1)
    assert rec["error"] is None and rec["solved"] is False
    assert rec["cost"] == 5 and rec["info"]["episodes"] == 2 and rec["info"]["turns"] == 5
    again = LLMAgent(model=lm_dir, device="cpu", temperature=1.0, samples=2, max_new_tokens=2,
                     turns=3)
    assert run_attempt(bench, again, inst, 5, seed=1)["info"] == rec["info"]
    assert agent.config["turns"] == 3 and "backend" not in agent.config


@needs_transcripts
def test_lean_episode_over_the_recorded_repl_feeds_lean_errors_back(lm_dir):
    bench = get_benchmark("formal/lean-replay")
    inst = bench.instance("proof_branching.0")
    agent = LLMAgent(model=lm_dir, device="cpu", temperature=1.0, max_new_tokens=2)
    chats: list = []
    solved, _, cost, info = run_episodes(
        agent.multiturn_policy(), bench, inst, 4, seed=0,
        system_prompt=agent._system(bench.env_id), episodes=1, turns=None,
        on_message=chats.append)
    assert not solved and cost == 4.0
    assert chats[0][1]["content"].startswith(
        "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by sorry\n"
        "Goals:\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r")
    for (completion, feedback), action in zip(_turn_pairs(chats), info["actions"], strict=False):
        if action is None:
            with pytest.raises(ActionParseError):
                parse_lean_tactic(completion)
            assert feedback.startswith("Refused: ")
        else:  # none of the vocabulary's tactics is recorded for this theorem
            assert action == parse_lean_tactic(completion)
            assert feedback.startswith("Lean error: replay has no recorded answer")
            assert feedback.endswith("⊢ p ∧ r\nYour tactic:")


@needs_transcripts
def test_a_lean_proof_drawn_by_the_model_verifies_in_the_harness_and_on_submit(lm_dir, tmp_path):
    from mathgym.leaderboards.submit import read_submission, verify_results

    from mathgym.harness.runner import EvalConfig, evaluate

    cfg = EvalConfig(benchmark="formal/lean-replay", agent="llm", out=tmp_path / "run",
                     agent_config={"model": lm_dir, "device": "cpu", "temperature": 1.0,
                                   "max_new_tokens": 1},
                     budget=32, backend="inline", progress=False)
    evaluate(cfg)
    records = [json.loads(line) for line in
               (tmp_path / "run" / "attempts.jsonl").read_text().splitlines()[1:]]
    by_id = {r["instance"]: r for r in records}
    simp = by_id["trace_simp.4"]
    assert simp["solved"] is True and simp["certificate"] == ["simp"], simp
    assert simp["info"]["actions"][-1] == "simp" and simp["cost"] == simp["info"]["turns"]
    doc = verify_results(read_submission(tmp_path / "run" / "results.json"))
    assert doc["metrics"]["solved"] == sum(r["solved"] for r in records) >= 1


def test_bad_turns_is_one_clear_error_and_progsynth_stays_unsupported():
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="turns must be an int >= 1"):
            LLMAgent(turns=bad)
    agent = LLMAgent()
    assert agent.supports(get_benchmark("formal/metamath-quick"))
    assert not agent.supports(get_benchmark("reasoning/progsynth-quick"))


def test_ac_move_parser_reads_one_move_by_plain_string_code():
    from mathgym.agents.llm.multiturn import parse_ac_move
    from mathgym.envs.ac.text import move_names

    assert parse_ac_move("3") == 3 and parse_ac_move("`11`") == 11
    assert parse_ac_move(move_names(2)[5]) == 5
    for bad, why in (("12", "out of range"), ("3\n4", "several lines"),
                     ("__import__('os')", "move"), ("", "empty")):
        with pytest.raises(ActionParseError, match=why):
            parse_ac_move(bad)


def test_ac_one_move_per_turn_feeds_the_new_presentation_back(lm_dir):
    from mathgym.agents.llm.multiturn import SYSTEM_PROMPTS, parse_ac_move
    from mathgym.envs.ac.text import render_state

    bench = get_benchmark("ac/quick")
    inst = bench.instances[0]
    agent = LLMAgent(model=lm_dir, device="cpu", temperature=1.0, max_new_tokens=1,
                     ac_turns=True)
    chats: list = []
    solved, _, cost, info = run_episodes(
        agent.multiturn_policy(), bench, inst, 12, seed=0,
        system_prompt=agent._multiturn_system(bench.env_id), episodes=1, turns=None,
        on_message=chats.append)
    assert cost == 12.0 == info["turns"] and not solved
    assert chats[0][0]["content"] == SYSTEM_PROMPTS["ac-turns"]
    env = bench.make_env(inst)
    obs, _ = env.reset(seed=0)
    assert chats[0][1]["content"].startswith(f"Presentation: {render_state(obs, 2)}.")
    for (completion, feedback), action in zip(_turn_pairs(chats), info["actions"], strict=False):
        if action is None:
            assert feedback.startswith("Refused: ")
            continue
        assert action == parse_ac_move(completion)
        obs, _, _, _, einfo = env.step(action)
        assert feedback == (f"Applied move {action}. Presentation: {render_state(obs, 2)} "
                            f"(total length {einfo['total_length']}). Your move:")
    env.close()
    assert info["actions"].count(None) < 12  # some of the model's moves reached the env
    assert agent.config["ac_turns"] is True and "ac_turns" not in LLMAgent().config
    with pytest.raises(ValueError, match="ac_turns must be true"):
        LLMAgent(ac_turns="yes")
