"""Run the GRPO trainer on the tiny model from the command line (a helper of the trainer tests).

    python tests/llm/trainer_run.py resume OUT STEPS EVERY    # train to STEPS, resumable
    python -m torch.distributed.run --standalone --nproc_per_node 2 \\
        tests/llm/trainer_run.py grads OUT                     # data-parallel loss and grads

``resume``: resumes OUT/checkpoint.pt when there is one, trains until step STEPS with a
checkpoint every EVERY steps, then writes OUT/final.pt (trainable weights). The kill -9 test
SIGKILLs it mid-run and runs it again.

``grads``: for each config of :data:`GRAD_CONFIGS`, two steps; after each, rank 0 writes the
global loss and the summed gradients (before the optimiser step, no clipping) to
OUT/<name>-world<W>.pt. The DDP test compares them with one process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from trainer_helpers import tiny_config, tiny_trainer  # noqa: E402

#: Data-parallel configs: token-mean with batch-std advantages (global token count and the
#: global reward std), and seq-mean-token-mean with a KL term through the disabled adapter.
GRAD_CONFIGS = {
    "dapo-batch": dict(preset="dapo", dynamic_sampling=False, overlong_cache=0,
                       scale_rewards="batch", max_grad_norm=None, lora=True, seed=5),
    "grpo-kl": dict(preset="grpo", beta=0.1, max_grad_norm=None, lora=True, seed=6,
                    micro_batch_size=4),
}


def resume(out: str, steps: int, every: int) -> None:
    trainer = tiny_trainer(tiny_config(lora=True, seed=7), out, tensorboard=True)
    trainer.resume()
    trainer.train(steps, checkpoint_every=every)
    torch.save({n: p.detach().clone() for n, p in trainer.model.named_parameters()
                if p.requires_grad}, Path(out) / "final.pt")


def grads(out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, overrides in GRAD_CONFIGS.items():
        trainer = tiny_trainer(tiny_config(**overrides))
        captured: list[dict] = []
        step = trainer.optimizer.step

        def capture(*args, _t=trainer, _step=step, _out=captured, **kwargs):
            _out.append({n: p.grad.detach().clone() for n, p in _t.model.named_parameters()
                             if p.requires_grad})
            return _step(*args, **kwargs)

        trainer.optimizer.step = capture
        losses = [trainer.train_step()["loss"] for _ in range(2)]
        if trainer.dist.is_main:
            torch.save({"losses": losses, "grads": captured},
                       Path(out) / f"{name}-world{trainer.dist.world_size}.pt")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "resume":
        resume(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "grads":
        grads(sys.argv[2])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
