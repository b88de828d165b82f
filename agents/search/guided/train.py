"""Train one guidance network per fold: ``python -m mathgym.agents.search.guided.train``.

For each fold ``f`` of the k-fold split, the network ``fold-f.pt`` is trained on the corpus
paths of the *other* folds (:func:`.dataset.build_dataset`), so a search on a presentation of
fold ``f`` is guided by a network that never saw that presentation's paths. The held-out
fold's own examples measure generalisation (policy accuracy, value error), written with the
training metrics to ``manifest.json``. Resumable: a fold whose checkpoint exists is skipped
(``--force`` retrains). Every file is written atomically.

    python -m mathgym.agents.search.guided.train --out agents/search/guided/checkpoints
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np


def held_out_metrics(net, data) -> dict[str, float]:
    """Policy accuracy, cross-entropy and value MAE (in moves) on ``data``."""
    logp, value = net.evaluate(data.x)
    acc = float((logp.argmax(1) == data.move).mean())
    ce = float(-logp[np.arange(len(data.move)), data.move].mean())
    mae = float(np.abs(value - data.togo).mean())
    return {"accuracy": acc, "cross_entropy": ce, "value_mae_moves": mae,
            "examples": int(len(data.move))}


def _held_out_data(fold: int, folds: int):
    """Examples of the held-out fold's own paths (never trained on)."""
    from mathgym.agents.search.guided.dataset import Dataset, path_states
    from mathgym.agents.search.guided.features import encode_states
    from mathgym.agents.search.supermoves.corpus import fold_of, load_corpus

    corpus = load_corpus()
    xs, moves, togo, ids = [], [], [], []
    for iid in sorted(corpus.paths):
        if fold_of(iid, folds) != fold:
            continue
        for path in corpus.paths[iid]:
            xs.append(encode_states(path_states(corpus.relators[iid], list(path),
                                                corpus.caps[iid]), corpus.caps[iid]))
            moves.append(np.asarray(path, np.int64))
            togo.append(np.arange(len(path), 0, -1, dtype=np.float32))
            ids.extend([iid] * len(path))
    return Dataset(np.concatenate(xs), np.concatenate(moves), np.concatenate(togo), tuple(ids))


def train_folds(out: Path, folds: int, cfg, force: bool = False) -> dict:
    """Train (or skip, if present) ``fold-f.pt`` for every fold; write ``manifest.json``."""
    from mathgym.agents.search.guided.dataset import build_dataset
    from mathgym.agents.search.guided.net import load_checkpoint, save_checkpoint, train

    out.mkdir(parents=True, exist_ok=True)
    manifest = {"folds": folds, "config": asdict(cfg), "nets": {}}
    for fold in range(folds):
        path = out / f"fold-{fold}.pt"
        if path.is_file() and not force:
            net, meta = load_checkpoint(path)
            train_stats = meta["train"]
        else:
            data = build_dataset(fold, folds)
            net, train_stats = train(data, cfg)
            train_stats["examples"] = int(len(data.move))
            save_checkpoint(path, net, cfg, {"held_out_fold": fold, "folds": folds,
                                             "train": train_stats})
        held = held_out_metrics(net, _held_out_data(fold, folds))
        manifest["nets"][str(fold)] = {
            "file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "train": train_stats, "held_out": held}
        print(f"fold {fold}: train {train_stats} held-out {held}", flush=True)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, out / "manifest.json")
    return manifest


def main(argv: list[str] | None = None) -> None:
    from mathgym.agents.search.guided.net import TrainConfig

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="checkpoint directory")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=TrainConfig.hidden)
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true", help="retrain folds that exist")
    a = ap.parse_args(argv)
    cfg = TrainConfig(hidden=a.hidden, epochs=a.epochs, seed=a.seed)
    train_folds(a.out, a.folds, cfg, a.force)


if __name__ == "__main__":
    main()
