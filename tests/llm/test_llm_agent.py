"""The `llm` harness agent on a tiny random Llama saved as a Hub-format directory: its records on a
2-instance MathQA subset verify through the harness, sampling is deterministic in (instance,
budget, seed, config), pass@k costs k samples, a rewarded completion becomes a verified solved
record, AC paths are parsed by plain string code and costed per move, and bad config is a clear
error."""

from __future__ import annotations

import pytest
import torch

tiny_lm = pytest.importorskip("tiny_lm")

from mathgym.agents.llm.agent import FEW_SHOT_SEED, LLMAgent, parse_move_ids  # noqa: E402
from mathgym.agents.llm.common.model import load_policy  # noqa: E402

from mathgym.harness.registry import get_agent, get_benchmark  # noqa: E402
from mathgym.harness.runner import run_attempt  # noqa: E402

torch.set_num_threads(1)
MATHQA = "reasoning/mathqa-quick"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    model, tokenizer = tiny_lm.build(seed=0)
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return str(path)


@pytest.fixture(scope="module")
def mathqa():
    bench = get_benchmark(MATHQA)
    return bench, list(bench.instances)[:2]


def test_load_policy_reads_a_local_directory_and_names_make_setup_when_missing(tiny_dir,
                                                                            tmp_path):
    model, tokenizer = load_policy(tiny_dir, device="cpu")
    assert type(model).__name__ == "LlamaForCausalLM" and not model.training
    assert tokenizer.padding_side == "left" and tokenizer.pad_token_id == tiny_lm.PAD
    with pytest.raises(FileNotFoundError, match="make setup"):
        load_policy(str(tmp_path / "nothing-here"))
    with pytest.raises(ValueError, match="dtype"):
        load_policy(tiny_dir, dtype="float16")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            load_policy(tiny_dir, device="cuda")


def test_records_on_a_mathqa_subset_verify_and_reproduce(tiny_dir, mathqa):
    bench, instances = mathqa
    agent = get_agent("llm", model=tiny_dir, device="cpu", temperature=0.8, samples=2,
                      max_new_tokens=6, few_shot=1)
    assert agent.supports(bench)
    records = [run_attempt(bench, agent, inst, 3, seed=0) for inst in instances]
    for rec in records:
        assert rec["error"] is None, rec
        assert rec["solved"] is False and rec["cost"] == 2.0
        assert rec["info"]["samples"] == 2
    again = LLMAgent(model=tiny_dir, device="cpu", temperature=0.8, samples=2, max_new_tokens=6,
                     few_shot=1)
    assert [run_attempt(bench, again, inst, 3, seed=0)["info"] for inst in instances] == [
        r["info"] for r in records]
    one = run_attempt(bench, agent, instances[0], 1, seed=0)
    assert one["cost"] == 1.0  # pass@k never spends more than the budget


def test_a_rewarded_completion_is_a_verified_solved_record(tiny_dir, mathqa, monkeypatch):
    from mathgym.envs.reasoning.benchmarks import instance_problem

    bench, instances = mathqa
    answer = instance_problem(instances[0]).answer  # test side only: the agent never sees it
    agent = LLMAgent(model=tiny_dir, device="cpu", temperature=1.0, samples=3)
    agent._last_tokens, agent._last_truncated = 0, 0
    monkeypatch.setattr(agent, "_complete", lambda messages, k, parts: [
        "no idea", f"so it is \\boxed{{{answer}}}", "\\boxed{0}"][:k])
    rec = run_attempt(bench, agent, instances[0], 3, seed=0)
    assert rec["error"] is None and rec["claimed"] is True and rec["solved"] is True
    assert rec["certificate"] == f"so it is \\boxed{{{answer}}}"
    assert rec["cost"] == 3.0 and rec["info"]["solved_by"] == 1


def test_few_shot_comes_from_the_training_stream(tiny_dir, mathqa):
    from mathgym.envs.reasoning import generate

    bench, instances = mathqa
    data = dict(bench.public_view(instances[0]).data)
    messages = LLMAgent(model=tiny_dir, few_shot=2).mathqa_messages(data)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user",
                                             "assistant", "user"]
    first = generate(data["module"], data["difficulty"], FEW_SHOT_SEED, 0)
    assert messages[1]["content"] == first.question
    assert messages[2]["content"] == f"\\boxed{{{first.answer}}}"
    assert messages[-1]["content"].startswith(data["question"])
    assert "boxed" in messages[0]["content"]


def test_ac_paths_are_parsed_played_and_costed_per_move(tiny_dir, monkeypatch):
    bench = get_benchmark("ac/quick")
    inst = list(bench.instances)[0]
    agent = LLMAgent(model=tiny_dir, device="cpu", max_new_tokens=8)
    assert agent.supports(bench)
    rec = run_attempt(bench, agent, inst, 100, seed=0)
    assert rec["error"] is None and rec["solved"] is False
    assert rec["cost"] <= 8
    agent._last_tokens, agent._last_truncated = 0, 0
    monkeypatch.setattr(agent, "_complete", lambda messages, k, parts: ["[1, 2, 3, 4]"])
    assert run_attempt(bench, agent, inst, 100, seed=0)["cost"] == 4.0
    assert run_attempt(bench, agent, inst, 2, seed=0)["cost"] == 2.0


def test_parse_move_ids_is_plain_string_code():
    assert parse_move_ids("moves: [3, 0, 11]", 12) == [3, 0, 11]
    assert parse_move_ids("try \\boxed{1,2} or [5]", 12) == [1, 2]
    assert parse_move_ids("4 then 5 then 99 then 6", 12) == [4, 5]
    assert parse_move_ids("__import__('os')", 12) == []


def test_unsupported_families_and_bad_config(tiny_dir):
    agent = LLMAgent(model=tiny_dir)
    assert not agent.supports(get_benchmark("reasoning/progsynth-quick"))
    with pytest.raises(ValueError, match="temperature"):
        LLMAgent(samples=4)
    with pytest.raises(ValueError, match="top_p"):
        LLMAgent(top_p=0)
    with pytest.raises(ValueError, match="few_shot"):
        LLMAgent(few_shot=-1)
    with pytest.raises(ValueError, match="max_new_tokens"):
        LLMAgent(max_new_tokens="96")


def test_every_answer_type_has_a_prompt_form():
    from mathgym.agents.llm.agent import answer_form
    from mathgym.envs.reasoning.mathqa_env import _TYPE_NOUN

    for answer_type in _TYPE_NOUN:
        form = answer_form({"answer_type": answer_type, "spec": {"base": 16}})
        assert form and "{base}" not in form
    assert answer_form({"answer_type": "set", "spec": {}}) == "a set such as {1, 2}"
    assert answer_form({"answer_type": "base_n", "spec": {"base": 7}}) == "a numeral in base 7"


# -- several adapters on one base, switched per request ------------------------------------
def _saved_adapter(tiny_dir, out, seed):
    """A real peft adapter of the tiny model with seeded non-zero B (so it changes outputs),
    saved as `mathgym train` saves one (weights + sha256)."""
    from mathgym.agents.llm.common.lora import save_adapter, wrap_lora

    model, _ = load_policy(tiny_dir, device="cpu")
    model = wrap_lora(model, r=2, alpha=4, seed=seed)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(2.0 * torch.randn(p.shape, generator=g))
    save_adapter(model, out, {"training_samples": 0})
    return str(out)


@pytest.fixture(scope="module")
def two_adapters(tiny_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("adapters")
    return _saved_adapter(tiny_dir, root / "a", 1), _saved_adapter(tiny_dir, root / "b", 2)


def test_adapters_switch_per_request_and_answer_as_each_adapter_alone(tiny_dir, mathqa,
                                                                     two_adapters):
    from mathgym.agents.llm.common.lora import sha256_file

    bench, instances = mathqa
    a, b = two_adapters
    kw = dict(model=tiny_dir, device="cpu", temperature=0.8, samples=2, max_new_tokens=6)
    # instance 0 by its family, instance 1 by its id (the more specific key wins)
    routed = LLMAgent(**kw, adapters={"a": a, "b": b},
                      route={"reasoning": "a", instances[1].id: "b"})
    assert routed.config["adapter_sha256s"] == {
        "a": sha256_file(f"{a}/adapter_model.safetensors"),
        "b": sha256_file(f"{b}/adapter_model.safetensors")}
    alone = {"a": LLMAgent(**kw, adapter=a), "b": LLMAgent(**kw, adapter=b),
             "base": LLMAgent(**kw)}
    texts: dict[str, list[list[str]]] = {"a": [], "b": [], "base": []}
    for name in ("a", "b", "base"):
        for inst in instances:
            messages = alone[name].mathqa_messages(dict(inst.data))
            texts[name].append(alone[name]._complete(messages, 2, (0, inst.id)))
    assert texts["a"] != texts["b"] and texts["a"] != texts["base"]  # they really differ
    for j, (inst, name) in enumerate(zip(instances, ("a", "b"), strict=True)):
        assert routed.route_for(bench, inst) == name
        rec = run_attempt(bench, routed, inst, 2, seed=0)
        assert rec["error"] is None, rec
        assert rec["info"]["adapter"] == name
        assert rec["info"]["adapter_sha256"] == routed.config["adapter_sha256s"][name]
        single = run_attempt(bench, alone[name], inst, 2, seed=0)
        assert {k: v for k, v in rec["info"].items() if not k.startswith("adapter")} == \
            single["info"]
        bank, _ = routed.bank()
        bank.use(name)  # the switched model's own completions, token for token
        messages = routed.mathqa_messages(dict(inst.data))
        assert routed._complete(messages, 2, (0, inst.id)) == texts[name][j]
    # back and forth: a third request to "a" after "b" still answers as "a"
    assert run_attempt(bench, routed, instances[0], 2, seed=0)["info"]["adapter"] == "a"
    assert routed._complete(routed.mathqa_messages(dict(instances[0].data)), 2,
                            (0, instances[0].id)) == texts["a"][0]
    # "base" disables every adapter: the untrained model's answers
    based = LLMAgent(**kw, adapters={"a": a}, route={"*": "base"})
    rec = run_attempt(bench, based, instances[0], 2, seed=0)
    assert rec["info"]["adapter"] == "base" and rec["info"]["adapter_sha256"] is None
    assert {k: v for k, v in rec["info"].items() if not k.startswith("adapter")} == \
        run_attempt(bench, alone["base"], instances[0], 2, seed=0)["info"]
    # one adapter needs no route; the config reproduces the agent
    one = LLMAgent(**kw, adapters={"a": a})
    assert one.config["route"] == {"*": "a"}
    assert LLMAgent(**routed.config).config == routed.config
    assert "adapters" not in alone["base"].config and "route" not in alone["a"].config


def test_bad_adapters_config_is_a_clear_error(tiny_dir, mathqa, two_adapters):
    bench, instances = mathqa
    a, b = two_adapters
    with pytest.raises(ValueError, match="need a route"):
        LLMAgent(model=tiny_dir, adapters={"a": a, "b": b})
    with pytest.raises(ValueError, match="not both"):
        LLMAgent(model=tiny_dir, adapter=a, adapters={"a": a})
    with pytest.raises(ValueError, match="is not an adapter"):
        LLMAgent(model=tiny_dir, adapters={"a": a}, route={"*": "c"})
    with pytest.raises(ValueError, match="base model"):
        LLMAgent(model=tiny_dir, adapters={"base": a})
    with pytest.raises(ValueError, match="changed since"):
        LLMAgent(model=tiny_dir, adapters={"a": a}, adapter_sha256s={"a": "0" * 64})
    with pytest.raises(ValueError, match="need adapters"):
        LLMAgent(model=tiny_dir, route={"*": "a"})
    with pytest.raises(FileNotFoundError, match="not a LoRA adapter directory"):
        LLMAgent(model=tiny_dir, adapters={"a": tiny_dir})
    agent = LLMAgent(model=tiny_dir, adapters={"a": a, "b": b}, route={"ac": "a"})
    with pytest.raises(ValueError, match="no route for instance"):
        agent.route_for(bench, instances[0])
