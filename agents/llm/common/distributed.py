"""Data parallel for the LM trainers, on plain ``torch.distributed`` (no DDP wrapper).

Why not ``DistributedDataParallel``: the GRPO loss of a micro-batch is already written as its
exact share of the *global* loss (the trainer divides by the global token or sequence count),
so the global gradient is the plain **sum** of the processes' gradients. One flat
``all_reduce(SUM)`` of the trainable gradients after the last micro-batch does that, for LoRA
and full fine-tuning alike, and there is no averaging convention to undo.

Under ``torchrun`` (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``PORT`` set) call
:func:`init_from_env`: gloo on CPU, nccl on CUDA. Without those variables it is a single process
and every collective here is the identity, so the trainer has one code path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: ``rank`` of ``world_size`` (1 and 0 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    device: str = "cpu"
    """where collectives run: the process's CUDA device under nccl (nccl has no CPU
    tensors), the CPU under gloo"""

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and plots."""
        return self.rank == 0


def init_from_env(device: torch.device) -> DistContext:
    """Join the ``torchrun`` process group if the environment names one, else single process.

    Backend: nccl when ``device`` is CUDA, gloo otherwise. Calling it twice is harmless.
    """
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    nccl = device.type == "cuda"
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if nccl else "gloo")
    return DistContext(rank=dist.get_rank(), world_size=dist.get_world_size(),
                       device=str(device) if nccl else "cpu")


def _all_reduce(x: torch.Tensor, ctx: DistContext, op: str) -> torch.Tensor:
    if ctx.active:
        import torch.distributed as dist

        y = x.to(ctx.device)
        dist.all_reduce(y, op=getattr(dist.ReduceOp, op))
        if y is not x:
            x.copy_(y)
    return x


def all_reduce_sum(x: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum of ``x`` over processes (in place; returned), on the collective's device."""
    return _all_reduce(x, ctx, "SUM")


def all_reduce_min(x: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Minimum of ``x`` over processes (in place; returned)."""
    return _all_reduce(x, ctx, "MIN")


def all_reduce_gradients(params: Iterable[torch.nn.Parameter], ctx: DistContext) -> None:
    """Sum the gradients of ``params`` over processes, as one flat buffer (one collective)."""
    if not ctx.active:
        return
    params = list(params)
    for p in params:  # a process with no rows this step still joins with zeros
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    all_reduce_sum(flat, ctx)
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g))
        offset += n


def gather_rows(x: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Concatenate every process's ``(n_r, ...)`` tensor in rank order (``n_r`` may differ)."""
    if not ctx.active:
        return x
    import torch.distributed as dist

    n = torch.tensor([x.shape[0]], dtype=torch.long, device=ctx.device)
    sizes = [torch.zeros_like(n) for _ in range(ctx.world_size)]
    dist.all_gather(sizes, n)
    width = int(max(int(s) for s in sizes))
    padded = torch.zeros((width, *x.shape[1:]), dtype=x.dtype, device=ctx.device)
    padded[: x.shape[0]] = x
    parts = [torch.zeros_like(padded) for _ in range(ctx.world_size)]
    dist.all_gather(parts, padded)
    return torch.cat([p[: int(s)] for p, s in zip(parts, sizes, strict=True)]).to(x.device)


def row_offset(ctx: DistContext, local_rows: int) -> int:
    """Index of this process's first row in :func:`gather_rows`' result."""
    if not ctx.active:
        return 0
    import torch.distributed as dist

    n = torch.tensor([local_rows], dtype=torch.long, device=ctx.device)
    sizes = [torch.zeros_like(n) for _ in range(ctx.world_size)]
    dist.all_gather(sizes, n)
    return int(sum(int(s) for s in sizes[: ctx.rank]))


def barrier(ctx: DistContext) -> None:
    """Wait for every process (no-op when single)."""
    if ctx.active:
        import torch.distributed as dist

        dist.barrier()
