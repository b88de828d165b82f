"""Gradient accumulation and the shared prompt prefix do not change the update: the same
batch in micro-batches of 4 rows, or with a full prompt + completion forward per row, gives the
loss and gradient of one micro-batch of 16 (the gradient, not the weights after AdamW,
whose first step is about lr * sign(g) and so magnifies rounding in near-zero entries), for a
token-mean and a sequence-mean loss."""

from __future__ import annotations

import pytest
import torch
from trainer_helpers import tiny_config, tiny_trainer


def _one_step(**overrides):
    trainer = tiny_trainer(tiny_config(seed=3, max_grad_norm=None, **overrides))
    grads = {}
    step = trainer.optimizer.step

    def capture(*args, **kwargs):
        grads.update({n: p.grad.detach().clone() for n, p in trainer.model.named_parameters()})
        return step(*args, **kwargs)

    trainer.optimizer.step = capture
    return trainer.train_step(), grads


@pytest.mark.parametrize("preset", ["dapo", "grpo"])
def test_micro_batches_and_prefix_sharing_give_the_same_step(preset):
    extra = {"dynamic_sampling": False} if preset == "dapo" else {}
    ref_stats, ref = _one_step(preset=preset, micro_batch_size=16, **extra)
    assert ref_stats["grad_norm"] > 0
    for variant in ({"micro_batch_size": 4}, {"share_prompt_prefix": False},
                    {"micro_batch_size": 4, "share_prompt_prefix": False}):
        stats, params = _one_step(preset=preset, **variant, **extra)
        assert stats["loss"] == pytest.approx(ref_stats["loss"], abs=1e-6), variant
        assert stats["grad_norm"] == pytest.approx(ref_stats["grad_norm"], rel=1e-5), variant
        for name, value in ref.items():
            torch.testing.assert_close(params[name], value, atol=1e-7, rtol=1e-5)
