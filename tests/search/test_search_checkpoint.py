"""Resumable searches: chunked, checkpointed, killed and resumed runs equal one plain run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mathgym.agents.search import bfs, greedy_search, weighted_astar
from mathgym.agents.search.checkpoint import CHECKPOINT_NAME, load_meta, resumable_search
from mathgym.envs.ac.datasets import akbulut_kirby, miller_schupp, ms_max_relator_length

MS = miller_schupp()[400]  # greedy-unsolved at these budgets, so every run ends at its budget
MS_REL = MS.presentation.relators
MS_CAP = ms_max_relator_length(MS.n)


def _same(a, b) -> None:
    assert (a.solved, a.status, a.nodes, a.path, a.min_length) == (
        b.solved, b.status, b.nodes, b.path, b.min_length)


@pytest.mark.parametrize("symmetry", [False, True])
@pytest.mark.parametrize("algorithm", ["greedy", "wastar", "bfs"])
def test_chunked_and_resumed_equals_one_run(tmp_path: Path, algorithm: str, symmetry: bool):
    if algorithm == "greedy":
        reference = greedy_search(MS_REL, 60_000, MS_CAP, symmetry=symmetry)
    elif algorithm == "wastar":
        reference = weighted_astar(MS_REL, 60_000, MS_CAP, weight=0.5, symmetry=symmetry)
    else:
        reference = bfs(MS_REL, 60_000, MS_CAP, symmetry=symmetry)
    kwargs = dict(algorithm=algorithm, max_relator_length=MS_CAP, weight=0.5,
                  symmetry=symmetry, checkpoint_seconds=0)
    # first run stops at a smaller budget; the second resumes it with the full one
    first = resumable_search(MS_REL, tmp_path, 25_000, chunk_nodes=7_001, **kwargs)
    assert first.status == "budget" and 25_000 <= first.nodes <= 25_011
    assert load_meta(tmp_path / CHECKPOINT_NAME)["nodes"] == first.nodes
    resumed = resumable_search(MS_REL, tmp_path, 60_000, chunk_nodes=9_999, **kwargs)
    _same(resumed, reference)


def test_solved_search_resumes_to_the_same_path(tmp_path: Path) -> None:
    ak2 = akbulut_kirby(2).relators
    reference = greedy_search(ak2, 100_000, 7)
    assert reference.solved and len(reference.path) == 22
    first = resumable_search(ak2, tmp_path, 1_000, max_relator_length=7, checkpoint_seconds=0)
    assert not first.solved
    again = resumable_search(ak2, tmp_path, 100_000, max_relator_length=7, chunk_nodes=500)
    _same(again, reference)
    # a finished search is reported again, not continued past its solution
    _same(resumable_search(ak2, tmp_path, 100_000, max_relator_length=7), reference)


def test_a_search_stopped_at_its_budget_is_reported_again_under_the_same_budget(
        tmp_path: Path) -> None:
    first = resumable_search(MS_REL, tmp_path, 20_000, max_relator_length=MS_CAP)
    again = resumable_search(MS_REL, tmp_path, 20_000, max_relator_length=MS_CAP)
    _same(again, first)
    _same(again, greedy_search(MS_REL, 20_000, MS_CAP))


def test_should_stop_pauses_with_a_checkpoint(tmp_path: Path) -> None:
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) >= 2

    paused = resumable_search(MS_REL, tmp_path, 50_000, max_relator_length=MS_CAP,
                              chunk_nodes=5_000, should_stop=stop)
    assert paused.status == "paused" and 10_000 <= paused.nodes < 10_012
    assert load_meta(tmp_path / CHECKPOINT_NAME)["status"] == "paused"
    done = resumable_search(MS_REL, tmp_path, 50_000, max_relator_length=MS_CAP)
    _same(done, greedy_search(MS_REL, 50_000, MS_CAP))


def test_a_different_search_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    resumable_search(MS_REL, tmp_path, 1_000, max_relator_length=MS_CAP)
    with pytest.raises(ValueError, match="symmetry is False there and True here"):
        resumable_search(MS_REL, tmp_path, 2_000, max_relator_length=MS_CAP, symmetry=True)
    with pytest.raises(ValueError, match="max_relator_length is"):
        resumable_search(MS_REL, tmp_path, 2_000, max_relator_length=MS_CAP + 2)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        resumable_search(MS_REL, tmp_path, 2_000, algorithm="dfs")


def test_cli_survives_kill_9_and_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    budget = 1_500_000
    ckpt = tmp_path / "ckpt"
    cmd = [sys.executable, "-m", "mathgym", "ac-search", str(MS.presentation), "--cap",
           str(MS_CAP), "--budget", str(budget), "--checkpoint", str(ckpt), "--chunk", "100000",
           "--checkpoint-seconds", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (ckpt / CHECKPOINT_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    nodes_at_kill = load_meta(ckpt / CHECKPOINT_NAME)["nodes"]
    assert nodes_at_kill < budget
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    record = json.loads(done.stdout)
    assert record == json.loads((ckpt / "result.json").read_text())
    reference = greedy_search(MS_REL, budget, MS_CAP)
    assert (record["status"], record["nodes"], record["path"], record["min_length"]) == (
        reference.status, reference.nodes, reference.path, reference.min_length)


def test_an_unreadable_checkpoint_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="is not a readable search checkpoint"):
        resumable_search(MS_REL, tmp_path, 1_000, max_relator_length=MS_CAP)
