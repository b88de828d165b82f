"""``python -m mathgym.bench grpo`` on the tiny Llama: config validation, the task's reward, and
the JSON's shape with all three measurements run (TRL, ours, the sampler). No timing asserts."""

from __future__ import annotations

import pytest
import torch

tiny_lm = pytest.importorskip("tiny_lm")
pytest.importorskip("trl")

from mathgym.bench import SUITES  # noqa: E402
from mathgym.bench import grpo as bench  # noqa: E402


def test_registered_as_a_suite():
    assert "grpo" in SUITES


@pytest.mark.parametrize("argv, field", [
    (["--group", "1"], "--group"),
    (["--prompts", "0"], "--prompts"),
    (["--steps", "0"], "--steps"),
    (["--warmup", "-1"], "--warmup"),
    (["--loss-type", "ppo"], "--loss-type"),
    (["--temperature", "0"], "--temperature"),
    (["--sides", "trl,vllm"], "--sides"),
])
def test_bad_config_names_the_flag(argv, field):
    with pytest.raises(ValueError, match=field):
        bench.parse_args(argv)


def test_defaults_are_the_issue_config():
    cfg = bench.parse_args([])
    assert (cfg.prompts, cfg.group, cfg.max_new_tokens, cfg.loss_type, cfg.threads) == (
        4, 4, 24, "dr_grpo", 2)
    assert cfg.steps >= 3 and cfg.warmup >= 1


def test_addition_reward_reads_the_first_integer_only():
    assert bench.addition_reward("42", 42) == 1.0
    assert bench.addition_reward("The answer is 42.", 42) == 1.0
    assert bench.addition_reward("-7", -7) == 1.0
    assert bench.addition_reward("41 or 42", 42) == 0.0
    assert bench.addition_reward("forty-two", 42) == 0.0
    assert bench.addition_reward("__import__('os')", 0) == 0.0


def test_tasks_are_seeded_and_correct():
    tasks = bench.addition_tasks(5, seed=3)
    assert tasks == bench.addition_tasks(5, seed=3)
    assert tasks != bench.addition_tasks(5, seed=4)
    for question, answer in tasks:
        a, b = (int(x) for x in question.split("What is ")[1].split("?")[0].split(" + "))
        assert a + b == answer and 1 <= a <= 99 and 1 <= b <= 99


def test_json_shape_on_the_tiny_model(tmp_path):
    model, tokenizer = tiny_lm.build(seed=0)
    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    threads = torch.get_num_threads()
    try:
        report = bench.main(["--model", str(tmp_path / "tiny"), "--prompts", "2", "--group",
                             "2", "--max-new-tokens", "4", "--steps", "2", "--warmup", "1",
                             "--threads", "1", "--sampler-runs", "1"])
    finally:
        torch.set_num_threads(threads)
    assert report["config"]["rows_per_step"] == 4
    assert set(report["machine"]) >= {"loadavg_before", "loadavg_after", "torch_threads"}
    for side in ("trl", "ours"):
        r = report[side]
        assert len(r["step_seconds"]) == 3  # warmup + steps
        assert r["seconds_per_step"] > 0 and r["cpu_seconds_per_step"] > 0
        assert len(r["step_cpu_seconds"]) == 3
        assert 0.0 <= r["reward_mean"] <= 1.0
        assert r["per_step"]
    assert report["ratio_vs_trl"] == pytest.approx(
        report["ours"]["seconds_per_step"] / report["trl"]["seconds_per_step"], abs=1e-3)
    assert report["cpu_ratio_vs_trl"] == pytest.approx(
        report["ours"]["cpu_seconds_per_step"] / report["trl"]["cpu_seconds_per_step"], abs=1e-3)
    s = report["sampler"]
    assert s["rows"] == 4
    for side in ("ours", "generate"):
        assert 4 <= s[side]["tokens"] <= s[side]["row_steps"] <= 4 * 4
    assert report["differences"]


def test_report_statistics_known_values():
    from mathgym.bench import grpo_report as rep

    lo, hi = rep.wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1.959964**2 / (10 + 1.959964**2), abs=1e-9)
    assert rep.wilson(5, 10)[0] == pytest.approx(1 - rep.wilson(5, 10)[1], abs=1e-12)
    assert rep.mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert rep.mcnemar_exact(3, 3) == 1.0
    same = [True, False, False, True]
    assert rep.paired_bootstrap(same, same, 200) == (0.0, 0.0)
    assert rep.paired_bootstrap([False] * 5, [True] * 5, 200) == (1.0, 1.0)
