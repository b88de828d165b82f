"""The AC training split (envs/ac/training.py) and its trainer prompt source
(agents/llm/grpo/ac_prompts.py): disjoint from every AC benchmark, a deterministic and
resumable stream, the llm agent's own prompt tokens, the benchmark verifier's reward, and
``mathgym train --agent llm-grpo --benchmark ac/train-quick`` with ``improver=ac_search`` on a
tiny random Llama whose improved rows are verified paths.

The model is the tiny random Llama of test_improve_helpers.char_policy (tiny_lm's architecture
over a one-token-per-character tokenizer): tiny_lm's word-level tokenizer has no digits, so it
cannot spell a move list and every search target would decode to <unk>.
"""

from __future__ import annotations

import csv
import json

import pytest
import torch
from mathgym.agents.llm.agent import LLMAgent, parse_move_ids
from mathgym.agents.llm.grpo.ac_prompts import ACPrompts, solves
from mathgym.envs.ac.benchmarks import BENCHMARKS, verify_certificate
from mathgym.envs.ac.training import (
    AC_TRAINING_SPLITS,
    ACSplit,
    _instance,
    benchmark_keys,
    canonical_key,
)
from test_improve_helpers import char_policy, char_tokenizer

from mathgym.harness.benchmark import Instance

torch.set_num_threads(1)
SPLIT = AC_TRAINING_SPLITS["ac/train-quick"]


@pytest.fixture(scope="module")
def char_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("char-model")
    model, tokenizer = char_policy(0)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return str(path)


def test_the_split_is_disjoint_from_every_ac_benchmark_and_every_item_has_a_verified_path():
    keys = benchmark_keys()
    n_bench = sum(len(b().instances) for b in BENCHMARKS.values())
    assert len(keys) == 1196 and n_bench == 1190 + 6 + 10  # quick's 10 are ms1190's
    for k in range(30):
        inst = SPLIT.instance(k)
        assert canonical_key(inst.data["relators"]) not in keys
        assert len(inst.data["relators"][1]) >= 9  # |w| >= 8: no ms1190 rotation class
        assert verify_certificate(inst, inst.data["path"]).ok
        assert len(inst.data["path"]) > 0 and inst.id == f"ac/train-quick-{k}"


def test_the_key_catches_a_benchmark_instance_rotated_inverted_and_swapped():
    ms = next(i for i in BENCHMARKS["ac/ms1190"]().instances if len(i.data["relators"][1]) > 3)
    r0, r1 = (tuple(r) for r in ms.data["relators"])
    rotated_inverse = tuple(-x for x in reversed(r1[2:] + r1[:2]))
    assert canonical_key([rotated_inverse, r0]) == canonical_key([r0, r1])
    assert canonical_key([rotated_inverse, r0]) in benchmark_keys()


def test_the_stream_is_a_function_of_the_position_and_resumes():
    first = [SPLIT.instance(k).data for k in (0, 1, 2, 3)]
    _instance.cache_clear()  # recompute position 3 alone, cold
    assert SPLIT.instance(3).data == first[3]
    assert ACSplit("other", seed=5).instance(0).data != first[0]  # the seed matters
    tok = char_tokenizer()
    a = ACPrompts(tok)
    items = a.take(2) + a.take(2)
    b = ACPrompts(tok)
    b.take(2)
    state = b.state_dict()
    c = ACPrompts(tok)
    c.load_state_dict(json.loads(json.dumps(state)))
    assert state == {"position": 2}
    assert [i.ids for i in c.take(2)] == [i.ids for i in items[2:]]
    assert [i.index for i in items] == [0, 1, 2, 3]
    task = items[1].payload
    assert task.family == "ac" and list(task.path) == first[1]["path"]
    assert task.data["relators"] == first[1]["relators"]
    assert task.data["max_relator_length"] == first[1]["max_relator_length"]


def test_prompt_tokens_are_what_the_llm_agent_renders(char_dir):
    from mathgym.agents.llm.improve.trainer_hook import task_for

    tok = char_tokenizer()
    source = ACPrompts(tok)
    item = source.take(1)[0]
    agent = LLMAgent(model=char_dir, device="cpu")
    inst = source.instance(0)
    assert item.ids == agent._prompt_ids(agent.ac_messages(dict(inst.data)))
    assert task_for(item, source) is item.payload  # what the improvers see
    text = tok.decode(item.ids)
    assert str(inst.data["path"])[1:-1] not in text  # the known path is never in the prompt


def test_reward_is_the_verifier_on_the_path_the_agent_parses():
    tok = char_tokenizer()
    source = ACPrompts(tok)
    items = source.take(2)
    path = source.instance(0).data["path"]
    good = "[" + ", ".join(map(str, path)) + "]"
    texts = [good, "[0]", f"\\boxed{{{', '.join(map(str, path))}}}", "no moves",
             good[:-1] + ", 3, 3]", "[0, 1]"]
    rewards = source.rewards(items[:1], texts[:3], 3) + source.rewards(items, texts[3:5] +
                                                                       texts[5:], 3)
    # the good path, a wrong one, the boxed form; then (group size 3: all three of item 0)
    # nothing, the good path with moves past the trivial state (the agent stops at the first
    # trivial state, so it solves), another wrong path
    assert rewards == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert parse_move_ids(good, 12) == path and solves(source.instance(0), good)


def test_mathqa_settings_and_evaluation_benchmarks_are_refused_on_ac(char_dir, tmp_path, capsys):
    from mathgym.cli import main

    base = ["train", "--agent", "llm-grpo", "--budget", "4", "--device", "cpu",
            "--no-progress", "--config", f"model={char_dir}", "--config", "prompts_per_step=2",
            "--config", "num_generations=2"]
    for bench, extra, message in [
            ("ac/train-quick", ["--config", "few_shot=2"], "no few-shot examples"),
            ("ac/train-quick", ["--config", 'modules=["arithmetic__mul"]'], "modules"),
            ("ac/quick", [], "train on the AC training split ac/train-quick")]:
        assert main([*base, "--benchmark", bench, "--out", str(tmp_path / "x"), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.startswith("error:")


def test_mathgym_train_on_the_ac_split_with_ac_search_trains_on_verified_paths(
        char_dir, tmp_path, monkeypatch):
    from mathgym.agents.llm.improve import search

    from mathgym.cli import main

    seen = []
    original = search.ACSearchImprover.improve

    def recording(self, prompts, responses, rewards, context):  # the real improver, observed
        out = original(self, prompts, responses, rewards, context)
        seen.extend((context.tasks[s.group], s) for s in out)
        return out

    monkeypatch.setattr(search.ACSearchImprover, "improve", recording)
    out = tmp_path / "run"
    argv = ["train", "--agent", "llm-grpo", "--benchmark", "ac/train-quick", "--budget", "8",
            "--seed", "0", "--out", str(out), "--device", "cpu", "--no-progress",
            "--config", "preset=dr_grpo", "--config", f"model={char_dir}",
            "--config", "prompts_per_step=2", "--config", "num_generations=2",
            "--config", "max_new_tokens=4", "--config", "lora_r=2", "--config", "lora_alpha=4",
            "--config", "improver=ac_search",
            "--config", 'improver_options={"max_nodes": 2000, "shorten": true}']
    assert main(argv) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["benchmark"] == "ac/train-quick" and "difficulties" not in run
    assert run["split"]["max_nodes"] == 2000 and run["config"]["improver"] == "ac_search"
    block = json.loads((out / "training.json").read_text())
    assert block["finished"] and block["steps"] == 2 and block["training_samples"] == 8
    rows = list(csv.DictReader(open(out / "metrics.csv", encoding="utf-8")))
    assert len(rows) == 2  # metrics.csv has fixed columns (no improve/*): count targets here
    assert len(seen) == 4  # every group of both steps got a target
    tok = char_tokenizer()
    for task, s in seen:
        path = parse_move_ids(tok.decode(list(s.completion_ids), skip_special_tokens=True), 12)
        assert path == s.info["path"] and s.reward == 1.0
        inst = Instance("target", task.data, {})
        assert verify_certificate(inst, path).ok
    # a resumed run with the same command is accepted and does nothing more
    assert main([*argv, "--resume"]) == 0
