"""The Metamath training split (envs/metamath/training.py) and its trainer prompt source
(agents/llm/grpo/metamath_prompts.py) on the real set.mm: disjoint from every Metamath
benchmark by label and by statement, a deterministic and resumable stream whose every theorem
has a known proof the reward accepts, the eval agent's Metamath wording, the reward = what
Metamath-v0 (kernel, usage rule) says of the replayed lines, and ``mathgym train --agent
llm-grpo --benchmark metamath/train-quick`` with ``improver=mm_search`` on a tiny random Llama
whose improved rows are verified proofs.

Skipped with a reason when set.mm is absent (as tests/metamath/ are), except the CLI's
refusals, which never read it. The model is the tiny random Llama of
test_improve_helpers.char_policy (one token per character, so labels and substitutions
round-trip exactly).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mathgym.agents.llm.grpo.metamath_prompts import ASK, SYSTEM_PROMPT, MetamathPrompts
from mathgym.envs.metamath.benchmarks import INSTANCE_FILE
from mathgym.envs.metamath.training import (
    MM_TRAINING_SPLITS,
    MetamathSplit,
    _instance,
    benchmark_rows,
    split_named,
    statement_key,
)
from mathgym.verifiers.metamath.database import DEFAULT_DATABASE
from test_improve_helpers import char_policy, char_tokenizer

torch.set_num_threads(1)
SPLIT = MM_TRAINING_SPLITS["metamath/train-quick"]
SET_MM = Path(DEFAULT_DATABASE)
needs_setmm = pytest.mark.skipif(
    not SET_MM.exists(), reason=f"{SET_MM} is absent (install metamath-databases: make setup)")


@pytest.fixture(scope="module")
def lib():
    from mathgym.envs.metamath.library import load_library

    return load_library()


@pytest.fixture(scope="module")
def char_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("char-model")
    model, tokenizer = char_policy(0)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return str(path)


def env_reward(label: str, text: str) -> float:
    """What Metamath-v0 says of a completion: each line through the eval agent's parser (with
    the candidate list it would show), then ``env.step``; 1.0 iff the episode ends with a
    kernel-accepted proof (test_improve_metamath_search's check, fence lines dropped)."""
    from mathgym.agents.llm.multiturn import (
        SHOW_CANDIDATES,
        ActionParseError,
        parse_metamath_action,
    )
    from mathgym.envs.metamath.env import MetamathEnv

    env = MetamathEnv(theorem=label)
    _, info = env.reset(seed=0)
    for line in text.splitlines():
        if not line.strip() or line.strip().startswith("```"):
            continue
        try:
            action = parse_metamath_action(line, min(len(info["candidates"]), SHOW_CANDIDATES))
        except ActionParseError:
            return 0.0
        _, reward, terminated, _, info = env.step(action)
        if terminated:
            return float(reward)
        if "error" in info:  # the replay stops at the first rejected line
            return 0.0
    return 0.0


@needs_setmm
def test_the_split_is_disjoint_from_every_metamath_benchmark_by_label_and_statement(lib):
    rows = benchmark_rows()
    labels = {r["theorem"] for r in rows}
    statements = {r["statement"] for r in rows}
    keys = {statement_key(lib, s) for s in statements}
    fixed = json.loads(Path(INSTANCE_FILE).read_text(encoding="utf-8"))
    assert len(rows) == 10 + 100 + 100  # quick, easy, test (quick's 10 are easy's)
    assert labels == {r["theorem"] for key in ("easy", "test") for r in fixed[key]}
    train = set(lib.split("train"))
    pool = SPLIT.pool()
    assert len(pool) > 1000 and set(pool) <= train  # Metamath-v0's own train split
    for label in pool:
        statement = lib.db.format(lib.db.labels[label].expr)
        assert label not in labels and statement not in statements
        assert statement_key(lib, statement) not in keys
    # the statement check matters: small train-split theorems restating a benchmark theorem
    # (up to renaming its variables) under another label are left out
    restated = [lab for lab in lib.split("train") if lab not in labels
                and 1 <= lib.proof_steps[lab] <= SPLIT.max_proof_steps
                and statement_key(lib, lib.db.format(lib.db.labels[lab].expr)) in keys]
    assert restated and not set(restated) & set(pool)
    first = rows[0]["statement"]  # |- ( ph -> ( ps \/ ch \/ th ) ): ph and ps swapped
    swapped = " ".join({"ph": "ps", "ps": "ph"}.get(s, s) for s in first.split())
    assert swapped != first and statement_key(lib, swapped) == statement_key(lib, first)
    for k in range(4):  # the positions the other tests take
        inst = SPLIT.instance(k)
        assert inst.data["theorem"] in pool and inst.id == f"metamath/train-quick-{k}"
        assert inst.data["statement"] == lib.db.format(lib.db.labels[inst.data["theorem"]].expr)


@needs_setmm
def test_the_stream_is_a_function_of_the_position_and_resumes(lib):
    first = [SPLIT.instance(k).data for k in (0, 1, 2, 3)]
    _instance.cache_clear()  # recompute position 3 alone, cold
    assert SPLIT.instance(3).data == first[3]
    assert MetamathSplit("other", seed=5).instance(0).data != first[0]  # the seed matters
    tok = char_tokenizer()
    a = MetamathPrompts(tok)
    items = a.take(2) + a.take(2)
    b = MetamathPrompts(tok)
    b.take(2)
    state = b.state_dict()
    c = MetamathPrompts(tok)
    c.load_state_dict(json.loads(json.dumps(state)))
    assert state == {"position": 2}
    assert [i.ids for i in c.take(2)] == [i.ids for i in items[2:]]
    assert [i.index for i in items] == [0, 1, 2, 3]
    task = items[1].payload
    assert task.family == "metamath" and list(task.proof_steps) == first[1]["actions"]
    assert {k: task.data[k] for k in ("theorem", "statement", "database")} == {
        k: first[1][k] for k in ("theorem", "statement", "database")}
    with pytest.raises(ValueError, match="known: metamath/train-quick"):
        split_named("metamath/train-big")
    with pytest.raises(ValueError, match="known: metamath/train-quick"):
        MetamathPrompts(tok, "formal/metamath-easy")


@needs_setmm
def test_the_prompt_is_the_eval_agents_metamath_wording_and_the_task_feeds_the_improvers(lib):
    from mathgym.agents.llm.improve.hints import hint_text
    from mathgym.agents.llm.improve.metamath_search import MetamathSearchImprover
    from mathgym.agents.llm.improve.trainer_hook import task_for
    from mathgym.agents.llm.multiturn import SHOW_CANDIDATES, metamath_first_message
    from mathgym.envs.metamath.env import MetamathEnv

    tok = char_tokenizer()
    source = MetamathPrompts(tok)
    item = source.take(1)[0]
    inst = source.instance(0)
    system, user = item.payload.messages
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    env = MetamathEnv(theorem=inst.data["theorem"])
    obs, info = env.reset(seed=0)  # the eval agent's first message, on the env's own obs
    first = metamath_first_message(dict(inst.data), obs,
                                   {"candidates": info["candidates"][:SHOW_CANDIDATES]})
    assert user["content"] == first.removesuffix("Your action:") + ASK
    assert item.ids == tok(tok.apply_chat_template(list(item.payload.messages), tokenize=False,
                                                   add_generation_prompt=True),
                           add_special_tokens=False)["input_ids"]
    assert task_for(item, source) is item.payload  # what the improvers see
    assert hint_text(item.payload, first_k=1) == (
        f"Hint: a proof begins with the steps {inst.data['actions'][0]}.")
    prover = MetamathSearchImprover().prover(item.payload)  # the improver finds its theorem
    assert prover.label == inst.data["theorem"] and prover.lib is lib


@needs_setmm
def test_reward_is_the_kernel_on_the_replayed_lines_as_metamath_v0_counts_it(lib):
    from mathgym.agents.llm.multiturn import SHOW_CANDIDATES

    tok = char_tokenizer()
    source = MetamathPrompts(tok)
    items = source.take(3)
    for item in items:
        inst = source.instance(item.index)
        label, actions = inst.data["theorem"], inst.data["actions"]
        good = "\n".join(actions)
        prover = source.prover(inst)
        shown = prover.candidates(prover.initial_state(), SHOW_CANDIDATES)
        index = "\n".join([str(shown.index(actions[0])), *actions[1:]]) \
            if actions[0] in shown else good
        texts = [good, index, f"```\n{good}\n```", good + "\nax-mp",  # extra lines after QED
                 "\n".join(actions[:-1]),                            # one step short
                 "\n".join(["ax-mp", *actions]),                      # a wrong first step
                 "no proof", "__import__('os').system('true')", ""]
        want = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        assert source.rewards([item], texts, len(texts)) == want, label
        assert [env_reward(label, t) for t in texts[:2]] == want[:2]  # what the env says
        assert [env_reward(label, t) for t in texts[4:7]] == want[4:7]
    # a theorem that states something else is not proved by its own proof
    inst = source.instance(0)
    forged = type(inst)(inst.id, {**inst.data, "statement": "|- ( ph -> ph )"}, {})
    assert not source.solves(forged, "\n".join(inst.data["actions"]))


def test_mathqa_settings_and_evaluation_benchmarks_are_refused_on_metamath(char_dir, tmp_path,
                                                                           capsys):
    from mathgym.cli import main

    base = ["train", "--agent", "llm-grpo", "--budget", "4", "--device", "cpu",
            "--no-progress", "--config", f"model={char_dir}", "--config", "prompts_per_step=2",
            "--config", "num_generations=2"]
    for bench, extra, message in [
            ("metamath/train-quick", ["--config", "few_shot=2"], "no few-shot examples"),
            ("metamath/train-quick", ["--config", 'modules=["arithmetic__mul"]'], "modules"),
            ("formal/metamath-easy", [], "train on the Metamath training split "
                                         "metamath/train-quick"),
            ("metamath/train-big", [], "not a Metamath training split")]:
        assert main([*base, "--benchmark", bench, "--out", str(tmp_path / "x"), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.startswith("error:")
        assert not (tmp_path / "x" / "run.json").exists()


@needs_setmm
def test_mathgym_train_on_the_metamath_split_with_mm_search_trains_on_verified_proofs(
        lib, char_dir, tmp_path, monkeypatch):
    from mathgym.agents.llm.improve import metamath_search

    from mathgym.cli import main

    seen = []
    original = metamath_search.MetamathSearchImprover.improve

    def recording(self, prompts, responses, rewards, context):  # the real improver, observed
        out = original(self, prompts, responses, rewards, context)
        seen.extend((context.tasks[s.group], s) for s in out)
        return out

    monkeypatch.setattr(metamath_search.MetamathSearchImprover, "improve", recording)
    out = tmp_path / "run"
    argv = ["train", "--agent", "llm-grpo", "--benchmark", "metamath/train-quick",
            "--budget", "8", "--seed", "0", "--out", str(out), "--device", "cpu",
            "--no-progress", "--config", "preset=dr_grpo", "--config", f"model={char_dir}",
            "--config", "prompts_per_step=2", "--config", "num_generations=2",
            "--config", "max_new_tokens=4", "--config", "lora_r=2", "--config", "lora_alpha=4",
            "--config", "improver=mm_search",
            "--config", f'improver_options={{"max_nodes": {SPLIT.max_nodes}}}']
    assert main(argv) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["benchmark"] == "metamath/train-quick" and "difficulties" not in run
    assert run["split"] == json.loads(json.dumps(SPLIT.describe()))
    assert run["config"]["improver"] == "mm_search"
    block = json.loads((out / "training.json").read_text())
    assert block["finished"] and block["steps"] == 2 and block["training_samples"] == 8
    # every group of both steps got a target: the split's theorems have proofs the improver's
    # search finds within the split's own budget (from the conclusion, when no prefix helps)
    assert len(seen) == 4
    tok = char_tokenizer()
    for task, s in seen:
        text = tok.decode(list(s.completion_ids), skip_special_tokens=True)
        assert s.reward == 1.0 and text == "\n".join(s.info["actions"])
        assert env_reward(task.data["theorem"], text) == 1.0  # Metamath-v0: proved
    # a resumed run with the same command is accepted and does nothing more
    assert main([*argv, "--resume"]) == 0
