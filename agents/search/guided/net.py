"""A small policy/value MLP over the one-hot state, its training, and atomic checkpoints.

Network: ``FEATURES -> hidden -> hidden`` (ReLU) with two heads: 12 move logits (the policy)
and one value, the predicted ``log(1 + distance-to-go)`` (distances on greedy paths run from
1 to ~900 moves, so the log keeps the regression from being all about the longest paths).

Loss, per batch: ``cross_entropy(logits, next_move) + value_coef * mse(value, log1p(togo))``.

Deterministic: ``torch.manual_seed(seed)``, one thread, shuffles from a seeded
``numpy.random.Generator``; the same data and seed give the same weights in any process.
A checkpoint is one ``torch.save`` file (state dict + the :class:`TrainConfig` + the held-out
fold and metrics), written to a temporary file and renamed (atomic).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mathgym.agents.search.guided.features import FEATURES
from torch import nn


@dataclass
class TrainConfig:
    """Hyperparameters of one training run."""

    hidden: int = 128
    """width of the two hidden layers"""
    epochs: int = 8
    """passes over the data set"""
    batch_size: int = 256
    """examples per gradient step"""
    learning_rate: float = 1e-3
    """Adam step size"""
    value_coef: float = 0.5
    """weight of the distance-to-go regression in the loss"""
    seed: int = 0
    """torch and shuffle seed"""


class PolicyValueNet(nn.Module):
    """MLP with a 12-way policy head and a scalar value head (log1p distance-to-go)."""

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(FEATURES, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.policy = nn.Linear(hidden, 12)
        self.value = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)  # (B, hidden)
        return self.policy(h), self.value(h).squeeze(-1)  # (B, 12), (B,)

    @torch.no_grad()
    def evaluate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log π float64[B, 12], predicted distance-to-go float64[B]) for float32[B, F]."""
        logits, value = self(torch.from_numpy(x))
        logp = torch.log_softmax(logits, dim=-1)
        return logp.double().numpy(), torch.expm1(value.clamp(min=0)).double().numpy()


def train(data: Any, cfg: TrainConfig) -> tuple[PolicyValueNet, dict[str, float]]:
    """Fit a :class:`PolicyValueNet` on a :class:`~.dataset.Dataset`; returns it and the last
    epoch's mean losses and move accuracy (on the training data)."""
    torch.set_num_threads(1)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    net = PolicyValueNet(cfg.hidden)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    x = torch.from_numpy(data.x)
    move = torch.from_numpy(data.move)
    target = torch.log1p(torch.from_numpy(data.togo))
    stats: dict[str, float] = {}
    for _ in range(cfg.epochs):
        order = torch.from_numpy(rng.permutation(len(move)))
        tot = {"policy_loss": 0.0, "value_loss": 0.0, "accuracy": 0.0}
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start:start + cfg.batch_size]
            logits, value = net(x[idx])
            policy_loss = nn.functional.cross_entropy(logits, move[idx])
            value_loss = nn.functional.mse_loss(value, target[idx])
            loss = policy_loss + cfg.value_coef * value_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            n = len(idx)
            tot["policy_loss"] += policy_loss.item() * n
            tot["value_loss"] += value_loss.item() * n
            tot["accuracy"] += (logits.argmax(-1) == move[idx]).sum().item()
        stats = {key: v / len(order) for key, v in tot.items()}
    net.eval()
    return net, stats


def save_checkpoint(path: str | Path, net: PolicyValueNet, cfg: TrainConfig,
                    meta: dict[str, Any]) -> None:
    """Write ``{state_dict, config, meta}`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"state_dict": net.state_dict(), "config": asdict(cfg), "meta": meta}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> tuple[PolicyValueNet, dict[str, Any]]:
    """The network (eval mode) and the checkpoint's meta (held-out fold, folds, metrics).
    Only tensors and plain containers are loaded (``weights_only=True``: no pickled code)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"guidance checkpoint {path} not found; train one with "
                                "`python -m mathgym.agents.search.guided.train --out DIR`")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    net = PolicyValueNet(int(blob["config"]["hidden"]))
    net.load_state_dict(blob["state_dict"])
    net.eval()
    return net, dict(blob["meta"], config=blob["config"])
