"""Search as the improvement operator for AC (agents/llm/improve/search.py) on the easy
presentations of tests/rl/ac_easy_plugin.py: a partial path from the model is completed by
greedy search, a path is cut at its first trivial state and shortened by BFS, every result is
verified by the benchmark's verifier, and the target's tokens are the text the agent parses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mathgym.agents.llm.agent import LLMAgent, parse_move_ids
from mathgym.agents.llm.improve import ImproveContext, Task, apply_improvements
from mathgym.agents.llm.improve.search import ACSearchImprover, SearchConfig, improve_path
from mathgym.agents.search.api import bfs
from mathgym.envs.ac.benchmarks import verify_certificate
from test_improve_helpers import char_tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rl"))
ac_easy = pytest.importorskip("ac_easy_plugin")


@pytest.fixture(scope="module")
def instance():
    bench = ac_easy.easy_benchmark()
    inst = next(i for i in bench.instances
                if len(bfs(i.data["presentation"], max_nodes=2000,
                           max_relator_length=ac_easy.CAP).path) >= 3)
    return inst


def _context(inst, tok):
    task = Task(tuple(LLMAgent(model="unused").ac_messages(dict(inst.data))), family="ac",
                data=dict(inst.data))

    def reward(group, ids):  # the benchmark verifier on the path the agent would parse
        path = parse_move_ids(tok.decode(ids, skip_special_tokens=True), 12)
        return float(verify_certificate(inst, path).ok)

    return ImproveContext(tasks=[task], group_size=2, reward_fn=reward, tokenizer=tok)


def test_a_partial_path_is_completed_verified_and_rendered_as_the_agent_parses(instance):
    tok = char_tokenizer()
    ctx = _context(instance, tok)
    shortest = bfs(instance.data["presentation"], max_nodes=2000,
                   max_relator_length=ac_easy.CAP).path
    partial = f"I think the path starts [{shortest[0]}]"
    responses = [ctx.encode(partial), ctx.encode("no idea")]
    rewards = [ctx.reward(0, r) for r in responses]
    assert rewards == [0.0, 0.0]
    prompts = [ctx.render(ctx.tasks[0].messages)]
    improver = ACSearchImprover(SearchConfig(algorithm="greedy", shorten=False))
    (s,) = improver.improve(prompts, responses, rewards, ctx)
    path = s.info["path"]
    assert path[0] == shortest[0] and s.info["from_response"] == 0  # a completion of the prefix
    assert verify_certificate(instance, path).ok and s.reward == 1.0
    text = tok.decode(s.completion_ids[:-1])
    assert text == "[" + ", ".join(map(str, path)) + "]"  # the form the prompt asks for
    assert s.completion_ids[-1] == tok.eos_token_id and parse_move_ids(text, 12) == path
    assert s.replaces == 0 and s.loss == "shaped" and set(s.sampler_logp) == {0.0}
    merged = apply_improvements(prompts * 2, responses, rewards, [[0.0] * len(r) for r in
                                                                  responses], [s], 2)
    assert merged.rewards == [1.0, 0.0] and merged.completion_ids[1] == list(responses[1])
    # shorten: BFS from the start wins when it is shorter
    (short,) = ACSearchImprover(SearchConfig(shorten=True)).improve(prompts, responses,
                                                                    rewards, ctx)
    assert len(short.info["path"]) == len(shortest) <= len(path)


def test_paths_are_cut_at_the_first_trivial_state_and_bad_paths_dropped(instance):
    relators, cap = instance.data["relators"], ac_easy.CAP
    shortest = bfs(instance.data["presentation"], max_nodes=2000, max_relator_length=cap).path
    longer = improve_path(relators, cap, shortest + [0, 1, 2], SearchConfig(shorten=False))
    assert longer == shortest
    assert improve_path(relators, cap, [], SearchConfig(max_nodes=1, shorten=False)) is None


def test_groups_with_a_solution_are_skipped_unless_improve_solved(instance):
    tok = char_tokenizer()
    ctx = _context(instance, tok)
    shortest = bfs(instance.data["presentation"], max_nodes=2000,
                   max_relator_length=ac_easy.CAP).path
    solved = ctx.encode("[" + ", ".join(map(str, shortest)) + "]")
    responses, rewards = [solved, ctx.encode("[]")], [1.0, 0.0]
    prompts = [ctx.render(ctx.tasks[0].messages)]
    assert ACSearchImprover(SearchConfig(improve_solved=False)).improve(
        prompts, responses, rewards, ctx) == []
    (s,) = ACSearchImprover().improve(prompts, responses, rewards, ctx)
    assert s.replaces == 1 and s.info["path"] == shortest
    with pytest.raises(ValueError, match="needs AC tasks"):
        bad = ImproveContext(tasks=[Task(ctx.tasks[0].messages)], group_size=2,
                             reward_fn=ctx.reward_fn, tokenizer=tok)
        ACSearchImprover().improve(prompts, responses, rewards, bad)
