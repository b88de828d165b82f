"""Expert iteration (agents/search/expert_iteration): BFS shortening gives shorter verified
paths; two tiny rounds through `mathgym train` finish, every round file passes `mathgym
submit`'s verification, fold hygiene holds, and kill -9 during round 2 then --resume ends in
the same round files as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mathgym.agents.search.api import greedy_search
from mathgym.agents.search.expert_iteration.config import Args
from mathgym.agents.search.expert_iteration.shorten import shorten_path
from mathgym.agents.search.guided.net import load_checkpoint
from mathgym.agents.search.supermoves.corpus import ROOT, fold_of
from mathgym.envs.ac.benchmarks import ms1190
from mathgym.leaderboards.submit import read_submission, verify_results
from mathgym.verifiers.ac import verify_ac_path

#: 20 presentations of ac/ms1190, 1000 nodes per search, tiny seeded networks, no corpus.
TINY = ["--benchmark", "ac/ms1190", "--budget", "1000", "--seed", "0",
        "--config", "rounds=2", "--config", "limit=20", "--config", "corpus=false",
        "--config", "epochs=10", "--config", "hidden=16", "--config", "shorten_nodes=200",
        "--config", "batch=2"]


def _train(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mathgym", "train", "--agent", "ac-expert-iteration",
           "--out", str(out), *TINY, *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


#: Wall-clock bound of one run: ~10 s on an idle core, minutes on a shared, loaded one.
WALL = 1200


def _finish(proc: subprocess.Popen) -> str:
    try:
        stdout, stderr = proc.communicate(timeout=WALL)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr
    return stdout


def _outcome(out: Path, r: int) -> list[tuple]:
    doc = json.loads((out / f"round-{r}" / "results.json").read_text())
    return [(x["instance"], x["solved"], x["certificate"], x["cost"]) for x in doc["results"]]


def _nets(out: Path, r: int) -> dict:
    manifest = json.loads((out / f"round-{r}" / "nets" / "manifest.json").read_text())
    return {f: e["sha256"] for f, e in manifest["nets"].items()}


def test_shortened_paths_verify_and_are_no_longer() -> None:
    inst = ms1190().instance("ms-0700")
    relators, cap = inst.data["relators"], int(inst.data["max_relator_length"])
    path = greedy_search(relators, 10_000, cap).path
    short = shorten_path(relators, path, cap, 1000)
    assert verify_ac_path(relators, short, cap).ok and len(short) < len(path) == 13
    with pytest.raises(ValueError, match="needs a verified path"):
        shorten_path(relators, path[:-1], cap)


def test_config_refuses_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown config nope"):
        Args.from_config({"nope": 1})
    with pytest.raises(ValueError, match="held_out_fold"):
        Args.from_config({"held_out_fold": 5})
    with pytest.raises(ValueError, match="corpus must be true or false"):
        Args.from_config({"corpus": 1})
    assert Args.from_config({"rounds": 2.0}).rounds == 2


def test_two_rounds_submit_and_kill_during_round_2_then_resume(tmp_path: Path) -> None:
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    stdout = _finish(_train(straight))
    assert "round 1:" in stdout and "round 2:" in stdout
    # every round file is a full harness results file that submit's verification accepts
    for r in (1, 2):
        checked = verify_results(read_submission(straight / f"round-{r}"))
        assert checked["metrics"]["num_instances"] == 1190
        summary = json.loads((straight / f"round-{r}" / "summary.json").read_text())
        assert checked["metrics"]["solved"] == summary["solved"] >= 1
        assert summary["cpu_seconds"]["total"] > 0 and summary["targets"] == 20
    training = json.loads((straight / "training.json").read_text())
    assert training["finished"] and training["steps"] == 2
    # fold hygiene: no network trained on its own fold or on the held-out fold 0
    for f in range(5):
        _, meta = load_checkpoint(straight / "round-2" / "nets" / f"fold-{f}.pt")
        assert meta["held_out_fold"] == f and set(meta["excluded_folds"]) == {f, 0}
    data = json.loads((straight / "round-1" / "data.json").read_text())
    assert any(fold_of(i) == 0 for i in data["paths"])  # held-out paths found, not trained on
    # kill -9 while round 2 is being built, then resume
    proc = _train(killed)
    deadline = time.monotonic() + WALL
    while not (killed / "round-2.tmp").exists():
        assert proc.poll() is None, proc.communicate()[1]
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"round 2 did not start within {WALL} s")
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert (killed / "round-1").is_dir() and not (killed / "round-2").exists()
    _finish(_train(killed, "--resume"))
    assert not list(killed.glob("*.tmp"))
    for r in (1, 2):
        assert _outcome(killed, r) == _outcome(straight, r)
        assert _nets(killed, r) == _nets(straight, r)
