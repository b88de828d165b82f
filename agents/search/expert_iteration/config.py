"""The settings of an expert-iteration run (``mathgym train --config KEY=VALUE``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class Args:
    """Hyperparameters of ``ac-expert-iteration``; ``--budget`` is the node budget of each
    search (one per unsolved presentation per round)."""

    rounds: int = 3
    """rounds of search -> new verified paths -> retrain"""
    limit: int = 0
    """search only the first ``limit`` presentations of the benchmark (0: all); the others
    are recorded as not attempted (unsolved, cost 0) so every round file covers the benchmark"""
    folds: int = 5
    """k of the k-fold split by presentation (the one ``ac-guided`` uses)"""
    held_out_fold: int = 0
    """fold whose paths (pinned corpus and new) no network is ever trained on"""
    corpus: bool = True
    """train round 0's networks on the pinned corpus (and keep it in every round's data);
    False: round 0's networks are seeded untrained ones and only the run's own paths train"""
    shorten_nodes: int = 1000
    """BFS ball size (states) of the path shortener; 0: do not add shortened paths"""
    batch: int = 16
    """``ac-guided``: nodes expanded per network call"""
    w_pi: float = 1.0
    """``ac-guided``: weight of ``-log π(move | parent)`` in the priority"""
    w_len: float = 1.0
    """``ac-guided``: weight of the total length in the priority"""
    hidden: int = 128
    """network width (guided/net.py TrainConfig)"""
    epochs: int = 8
    """training epochs per round"""
    batch_size: int = 256
    """training examples per gradient step"""
    learning_rate: float = 1e-3
    """Adam step size"""
    value_coef: float = 0.5
    """weight of the distance-to-go loss"""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Args:
        """Build from ``--config`` settings; unknown keys and bad values are ``ValueError``."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - set(fields))
        if unknown:
            raise ValueError(f"ac-expert-iteration: unknown config {', '.join(unknown)}; known: "
                             f"{', '.join(fields)}")
        values: dict[str, Any] = {}
        for key, value in config.items():
            kind = type(getattr(cls, key))
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"ac-expert-iteration: {key} must be true or false, got "
                                     f"{value!r}")
            elif isinstance(value, bool) or not isinstance(value, int | float) or (
                    kind is int and not float(value).is_integer()):
                raise ValueError(f"ac-expert-iteration: {key} must be a {kind.__name__}, got "
                                 f"{value!r}")
            values[key] = kind(value)
        args = cls(**values)
        if args.rounds < 1 or args.limit < 0 or args.folds < 2 or args.shorten_nodes < 0:
            raise ValueError("ac-expert-iteration: need rounds >= 1, limit >= 0, folds >= 2, "
                             "shorten_nodes >= 0")
        if not 0 <= args.held_out_fold < args.folds:
            raise ValueError(f"ac-expert-iteration: held_out_fold must be in 0..{args.folds - 1}"
                             f", got {args.held_out_fold}")
        if min(args.batch, args.hidden, args.epochs, args.batch_size) < 1 or min(
                args.w_pi, args.w_len, args.learning_rate, args.value_coef) < 0:
            raise ValueError("ac-expert-iteration: batch, hidden, epochs, batch_size must be "
                             ">= 1 and the weights >= 0")
        return args
