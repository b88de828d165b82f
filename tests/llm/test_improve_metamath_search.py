"""Metamath search improvement (agents/llm/improve/metamath_search.py) on the real set.mm:
a partial proof is completed in first-goal order, kernel-verified, and rendered so that the
env's own parser and Metamath-v0 replay it to a proved, rewarded state; wrong prefixes are cut;
a completion that needs a label the usage rule forbids yields nothing; the group slot rule.

Skipped with a reason when set.mm is absent (as tests/metamath/ are). No model is needed: the
improver only decodes and encodes, with the character-level tokenizer of the helpers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mathgym.agents.llm.improve import Task
from mathgym.agents.llm.improve.base import ImproveContext
from mathgym.agents.llm.improve.metamath_search import (
    MetamathSearchConfig,
    MetamathSearchImprover,
    improve_proof,
    replay_text,
)
from mathgym.agents.llm.improve.trainer_hook import make_improver
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE
from test_improve_helpers import char_tokenizer

SET_MM = Path(DEFAULT_DATABASE)
needs_setmm = pytest.mark.skipif(
    not SET_MM.exists(), reason=f"{SET_MM} is absent (install metamath-databases: make setup)")


@pytest.fixture(scope="module")
def lib():
    from mathgym.envs.metamath.library import load_library

    return load_library()


def _task(lib, label: str) -> Task:
    statement = lib.db.format(lib.db.labels[label].expr)
    return Task(({"role": "user", "content": f"Prove {label}: {statement}"},),
                family="metamath", data={"theorem": label, "statement": statement})


def env_reward(label: str, text: str) -> float:
    """What Metamath-v0 says of a completion: each line through the multi-turn agent's parser
    (with the candidate list the agent would show), then ``env.step``; 1.0 iff the episode
    ends with a kernel-accepted proof."""
    from mathgym.agents.llm.multiturn import SHOW_CANDIDATES, parse_metamath_action
    from mathgym.envs.metamath.env import MetamathEnv

    env = MetamathEnv(theorem=label)
    _, info = env.reset(seed=0)
    for line in text.splitlines():
        action = parse_metamath_action(line, min(len(info["candidates"]), SHOW_CANDIDATES))
        _, reward, terminated, _, info = env.step(action)
        if terminated:
            return float(reward)
    return 0.0


def _context(lib, labels, tok, G):
    tasks = [_task(lib, label) for label in labels]
    return ImproveContext(tasks=tasks, group_size=G, tokenizer=tok,
                          reward_fn=lambda g, ids: env_reward(
                              labels[g], tok.decode(ids, skip_special_tokens=True)))


def _ids(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


@needs_setmm
def test_a_partial_proof_is_completed_verified_and_replayed_by_the_env(lib):
    from mathgym.envs.metamath.prover import Prover
    from mathgym.verifiers.metamath.kernel import check_proof

    tok = char_tokenizer()
    prover = Prover(lib, "pm4.64")  # |- ( ( -. ph -> ps ) <-> ( ph \/ ps ) )
    cfg = MetamathSearchConfig(max_nodes=40)
    # "11" is candidate 11 of the first state, bicomi: the replay writes it as its label
    assert prover.candidates(prover.initial_state(), 12)[11] == "bicomi"
    found = improve_proof(prover, "11", cfg)
    assert found is not None and found["from"] == "prefix" and found["prefix"] == 1
    assert found["actions"][0] == "bicomi" and len(found["actions"]) >= 2
    check_proof(lib.db, prover.thm, tuple(found["proof"].split()), lib.rule)  # the kernel
    ctx = _context(lib, ["pm4.64"], tok, 2)
    responses = [_ids(tok, "11"), _ids(tok, "no proof")]
    out = MetamathSearchImprover(cfg).improve([[5, 6]], responses, [0.0, 0.0], ctx)
    assert len(out) == 1
    s = out[0]
    assert (s.group, s.replaces, s.reward, s.loss, s.source) == (0, 0, 1.0, "shaped", "mm_search")
    assert s.completion_ids[-1] == tok.eos_token_id and set(s.sampler_logp) == {0.0}
    text = tok.decode(list(s.completion_ids), skip_special_tokens=True)
    assert text == "\n".join(found["actions"])
    assert env_reward("pm4.64", text) == 1.0  # the env's parser and kernel: proved
    assert replay_text(prover, text).state.proved
    assert s.info["proof"] == found["proof"]


@needs_setmm
def test_wrong_prefixes_are_cut_and_only_verified_targets_come_out(lib):
    from mathgym.envs.metamath.prover import Prover

    prover = Prover(lib, "pm4.64")
    cfg = MetamathSearchConfig(max_nodes=40)
    # an unknown label stops the replay at line 1: nothing of the response is kept
    bad = replay_text(prover, "nosuchlabel\nbicomi")
    assert bad.actions == [] and bad.stopped.startswith("line 1 (nosuchlabel)")
    found = improve_proof(prover, "nosuchlabel\nbicomi", cfg)
    assert found is not None and found["prefix"] == 0
    assert env_reward("pm4.64", "\n".join(found["actions"])) == 1.0
    # text after a finished proof, and a refused (chatty) line, are cut too
    done = replay_text(prover, "bicomi\ndf-or\nax-mp")
    assert done.actions == ["bicomi", "df-or"] and done.state.proved and done.stopped
    chatty = replay_text(prover, "bicomi\nthen use df-or")
    assert chatty.actions == ["bicomi"] and "line 2" in chatty.stopped
    # a complete response is kept as it is
    same = improve_proof(prover, "bicomi\ndf-or", cfg)
    assert same["actions"] == ["bicomi", "df-or"] and same["from"] == "response"


@needs_setmm
def test_a_completion_needing_a_forbidden_label_yields_nothing(lib):
    from mathgym.envs.metamath.prover import Prover

    # a1i (|- ph => |- ( ps -> ph )) may rest on ax-mp and ax-1 only. After this first step
    # the first goal is |- ( ps -> ps ), which needs ax-2 (id comes after a1i): ax-2 comes
    # before a1i but is outside its axiom closure, so the usage rule forbids it.
    prover = Prover(lib, "a1i")
    assert "outside the axiom closure" in prover.usable("ax-2")
    assert prover.usable("id") is not None and prover.usable("ax-1") is None
    text = "ax-mp ; ph := ( ps -> ps )"
    replay = replay_text(prover, text)
    assert len(replay.actions) == 1 and prover.goal_text(
        replay.state, replay.state.goals[0][1]) == "|- ( ps -> ps )"
    stuck = MetamathSearchConfig(max_nodes=25, restart=False)
    assert improve_proof(prover, text, stuck) is None
    tok = char_tokenizer()
    ctx = _context(lib, ["a1i"], tok, 1)
    assert MetamathSearchImprover(stuck).improve([[5]], [_ids(tok, text)], [0.0], ctx) == []
    assert replay_text(prover, "id").actions == []  # a forbidden label is cut by the replay
    # with restart the prefix is dropped and the search from the conclusion finds a1i's proof
    found = improve_proof(prover, text, MetamathSearchConfig(max_nodes=25))
    assert found is not None and found["from"] == "start" and "id" not in found["actions"]
    assert env_reward("a1i", "\n".join(found["actions"])) == 1.0


@needs_setmm
def test_group_slot_shortest_proof_and_solved_groups(lib):
    tok = char_tokenizer()
    ctx = _context(lib, ["pm4.64", "pm4.64"], tok, 3)
    texts = ["bicomi\nbicomi\nbicomi", "11", "bicomi\nbicomi\nbicomi"]
    responses = [_ids(tok, t) for t in texts] * 2
    rewards = [0.5, 0.0, 0.0,  # group 0: the lowest reward is slot 1
               1.0, 0.0, 0.0]  # group 1: solved, skipped unless improve_solved
    cfg = MetamathSearchConfig(max_nodes=40)
    out = MetamathSearchImprover(cfg).improve([[5], [6]], responses, rewards, ctx)
    assert [(s.group, s.replaces) for s in out] == [(0, 1)]
    assert out[0].info["from_response"] == 1 and out[0].info["actions"][0] == "bicomi"
    assert len(out[0].info["actions"]) < 4  # shorter than completing the 3-step prefix
    both = MetamathSearchImprover(MetamathSearchConfig(max_nodes=40, improve_solved=True,
                                                       loss="policy"))
    out = both.improve([[5], [6]], responses, rewards, ctx)
    assert [(s.group, s.replaces, s.loss) for s in out] == [(0, 1, "policy"), (1, 1, "policy")]
    with pytest.raises(ValueError, match="needs Metamath tasks"):
        ac = ImproveContext(tasks=[Task(({"role": "user", "content": "x"},), family="ac")],
                            group_size=1, tokenizer=tok, reward_fn=lambda g, ids: 0.0)
        MetamathSearchImprover().improve([[5]], [[6]], [0.0], ac)


def test_make_improver_mm_search_and_its_option_errors():
    imp = make_improver("mm_search", {"max_nodes": 50, "restart": False, "loss": "policy"})
    assert isinstance(imp, MetamathSearchImprover)
    assert (imp.config.max_nodes, imp.config.restart, imp.config.loss) == (50, False, "policy")
    assert imp.describe()["name"] == "mm_search"
    with pytest.raises(ValueError, match=r"unknown mm_search option\(s\) \['budget'\]"):
        make_improver("mm_search", {"budget": 5})
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1"):
        make_improver("mm_search", {"max_nodes": 0})
    with pytest.raises(ValueError, match="loss must be 'shaped' or 'policy'"):
        make_improver("mm_search", {"loss": "ppo"})
    with pytest.raises(ValueError, match="needs its theorem label"):
        MetamathSearchImprover().prover(Task(({"role": "user", "content": "x"},),
                                             family="metamath"))
