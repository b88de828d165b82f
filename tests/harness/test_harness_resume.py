"""Crash safety: kill -9 in the middle of a multi-worker run, then ``--resume``.

The resumed run must finish with exactly one record per (instance, seed), never redo a logged
attempt, and report the same records and metrics as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import harness_toy_plugin
import pytest

from mathgym.harness.results import ResultsError, read_results
from mathgym.harness.runner import EvalConfig, evaluate

ARGS = ["--benchmark", "toy/count", "--agent", "toy-walker", "--budget", "8",
        "--seeds", "0", "1", "--config", "sleep=0.15"]


@pytest.fixture(autouse=True)
def _toy(monkeypatch):
    harness_toy_plugin.activate(monkeypatch)


def _log_records(path):
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "header"
    return [json.loads(line) for line in lines[1:]]


def _config(out, **kw):
    base = dict(benchmark="toy/count", agent="toy-walker", out=out, budget=8, seeds=[0, 1],
                agent_config={"sleep": 0.15}, progress=False)
    base.update(kw)
    return EvalConfig(**base)


def test_kill_9_then_resume_gives_one_record_each_and_same_metrics(tmp_path):
    out = tmp_path / "killed"
    log = out / "attempts.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mathgym.cli", "eval", *ARGS, "--workers", "2", "--no-progress",
         "--out", str(out)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if log.exists() and len(log.read_text().splitlines()) >= 1 + 6:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        else:
            pytest.fail("the run did not log 6 attempts within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its pool workers, like kill -9
        proc.wait(timeout=30)
    before = _log_records(log)
    assert 6 <= len(before) < 24, "the kill must land mid-run"
    assert not (out / "results.json").exists()
    with open(log, "a") as fh:  # a torn line, as if the kill hit mid-write
        fh.write('{"type": "record", "instance": "t0')

    resumed = evaluate(_config(out, workers=2, resume=True))
    after = _log_records(log)
    keys = [(r["instance"], r["seed"]) for r in after]
    assert len(keys) == len(set(keys)) == 24
    assert after[: len(before)] == before  # nothing logged before the kill was redone
    assert resumed["run"]["resumed_records"] == len(before)
    pairs = [(r["instance"], r["seed"]) for r in resumed["results"]]
    assert len(pairs) == len(set(pairs)) == 24

    clean = evaluate(_config(tmp_path / "clean", workers=2))
    assert harness_toy_plugin.strip_timing(resumed["results"]) == \
        harness_toy_plugin.strip_timing(clean["results"])
    assert resumed["metrics"] == clean["metrics"]
    assert read_results(out)["metrics"] == clean["metrics"]

    # resuming a finished run redoes nothing
    again = evaluate(_config(out, workers=2, resume=True))
    assert len(_log_records(log)) == 24 and again["metrics"] == clean["metrics"]


def test_resume_with_other_settings_and_reuse_without_resume_are_refused(tmp_path):
    evaluate(_config(tmp_path, agent_config={}, backend="inline"))
    with pytest.raises(ResultsError, match="differs in: budget"):
        evaluate(_config(tmp_path, agent_config={}, budget=9, resume=True))
    with pytest.raises(ResultsError, match="already exists; pass --resume"):
        evaluate(_config(tmp_path, agent_config={}))


def test_limit_and_instances_select_subsets(tmp_path):
    doc = evaluate(_config(tmp_path / "a", agent_config={}, limit=3, backend="inline"))
    assert doc["instances"] == ["t01", "t02", "t03"] and len(doc["results"]) == 6
    doc = evaluate(_config(tmp_path / "b", agent_config={}, instances=["t09", "t04"],
                           backend="inline"))
    assert doc["instances"] == ["t04", "t09"]
    with pytest.raises(ValueError, match=r"no instance\(s\) \['t99'\]"):
        evaluate(_config(tmp_path / "c", agent_config={}, instances=["t99"]))


def test_a_worker_that_dies_is_recorded_and_the_rest_of_the_run_is_unaffected(tmp_path):
    crashed = evaluate(_config(tmp_path / "crash", agent_config={"crash": "t03"}, workers=2))
    clean = evaluate(_config(tmp_path / "clean", agent_config={"crash": "t03"},
                             instances=[f"t{i:02d}" for i in range(1, 13) if i != 3],
                             backend="inline"))
    bad = [r for r in crashed["results"] if r["instance"] == "t03"]
    assert len(bad) == 2 and all("worker process died" in r["error"] for r in bad)
    rest = [r for r in crashed["results"] if r["instance"] != "t03"]
    strip = harness_toy_plugin.strip_timing
    assert strip(rest) == strip(clean["results"])


def test_a_hung_attempt_times_out_and_the_others_are_unaffected(tmp_path):
    cfg = dict(agent_config={"hang": "t05"}, instances=["t04", "t05", "t06", "t07"])
    hung = evaluate(_config(tmp_path / "hung", workers=2, attempt_timeout=2.0, **cfg))
    clean = evaluate(_config(tmp_path / "clean", backend="inline",
                             **{**cfg, "instances": ["t04", "t06", "t07"]}))
    bad = [r for r in hung["results"] if r["instance"] == "t05"]
    assert len(bad) == 2 and all("timed out after 2 s" in r["error"] for r in bad)
    strip = harness_toy_plugin.strip_timing
    assert strip([r for r in hung["results"] if r["instance"] != "t05"]) == \
        strip(clean["results"])
    with pytest.raises(ValueError, match="needs the multiprocessing backend"):
        evaluate(_config(tmp_path / "x", backend="inline", attempt_timeout=1.0))
