"""``resolve_device``: the one place every mathgym learner turns a device name into a device."""

from __future__ import annotations

import re

import torch

_CUDA = re.compile(r"cuda(?::(\d+))?")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The torch device for ``"auto" | "cpu" | "cuda" | "cuda:N"`` (or a ``torch.device``).

    ``"auto"`` is the first CUDA device when one is present, else the CPU. Asking for CUDA
    explicitly on a machine without it, or for a CUDA index that does not exist, is an error
    rather than a silent fall-back to the CPU: a run that was meant for a GPU should not take
    a hundred times longer unnoticed.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    match = _CUDA.fullmatch(name)
    if match is None:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} asks for CUDA, but torch sees no CUDA device here (torch "
            f"{torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); use device='cpu' "
            "or 'auto', or install a CUDA build of torch on a machine with a GPU"
        )
    index = int(match.group(1) or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise RuntimeError(
            f"device={device!r}: there {'is' if count == 1 else 'are'} only {count} CUDA "
            f"device{'' if count == 1 else 's'} (cuda:0..cuda:{count - 1})"
        )
    return torch.device(f"cuda:{index}")
