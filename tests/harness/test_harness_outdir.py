"""One writer per ``--out`` (mathgym issue 10, class 6).

Reported: two ``mathgym eval --resume`` runs on one ``--out`` both exited 0, leaving duplicate
records and a torn line, after which every ``--resume`` failed; an ``--out`` holding another
benchmark's ``results.json`` was reused silently; a read-only ``--out`` gave a traceback.
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
from mathgym.envs.reasoning.benchmarks import MATHQA_VERSION

from mathgym.harness.outdir import LOCK_NAME, OutDirError, OutDirLock
from mathgym.harness.results import ResultsError, read_results
from mathgym.harness.runner import EvalConfig, evaluate

SLOW = ["--benchmark", "toy/count", "--agent", "toy-walker", "--budget", "8", "--seeds", "0",
        "1", "--config", "sleep=0.2", "--no-progress"]


@pytest.fixture(autouse=True)
def _toy(monkeypatch):
    harness_toy_plugin.activate(monkeypatch)


def _start(out, *extra):
    return subprocess.Popen([sys.executable, "-m", "mathgym.cli", "eval", *SLOW, *extra,
                             "--out", str(out)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for_records(log, n, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 1 + n:
            return
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    pytest.fail(f"the run did not log {n} attempts in {seconds} s")


def _cli(out, *args):
    return subprocess.run([sys.executable, "-m", "mathgym.cli", "eval", *args, "--out",
                           str(out)], capture_output=True, text=True, timeout=300)


def _records(log):
    return [json.loads(line) for line in log.read_text().splitlines()[1:]]


def test_regression_a_second_resume_on_a_busy_out_is_refused_and_the_first_finishes(tmp_path):
    out = tmp_path / "run"
    first = _start(out)
    try:
        _wait_for_records(out / "attempts.jsonl", 2, first)
        second = _cli(out, *SLOW, "--resume")
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert second.stderr.startswith(f"error: {out} is in use by another mathgym run "
                                        f"(pid {first.pid})"), second.stderr
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    recs = _records(out / "attempts.jsonl")
    keys = [(r["instance"], r["seed"]) for r in recs]
    assert len(keys) == len(set(keys)) == 24
    assert read_results(out)["metrics"]["num_records"] == 24


def test_kill_9_frees_the_lock_and_resume_drops_a_torn_line_with_a_warning(tmp_path):
    out = tmp_path / "run"
    proc = _start(out, "--workers", "2")
    try:
        _wait_for_records(out / "attempts.jsonl", 3, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    before = _records(out / "attempts.jsonl")
    with open(out / "attempts.jsonl", "a") as fh:
        fh.write('{"type": "record", "instance": "t1')  # torn by the kill
    again = _cli(out, *SLOW, "--resume", "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert "dropped a torn last line (it has no end of line" in again.stderr
    after = _records(out / "attempts.jsonl")
    assert after[: len(before)] == before and len(after) == 24
    assert again.stderr.count("warning: ") == 1


def test_a_torn_line_that_ends_in_a_newline_is_dropped_too(tmp_path):
    cfg = dict(benchmark="toy/count", agent="toy-walker", budget=8, backend="inline",
               progress=False, limit=2)
    evaluate(EvalConfig(out=tmp_path, **cfg))
    log = tmp_path / "attempts.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]) + lines[-1][:20] + "\n")
    doc = evaluate(EvalConfig(out=tmp_path, resume=True, **cfg))
    assert doc["run"]["resumed_records"] == 1 and len(doc["results"]) == 2


def test_a_corrupt_middle_line_is_reported_not_dropped(tmp_path):
    cfg = dict(benchmark="toy/count", agent="toy-walker", budget=8, backend="inline",
               progress=False, limit=3)
    evaluate(EvalConfig(out=tmp_path, **cfg))
    log = tmp_path / "attempts.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    lines[1] = '{"torn": \n'
    log.write_text("".join(lines))
    with pytest.raises(ResultsError, match=r"attempts.jsonl:2: not strict JSON.*corrupt in the "
                                           "middle"):
        evaluate(EvalConfig(out=tmp_path, resume=True, **cfg))


def test_the_lock_is_exclusive_names_the_holder_and_is_released(tmp_path):
    with OutDirLock(tmp_path) as held:
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        with pytest.raises(OutDirError, match=rf"in use by another mathgym run \(pid "
                                              rf"{os.getpid()}\)"):
            OutDirLock(tmp_path).acquire()
        assert held.fd is not None
    OutDirLock(tmp_path).acquire().release()  # free again


def test_an_in_process_eval_on_a_locked_out_is_refused_before_writing(tmp_path):
    with OutDirLock(tmp_path):
        with pytest.raises(OutDirError, match="in use by another mathgym run"):
            evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=tmp_path,
                                backend="inline", progress=False, limit=1))
    assert not (tmp_path / "attempts.jsonl").exists()


def test_regression_an_out_holding_another_benchmarks_results_is_refused(tmp_path):
    out = tmp_path / "run"
    evaluate(EvalConfig(benchmark="reasoning/mathqa-quick", agent="oracle-sympy", out=out,
                        backend="inline", progress=False, limit=1))
    (out / "attempts.jsonl").unlink()  # only the other run's results.json is left
    for resume in (False, True):
        with pytest.raises(OutDirError) as err:
            evaluate(EvalConfig(benchmark="toy/count", agent="toy-walker", out=out,
                                resume=resume, backend="inline", progress=False, limit=1))
        other = f"holds the results of another run (reasoning/mathqa-quick@{MATHQA_VERSION}"
        assert ("already exists" in str(err.value)) if not resume else (
            other in str(err.value) and "benchmark" in str(err.value))
    assert read_results(out)["benchmark"]["id"] == "reasoning/mathqa-quick"


@pytest.mark.parametrize("change, differs", [
    ({"agent_config": {"sleep": 0.01}}, "agent"),
    ({"budget": 9}, "budget"),
    ({"seeds": [0, 1]}, "seeds"),
])
def test_resume_into_results_of_another_agent_config_budget_or_seeds_is_refused(
        tmp_path, change, differs):
    base = dict(benchmark="toy/count", agent="toy-walker", out=tmp_path, budget=8,
                backend="inline", progress=False, limit=1)
    evaluate(EvalConfig(**base))
    (tmp_path / "attempts.jsonl").unlink()
    with pytest.raises(OutDirError, match=rf"differs in: {differs}"):
        evaluate(EvalConfig(**{**base, **change, "resume": True}))


def test_resume_of_a_finished_run_with_only_its_results_is_allowed(tmp_path):
    base = dict(benchmark="toy/count", agent="toy-walker", out=tmp_path, budget=8,
                backend="inline", progress=False, limit=2)
    first = evaluate(EvalConfig(**base))
    (tmp_path / "attempts.jsonl").unlink()
    again = evaluate(EvalConfig(**base, resume=True))
    assert again["metrics"] == first["metrics"]


@pytest.mark.parametrize("where", ["file", "sys", "proc"])
def test_unwritable_outs_give_one_error_line_and_exit_2(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = {"file": blocker / "sub", "sys": "/sys/mathgym-test-out",
           "proc": "/proc/mathgym-test-out"}[where]
    proc = _cli(out, "--benchmark", "toy/count", "--agent", "toy-walker", "--limit", "1",
                "--no-progress")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write the run to {out}: ")
