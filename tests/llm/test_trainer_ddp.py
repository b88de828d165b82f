"""Data parallel: 2 CPU processes under torchrun (gloo) give the loss and the gradients of one
process on the same global batch, within 1e-6.

Two configs in one launch (tests/llm/trainer_run.py ``grads``): DAPO's token-mean with
batch-std advantages (needs the global token count and the global reward std), and GRPO's
seq-mean-token-mean with a KL term to the adapter-disabled reference and micro-batches of one
group (needs the b / B_global shares). Two steps each, so the second step also checks that the
processes' weights stayed identical after the first update.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
import trainer_run

HERE = Path(__file__).parent


def test_two_processes_equal_one(tmp_path):
    single = tmp_path / "single"
    trainer_run.grads(str(single))  # this process: WORLD_SIZE unset, one process
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(HERE / "trainer_run.py"), "grads", str(tmp_path / "ddp")],
        env=env, capture_output=True, timeout=900)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    for name in trainer_run.GRAD_CONFIGS:
        one = torch.load(single / f"{name}-world1.pt")
        two = torch.load(tmp_path / "ddp" / f"{name}-world2.pt")
        assert len(one["grads"]) == len(two["grads"]) == 2
        for a, b in zip(one["losses"], two["losses"], strict=True):
            assert abs(a - b) <= 1e-6, (name, one["losses"], two["losses"])
        for step, (ga, gb) in enumerate(zip(one["grads"], two["grads"], strict=True)):
            assert ga.keys() == gb.keys()
            assert any(float(g.abs().max()) > 0 for g in ga.values()), (name, step)
            for key in ga:
                diff = float((ga[key] - gb[key]).abs().max())
                assert diff <= 1e-6, (name, step, key, diff)
