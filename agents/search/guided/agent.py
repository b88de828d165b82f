"""Harness agent ``ac-guided``: policy/value-guided best-first search (one forward per batch).

Config (keyword-only): ``checkpoints`` (directory with ``fold-f.pt`` per fold and
``manifest.json``, from :mod:`.train`), ``batch`` (nodes expanded per network call, default
16), ``w_pi`` (weight of ``-log π(move | parent)``, default 1), ``w_cum`` (weight of the
path's summed ``-log π``, default 0), ``w_value`` (weight of the predicted distance-to-go,
default 0), ``w_depth`` (default 0), ``w_len`` (default 1); see :mod:`.search`.

The instance's fold picks ``fold-f.pt``, the network trained without that fold's paths
(k-fold hygiene, :mod:`mathgym.agents.search.supermoves.corpus`); the checkpoint's sha256 and
its recorded held-out fold are checked against ``manifest.json`` before use, and recorded in
``info``. Budget unit ``search_nodes`` (unique states stored, as ``ac-greedy``); ``info``
adds the network calls and their seconds. The certificate is the verified plain AC path.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from mathgym.harness.agent import Agent, Attempt

#: Where the committed checkpoints live (trained by ``python -m
#: mathgym.agents.search.guided.train --out agents/search/guided/checkpoints``).
DEFAULT_CHECKPOINTS = "agents/search/guided/checkpoints"


@lru_cache(maxsize=16)
def _net(directory: str, fold: int) -> tuple[Any, str]:
    import torch
    from mathgym.agents.search.guided.net import load_checkpoint
    from mathgym.agents.search.supermoves.corpus import ROOT

    torch.set_num_threads(1)
    base = Path(directory)
    if not base.is_absolute():
        base = ROOT / base
    manifest_file = base / "manifest.json"
    if not manifest_file.is_file():
        raise FileNotFoundError(f"{manifest_file} not found: train the networks with `python -m "
                                f"mathgym.agents.search.guided.train --out {directory}`")
    manifest = json.loads(manifest_file.read_text())
    entry = manifest["nets"].get(str(fold))
    if entry is None:
        raise ValueError(f"{manifest_file} has no network for fold {fold}")
    file = base / entry["file"]
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        raise ValueError(f"{file}: sha256 {digest} differs from manifest.json's; retrain or "
                         "restore the checkpoint")
    net, meta = load_checkpoint(file)
    if int(meta["held_out_fold"]) != fold:
        raise ValueError(f"{file} was trained with fold {meta['held_out_fold']} held out, "
                         f"not fold {fold}")
    return net, digest


class GuidedAgent(Agent):
    """Best-first search guided by a policy/value network that never saw the fold's paths."""

    name = "ac-guided"
    version = "1"

    def __init__(self, *, checkpoints: str = DEFAULT_CHECKPOINTS, batch: int = 16,
                 w_pi: float = 1.0, w_cum: float = 0.0, w_value: float = 0.0, w_depth: float = 0.0,
                 w_len: float = 1.0, folds: int = 5) -> None:
        if int(batch) < 1 or int(folds) < 2:
            raise ValueError(f"ac-guided: batch must be >= 1 and folds >= 2; got {batch}, "
                             f"{folds}")
        if min(float(w_pi), float(w_cum), float(w_value), float(w_depth), float(w_len)) < 0:
            raise ValueError("ac-guided: the priority weights must be >= 0")
        super().__init__(checkpoints=str(checkpoints), batch=int(batch), w_pi=float(w_pi),
                         w_cum=float(w_cum), w_value=float(w_value), w_depth=float(w_depth),
                         w_len=float(w_len),
                         folds=int(folds))

    def supports(self, benchmark: Any) -> bool:
        return str(benchmark.id).startswith("ac/") and benchmark.budget_unit == "search_nodes"

    def attempt(self, benchmark: Any, instance: Any, budget: float, seed: int) -> Attempt:
        from mathgym.agents.search.guided.search import guided_search
        from mathgym.agents.search.supermoves.corpus import fold_of

        c = self.config
        max_nodes = int(budget)
        if max_nodes < 1:
            raise ValueError(f"{self.name}: budget must be >= 1 search node, got {budget}")
        fold = fold_of(str(instance.id), c["folds"])
        net, digest = _net(c["checkpoints"], fold)
        r = guided_search(instance.data["relators"], int(instance.data["max_relator_length"]),
                          net, max_nodes, batch=c["batch"], w_len=c["w_len"],
                          w_depth=c["w_depth"], w_pi=c["w_pi"], w_cum=c["w_cum"],
                          w_value=c["w_value"])
        info = {"nodes": r.nodes, "seconds": round(r.seconds, 6),
                "net_seconds": round(r.net_seconds, 6), "forwards": r.forwards,
                "status": r.status, "min_length": r.min_length, "path_length": len(r.path),
                "fold": fold, "checkpoint_sha256": digest}
        return Attempt(solved=r.solved, certificate=list(r.path) if r.solved else None,
                       cost=float(r.nodes), info=info)
