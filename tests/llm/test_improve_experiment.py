"""The issue-13 experiment driver (agents/llm/improve/experiment.py) end to end on the tiny random
Llama saved as a model directory: every method x seed trains in stages through ``mathgym
train``, each stage is evaluated on the held-out subset through ``mathgym eval``, and the
summary, Markdown table and PNGs are written; ``--resume`` redoes nothing and finishes an
interrupted stage; the staged run equals one uninterrupted ``mathgym train`` (metrics.csv up to
timing); bad flags are one ``error:`` line.

The tiny model never writes a boxed answer, so every reward is 0: these tests check the
machinery (folders, stream positions, bookkeeping, plots), not learning.
"""

from __future__ import annotations

import json

import pytest
import torch
from mathgym.agents.llm.grpo.metrics import read_metrics
from mathgym.agents.llm.improve import experiment as ex

tiny_lm = pytest.importorskip("tiny_lm")
torch.set_num_threads(1)

TIME_KEYS = {"time/sample", "time/train", "time/step", "time/cpu"}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-model")
    model, tokenizer = tiny_lm.build(0)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return str(path)


def _argv(tiny_dir, out, *extra):
    return ["--out", str(out), "--model", tiny_dir, "--device", "cpu", "--steps", "2",
            "--prompts", "2", "--group", "2", "--max-new-tokens", "3", "--few-shot", "1",
            "--evals", "2", "--heldout-per-module", "1",
            "--train-config", "lora_r=2", "--train-config", "lora_alpha=4", *extra]


@pytest.fixture(scope="module")
def finished(tiny_dir, tmp_path_factory):
    """Every method, one seed, one evaluation (the staging is tested below, on one method)."""
    out = tmp_path_factory.mktemp("exp") / "exp"
    assert ex.main(_argv(tiny_dir, out, "--seeds", "0", "--evals", "1")) == 0
    return out


def test_every_method_trains_and_is_evaluated(finished):
    out = finished
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["methods"]) == sorted(ex.METHODS)
    assert summary["heldout"]["instances"] == 2  # 1 per module, 2 modules
    for method, info in summary["methods"].items():
        assert info["seeds"] == [0]
        assert [c["samples"] for c in info["heldout"]] == [0, 8]  # untrained, then the run
        assert [s["step"] for s in info["steps"]] == [1, 2]
        assert info["final_pass@1"] == 0.0 and info["samples_to_target"] is None
        stage = ex.run_folder(out, method, 0) / "stage-8"
        block = json.loads((stage / "training.json").read_text())
        assert block["finished"] and block["training_samples"] == 8
        assert (stage / "heldout" / "results.json").is_file()
        run = json.loads((stage / "run.json").read_text())
        assert run["config"]["improver"] == (None if method == "plain" else
                                              method.split("_")[0])
        assert run["config"]["few_shot"] == 1 and run["budget"] == 8
    guided = json.loads((ex.run_folder(out, "guided_sequence", 0) / "stage-8" / "run.json")
                        .read_text())["config"]["improver_options"]
    assert guided["correction"] == "sequence" and guided["schedule"]["steps"] == 2
    table = (out / "summary.md").read_text()
    assert "| critique |" in table and "not reached" in table
    for png in ("curves.png", "samples_to_target.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stages_resume_and_equal_one_uninterrupted_train(tiny_dir, tmp_path, capsys):
    from mathgym.cli import main

    out = tmp_path / "exp"
    flags = ("--methods", "guided_token", "--seeds", "0")
    assert ex.main(_argv(tiny_dir, out, *flags)) == 0
    assert ex.main(_argv(tiny_dir, out, *flags)) == 2  # exists, no --resume
    assert "--resume" in capsys.readouterr().err
    root = ex.run_folder(out, "guided_token", 0)
    assert sorted(p.name for p in root.iterdir()) == ["stage-4", "stage-8"]
    stage = root / "stage-8"
    mtime = (stage / "training.json").stat().st_mtime_ns
    assert ex.main(_argv(tiny_dir, out, *flags, "--resume")) == 0
    assert (stage / "training.json").stat().st_mtime_ns == mtime  # nothing redone
    # interrupt the last stage: its training record and its evaluation's results are gone
    (stage / "training.json").unlink()
    (stage / "heldout" / "results.json").unlink()
    assert ex.main(_argv(tiny_dir, out, *flags, "--resume")) == 0
    assert json.loads((stage / "training.json").read_text())["finished"]
    assert (stage / "heldout" / "results.json").is_file()
    assert "train guided_token seed 0 to 8 samples (resumed)" in capsys.readouterr().err
    assert ex.main(_argv(tiny_dir, out, *flags, "--resume", "--few-shot", "2")) == 2
    assert "differs in: few_shot" in capsys.readouterr().err

    # the staged run is the uninterrupted `mathgym train --budget 8` (up to timing)
    straight = tmp_path / "straight"
    args = ex.parse_args(_argv(tiny_dir, out, *flags))
    assert main(ex.train_argv(args, "guided_token", 0, straight, 2, False)) == 0
    want, got = read_metrics(straight / "metrics.csv"), read_metrics(stage / "metrics.csv")
    assert len(want) == len(got) == 2
    for a, b in zip(want, got, strict=True):
        assert {k: v for k, v in a.items() if k not in TIME_KEYS} == \
            {k: v for k, v in b.items() if k not in TIME_KEYS}
    assert json.loads((straight / "run.json").read_text()) == \
        json.loads((stage / "run.json").read_text())
    a = json.loads((straight / "training.json").read_text())
    b = json.loads((stage / "training.json").read_text())
    assert a["adapter_sha256"] == b["adapter_sha256"] and a["steps"] == b["steps"] == 2

    # a seed may be added to a finished experiment; the held-out curve pools the seeds
    assert ex.main(_argv(tiny_dir, out, "--methods", "guided_token", "--seeds", "0,1",
                         "--resume")) == 0
    info = json.loads((out / "summary.json").read_text())["methods"]["guided_token"]
    assert info["seeds"] == [0, 1]
    assert [(c["samples"], c["instances"]) for c in info["heldout"]] == [(0, 4), (4, 4),
                                                                         (8, 4)]


@pytest.mark.parametrize("flags, message", [
    (["--methods", "plain,ppo"], "--methods"),
    (["--level", "7"], "--level"),
    (["--modules", "nope"], "--modules"),
    (["--group", "1"], "--group"),
    (["--evals", "5"], "at most one evaluation per step"),
    (["--train-config", "few_shot=3"], "set by the experiment's own flags"),
])
def test_bad_flags_are_one_error_line(tiny_dir, tmp_path, capsys, flags, message):
    assert ex.main(_argv(tiny_dir, tmp_path / "bad", *flags)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err, err
    assert not (tmp_path / "bad").exists()


def test_mcnemar_p_by_hand():
    # 3 discordant, 0 against: 2 * P[Bin(3, 1/2) <= 0] = 2/8
    assert ex.mcnemar_p(3, 0) == pytest.approx(0.25)
    assert ex.mcnemar_p(0, 3) == pytest.approx(0.25)
    # 21 vs 13: 2 * sum_{i<=13} C(34, i) / 2^34
    assert ex.mcnemar_p(21, 13) == pytest.approx(0.229481, abs=1e-6)
    assert ex.mcnemar_p(0, 0) == 1.0 and ex.mcnemar_p(5, 5) == 1.0


def test_paired_with_plain_counts_discordant_instances_per_seed():
    mine = {0: {"a": True, "b": False, "c": True}, 1: {"a": True, "b": True}, 2: {"a": True}}
    plain = {0: {"a": True, "b": True, "c": False}, 1: {"a": False, "b": True}}
    got = ex.paired_with(mine, plain)
    # seed 0: c only mine, b only plain; seed 1: a only mine; seed 2 has no plain run
    assert got == {"seeds": [0, 1], "only_this": 2, "only_plain": 1,
                   "mcnemar_p": pytest.approx(1.0)}
    assert ex.paired_with({3: {"a": True}}, plain) is None


def test_samples_to_reach_interpolates():
    assert ex.samples_to_reach([(0, 0.1), (100, 0.3)], 0.2) == pytest.approx(50.0)
    assert ex.samples_to_reach([(0, 0.25), (100, 0.3)], 0.2) == 0.0
    assert ex.samples_to_reach([(0, 0.0), (100, 0.1)], 0.2) is None


def test_parallel_jobs_give_the_same_runs(finished, tiny_dir, tmp_path):
    """``--jobs 2`` trains the pairs in two spawned processes; each pair's metrics (up to
    timing) and held-out records equal the sequential experiment's."""
    out = tmp_path / "par"
    argv = _argv(tiny_dir, out, "--seeds", "0", "--evals", "1", "--jobs", "2",
                 "--methods", "plain,critique")
    assert ex.main(argv) == 0
    assert "jobs" not in json.loads((out / "experiment.json").read_text())
    for method in ("plain", "critique"):
        ours = ex.run_folder(out, method, 0) / "stage-8"
        theirs = ex.run_folder(finished, method, 0) / "stage-8"
        strip = [{k: v for k, v in row.items() if k not in TIME_KEYS}
                 for row in read_metrics(ours / "metrics.csv")]
        assert strip == [{k: v for k, v in row.items() if k not in TIME_KEYS}
                         for row in read_metrics(theirs / "metrics.csv")]
        assert ex.heldout_counts(ours / "heldout") == ex.heldout_counts(theirs / "heldout")


def test_jobs_must_be_positive(tiny_dir, tmp_path, capsys):
    assert ex.main(_argv(tiny_dir, tmp_path / "x", "--jobs", "0")) == 2
    assert "--jobs 0" in capsys.readouterr().err


# ------------------------------------------------------------------ --family ac
def test_a_reasoning_experiments_identity_has_no_family_key():
    """A running MathQA experiment's experiment.json must still match on --resume: the AC
    additions leave a reasoning identity exactly as before (no ``family`` key)."""
    args = ex.parse_args(["--out", "x", "--seeds", "0", "--steps", "5", "--few-shot", "1"])
    doc = args.identity()
    assert "family" not in doc and args.methods == list(ex.METHODS)
    assert sorted(doc) == sorted(
        ["version", "methods", "seeds", "level", "modules", "model", "steps", "prompts",
         "group", "max_new_tokens", "few_shot", "evals", "heldout_per_module",
         "eval_temperature", "lambda_start", "target", "target_gain", "device",
         "train_config", "eval_config"])
    assert ex.train_argv(args, "plain", 0, ex.Path("f"), 5, False)[4] == \
        "reasoning/mathqa-train-l1"
    ac = ex.parse_args(["--out", "x", "--family", "ac"]).validate()
    assert ac.methods == list(ex.AC_DEFAULT_METHODS) and ac.identity()["family"] == "ac"
    assert not set(ex._MATHQA_ONLY) & set(ac.identity())
    with pytest.raises(ValueError, match="family ac"):
        ex.ExperimentArgs(out="x", family="ac").validate()  # critique is not an AC method


def test_family_ac_trains_on_the_ac_split_and_evaluates_on_ac_quick(tiny_dir, tmp_path):
    out = tmp_path / "exp"
    argv = ["--out", str(out), "--family", "ac", "--model", tiny_dir, "--device", "cpu",
            "--steps", "1", "--prompts", "2", "--group", "2", "--max-new-tokens", "3",
            "--evals", "1", "--seeds", "0", "--train-config", "lora_r=2",
            "--train-config", "lora_alpha=4"]
    assert ex.main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["methods"]) == ["ac_search", "plain"]
    assert summary["heldout"]["benchmark"] == "ac/quick"
    assert summary["heldout"]["instances"] == 10
    for method in ("plain", "ac_search"):
        stage = ex.run_folder(out, method, 0) / "stage-4"
        run = json.loads((stage / "run.json").read_text())
        assert run["benchmark"] == "ac/train-quick" and run["config"]["few_shot"] == 0
        assert run["split"]["id"] == "ac/train-quick"
        assert run["config"]["improver"] == (None if method == "plain" else "ac_search")
        assert (stage / "heldout" / "results.json").is_file()
    assert json.loads((out / "experiment.json").read_text())["family"] == "ac"
    assert ex.main([*argv, "--resume"]) == 0  # nothing left to do


def test_report_only_summarises_a_subset_without_training(finished, tiny_dir, capsys):
    """``--resume --report`` rewrites summary.* for the methods and seeds given and trains
    and evaluates nothing (the folders are untouched); without an experiment it is refused."""
    before = sorted(p for p in finished.rglob("*") if p.is_file() and "summary" not in p.name
                    and p.suffix != ".png" and p.name != "experiment.json")
    stamps = [p.stat().st_mtime_ns for p in before]
    argv = _argv(tiny_dir, finished, "--seeds", "0", "--evals", "1", "--resume", "--report",
                 "--methods", "plain,critique")
    assert ex.main(argv) == 0
    summary = json.loads((finished / "summary.json").read_text())
    assert sorted(summary["methods"]) == ["critique", "plain"]
    assert [p.stat().st_mtime_ns for p in before] == stamps
    assert ex.main(_argv(tiny_dir, finished.parent / "none", "--resume", "--report")) == 2
    assert "--report summarises an existing experiment" in capsys.readouterr().err
