"""``mathgym train --agent llm-grpo`` end to end on the tiny model (saved as a model directory):
a 2-step run writes the adapter (sha256), metrics, plot and training.json, ``--resume`` of a
finished run adds nothing, bad input is one ``error:`` line naming the fix, and the ``llm``
eval agent takes the adapter and records its sha256 and training samples.

Also: the training split is disjoint from every public MathQA benchmark, by seed and by
question text.
"""

from __future__ import annotations

import json

import pytest
import tiny_lm
from mathgym.agents.llm.common.lora import sha256_file
from mathgym.agents.llm.grpo.metrics import read_metrics
from mathgym.agents.llm.grpo.prompts import TRAIN_SEED, MathQAPrompts, benchmark_questions

from mathgym.cli import main

SMALL = ["--config", "prompts_per_step=2", "--config", "num_generations=2",
         "--config", "max_new_tokens=4", "--config", "lora_r=2", "--config", "lora_alpha=4"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-model")
    model, tokenizer = tiny_lm.build(0)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def _train(tiny_dir, out, *extra, budget="8"):
    return main(["train", "--agent", "llm-grpo", "--benchmark", "reasoning/mathqa-train-l1",
                 "--budget", budget, "--out", str(out), "--device", "cpu", "--no-progress",
                 "--config", f"model={tiny_dir}", *SMALL, *extra])


def test_train_resume_and_eval_with_the_adapter(tiny_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(tiny_dir, out) == 0
    block = json.loads((out / "training.json").read_text())
    assert block["steps"] == 2 and block["training_samples"] == 8 and block["finished"]
    sha = sha256_file(out / "adapter" / "adapter_model.safetensors")
    assert block["adapter_sha256"] == sha
    assert sha in capsys.readouterr().out
    assert [r["step"] for r in read_metrics(out / "metrics.csv")] == [1, 2]
    assert (out / "metrics.png").stat().st_size > 0 and (out / "checkpoint.pt").exists()
    assert _train(tiny_dir, out, "--resume") == 0  # finished: nothing more to do
    assert json.loads((out / "training.json").read_text())["steps"] == 2

    from mathgym.agents.llm.agent import LLMAgent

    from mathgym.harness.registry import get_benchmark

    agent = LLMAgent(model=str(tiny_dir), adapter=str(out / "adapter"), max_new_tokens=4)
    assert agent.config["adapter_sha256"] == sha and agent.config["training_samples"] == 8
    bench = get_benchmark("reasoning/mathqa-quick")
    attempt = agent.attempt(bench, bench.instances[0], 1, 0)
    assert attempt.cost == 1.0
    with pytest.raises(ValueError, match="changed"):
        LLMAgent(model=str(tiny_dir), adapter=str(out / "adapter"), adapter_sha256="0" * 64)
    assert "adapter" not in LLMAgent(model=str(tiny_dir)).config  # untrained: no such keys


@pytest.mark.parametrize("args, message", [
    (["--budget", "7"], "multiple of prompts_per_step x num_generations = 4"),
    (["--config", "loss_type=ppo"], "loss_type"),
    (["--config", "lr=1"], "not a setting of llm-grpo"),
    (["--config", "num_generations=1"], "at least 2 completions"),
    (["--config", "learning_rate=fast"], "expected a float"),
    (["--device", "cuda:0"], "CUDA"),
    (["--config", "few_shot=9"], "few_shot=9"),
    (["--config", "few_shot=true"], "few_shot=True"),
])
def test_bad_input_is_one_error_line(tiny_dir, tmp_path, capsys, args, message):
    argv = ["train", "--agent", "llm-grpo", "--benchmark", "reasoning/mathqa-train-l1",
            "--budget", "8", "--out", str(tmp_path / "bad"), "--no-progress",
            "--config", f"model={tiny_dir}", *SMALL]
    if args[0] in ("--budget", "--device"):
        at = argv.index(args[0]) if args[0] in argv else None
        if at is not None:
            argv[at + 1] = args[1]
        else:
            argv += args
    else:
        argv += args
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err, err


def test_evaluation_benchmarks_and_reused_folders_are_refused(tiny_dir, tmp_path, capsys):
    assert main(["train", "--agent", "llm-grpo", "--benchmark", "reasoning/mathqa-l1",
                 "--budget", "8", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "reasoning/mathqa-train-l1" in capsys.readouterr().err
    out = tmp_path / "run"
    assert _train(tiny_dir, out) == 0
    assert _train(tiny_dir, out) == 2  # without --resume
    assert "--resume" in capsys.readouterr().err
    assert _train(tiny_dir, out, "--resume", "--config", "learning_rate=0.5") == 2
    assert "differs in: config" in capsys.readouterr().err


def test_the_training_split_is_disjoint_from_every_benchmark():
    from mathgym.agents.llm.agent import FEW_SHOT_SEED
    from mathgym.envs.reasoning.benchmarks import BENCHMARK_SEED

    assert TRAIN_SEED not in (BENCHMARK_SEED, FEW_SHOT_SEED)
    with pytest.raises(ValueError, match="benchmarks' problem stream"):
        MathQAPrompts(None, seed=BENCHMARK_SEED, exclude_benchmarks=False)
    every = benchmark_questions((1, 2, 3, 4, 5))
    for level in (1, 3):
        split = MathQAPrompts(None, difficulties=(level,))
        questions = [split.problem(k).question for k in range(3 * len(split.modules))]
        assert not set(questions) & every
        assert len(set(questions)) > 0.9 * len(questions)  # a stream, not one problem


def test_few_shot_training_prompts_are_the_eval_agents_chat():
    """``--config few_shot=K`` trains on exactly the chat ``mathgym eval --agent llm --config
    few_shot=K`` shows: K solved examples of the module from the few-shot stream, boxed."""
    from mathgym.agents.llm.agent import LLMAgent

    split = MathQAPrompts(None, modules=["numbers__is_prime"], few_shot=2)
    problem = split.problem(0)
    chat = split.messages(problem)
    data = {"module": problem.module, "difficulty": problem.difficulty,
            "question": problem.question, "answer_type": problem.answer_type,
            "spec": problem.spec}
    assert chat == LLMAgent(few_shot=2).mathqa_messages(data)
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user", "assistant",
                                         "user"]
    assert chat[2]["content"].startswith("\\boxed{") and chat[4]["content"].endswith("}")
    assert problem.question not in (chat[1]["content"], chat[3]["content"])
    assert MathQAPrompts(None, modules=["numbers__is_prime"]).messages(problem)[1]["role"] == "user"
