"""``mathgym train`` is kill -9 safe: a run killed (SIGKILL, through a subprocess) after a
checkpoint and continued with ``--resume`` ends with the same solved set, certificates, costs,
curve and model as an uninterrupted run. Also: every learner trains and resumes, and bad
input gets one clear error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from ac_easy_plugin import CAP, EASY_ID, FAST_PPO, register
from mathgym.agents.rl.common.train import TrainArgs, train
from mathgym.agents.rl.common.training_env import TrainingACVectorEnv
from stable_baselines3 import PPO

HERE = Path(__file__).resolve().parent
CONFIG = {**FAST_PPO, "n_envs": 16, "cyclic_reduction": True}  # AC-Solver's env semantics
BUDGET = 16 * 16 * 40  # 40 rollouts
EVERY = 16 * 16 * 4


def _records(out: Path) -> list[tuple]:
    doc = json.loads((out / "results.json").read_text())
    return [(r["instance"], r["solved"], r["certificate"], r["cost"]) for r in doc["results"]]


def _training(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())["training"]


def _train(out: Path, resume: bool = False, **kw) -> dict:
    register()
    args = dict(benchmark=EASY_ID, learner="sb3-ppo", budget=BUDGET, out=str(out), seed=3,
                config=dict(CONFIG), resume=resume, checkpoint_every=EVERY, device="cpu",
                progress=False)
    args.update(kw)
    return train(TrainArgs(**args))


def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    whole = tmp_path / "whole"
    _train(whole)

    killed = tmp_path / "killed"
    env = dict(os.environ, MATHGYM_EXTRA_MODULES="ac_easy_plugin",
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
               PYTHONHASHSEED="123")
    cmd = [sys.executable, "-m", "mathgym.cli", "train", "--benchmark", EASY_ID, "--agent",
           "sb3-ppo", "--budget", str(BUDGET), "--seed", "3", "--out", str(killed),
           "--config-json", json.dumps(CONFIG), "--checkpoint-every", str(EVERY),
           "--device", "cpu", "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    training = killed / "training.json"
    while time.monotonic() < deadline and proc.poll() is None:
        if training.exists() and json.loads(training.read_text())["steps"] >= 2 * EVERY:
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()  # still running: kill it mid-run
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    steps_at_kill = json.loads(training.read_text())["steps"]
    assert 0 < steps_at_kill < BUDGET and not json.loads(training.read_text())["finished"]

    _train(killed, resume=True)
    assert _records(killed) == _records(whole)
    got, want = _training(killed), _training(whole)
    assert got["curve"] == want["curve"] and got["steps"] == want["steps"] == BUDGET
    assert got["episodes_solved"] == want["episodes_solved"]
    # model.zip holds wall-clock data (SB3's start_time, episode timings), so compare weights
    a, b = (PPO.load(out / "model.zip", device="cpu").policy.state_dict()
            for out in (killed, whole))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert sum(r[1] for r in _records(whole)) >= 8  # the comparison is not vacuous
    assert (killed / "logs" / "session-1" / "progress.csv").exists()


@pytest.mark.parametrize("learner, extra", [
    ("sb3-maskable-ppo", {}),
    ("sb3-dqn", {"learning_starts": 256, "buffer_size": 2048, "batch_size": 64,
                 "target_update_interval": 256, "net_arch": [64, 64]}),
])
def test_every_learner_resumes_to_the_same_run(tmp_path, monkeypatch, learner, extra):
    """Interrupted in-process mid-rollout (the same restore path as after a kill)."""
    env_keys = ("n_envs", "horizon", "max_relator_length", "reward")
    config = {**{k: CONFIG[k] for k in env_keys}, **extra}
    if learner == "sb3-maskable-ppo":
        config.update({k: CONFIG[k] for k in CONFIG if k not in env_keys})
    budget, every = 16 * 16 * 16, 512
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    _train(whole, learner=learner, config=config, budget=budget, checkpoint_every=every)

    step = TrainingACVectorEnv.step

    def dies_midway(self, actions):
        if self.total_steps >= budget // 2 + 80:
            raise KeyboardInterrupt
        return step(self, actions)

    monkeypatch.setattr(TrainingACVectorEnv, "step", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        _train(parts, learner=learner, config=config, budget=budget, checkpoint_every=every)
    monkeypatch.setattr(TrainingACVectorEnv, "step", step)
    assert 0 < json.loads((parts / "training.json").read_text())["steps"] < budget
    _train(parts, resume=True, learner=learner, config=config, budget=budget,
           checkpoint_every=every)
    assert _records(parts) == _records(whole)
    assert _training(parts)["curve"] == _training(whole)["curve"]
    assert _training(whole)["learner"] == learner
    assert all(not r[1] or len(r[2]) <= r[3] <= budget for r in _records(whole))
    # another budget is another run: resuming it is refused, naming the difference
    with pytest.raises(ValueError, match="differs in: budget"):
        _train(parts, resume=True, learner=learner, config=config, budget=2 * budget)


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not a setting of sb3-ppo"):
        _train(tmp_path / "a", config={"n_step": 10})
    with pytest.raises(ValueError, match="not a multiple of n_envs=16"):
        _train(tmp_path / "b", budget=BUDGET + 1)
    with pytest.raises(ValueError, match="unknown learner"):
        _train(tmp_path / "c", learner="ppo")
    with pytest.raises(ValueError, match="expected a int"):
        _train(tmp_path / "d", config={**CONFIG, "n_steps": "many"})
    _train(tmp_path / "e", budget=16 * 16 * 2)
    with pytest.raises(ValueError, match="pass --resume"):
        _train(tmp_path / "e", budget=16 * 16 * 2)
    assert CAP == CONFIG["max_relator_length"]
