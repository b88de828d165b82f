"""Kill -9 safety of the GRPO trainer: SIGKILL a training process mid-run, resume it, and get
exactly the run that was never interrupted (same losses at every step, same final weights).

Also: a checkpoint round trip in one process, and a resume with another config is refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mathgym.agents.llm.grpo.metrics import read_metrics
from trainer_helpers import tiny_config, tiny_trainer

HERE = Path(__file__).parent
STEPS, EVERY = 10, 3


def _runner(out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    return subprocess.Popen([sys.executable, str(HERE / "trainer_run.py"), "resume", str(out),
                             str(STEPS), str(EVERY)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _steps_logged(out: Path) -> int:
    path = out / "metrics.csv"
    if not path.exists():
        return 0
    return max(0, len(path.read_text().splitlines()) - 1)


def test_kill9_then_resume_equals_an_uninterrupted_run(tmp_path):
    # the uninterrupted run, in this process (another PYTHONHASHSEED than the children's)
    ref = tiny_trainer(tiny_config(lora=True, seed=7), tmp_path / "ref")
    ref.train(STEPS, checkpoint_every=EVERY)
    ref_losses = [s["loss"] for s in ref.history]
    ref_params = {n: p.detach().clone() for n, p in ref.model.named_parameters()
                  if p.requires_grad}

    out = tmp_path / "killed"
    proc = _runner(out)
    while _steps_logged(out) < 5 and proc.poll() is None:  # let it pass a checkpoint
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            pass
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _steps_logged(out)
    assert 5 <= killed_at < STEPS
    ckpt = torch.load(out / "checkpoint.pt", weights_only=False)
    assert 3 <= ckpt["step"] <= killed_at  # the last checkpoint before the kill

    proc = _runner(out)  # the same command again resumes
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-2000:]

    rows = read_metrics(out / "metrics.csv")
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))  # no duplicated steps
    assert [r["loss"] for r in rows] == ref_losses
    final = torch.load(out / "final.pt")
    assert final.keys() == ref_params.keys()
    for name, value in ref_params.items():
        assert torch.equal(final[name], value), name
    assert (out / "logs" / "session-1").is_dir()  # the resumed session's TensorBoard log


def test_checkpoint_round_trip_in_process(tmp_path):
    a = tiny_trainer(tiny_config(seed=2, num_iterations=2), tmp_path / "a")
    for _ in range(2):
        a.train_step()
    a.save_checkpoint()
    after = [a.train_step()["loss"] for _ in range(2)]
    b = tiny_trainer(tiny_config(seed=2, num_iterations=2), tmp_path / "a")
    assert b.resume() and b.step == 2
    assert [b.train_step()["loss"] for _ in range(2)] == after


def test_resume_with_another_config_is_refused(tmp_path):
    a = tiny_trainer(tiny_config(seed=2), tmp_path / "a")
    a.train_step()
    a.save_checkpoint()
    b = tiny_trainer(tiny_config(seed=2, learning_rate=1e-3), tmp_path / "a")
    with pytest.raises(ValueError, match="learning_rate"):
        b.resume()
